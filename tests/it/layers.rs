//! The plan on the wall stays true: every `crate::` path in `src/` points to
//! the same top-level module or one below it in [`LAYERS`] (ARCHITECTURE.md's
//! order), and inside each module the files' `super::`/`crate::module::`
//! references between siblings form no cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Bottom to top: a module may use the ones before it, never those after.
const LAYERS: &[&str] = &[
    "units", "rng", "trace", "metrics", "model", "billing", "engine", "scenario", "run", "report",
    "sweep", "cli",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The file's text without comments (line comments only: the code base has
/// no block comments) and without its `#[cfg(test)] mod tests` tail.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => &text,
    };
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module paths a file names after `prefix` (`crate::`, `super::`),
/// expanding `prefix{a::x, b}` groups: `["a::x", "b"]`.
fn paths_after(code: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let before = rest[..i].chars().last();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let end = group
                .char_indices()
                .find(|&(_, c)| {
                    depth += match c {
                        '{' => 1,
                        '}' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map_or(group.len(), |(i, _)| i);
            let mut depth = 0;
            let mut item = String::new();
            for c in group[..end].chars().chain([',']) {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.push(item.trim().to_string());
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
        } else {
            let word: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            out.push(word);
        }
    }
    out.retain(|p| !p.is_empty());
    out
}

fn first(path: &str) -> String {
    path.split("::").next().unwrap_or_default().to_string()
}

/// `src/report/chart/cost.rs` -> `["report", "chart", "cost"]` (`mod.rs` is its folder).
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

fn src_files() -> (PathBuf, Vec<PathBuf>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    (src, files)
}

#[test]
fn no_module_imports_upward() {
    let (src, files) = src_files();
    let rank = |m: &str| LAYERS.iter().position(|l| *l == m);
    let mut upward = Vec::new();
    for f in &files {
        let module = module_of(&src, f);
        let Some(mine) = rank(&module[0]) else {
            continue; // lib.rs, main.rs
        };
        for p in paths_after(&code(f), "crate::") {
            let target = first(&p);
            match rank(&target) {
                Some(r) if r > mine => upward.push(format!(
                    "{}: crate::{p} ({} is above {})",
                    f.strip_prefix(&src).unwrap().display(),
                    target,
                    module[0]
                )),
                Some(_) => {}
                None => panic!("{}: crate::{p}: `{target}` is in no layer", f.display()),
            }
        }
    }
    assert!(upward.is_empty(), "upward imports:\n{}", upward.join("\n"));
    // Every top-level module is in a layer.
    for f in &files {
        let m = module_of(&src, f);
        assert!(
            m[0] == "lib" || m[0] == "main" || rank(&m[0]).is_some(),
            "{}: module `{}` is in no layer of tests/it/layers.rs",
            f.display(),
            m[0]
        );
    }
}

#[test]
fn no_cycle_between_sibling_files() {
    let (src, files) = src_files();
    // (module, child) -> children of the same module it uses
    let mut edges: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let mut children: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let m = module_of(&src, f);
        if m.len() < 2 {
            continue;
        }
        children
            .entry(m[0].clone())
            .or_default()
            .insert(m[1].clone());
    }
    for f in &files {
        let m = module_of(&src, f);
        if m.len() < 2 {
            continue; // a module's own mod.rs declares and re-exports its children
        }
        let c = code(f);
        let mut named: Vec<String> = paths_after(&c, "crate::")
            .into_iter()
            .filter_map(|p| p.strip_prefix(&format!("{}::", m[0])).map(first))
            .collect();
        // `super::` from src/m/x.rs (or src/m/x/mod.rs) names a sibling of x;
        // from a deeper file, `super::super::` does.
        let up = "super::".repeat(m.len() - 1);
        named.extend(paths_after(&c, &up).into_iter().map(|p| first(&p)));
        let siblings = &children[&m[0]];
        for n in named {
            if n != m[1] && siblings.contains(&n) {
                edges
                    .entry((m[0].clone(), m[1].clone()))
                    .or_default()
                    .insert(n);
            }
        }
    }
    // Depth-first search for a back edge in each module.
    fn visit(
        module: &str,
        node: &str,
        edges: &BTreeMap<(String, String), BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_string(), 1);
        stack.push(node.to_string());
        for next in edges
            .get(&(module.to_string(), node.to_string()))
            .into_iter()
            .flatten()
        {
            match state.get(next).copied().unwrap_or(0) {
                1 => {
                    let i = stack.iter().position(|s| s == next).unwrap();
                    let mut cycle = stack[i..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(module, next, edges, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(node.to_string(), 2);
        None
    }
    for (module, kids) in &children {
        let mut state = BTreeMap::new();
        for k in kids {
            if state.get(k).copied().unwrap_or(0) == 0
                && let Some(cycle) = visit(module, k, &edges, &mut state, &mut Vec::new())
            {
                panic!("import cycle in {module}: {}", cycle.join(" -> "));
            }
        }
    }
}

/// The checker itself: groups are expanded, paths inside words are not taken.
#[test]
fn paths_are_read_as_rust_reads_them() {
    let c = "use crate::{a::x, b::{y, z}};\nlet v = crate::c::f(); my_crate::d::g();";
    assert_eq!(paths_after(c, "crate::"), ["a::x", "b::{y, z}", "c::f"]);
}
