//! The dependency rules, read from `cargo metadata`: who may link what.

use std::collections::{BTreeMap, VecDeque};

use serde_json::Value;

use super::Breach;

/// Crates that do I/O (an async runtime, a database, a network or a window): the pure crates
/// link none of them, directly or through anything else.
pub const IO_CRATES: &[&str] = &[
    "tokio",
    "mio",
    "socket2",
    "rusqlite",
    "libsqlite3-sys",
    "tokio-postgres",
    "postgres",
    "sqlx",
    "axum",
    "hyper",
    "reqwest",
    "ureq",
    "rustls",
    "tauri",
    "wry",
];
/// The crates that must stay free of I/O: the domain and the office's rules.
pub const PURE_PACKAGES: &[&str] = &["mingcha-core", "mingcha-office"];

/// The database drivers, and the packages that may depend on them directly: the device store and
/// the office's store.
pub const DB_DRIVERS: &[&str] = &["rusqlite", "tokio-postgres", "deadpool-postgres", "postgres", "sqlx"];
pub const DB_DRIVER_PACKAGES: &[&str] = &["mingcha-store", "mingcha-office-db"];
/// The HTTP server framework, and the one package that may serve HTTP with it.
pub const HTTP_SERVER_CRATES: &[&str] = &["axum"];
pub const HTTP_SERVER_PACKAGES: &[&str] = &["mingcha-server"];
/// HTTP clients, and the one package on the device that may talk HTTP: the store (its sync).
pub const HTTP_CLIENT_CRATES: &[&str] = &["ureq", "reqwest"];
pub const HTTP_CLIENT_PACKAGES: &[&str] = &["mingcha-store"];
/// Packages kept apart: the office server links neither the device's store nor its evidence
/// files (both sides share only mingcha-core's wire types), and the office's use cases link no
/// HTTP at all, not even through another crate.
pub const APART: &[(&str, &[&str])] = &[
    ("mingcha-server", &["mingcha-store", "mingcha-evidence"]),
    ("mingcha-office-app", &["axum", "hyper", "mingcha-server", "mingcha-store", "mingcha-evidence"]),
];
/// Tauri (and its plugins), and the desktop shell, the one package that may know it.
pub const TAURI_PACKAGES: &[&str] = &["mingcha-desktop"];
/// Packages that are tests through and through (their library is the journeys' harness): their
/// normal dependencies count as dev-dependencies, which the rules above allow everywhere.
pub const TEST_PACKAGES: &[&str] = &["mingcha-tests"];

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_default()
}

