//! `cargo xtask circles`: no two modules of a library import each other, directly or round
//! a longer loop. Each file is a module; an edge is every `crate::…` (or `super::…`) path it
//! names, resolved to the module that defines the item (through the `pub use` re-exports of
//! a `mod.rs` or `lib.rs`). A module's own `mod` declarations and re-exports are not edges.
//! The check says how many modules and edges it read, and fails when it read none.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The libraries checked.
const CRATES: &[&str] = &[
    "crates/greenpin-core",
    "crates/greenpin-emulator",
    "crates/greenpin-async",
    "crates/greenpin-blocking",
    "crates/greenpin-cli",
];

/// A module path: `["client", "config"]`; the crate root is `[]`.
type Module = Vec<String>;

fn module_of(src: &Path, file: &Path) -> Module {
    let rel = file.strip_prefix(src).unwrap_or(file);
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs");
        if !matches!(stem, "mod" | "lib" | "main") {
            parts.push(stem.to_owned());
        }
    }
    parts
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The code of a file without comments and string literals (roughly: enough to find paths).
fn code(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let line = line.split("//").next().unwrap_or("");
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Every path named after `prefix` (`crate::` or `super::`), groups expanded one level.
fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let before = rest[..i].chars().last();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| is_ident(c) || c == ':') {
            continue;
        }
        let mut head = Vec::new();
        let mut s = rest;
        loop {
            let end = s.find(|c: char| !is_ident(c)).unwrap_or(s.len());
            if end == 0 {
                break;
            }
            head.push(s[..end].to_owned());
            s = &s[end..];
            if let Some(t) = s.strip_prefix("::") {
                s = t;
            } else {
                break;
            }
        }
        if let Some(group) = s.strip_prefix('{') {
            let close = group.find('}').unwrap_or(group.len());
            for item in group[..close].split(',') {
                let mut p = head.clone();
                p.extend(
                    item.trim()
                        .split("::")
                        .map(|x| x.split_whitespace().next().unwrap_or("").to_owned())
                        .filter(|x| !x.is_empty() && x.chars().all(is_ident)),
                );
                out.push(p);
            }
        } else if !head.is_empty() {
            out.push(head);
        }
    }
    out
}

type Modules = BTreeMap<Module, String>;
type Reexports = BTreeMap<(Module, String), Module>;
type Edges = BTreeMap<Module, BTreeSet<Module>>;

/// Every file of the crate's library as its module, with its code. A crate with both
/// `lib.rs` and `main.rs` has two crates: the binary's root (`main.rs`, and `src/bin/`)
/// names the library by its name, not `crate::`, so it is not one of the library's modules
/// (both would be the root, and one would hide the other's imports).
fn read_modules(src: &Path) -> Result<Modules, String> {
    let mut list = Vec::new();
    files(src, &mut list);
    if src.join("lib.rs").exists() {
        list.retain(|f| f != &src.join("main.rs") && !f.starts_with(src.join("bin")));
    }
    let mut modules = Modules::new();
    for f in &list {
        let text = std::fs::read_to_string(f).map_err(|e| e.to_string())?;
        modules.insert(module_of(src, f), code(&text));
    }
    Ok(modules)
}

/// The `pub use` re-exports: (module, name) → the module the name comes from.
fn reexports(modules: &Modules) -> Reexports {
    let mut out = Reexports::new();
    for (m, code) in modules {
        // Statement by statement: a re-export's group may run over several lines.
        for statement in code.split(';') {
            let t = statement.split_whitespace().collect::<Vec<_>>().join(" ");
            let t = t.as_str();
            let Some(rest) = t
                .strip_prefix("pub use ")
                .or_else(|| t.strip_prefix("pub(crate) use "))
            else {
                continue;
            };
            let rest = rest.trim_start_matches("self::");
            let (from, names) = match rest.split_once("::{") {
                Some((from, names)) => (from, names.trim_end_matches('}').to_owned()),
                None => match rest.rsplit_once("::") {
                    Some((from, name)) => (from, name.to_owned()),
                    None => continue,
                },
            };
            let mut source: Module = m.clone();
            for part in from.split("::") {
                match part {
                    "crate" => source.clear(),
                    "super" => {
                        source.pop();
                    }
                    p => source.push(p.to_owned()),
                }
            }
            for name in names.split(',') {
                let name = name.trim().split(" as ").last().unwrap_or("").trim();
                if !name.is_empty() {
                    out.insert((m.clone(), name.to_owned()), source.clone());
                }
            }
        }
    }
    out
}

/// The module that defines what `path` names: the deepest module it goes through, then
/// the re-exports of the item's name, followed to where it is defined.
fn resolve(modules: &Modules, reexports: &Reexports, path: &[String]) -> Module {
    let mut m: Module = Vec::new();
    for part in path {
        let mut next = m.clone();
        next.push(part.clone());
        if modules.contains_key(&next) {
            m = next;
            continue;
        }
        let mut here = m.clone();
        for _ in 0..8 {
            match reexports.get(&(here.clone(), part.clone())) {
                Some(source) if modules.contains_key(source) && *source != here => {
                    here = source.clone();
                }
                _ => break,
            }
        }
        return here;
    }
    m
}

