//! Rust source read as text, well enough for tidy's rules: no parser, so tidy stays a matter of
//! seconds. Comments and literals are blanked first, so a rule never fires on prose or on a
//! string, and line numbers stay those of the file.

use std::path::{Path, PathBuf};

/// `src` with every comment, string and char literal replaced by spaces (newlines kept).
pub fn blank_comments_and_strings(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let blank = |ch: char| if ch == '\n' { '\n' } else { ' ' };
    let ident = |i: Option<usize>| i.and_then(|i| c.get(i)).is_some_and(|ch| ch.is_alphanumeric() || *ch == '_');
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < c.len() {
        let (ch, next) = (c[i], c.get(i + 1).copied());
        if ch == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if ch == '/' && next == Some('*') {
            // Block comments nest in Rust.
            let mut depth = 0;
            while i < c.len() {
                let pair = (c[i], c.get(i + 1).copied());
                if pair == ('/', Some('*')) || pair == ('*', Some('/')) {
                    depth += if pair.0 == '/' { 1 } else { -1 };
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(c[i]));
                    i += 1;
                }
            }
        } else if ch == 'r' && (!ident(i.checked_sub(1)) || (c[i - 1] == 'b' && !ident(i.checked_sub(2)))) {
            // A raw string r"…", r#"…"#, br"…"; otherwise a raw identifier or a plain `r`.
            let mut j = i + 1;
            while c.get(j) == Some(&'#') {
                j += 1;
            }
            if c.get(j) != Some(&'"') {
                out.push(ch);
                i += 1;
                continue;
            }
            let hashes = j - i - 1;
            out.extend(std::iter::repeat_n(' ', j + 1 - i));
            i = j + 1;
            while i < c.len() {
                if c[i] == '"' && (1..=hashes).all(|h| c.get(i + h) == Some(&'#')) {
                    out.extend(std::iter::repeat_n(' ', hashes + 1));
                    i += hashes + 1;
                    break;
                }
                out.push(blank(c[i]));
                i += 1;
            }
        } else if ch == '"' {
            out.push(' ');
            i += 1;
            while i < c.len() {
                let at = c[i];
                if at == '\\' {
                    out.push(' ');
                    if let Some(&escaped) = c.get(i + 1) {
                        out.push(blank(escaped));
                    }
                    i += 2;
                    continue;
                }
                out.push(blank(at));
                i += 1;
                if at == '"' {
                    break;
                }
            }
        } else if ch == '\'' && (next == Some('\\') || c.get(i + 2) == Some(&'\'')) {
            // A char literal ('x', '\n', '\u{..}'); a lifetime or label ('a) is left alone.
            let from = if next == Some('\\') { i + 3 } else { i + 2 };
            let end = (from..c.len()).find(|&k| c[k] == '\'').unwrap_or(c.len() - 1);
            out.extend(std::iter::repeat_n(' ', end + 1 - i));
            i = end + 1;
        } else {
            out.push(ch);
            i += 1;
        }
    }
    out
}

