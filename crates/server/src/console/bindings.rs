//! The TypeScript declarations of the console's answers, generated from the Rust types (ts-rs)
//! into `ui/src/console/bindings.ts`, which `ui/src/console/types.ts` re-exports. A test fails
//! when the committed file is stale; `MINGCHA_WRITE_BINDINGS=1 cargo test -p mingcha-server
//! console::bindings` rewrites it. The types declared so far: the dashboard, the ledger's rows
//! and pages, 亮灯, and the review list's findings; the rest of `types.ts` is still written by
//! hand.

use ts_rs::{TS, TypeVisitor};

/// Every declaration, in a stable order, as one module.
pub fn typescript() -> String {
    let mut all = Collect(Vec::new());
    all.visit::<mingcha_office::dashboard::Dashboard>();
    all.visit::<mingcha_office::ledger::LedgerRow>();
    all.visit::<super::review::Page<mingcha_office::ledger::LedgerRow>>();
    all.visit::<super::ledger::Lights>();
    all.visit::<crate::app::world::FindingView>();
    all.visit::<super::review::Page<crate::app::world::FindingView>>();
    let mut decls = all.0;
    decls.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::from(
        "// Generated from the Rust types by crates/server/src/console/bindings.rs (ts-rs). Do not edit:\n\
         // run `MINGCHA_WRITE_BINDINGS=1 cargo test -p mingcha-server console::bindings`.\n\n",
    );
    for (_, decl) in decls {
        out.push_str("export ");
        // Counts arrive as JSON numbers, not BigInt; every count here stays far below 2^53.
        out.push_str(&decl.replace("bigint", "number"));
        out.push_str("\n\n");
    }
    out
}

/// Declarations by name, each once, its dependencies after it.
struct Collect(Vec<(String, String)>);

impl TypeVisitor for Collect {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        if T::output_path().is_none() || self.0.iter().any(|(n, _)| *n == T::ident()) {
            return;
        }
        self.0.push((T::ident(), T::decl()));
        T::visit_dependencies(self);
    }
}

#[test]
fn bindings_are_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ui/src/console/bindings.ts");
    let fresh = typescript();
    if std::env::var_os("MINGCHA_WRITE_BINDINGS").is_some() {
        std::fs::write(path, &fresh).expect("writing the bindings");
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == fresh,
        "ui/src/console/bindings.ts is stale: run MINGCHA_WRITE_BINDINGS=1 cargo test -p mingcha-server console::bindings"
    );
}