/// Each module's imports of other modules (not its own children, nor the root).
fn edges(modules: &Modules, reexports: &Reexports) -> Edges {
    let mut edges = Edges::new();
    for (m, code) in modules {
        let mut targets = BTreeSet::new();
        for p in paths_after(code, "crate::") {
            targets.insert(resolve(modules, reexports, &p));
        }
        for p in paths_after(code, "super::") {
            let mut full: Vec<String> = m.clone();
            full.pop();
            full.extend(p);
            targets.insert(resolve(modules, reexports, &full));
        }
        targets.retain(|t| t != m && !t.starts_with(m) && !t.is_empty());
        edges.insert(m.clone(), targets);
    }
    edges
}

/// A cycle among `edges`, if there is one (depth-first search).
fn cycle(edges: &Edges) -> Option<Vec<Module>> {
    fn visit(
        node: &Module,
        edges: &Edges,
        state: &mut BTreeMap<Module, u8>,
        stack: &mut Vec<Module>,
    ) -> Option<Vec<Module>> {
        state.insert(node.clone(), 1);
        stack.push(node.clone());
        for next in edges.get(node).into_iter().flatten() {
            match state.get(next).copied().unwrap_or(0) {
                1 => {
                    let at = stack.iter().position(|m| m == next).unwrap_or(0);
                    let mut cycle = stack[at..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(next, edges, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(node.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in edges.keys() {
        if state.get(node).copied().unwrap_or(0) == 0
            && let Some(c) = visit(node, edges, &mut state, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

/// Checks one crate; the number of modules and edges read.
fn check_crate(dir: &str) -> Result<(usize, usize), String> {
    let modules = read_modules(&Path::new(dir).join("src"))?;
    let edges = edges(&modules, &reexports(&modules));
    if let Some(c) = cycle(&edges) {
        let names: Vec<String> = c
            .iter()
            .map(|m| {
                if m.is_empty() {
                    "crate".into()
                } else {
                    m.join("::")
                }
            })
            .collect();
        return Err(format!(
            "{dir}: modules import each other: {}",
            names.join(" → ")
        ));
    }
    Ok((modules.len(), edges.values().map(BTreeSet::len).sum()))
}

pub(crate) fn circles() -> Result<String, String> {
    circles_in(Path::new("."))
}

/// Checks the workspace at `root`.
fn circles_in(root: &Path) -> Result<String, String> {
    let (mut modules, mut edges) = (0, 0);
    for dir in CRATES {
        let (m, e) = check_crate(&root.join(dir).to_string_lossy())?;
        modules += m;
        edges += e;
    }
    if edges == 0 {
        return Err("no import was read: the check checked nothing".into());
    }
    Ok(format!(
        "{} crates, {modules} modules, {edges} imports between modules, no circle",
        CRATES.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A crate laid out in a temporary directory: `files` as (path under `src/`, text).
    fn planted(name: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-circles-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (path, text) in files {
            let file = dir.join("src").join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, text).unwrap();
        }
        dir
    }

    #[test]
    fn a_circle_through_the_library_root_is_found_though_the_crate_has_a_main_rs() {
        // `a` names `crate::Thing`, which lib.rs re-exports from `b`; `b` imports `a`. The
        // binary's main.rs, also a crate root, must not hide lib.rs's re-exports.
        let dir = planted(
            "lib-and-main",
            &[
                ("lib.rs", "mod a;\nmod b;\npub use b::Thing;\n"),
                ("main.rs", "fn main() { planted::run() }\n"),
                ("a.rs", "use crate::Thing;\npub fn f() {}\n"),
                ("b.rs", "use crate::a::f;\npub struct Thing;\n"),
            ],
        );
        let err = check_crate(dir.to_str().unwrap()).unwrap_err();
        assert!(
            err.contains("a → b → a") || err.contains("b → a → b"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn imports_through_super_and_groups_are_edges_and_a_tree_passes() {
        let dir = planted(
            "tree",
            &[
                ("lib.rs", "mod top;\nmod low;\n"),
                (
                    "top/mod.rs",
                    "mod part;\nuse crate::{low::Base, low::other};\n",
                ),
                ("top/part.rs", "use super::super::low::Base;\n"),
                ("low.rs", "pub struct Base;\npub fn other() {}\n"),
            ],
        );
        let (modules, edges) = check_crate(dir.to_str().unwrap()).unwrap();
        assert_eq!(modules, 4);
        // top → low, top::part → low (a module's own children are not edges).
        assert_eq!(edges, 2);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_re_export_over_several_lines_is_followed() {
        // `client` re-exports `Config` from `config` in a group over several lines; `port`
        // names it through `client`, and `config` imports `port`: a circle.
        let dir = planted(
            "multiline",
            &[
                ("lib.rs", "mod client;\n"),
                (
                    "client/mod.rs",
                    "mod config;\nmod port;\npub use config::{\n    Builder,\n    Config,\n};\n",
                ),
                (
                    "client/config.rs",
                    "use super::port::Port;\npub struct Config;\npub struct Builder;\n",
                ),
                ("client/port.rs", "use super::Config;\npub trait Port {}\n"),
            ],
        );
        let err = check_crate(dir.to_str().unwrap()).unwrap_err();
        assert!(
            err.contains("client::config") && err.contains("client::port"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn no_library_of_the_workspace_has_a_circle() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let said = circles_in(&root).unwrap();
        assert!(said.contains("no circle"), "{said}");
    }
}
