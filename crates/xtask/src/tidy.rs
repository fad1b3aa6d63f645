//! `cargo xtask tidy`: the architecture's invariants, checked in seconds (`cargo metadata` and
//! the sources read as text; nothing is compiled). The first phase of `cargo xtask test`.
//!
//! A breach fails the run with one line naming the rule and the package or file. Breaches that
//! are known and being worked on are listed in [`KNOWN`], each with its reason: they are
//! reported as warnings, and a listed breach that no longer occurs fails the run too, so the
//! list only shrinks and always tells the truth. docs/architecture.md explains the rules.

mod deps;
mod graph;
mod source;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// Where the Result-with-a-String-error rule looks (the fuzz targets are their own workspace).
const RESULT_STRING_DIRS: &[&str] = &["crates", "src-tauri", "tests", "fuzz"];
/// Where the file-length rule looks, and its limit.
const LENGTH_DIRS: &[&str] = &["crates", "src-tauri", "tests"];
const MAX_LINES: usize = 600;

/// A breach that is known, with why it is still there. For `module-cycle`, `modules` names the
/// modules allowed in cycles of that target; for the other rules it is empty.
#[derive(Debug)]
pub struct Known {
    pub rule: &'static str,
    pub subject: &'static str,
    pub modules: &'static [&'static str],
    pub reason: &'static str,
}

/// The known breaches. Remove an entry when its breach is fixed (tidy says when); add none
/// without a reason and a plan.
pub const KNOWN: &[Known] = &[
    Known {
        rule: "file-length",
        subject: "crates/server/tests/api.rs",
        modules: &[],
        reason: "issue 16: the server's tests are being reorganised with the server",
    },
    Known {
        rule: "file-length",
        subject: "crates/server/tests/console.rs",
        modules: &[],
        reason: "issue 16: the server's tests are being reorganised with the server",
    },
    Known {
        rule: "file-length",
        subject: "crates/store/src/sync/tests.rs",
        modules: &[],
        reason: "the device sync's unit tests in one module; to split by flow (push, upload, events)",
    },
    Known {
        rule: "result-string",
        subject: "crates/store/src/changelog.rs",
        modules: &[],
        reason: "read_changes builds an unreadable change's reason as text; to become a typed reason",
    },
    Known {
        rule: "db-driver",
        subject: "mingcha-cli",
        modules: &[],
        reason: "the store benchmark (crates/cli/src/bench.rs) times raw SQL as its reference",
    },
    Known {
        rule: "http-client",
        subject: "mingcha-desktop",
        modules: &[],
        reason: "the online light's health check (src-tauri/src/commands/sync.rs) calls ureq itself",
    },
    Known {
        rule: "http-server",
        subject: "mingcha-fuzz-checks",
        modules: &[],
        reason: "the upload check builds axum::http headers for the server; the `http` crate alone would do",
    },
];

/// One breach of one rule: `subject` is the package, the file or the target root it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct Breach {
    pub rule: &'static str,
    pub subject: String,
    pub message: String,
    /// For a module cycle: the modules in it.
    pub modules: Vec<String>,
}

impl Breach {
    pub fn new(rule: &'static str, subject: &str, message: String) -> Self {
        Breach { rule, subject: subject.to_owned(), message, modules: Vec::new() }
    }
}

