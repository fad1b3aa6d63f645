//! The inspector's desktop app. For now a placeholder that builds: the Tauri shell and the
//! Vue UI in `ui/` arrive with the desktop issue. It will stay a thin adapter: each command
//! parses its input, calls `mingcha-store`, and maps the error to `{code, message}`.
//!
//! **Architecture invariant:** this is the only crate that will know Tauri.

fn main() {
    eprintln!(
        "mingcha-desktop {}: the desktop window is not built yet; use the `mingcha` CLI.",
        env!("CARGO_PKG_VERSION")
    );
    std::process::exit(2);
}
