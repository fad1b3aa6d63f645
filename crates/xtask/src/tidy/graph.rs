//! The module graph of one crate target, and its cycles.
//!
//! The nodes are the top-level modules declared in the target's root file (`mod x;`, found as
//! `x.rs` or `x/mod.rs`). There is an edge A → B when any file of A names `crate::B` (in a
//! `use` or a path, `crate::{B, …}` included), or when A's own top-level file names
//! `super::B`. Only non-test code counts (`#[cfg(test)]` items and test-module files are left
//! out): the rule is about how the shipped code is layered.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::source::{blank_comments_and_strings, module_file, rust_files, without_test_items};

/// A target's top-level modules and who names whom, with one place (`file:line`) per edge.
#[derive(Debug, Default)]
pub struct ModuleGraph {
    pub modules: Vec<String>,
    pub edges: BTreeMap<(usize, usize), String>,
}

/// The module graph of the target whose root file is `root`; paths in examples are shown
/// relative to `base`.
pub fn module_graph(root: &Path, base: &Path) -> Result<ModuleGraph> {
    let read = |p: &Path| -> Result<String> {
        let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        Ok(without_test_items(&blank_comments_and_strings(&text)).0)
    };
    let declared = top_level_mods(&read(root)?);
    let mut graph = ModuleGraph::default();
    let mut files: Vec<(PathBuf, Vec<PathBuf>)> = Vec::new();
    for name in declared {
        let Some(file) = module_file(root, &name, true) else { continue };
        // The files of A: its own file, and every file in the folder of its submodules.
        // (`a/mod.rs` owns its own folder; `a.rs` the folder `a/` beside it.)
        let folder = if file.file_name().is_some_and(|n| n == "mod.rs") {
            file.parent().map(Path::to_path_buf)
        } else {
            file.parent().map(|p| p.join(&name)).filter(|d| d.is_dir())
        };
        let mut under = match &folder {
            Some(dir) => rust_files(dir, &["."])?,
            None => Vec::new(),
        };
        under.retain(|p| *p != file);
        graph.modules.push(name);
        files.push((file, under));
    }
    let index = |name: &str| graph.modules.iter().position(|m| m == name);
    let mut edges = BTreeMap::new();
    for (from, (own, under)) in files.iter().enumerate() {
        let all: Vec<&PathBuf> = std::iter::once(own).chain(under.iter()).collect();
        let mut test_mods = Vec::new();
        for file in &all {
            test_mods.extend(test_module_files(file, &read_raw(file)?));
        }
        for file in all {
            let in_test_module = test_mods.iter().any(|t| {
                let folder =
                    if t.ends_with("mod.rs") { t.parent().map(Path::to_path_buf) } else { Some(t.with_extension("")) };
                file == t || folder.is_some_and(|f| file.starts_with(f))
            });
            if in_test_module {
                continue;
            }
            let code = read(file)?;
            let mut named = references(&code, "crate");
            if file == own {
                named.extend(references(&code, "super"));
            }
            for (name, line) in named {
                let Some(to) = index(&name) else { continue };
                if to != from {
                    let shown = file.strip_prefix(base).unwrap_or(file).display().to_string();
                    edges.entry((from, to)).or_insert(format!("{shown}:{line}"));
                }
            }
        }
    }
    graph.edges = edges;
    Ok(graph)
}

fn read_raw(p: &Path) -> Result<String> {
    std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))
}

/// Files of the modules `file` (not a crate root) declares under `#[cfg(test)]`.
pub fn test_module_files(file: &Path, text: &str) -> Vec<PathBuf> {
    let (_, names) = without_test_items(&blank_comments_and_strings(text));
    names.iter().filter_map(|n| module_file(file, n, false)).collect()
}

/// Names declared with `mod NAME;` at the top level of `code` (blanked).
pub fn top_level_mods(code: &str) -> Vec<String> {
    let mut depth = 0i32;
    let mut out = Vec::new();
    let mut words = Vec::new();
    let mut word = String::new();
    for ch in code.chars() {
        if ch.is_alphanumeric() || ch == '_' {
            word.push(ch);
            continue;
        }
        if !word.is_empty() {
            words.push((std::mem::take(&mut word), depth));
        }
        match ch {
            '{' => {
                depth += 1;
                words.clear();
            }
            '}' => {
                depth -= 1;
                words.clear();
            }
            ';' => {
                if let [.., (m, 0), (name, 0)] = words.as_slice()
                    && m == "mod"
                {
                    out.push(name.clone());
                }
                words.clear();
            }
            c if c.is_whitespace() => {}
            _ => words.clear(),
        }
    }
    out
}