/// `code` (already blanked) with every item marked `#[cfg(test)]` blanked too, and the names
/// of the modules declared that way in a file of their own (`#[cfg(test)] mod tests;`).
pub fn without_test_items(code: &str) -> (String, Vec<String>) {
    const MARK: &str = "#[cfg(test)]";
    let mut out: Vec<char> = code.chars().collect();
    let text: String = out.iter().collect();
    let mut test_files = Vec::new();
    let mut from = 0;
    while let Some(found) = text[from..].find(MARK) {
        let start = from + found;
        let start_char = text[..start].chars().count();
        let mut k = start_char + MARK.chars().count();
        while k < out.len() && out[k] != ';' && out[k] != '{' {
            k += 1;
        }
        if out.get(k) == Some(&';') {
            let item: String = out[start_char..k].iter().collect();
            if let Some(name) = item.split_whitespace().skip_while(|w| *w != "mod").nth(1) {
                test_files.push(name.to_owned());
            }
        } else {
            let mut depth = 0;
            while k < out.len() {
                match out[k] {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                k += 1;
                if depth == 0 {
                    break;
                }
            }
        }
        let end = k.min(out.len());
        for ch in &mut out[start_char..end] {
            if *ch != '\n' {
                *ch = ' ';
            }
        }
        from = start + MARK.len();
    }
    (out.into_iter().collect(), test_files)
}

/// 1-based lines of `code` (blanked) naming a `Result<T, String>`, whatever `T` is.
pub fn result_string_lines(code: &str) -> Vec<usize> {
    let c: Vec<char> = code.chars().collect();
    let word: Vec<char> = "Result".chars().collect();
    let mut lines = Vec::new();
    let mut i = 0;
    while i + word.len() < c.len() {
        let at_word = c[i..i + word.len()] == word[..] && (i == 0 || !(c[i - 1].is_alphanumeric() || c[i - 1] == '_'));
        if !at_word {
            i += 1;
            continue;
        }
        let mut k = i + word.len();
        while k < c.len() && c[k].is_whitespace() {
            k += 1;
        }
        if c.get(k) == Some(&'<') {
            let args = generic_args(&c[k + 1..]);
            let last = args.last().map(|a| a.split_whitespace().collect::<String>());
            let string = ["String", "std::string::String", "::std::string::String", "alloc::string::String"];
            if args.len() == 2 && last.is_some_and(|l| string.contains(&l.as_str())) {
                lines.push(c[..i].iter().filter(|&&ch| ch == '\n').count() + 1);
            }
        }
        i += word.len();
    }
    lines.dedup();
    lines
}

/// The top-level arguments of a generic list whose `<` came just before `c`.
fn generic_args(c: &[char]) -> Vec<String> {
    let (mut depth, mut args, mut current) = (1, Vec::new(), String::new());
    for (k, &ch) in c.iter().enumerate() {
        match ch {
            '<' | '(' | '[' => depth += 1,
            '>' if k > 0 && c[k - 1] == '-' => {} // `->` inside a fn type
            '>' | ')' | ']' => depth -= 1,
            ',' if depth == 1 => {
                args.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        if depth == 0 {
            break;
        }
        current.push(ch);
    }
    args.push(current);
    args.retain(|a| !a.trim().is_empty());
    args
}

/// Every `.rs` file under `root/dir` for each of `dirs`, sorted; build output, `node_modules`
/// and hidden folders are skipped.
pub fn rust_files(root: &Path, dirs: &[&str]) -> std::io::Result<Vec<PathBuf>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if path.is_dir() {
                if !(name == "target" || name == "node_modules" || name.starts_with('.')) {
                    walk(&path, out)?;
                }
            } else if name.ends_with(".rs") {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for dir in dirs {
        let start = if *dir == "." { root.to_path_buf() } else { root.join(dir) };
        if start.is_dir() {
            walk(&start, &mut out)?;
        }
    }
    out.sort();
    Ok(out)
}

/// The file of module `name` declared in `file`: beside a crate root or `mod.rs`, else in the
/// folder named after the declaring file.
pub fn module_file(file: &Path, name: &str, is_root: bool) -> Option<PathBuf> {
    let parent = file.parent()?;
    let owns_folder = is_root || file.file_name().is_some_and(|n| n == "mod.rs");
    let dir = if owns_folder { parent.to_path_buf() } else { parent.join(file.file_stem()?) };
    [dir.join(format!("{name}.rs")), dir.join(name).join("mod.rs")].into_iter().find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_strings_and_chars_are_blanked_lines_kept() {
        let src = "let a = \"crate::x\"; // crate::y\n/* crate::z /* nested */ */ let b = 'c';\n\
                   let r = r#\"crate::\"w\"#; fn f<'a>(x: &'a str) {}\nlet q = '\\'';";
        let out = blank_comments_and_strings(src);
        assert!(!out.contains("crate::"), "{out}");
        assert_eq!(out.lines().count(), src.lines().count());
        assert!(out.contains("fn f<'a>(x: &'a str)"), "lifetimes survive: {out}");
        assert!(out.contains("let q =") && !out.contains('\\'), "{out}");
    }

    #[test]
    fn result_with_a_string_error_is_found_whatever_its_ok_type() {
        let code = "fn a() -> Result<(), String> {}\nfn b() -> std::result::Result<Vec<(u8, u8)>, String> {}\n\
                    fn c() -> Result<HashMap<String, String>> {}\nfn d() -> io::Result<String> {}\n\
                    fn e() -> Result<fn() -> u8, std::string::String> {}\nfn f() -> MyResult<u8, String> {}";
        assert_eq!(result_string_lines(code), vec![1, 2, 5]);
    }

    #[test]
    fn test_items_are_blanked_and_test_module_files_named() {
        let code = "fn keep() -> Result<u8, String> {}\n#[cfg(test)]\nmod tests {\n fn t() -> Result<u8, String> {}\n}\n\
                    #[cfg(test)]\nmod more;\n";
        let (kept, files) = without_test_items(code);
        assert_eq!(result_string_lines(&kept), vec![1]);
        assert_eq!(files, vec!["more".to_owned()]);
        assert_eq!(kept.lines().count(), code.lines().count());
    }
}