/// The workspace's own packages.
pub fn workspace_packages(meta: &Value) -> Vec<&Value> {
    let members: Vec<&str> =
        meta["workspace_members"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    let packages = meta["packages"].as_array().map(Vec::as_slice).unwrap_or_default();
    packages.iter().filter(|p| members.contains(&str_of(p, "id"))).collect()
}

/// Every breach of the dependency rules.
pub fn check(meta: &Value) -> Vec<Breach> {
    let mut out = io_free(meta);
    for package in workspace_packages(meta) {
        let name = str_of(package, "name");
        if TEST_PACKAGES.contains(&name) {
            continue;
        }
        let deps = package["dependencies"].as_array().map(Vec::as_slice).unwrap_or_default();
        for dep in deps.iter().filter(|d| d["kind"].is_null()) {
            let dep_name = str_of(dep, "name");
            let is_tauri = dep_name == "tauri" || dep_name.starts_with("tauri-plugin-");
            let rules: [(&str, bool, &[&str]); 4] = [
                ("db-driver", DB_DRIVERS.contains(&dep_name), DB_DRIVER_PACKAGES),
                ("http-server", HTTP_SERVER_CRATES.contains(&dep_name), HTTP_SERVER_PACKAGES),
                ("http-client", HTTP_CLIENT_CRATES.contains(&dep_name), HTTP_CLIENT_PACKAGES),
                ("tauri", is_tauri, TAURI_PACKAGES),
            ];
            for (rule, applies, allowed) in rules {
                if applies && !allowed.contains(&name) {
                    out.push(Breach::new(
                        rule,
                        name,
                        format!(
                            "{name} depends on {dep_name}; only {} may (dev-dependencies and the test packages, {}, \
                             are exempt)",
                            allowed.join(", "),
                            TEST_PACKAGES.join(", ")
                        ),
                    ));
                }
            }
        }
    }
    out
}

/// The pure packages' normal-dependency closure, in the resolve graph (dev- and
/// build-dependencies left out), holds no I/O crate, and a package kept apart from others links
/// none of them. Each breach shows the path that brings the crate in.
fn io_free(meta: &Value) -> Vec<Breach> {
    let nodes: BTreeMap<&str, &Value> = meta["resolve"]["nodes"]
        .as_array()
        .map(|a| a.iter().map(|n| (str_of(n, "id"), n)).collect())
        .unwrap_or_default();
    let names: BTreeMap<&str, &str> = meta["packages"]
        .as_array()
        .map(|a| a.iter().map(|p| (str_of(p, "id"), str_of(p, "name"))).collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    for package in workspace_packages(meta) {
        let name = str_of(package, "name");
        let (rule, forbidden) = match APART.iter().find(|(p, _)| *p == name) {
            Some((_, apart)) => ("apart", *apart),
            None if PURE_PACKAGES.contains(&name) => ("io-free", IO_CRATES),
            None => continue,
        };
        let start = str_of(package, "id");
        let mut parent: BTreeMap<&str, &str> = BTreeMap::from([(start, "")]);
        let mut queue = VecDeque::from([start]);
        while let Some(id) = queue.pop_front() {
            let deps = nodes.get(id).and_then(|n| n["deps"].as_array()).map(Vec::as_slice).unwrap_or_default();
            for dep in deps {
                let normal = dep["dep_kinds"].as_array().is_some_and(|k| k.iter().any(|k| k["kind"].is_null()));
                let to = str_of(dep, "pkg");
                if normal && !parent.contains_key(to) {
                    parent.insert(to, id);
                    queue.push_back(to);
                }
            }
        }
        for (&id, _) in parent.iter().filter(|(id, _)| forbidden.contains(names.get(*id).unwrap_or(&""))) {
            let mut path = vec![names.get(id).copied().unwrap_or(id)];
            let mut at = parent[id];
            while !at.is_empty() {
                path.push(names.get(at).copied().unwrap_or(at));
                at = parent[at];
            }
            path.reverse();
            let what = if rule == "io-free" { "the I/O crate" } else { "the kept-apart crate" };
            out.push(Breach::new(
                rule,
                name,
                format!("{name} links {what} {} ({})", path[path.len() - 1], path.join(" → ")),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A package's name and its dependencies, each with its kind (`None` for a normal one).
    type Package<'a> = (&'a str, &'a [(&'a str, Option<&'a str>)]);

    /// A workspace of `packages` where every dependency resolves.
    fn metadata(packages: &[Package<'_>]) -> Value {
        let id = |n: &str| format!("id-{n}");
        let mut all: Vec<&str> = packages.iter().map(|(n, _)| *n).collect();
        all.extend(packages.iter().flat_map(|(_, d)| d.iter().map(|(n, _)| *n)));
        all.sort_unstable();
        all.dedup();
        let members: Vec<String> = packages.iter().map(|(n, _)| id(n)).collect();
        let deps_of = |n: &str| packages.iter().find(|(p, _)| *p == n).map(|(_, d)| *d).unwrap_or_default();
        json!({
            "workspace_members": members,
            "packages": all.iter().map(|n| json!({
                "id": id(n), "name": n,
                "dependencies": deps_of(n).iter().map(|(d, k)| json!({"name": d, "kind": k})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "resolve": {"nodes": all.iter().map(|n| json!({
                "id": id(n),
                "deps": deps_of(n).iter().map(|(d, k)| json!({"pkg": id(d), "dep_kinds": [{"kind": k}]})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>()},
        })
    }

    fn lines(breaches: &[Breach]) -> Vec<String> {
        breaches.iter().map(|b| format!("{} {}", b.rule, b.message)).collect()
    }

    #[test]
    fn a_forbidden_crate_linked_through_another_is_named_with_the_path() {
        let meta = metadata(&[
            ("mingcha-core", &[("serde", None), ("helper", None), ("tempfile", Some("dev"))]),
            ("helper", &[("tokio", None)]),
            ("mingcha-office", &[("mingcha-core", None), ("rusqlite", Some("dev")), ("cc", Some("build"))]),
            ("cc", &[("mio", None)]),
            ("mingcha-server", &[("mingcha-office", None), ("bridge", None), ("mingcha-fuzz", Some("dev"))]),
            ("bridge", &[("mingcha-store", None)]),
            ("mingcha-fuzz", &[("mingcha-evidence", None)]),
        ]);
        let found = lines(&io_free(&meta));
        assert_eq!(
            found,
            [
                "io-free mingcha-core links the I/O crate tokio (mingcha-core → helper → tokio)",
                "io-free mingcha-office links the I/O crate tokio (mingcha-office → mingcha-core → helper → tokio)",
                "apart mingcha-server links the kept-apart crate mingcha-store (mingcha-server → bridge → mingcha-store)",
            ]
        );
    }

    #[test]
    fn drivers_axum_and_tauri_are_allowed_only_where_named() {
        let meta = metadata(&[
            ("mingcha-store", &[("rusqlite", None)]),
            ("mingcha-office-db", &[("rusqlite", None), ("tokio-postgres", None)]),
            ("mingcha-server", &[("axum", None), ("rusqlite", None)]),
            ("mingcha-cli", &[("rusqlite", None), ("axum", Some("dev")), ("ureq", Some("dev"))]),
            ("mingcha-desktop-old", &[("ureq", None)]),
            ("mingcha-tests", &[("rusqlite", None), ("tauri", None)]),
            ("mingcha-desktop", &[("tauri", None), ("tauri-plugin-dialog", None)]),
            ("mingcha-evidence", &[("tauri-plugin-fs", None), ("tauri-build", Some("build"))]),
        ]);
        let found: Vec<_> = check(&meta).iter().map(|b| format!("{} {}", b.rule, b.subject)).collect();
        assert_eq!(
            found,
            [
                "db-driver mingcha-cli",
                "http-client mingcha-desktop-old",
                "tauri mingcha-evidence",
                "db-driver mingcha-server"
            ]
        );
    }
}