/// The first path segments named after `prefix::` in `code` (blanked), with their lines:
/// `crate::a::b` gives `a`, `crate::{a, b::c}` gives `a` and `b`.
pub fn references(code: &str, prefix: &str) -> Vec<(String, usize)> {
    let c: Vec<char> = code.chars().collect();
    let p: Vec<char> = prefix.chars().collect();
    let is_ident = |ch: char| ch.is_alphanumeric() || ch == '_';
    let skip_ws = |mut k: usize| {
        while k < c.len() && c[k].is_whitespace() {
            k += 1;
        }
        k
    };
    let ident_at = |k: usize| c[k..].iter().take_while(|ch| is_ident(**ch)).collect::<String>();
    let line_of = |k: usize| c[..k].iter().filter(|&&ch| ch == '\n').count() + 1;
    let mut out = Vec::new();
    let mut i = 0;
    while i + p.len() < c.len() {
        let at_word = c[i..i + p.len()] == p[..]
            && (i == 0 || !is_ident(c[i - 1]) && c[i - 1] != ':')
            && !is_ident(c[i + p.len()]);
        if !at_word {
            i += 1;
            continue;
        }
        let mut k = skip_ws(i + p.len());
        if c.get(k) == Some(&':') && c.get(k + 1) == Some(&':') {
            k = skip_ws(k + 2);
            if c.get(k) == Some(&'{') {
                // A group: the first segment of each item at the group's own level.
                let (mut depth, mut item_start) = (0, true);
                while k < c.len() {
                    match c[k] {
                        '{' => {
                            depth += 1;
                            item_start = depth == 1;
                        }
                        '}' => depth -= 1,
                        ',' if depth == 1 => item_start = true,
                        ch if item_start && is_ident(ch) => {
                            out.push((ident_at(k), line_of(k)));
                            item_start = false;
                        }
                        _ => {}
                    }
                    if depth == 0 {
                        break;
                    }
                    k += 1;
                }
            } else if k < c.len() && is_ident(c[k]) {
                out.push((ident_at(k), line_of(k)));
            }
        }
        i += p.len();
    }
    out.retain(|(name, _)| name != "self");
    out
}