/// Check the workspace at `root`; fails when any rule is broken beyond [`KNOWN`].
pub fn tidy(root: &Path) -> Result<()> {
    let out = super::cargo()
        .args(["metadata", "--format-version", "1"])
        .current_dir(root)
        .output()
        .context("running cargo metadata")?;
    if !out.status.success() {
        bail!("cargo metadata failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    let meta: Value = serde_json::from_slice(&out.stdout).context("reading cargo metadata's JSON")?;
    let mut breaches = deps::check(&meta);
    breaches.extend(module_cycles(&meta, root)?);
    breaches.extend(source_rules(&meta, root)?);
    let (warnings, errors) = judge(&breaches, KNOWN);
    for w in &warnings {
        eprintln!("tidy: warning: {w}");
    }
    for e in &errors {
        eprintln!("tidy: error: {e}");
    }
    if !errors.is_empty() {
        bail!("tidy: {} breach(es) of the architecture's rules (see docs/architecture.md)", errors.len());
    }
    eprintln!(
        "tidy: ok ({} warning(s) from the {} known breaches in crates/xtask/src/tidy.rs)",
        warnings.len(),
        KNOWN.len()
    );
    Ok(())
}

/// Split `breaches` into warnings (known) and errors (unknown, or a known entry that no longer
/// holds).
pub fn judge(breaches: &[Breach], known: &[Known]) -> (Vec<String>, Vec<String>) {
    let (mut warnings, mut errors) = (Vec::new(), Vec::new());
    let covers = |k: &Known, b: &Breach| {
        k.rule == b.rule && k.subject == b.subject && b.modules.iter().all(|m| k.modules.contains(&m.as_str()))
    };
    for b in breaches {
        match known.iter().find(|k| covers(k, b)) {
            Some(k) => warnings.push(format!("[{}] {} (known: {})", b.rule, b.message, k.reason)),
            None => errors.push(format!("[{}] {}", b.rule, b.message)),
        }
    }
    for k in known {
        // A listed module is gone when it is in no cycle of the target at all (a wider cycle
        // fails on its own, above).
        let matched: Vec<&Breach> = breaches
            .iter()
            .filter(|b| if k.modules.is_empty() { covers(k, b) } else { k.rule == b.rule && k.subject == b.subject })
            .collect();
        let gone = if k.modules.is_empty() {
            matched.is_empty().then(String::new)
        } else {
            let left: Vec<&str> = k
                .modules
                .iter()
                .copied()
                .filter(|m| !matched.iter().any(|b| b.modules.iter().any(|x| x == m)))
                .collect();
            (!left.is_empty()).then(|| format!(" for module(s) {}", left.join(", ")))
        };
        if let Some(what) = gone {
            errors.push(format!(
                "[known] [{}] {}{what} no longer occurs: take it off KNOWN in crates/xtask/src/tidy.rs",
                k.rule, k.subject
            ));
        }
    }
    (warnings, errors)
}

/// Module cycles in every target of every workspace package.
fn module_cycles(meta: &Value, root: &Path) -> Result<Vec<Breach>> {
    let mut out = Vec::new();
    let mut seen = Vec::new();
    for package in deps::workspace_packages(meta) {
        let name = package["name"].as_str().unwrap_or_default();
        for src in target_roots(package) {
            if seen.contains(&src) {
                continue;
            }
            seen.push(src.clone());
            let graph = graph::module_graph(&src, root)?;
            let pairs: Vec<(usize, usize)> = graph.edges.keys().copied().collect();
            let subject = src.strip_prefix(root).unwrap_or(&src).display().to_string();
            for cycle in graph::cycles(graph.modules.len(), &pairs) {
                let modules: Vec<String> = cycle.iter().map(|&i| graph.modules[i].clone()).collect();
                let edges: Vec<String> = graph
                    .edges
                    .iter()
                    .filter(|((a, b), _)| cycle.contains(a) && cycle.contains(b))
                    .map(|((a, b), at)| format!("{} → {} ({at})", graph.modules[*a], graph.modules[*b]))
                    .collect();
                let message =
                    format!("module cycle in {name} ({subject}) among {}: {}", modules.join(", "), edges.join("; "));
                out.push(Breach { modules, ..Breach::new("module-cycle", &subject, message) });
            }
        }
    }
    Ok(out)
}

/// The root files of a package's targets (build scripts left out).
fn target_roots(package: &Value) -> Vec<PathBuf> {
    let targets = package["targets"].as_array().map(Vec::as_slice).unwrap_or_default();
    targets
        .iter()
        .filter(|t| !t["kind"].as_array().is_some_and(|k| k.iter().any(|k| k == "custom-build")))
        .filter_map(|t| t["src_path"].as_str().map(PathBuf::from))
        .collect()
}

/// The rules read from each file: no `Result<_, String>` outside tests, no file over the limit.
fn source_rules(meta: &Value, root: &Path) -> Result<Vec<Breach>> {
    let packages = deps::workspace_packages(meta);
    let mut package_dirs: Vec<PathBuf> = packages
        .iter()
        .filter_map(|p| p["manifest_path"].as_str().and_then(|m| Path::new(m).parent().map(Path::to_path_buf)))
        .collect();
    package_dirs.push(root.join("fuzz"));
    let roots: Vec<PathBuf> = packages.iter().flat_map(|p| target_roots(p)).collect();
    let files = source::rust_files(root, RESULT_STRING_DIRS)?;
    let mut texts = Vec::new();
    let mut test_files = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let (_, names) = source::without_test_items(&source::blank_comments_and_strings(&text));
        let is_root = roots.contains(file);
        test_files.extend(names.iter().filter_map(|n| source::module_file(file, n, is_root)));
        texts.push(text);
    }
    let mut out = Vec::new();
    for (file, text) in files.iter().zip(&texts) {
        let shown = file.strip_prefix(root).unwrap_or(file).display().to_string();
        if LENGTH_DIRS.iter().any(|d| file.starts_with(root.join(d))) && text.lines().count() > MAX_LINES {
            let message = format!("{shown} has {} lines (limit {MAX_LINES})", text.lines().count());
            out.push(Breach::new("file-length", &shown, message));
        }
        if is_test_file(file, &package_dirs, &test_files) {
            continue;
        }
        let (code, _) = source::without_test_items(&source::blank_comments_and_strings(text));
        for line in source::result_string_lines(&code) {
            let message = format!("{shown}:{line} has a Result with a String error; give it a typed error");
            out.push(Breach::new("result-string", &shown, message));
        }
    }
    Ok(out)
}

/// Whether `file` is test code: an integration test (under a package's `tests/`), or a module
/// declared under `#[cfg(test)]` (or a file inside such a module's folder).
fn is_test_file(file: &Path, package_dirs: &[PathBuf], test_files: &[PathBuf]) -> bool {
    let package = package_dirs.iter().filter(|d| file.starts_with(d)).max_by_key(|d| d.components().count());
    let integration = package.is_some_and(|d| file.strip_prefix(d).is_ok_and(|rel| rel.starts_with("tests")));
    let in_test_module = test_files.iter().any(|t| {
        let folder = if t.ends_with("mod.rs") { t.parent().map(Path::to_path_buf) } else { Some(t.with_extension("")) };
        file == t || folder.is_some_and(|f| file.starts_with(f))
    });
    integration || in_test_module
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breach(rule: &'static str, subject: &str, modules: &[&str]) -> Breach {
        let modules = modules.iter().map(|m| m.to_string()).collect();
        Breach { modules, ..Breach::new(rule, subject, format!("{subject} breaks {rule}")) }
    }

    const LONG: Known = Known { rule: "file-length", subject: "a.rs", modules: &[], reason: "issue 1" };
    const CYCLE: Known =
        Known { rule: "module-cycle", subject: "lib.rs", modules: &["a", "b", "c"], reason: "issue 2" };

    #[test]
    fn a_known_breach_warns_and_an_unknown_one_fails() {
        let found = [breach("file-length", "a.rs", &[]), breach("file-length", "b.rs", &[])];
        let (warnings, errors) = judge(&found, &[LONG]);
        assert_eq!(warnings, ["[file-length] a.rs breaks file-length (known: issue 1)"]);
        assert_eq!(errors, ["[file-length] b.rs breaks file-length"]);
    }

    #[test]
    fn a_known_breach_that_is_gone_fails() {
        let (warnings, errors) = judge(&[], &[LONG]);
        assert!(warnings.is_empty());
        assert_eq!(errors.len(), 1);
        assert!(errors[0].contains("a.rs no longer occurs"), "{errors:?}");
    }

    #[test]
    fn a_cycle_is_known_only_within_the_listed_modules_and_the_list_must_shrink() {
        let smaller = [breach("module-cycle", "lib.rs", &["a", "b"])];
        let (warnings, errors) = judge(&smaller, &[CYCLE]);
        assert_eq!(warnings.len(), 1);
        assert_eq!(errors.len(), 1, "c left the cycle, so the list must lose it: {errors:?}");
        assert!(errors[0].contains("module(s) c no longer occurs"), "{errors:?}");
        let wider = [breach("module-cycle", "lib.rs", &["a", "b", "c", "d"])];
        let (warnings, errors) = judge(&wider, &[CYCLE]);
        assert!(warnings.is_empty());
        assert_eq!(errors, ["[module-cycle] lib.rs breaks module-cycle"]);
    }

    #[test]
    fn a_broken_workspace_fails_with_one_line_per_breach() -> Result<()> {
        let root = std::env::temp_dir().join(format!("xtask-tidy-fixture-{}", std::process::id()));
        let write = |p: &str, text: &str| -> Result<()> {
            let path = root.join(p);
            std::fs::create_dir_all(path.parent().context("a parent")?)?;
            Ok(std::fs::write(path, text)?)
        };
        write("crates/demo/Cargo.toml", "")?;
        write("crates/demo/src/lib.rs", "mod a;\nmod b;\n")?;
        write("crates/demo/src/a.rs", "use crate::b::f;\npub fn g() -> Result<(), String> { Ok(()) }\n")?;
        write("crates/demo/src/b.rs", &format!("pub fn f() {{ super::a::g(); }}\n{}", "\n".repeat(MAX_LINES)))?;
        write("crates/demo/tests/it.rs", "fn t() -> Result<(), String> { Ok(()) }\n")?;
        let demo = root.join("crates/demo");
        let meta = serde_json::json!({
            "workspace_members": ["demo"],
            "packages": [{
                "id": "demo", "name": "demo", "manifest_path": demo.join("Cargo.toml"),
                "targets": [{"kind": ["lib"], "src_path": demo.join("src/lib.rs")},
                            {"kind": ["test"], "src_path": demo.join("tests/it.rs")}],
            }],
        });
        let found = module_cycles(&meta, &root).and_then(|mut b| {
            b.extend(source_rules(&meta, &root)?);
            Ok(b)
        });
        std::fs::remove_dir_all(&root)?;
        let (warnings, errors) = judge(&found?, &[]);
        assert!(warnings.is_empty());
        assert_eq!(
            errors,
            [
                "[module-cycle] module cycle in demo (crates/demo/src/lib.rs) among a, b: \
                 a → b (crates/demo/src/a.rs:1); b → a (crates/demo/src/b.rs:1)",
                "[result-string] crates/demo/src/a.rs:2 has a Result with a String error; give it a typed error",
                "[file-length] crates/demo/src/b.rs has 601 lines (limit 600)",
            ]
        );
        Ok(())
    }

    #[test]
    fn integration_tests_and_cfg_test_modules_are_test_code() {
        let pkgs = [PathBuf::from("/w/tests"), PathBuf::from("/w/crates/store")];
        let tests = [PathBuf::from("/w/crates/store/src/sync/tests.rs")];
        let test = |p: &str| is_test_file(Path::new(p), &pkgs, &tests);
        assert!(test("/w/tests/tests/journey.rs"));
        assert!(!test("/w/tests/src/office.rs"));
        assert!(test("/w/crates/store/tests/store.rs"));
        assert!(test("/w/crates/store/src/sync/tests.rs"));
        assert!(test("/w/crates/store/src/sync/tests/more.rs"));
        assert!(!test("/w/crates/store/src/sync/push.rs"));
    }
}
