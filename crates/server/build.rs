//! Embed the office console (`ui/dist`: `console.html` and `assets/`) in the server, so an
//! office needs nothing but this one binary. Without a built UI the server still builds, and
//! its `/` says how to build the console.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn main() {
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    let mut found = Vec::new();
    if dist.join("console.html").is_file() {
        found.push(dist.join("console.html"));
        files(&dist.join("assets"), &mut found);
    }
    found.sort();
    let mut code =
        String::from("/// The built console: (path under `/`, bytes).\npub static FILES: &[(&str, &[u8])] = &[\n");
    for path in &found {
        let Ok(rel) = path.strip_prefix(&dist) else { continue };
        let rel = rel.to_string_lossy().replace('\\', "/");
        let abs = path.canonicalize().unwrap_or_else(|_| path.clone());
        let _ = writeln!(code, "    ({:?}, include_bytes!({:?})),", format!("/{rel}"), abs.to_string_lossy());
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("console_assets.rs");
    if let Err(e) = std::fs::write(&out, code) {
        panic!("writing {}: {e}", out.display());
    }
}