/// The strongly connected components of more than one node (Tarjan's algorithm), each sorted,
/// in order of their first node.
pub fn cycles(nodes: usize, edges: &[(usize, usize)]) -> Vec<Vec<usize>> {
    struct Walk<'a> {
        next: &'a [Vec<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        stack: Vec<usize>,
        on_stack: Vec<bool>,
        counter: usize,
        found: Vec<Vec<usize>>,
    }
    impl Walk<'_> {
        fn visit(&mut self, v: usize) {
            self.index[v] = Some(self.counter);
            self.low[v] = self.counter;
            self.counter += 1;
            self.stack.push(v);
            self.on_stack[v] = true;
            for &w in &self.next[v] {
                match self.index[w] {
                    None => {
                        self.visit(w);
                        self.low[v] = self.low[v].min(self.low[w]);
                    }
                    Some(iw) if self.on_stack[w] => self.low[v] = self.low[v].min(iw),
                    Some(_) => {}
                }
            }
            if Some(self.low[v]) == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort_unstable();
                    self.found.push(component);
                }
            }
        }
    }
    let mut next = vec![Vec::new(); nodes];
    for &(a, b) in edges {
        next[a].push(b);
    }
    let mut walk = Walk {
        next: &next,
        index: vec![None; nodes],
        low: vec![0; nodes],
        stack: Vec::new(),
        on_stack: vec![false; nodes],
        counter: 0,
        found: Vec::new(),
    };
    for v in 0..nodes {
        if walk.index[v].is_none() {
            walk.visit(v);
        }
    }
    walk.found.sort();
    walk.found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_has_no_cycle() {
        assert!(cycles(4, &[(0, 1), (1, 2), (2, 3)]).is_empty());
        assert!(cycles(3, &[]).is_empty());
    }

    #[test]
    fn every_component_of_two_or_more_is_reported_once() {
        // 0 ⇄ 1, and 2 → 3 → 4 → 2, joined by 1 → 2; 5 stands alone with an edge to 0.
        let edges = [(0, 1), (1, 0), (1, 2), (2, 3), (3, 4), (4, 2), (5, 0)];
        assert_eq!(cycles(6, &edges), vec![vec![0, 1], vec![2, 3, 4]]);
    }

    #[test]
    fn a_path_back_makes_one_big_component() {
        let edges = [(0, 1), (1, 2), (2, 3), (3, 1), (2, 0)];
        assert_eq!(cycles(4, &edges), vec![vec![0, 1, 2, 3]]);
    }

    #[test]
    fn mods_are_read_at_the_top_level_only() {
        let code = "pub mod a;\npub(crate) mod b;\n#[cfg(test)]\nmod c;\nmod inline { mod d; }\nuse x::mod_e;";
        assert_eq!(top_level_mods(code), vec!["a", "b", "c"]);
    }

    #[test]
    fn references_read_paths_and_groups() {
        let code = "use crate::a::X;\nuse crate::{b, c::{d, e}, self};\nlet y = crate::f::g();\nuse other::crate_x;\n\
                    fn h() { super::i::j(); }";
        let names: Vec<_> = references(code, "crate").into_iter().map(|(n, l)| format!("{n}:{l}")).collect();
        assert_eq!(names, ["a:1", "b:2", "c:2", "f:3"]);
        assert_eq!(references(code, "super"), vec![("i".to_owned(), 5)]);
    }

    #[test]
    fn a_crate_whose_modules_name_each_other_has_a_cycle() -> Result<()> {
        let dir = std::env::temp_dir().join(format!("xtask-tidy-graph-{}", std::process::id()));
        let write = |p: &str, text: &str| -> Result<()> {
            let path = dir.join(p);
            std::fs::create_dir_all(path.parent().context("a parent")?)?;
            Ok(std::fs::write(path, text)?)
        };
        write("src/lib.rs", "mod a;\nmod b;\nmod c;\n")?;
        write("src/a.rs", "mod inner;\nuse super::c::C;\n")?;
        write("src/a/inner.rs", "// crate::b in a comment is no edge\nuse crate::b::B;\n")?;
        write("src/b.rs", "pub fn f() { crate::a::g() }\n#[cfg(test)]\nmod tests { use crate::c::X; }\n")?;
        write("src/c.rs", "pub struct C;\n")?;
        let graph = module_graph(&dir.join("src/lib.rs"), &dir);
        std::fs::remove_dir_all(&dir)?;
        let graph = graph?;
        assert_eq!(graph.modules, ["a", "b", "c"]);
        let edges: Vec<_> = graph.edges.iter().map(|((a, b), at)| format!("{a}->{b} {at}")).collect();
        assert_eq!(edges, ["0->1 src/a/inner.rs:2", "0->2 src/a.rs:2", "1->0 src/b.rs:1"]);
        let pairs: Vec<_> = graph.edges.keys().copied().collect();
        assert_eq!(cycles(graph.modules.len(), &pairs), vec![vec![0, 1]]);
        Ok(())
    }

    #[test]
    fn a_module_in_a_folder_with_mod_rs_counts_every_file_under_it() -> Result<()> {
        let dir = std::env::temp_dir().join(format!("xtask-tidy-graph-mod-rs-{}", std::process::id()));
        let write = |p: &str, text: &str| -> Result<()> {
            let path = dir.join(p);
            std::fs::create_dir_all(path.parent().context("a parent")?)?;
            Ok(std::fs::write(path, text)?)
        };
        write("src/lib.rs", "mod a;\nmod b;\n")?;
        write("src/a/mod.rs", "mod deep;\n")?;
        write("src/a/deep/mod.rs", "mod x;\n")?;
        write("src/a/deep/x.rs", "use crate::b::B;\n")?;
        write("src/b.rs", "pub fn f() { crate::a::g() }\n")?;
        let graph = module_graph(&dir.join("src/lib.rs"), &dir);
        std::fs::remove_dir_all(&dir)?;
        let graph = graph?;
        let edges: Vec<_> = graph.edges.iter().map(|((a, b), at)| format!("{a}->{b} {at}")).collect();
        assert_eq!(edges, ["0->1 src/a/deep/x.rs:1", "1->0 src/b.rs:1"]);
        Ok(())
    }
}
