//! The TypeScript declarations of every type that crosses IPC, generated from the Rust types
//! (ts-rs) into `ui/src/ipc/bindings.ts`. A test fails when the committed file is stale;
//! `MINGCHA_WRITE_BINDINGS=1 cargo test -p mingcha-desktop bindings` rewrites it.

use ts_rs::{TS, TypeVisitor};

/// Every declaration, in a stable order, as one module.
pub fn typescript() -> String {
    let mut all = Collect(Vec::new());
    macro_rules! roots {
        ($($t:ty),* $(,)?) => {$( all.visit::<$t>(); )*};
    }
    roots!(
        crate::error::IpcError,
        crate::commands::session::AppState,
        crate::commands::session::Profile,
        mingcha_store::Identity,
        crate::commands::field::Today,
        crate::commands::field::UnitInput,
        crate::commands::field::PlanInput,
        crate::commands::field::VisitInput,
        crate::commands::field::VisitDetail,
        crate::commands::field::AnswerItem,
        mingcha_core::taxonomy::Taxonomy,
        mingcha_store::units::UnitSummary,
        crate::commands::findings::FindingInput,
        crate::commands::findings::FindingPatch,
        crate::commands::findings::FindingDetail,
        crate::commands::findings::SearchInput,
        crate::commands::findings::SearchPage,
        mingcha_evidence::import::Summary,
        mingcha_evidence::import::Progress,
        mingcha_store::sync::Enrollment,
        mingcha_store::sync::SyncSummary,
        mingcha_store::sync::SyncEvent,
    );
    let mut decls = all.0;
    decls.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::from(
        "// Generated from the Rust types by src-tauri/src/bindings.rs (ts-rs). Do not edit:\n\
         // run `MINGCHA_WRITE_BINDINGS=1 cargo test -p mingcha-desktop bindings`.\n\n",
    );
    for (_, decl) in decls {
        out.push_str("export ");
        // u64 counts arrive as JSON numbers, not BigInt; every count and size here stays
        // far below 2^53, where a number is exact.
        out.push_str(&decl.replace("bigint", "number"));
        out.push_str("\n\n");
    }
    out
}

/// Declarations by name; each type once, its dependencies after it (a recursive type, such as
/// a category with sub-categories, is visited once).
struct Collect(Vec<(String, String)>);

impl ts_rs::TypeVisitor for Collect {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        if T::output_path().is_none() || self.0.iter().any(|(n, _)| *n == T::ident()) {
            return;
        }
        self.0.push((T::ident(), T::decl()));
        T::visit_dependencies(self);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn bindings_are_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/src/ipc/bindings.ts");
        let fresh = super::typescript();
        if std::env::var_os("MINGCHA_WRITE_BINDINGS").is_some() {
            std::fs::write(path, &fresh).expect("writing the bindings");
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == fresh,
            "ui/src/ipc/bindings.ts is stale: run MINGCHA_WRITE_BINDINGS=1 cargo test -p mingcha-desktop bindings"
        );
    }
}
