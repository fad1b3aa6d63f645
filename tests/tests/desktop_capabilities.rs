//! What the inspector's window may call, read where Tauri reads it: every file in
//! `src-tauri/capabilities/` is compiled into every build, so none of them may grant the
//! developer tools (a release build would let anyone at the laptop open them on a store of
//! covert findings). A debug build adds them at run time from `capabilities-debug/`.

use std::path::Path;

fn src_tauri() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../src-tauri")
}

fn permissions(file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    json["permissions"]
        .as_array()
        .unwrap_or_else(|| panic!("{} has no permissions", file.display()))
        .iter()
        .map(|p| p.as_str().map_or_else(|| p["identifier"].to_string(), str::to_owned))
        .collect()
}

#[test]
fn a_release_build_grants_the_window_no_developer_tools() {
    let folder = src_tauri().join("capabilities");
    let files: Vec<_> = std::fs::read_dir(&folder)
        .expect("src-tauri/capabilities")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    assert!(!files.is_empty(), "no capability in {}", folder.display());
    for file in &files {
        let granted = permissions(file);
        let tools: Vec<_> = granted.iter().filter(|p| p.contains("devtools")).collect();
        assert!(tools.is_empty(), "{} grants {tools:?} to every build", file.display());
    }
    // The debug build's addition, and the one place that adds it, under cfg(debug_assertions).
    let debug = src_tauri().join("capabilities-debug/devtools.json");
    assert_eq!(permissions(&debug), ["core:webview:allow-internal-toggle-devtools"]);
    let lib = std::fs::read_to_string(src_tauri().join("src/lib.rs")).expect("src-tauri/src/lib.rs");
    let lines: Vec<&str> = lib.lines().map(str::trim).collect();
    let adds: Vec<usize> = (0..lines.len()).filter(|i| lines[*i].contains("capabilities-debug/")).collect();
    assert_eq!(adds.len(), 1, "one place adds the debug capability");
    assert!(adds[0] > 0 && lines[adds[0] - 1] == "#[cfg(debug_assertions)]", "it is added in debug builds only");
}
