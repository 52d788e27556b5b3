//! The layers flow one way: no cycle between the top-level modules of
//! `src/`. A cycle is the first sign that a responsibility sits in the
//! wrong module, so `cargo test` fails on one and names every edge of it
//! with a file and line where it starts.
//!
//! What counts as a use of module `m`: a path that starts with the crate's
//! root and `m`, or `m` as a first segment inside a braced `use` of the
//! crate's root. Test code (from a file's first `#[cfg(test)]` on, files
//! named `tests.rs`) and the store conformance suite are left out, as
//! `../shared/tools/module_cycles.py` leaves them out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// `(from, to)` → the first place where `from` uses `to`.
type Edges = BTreeMap<(String, String), String>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a file belongs to, or `None` for the crate roots.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib" && name != "main").then(|| name.to_string())
}

fn ident_at(s: &str) -> Option<&str> {
    let end = s
        .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
        .unwrap_or(s.len());
    let id = &s[..end];
    (!id.is_empty() && !id.starts_with(|c: char| c.is_ascii_digit())).then_some(id)
}

/// The first segments of the paths in a braced use list that starts just
/// after its `{`.
fn braced_heads(s: &str) -> Vec<&str> {
    let mut heads = Vec::new();
    let mut depth = 1;
    let mut expect_head = true;
    let mut i = 0;
    while i < s.len() && depth > 0 {
        let rest = &s[i..];
        let c = rest.chars().next().unwrap_or(' ');
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 1 => expect_head = true,
            c if c.is_whitespace() => {}
            _ => {
                if expect_head
                    && depth == 1
                    && let Some(id) = ident_at(rest)
                {
                    heads.push(id);
                    i += id.len();
                    expect_head = false;
                    continue;
                }
                expect_head = false;
            }
        }
        i += c.len_utf8();
    }
    heads
}

fn edges(src: &Path) -> Edges {
    let root = concat!("crate", "::");
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut out = Edges::new();
    for f in files {
        let rel = f
            .strip_prefix(src)
            .unwrap_or(&f)
            .to_string_lossy()
            .into_owned();
        if rel.contains("conformance") || f.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let Some(from) = module_of(src, &f) else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let text = match text.find("#[cfg(test)]") {
            Some(i) => &text[..i],
            None => &text[..],
        };
        let code: String = text
            .lines()
            .map(|l| l.split("//").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n");
        let line_of = |at: usize| code[..at].matches('\n').count() + 1;
        let mut note = |to: &str, at: usize| {
            if to != from && to != "self" && to != "super" {
                out.entry((from.clone(), to.to_string()))
                    .or_insert_with(|| format!("src/{rel}:{}", line_of(at)));
            }
        };
        for (at, _) in code.match_indices(root) {
            let rest = &code[at + root.len()..];
            if let Some(list) = rest.strip_prefix('{') {
                for head in braced_heads(list) {
                    note(head, at);
                }
            } else if let Some(id) = ident_at(rest) {
                note(id, at);
            }
        }
    }
    out
}

/// Strongly connected components of more than one module (Tarjan).
fn cycles(edges: &Edges) -> Vec<Vec<String>> {
    struct Walk<'a> {
        next: BTreeMap<&'a str, Vec<&'a str>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a str) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.next.get(v).cloned().unwrap_or_default() {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(lw);
                } else if self.on_stack.contains(w) {
                    let iw = self.index[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut comp = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    comp.push(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if comp.len() > 1 {
                    comp.sort();
                    self.found.push(comp);
                }
            }
        }
    }
    let mut walk = Walk {
        next: BTreeMap::new(),
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for (a, b) in edges.keys() {
        walk.next.entry(a).or_default().push(b);
        walk.next.entry(b).or_default();
    }
    let nodes: Vec<&str> = walk.next.keys().copied().collect();
    for v in nodes {
        if !walk.index.contains_key(v) {
            walk.visit(v);
        }
    }
    walk.found
}

#[test]
fn no_cycle_between_top_level_modules() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edges = edges(&src);
    assert!(
        edges.len() > 20,
        "the module graph looks empty ({} edges): is the parser still reading src/?",
        edges.len()
    );
    let found = cycles(&edges);
    let mut report = String::new();
    for comp in &found {
        report.push_str(&format!("cycle of {}: {}\n", comp.len(), comp.join(", ")));
        for ((a, b), at) in &edges {
            if comp.contains(a) && comp.contains(b) {
                report.push_str(&format!("  {a} -> {b}  ({at})\n"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "top-level modules of src/ depend on each other in a cycle; move the \
         responsibility to the lower module or pass what it needs as an argument:\n{report}"
    );
}

#[test]
fn the_check_sees_a_cycle_and_braced_uses() {
    let dir = std::env::temp_dir().join(format!("porttivahti-layers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("b")).expect("temp dir");
    let root = concat!("crate", "::");
    std::fs::write(dir.join("a.rs"), format!("use {root}{{b::X, c}};\n")).expect("write");
    std::fs::write(
        dir.join("b/mod.rs"),
        format!("// {root}c is only a comment\nfn f() {{ {root}a::g() }}\n"),
    )
    .expect("write");
    std::fs::write(
        dir.join("c.rs"),
        format!("fn f() {{}}\n#[cfg(test)]\nmod tests {{ use {root}a; }}\n"),
    )
    .expect("write");
    let e = edges(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    let pairs: Vec<(&str, &str)> = e.keys().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(pairs, [("a", "b"), ("a", "c"), ("b", "a")]);
    assert_eq!(cycles(&e), [vec!["a".to_string(), "b".to_string()]]);
}
