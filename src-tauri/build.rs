//! Tauri's build step, with the app's own commands declared: each gets an `allow-<command>`
//! permission, and only those the capability in `capabilities/default.json` names can be
//! invoked from the window.

const COMMANDS: &[&str] = &[
    "app_state",
    "create_store",
    "unlock",
    "lock",
    "identity",
    "change_passphrase",
    "load_demo",
    "today_view",
    "units",
    "add_unit",
    "templates",
    "taxonomy",
    "add_plan",
    "start_visit",
    "end_visit",
    "visit_detail",
    "open_checklist",
    "answer_item",
    "add_finding",
    "edit_finding",
    "delete_finding",
    "finding_detail",
    "search_findings",
    "import_evidence",
    "enroll",
    "sync_status",
    "sync_now",
    "office_reachable",
    "first_screen",
];

fn main() {
    let attributes = tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri build step: {e:#}");
    }
}
