//! "One dependency is enough", checked from the public-API snapshots: every type that an
//! item a crate exposes names in its signatures — a method's argument or return type, a
//! public field, a trait it implements for the user to call — must be nameable through
//! that crate (or, for the emulator, through the transport crate its user also has).
//!
//! The walk starts from what the crate exports (its own items, and the core's items it
//! re-exports, whole modules included), reads every line of the core's snapshot about each
//! such item, and follows the types those lines name to a closure. A core type reached
//! that the crate does not export, or a foreign crate's type whose crate it does not
//! re-export, is a type its user cannot name.

use std::collections::{BTreeMap, BTreeSet};

/// Crates whose types a user is expected to have anyway (the standard library), or that
/// appear only in trait impls a user never calls by name (serde's derive traits, and
/// schemars behind the core's `schema` feature).
const ALWAYS_NAMEABLE: &[&str] = &["core", "alloc", "std", "serde_core", "serde", "schemars"];

/// The `crate::path::Name` type paths in a line, as (crate, last CamelCase segment).
fn type_paths(line: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        if !starts_word || !bytes[i].is_ascii_lowercase() {
            i += 1;
            continue;
        }
        let end = line[i..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .map_or(line.len(), |n| i + n);
        let path = line[i..end].trim_end_matches(':');
        let segments: Vec<&str> = path.split("::").collect();
        if segments.len() > 1 {
            // The type is the last segment that starts upper-case (a method or variant may
            // follow it).
            if let Some(name) = segments
                .iter()
                .rev()
                .find(|s| s.starts_with(|c: char| c.is_ascii_uppercase()))
            {
                found.push((segments[0].to_owned(), (*name).to_owned()));
            }
        }
        i = end.max(i + 1);
    }
    found
}

/// What a snapshot line is about: for `impl Trait for Type`, the type after `for`; for a
/// free function or constant, its module (`mod:callbacks`); otherwise the first core type
/// in it.
fn subject(line: &str) -> Option<String> {
    let mut about = line;
    if let Some(rest) = line.strip_prefix("impl") {
        // Past the impl's generic parameters, before its where clause; then the type
        // after `for`, if it is a trait impl.
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in rest.char_indices() {
            match c {
                '<' => depth += 1,
                '>' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                start = i + c.len_utf8();
                break;
            }
        }
        about = &rest[start..];
        if let Some(at) = about.find(" where ") {
            about = &about[..at];
        }
        if let Some(at) = about.find(" for ") {
            about = &about[at + 5..];
        }
    }
    let first = about.find("greenpin_core::")?;
    let path: String = about[first..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
        .collect();
    let segments: Vec<&str> = path.trim_end_matches(':').split("::").collect();
    if let Some(name) = segments
        .iter()
        .rev()
        .find(|s| s.starts_with(|c: char| c.is_ascii_uppercase()))
    {
        return Some((*name).to_owned());
    }
    // `greenpin_core::module::function`: about the module.
    (segments.len() > 2).then(|| format!("mod:{}", segments[1]))
}

/// The names a crate's snapshot makes nameable: its own items, the items and modules it
/// re-exports (a re-exported module makes every core item under it nameable).
fn exported(snapshot: &str, krate: &str, core: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut names = BTreeSet::new();
    let mut crates = BTreeSet::new();
    let prefix = format!("pub use {krate}::");
    for line in snapshot.lines() {
        // `pub use krate::module::<<greenpin_core::module::*>>`: a module of the core taken
        // whole into one of the crate's own (greenpin-async's `callbacks`).
        if let Some(glob) = line
            .strip_prefix(&prefix)
            .and_then(|rest| rest.split("<<greenpin_core::").nth(1))
            .and_then(|g| g.strip_suffix("::*>>"))
        {
            let module = format!("greenpin_core::{glob}::");
            names.insert(format!("mod:{glob}"));
            for core_line in core.lines().filter(|l| l.contains(&module)) {
                for (k, n) in type_paths(core_line) {
                    if k == "greenpin_core" && core_line.contains(&format!("{module}{n}")) {
                        names.insert(n);
                    }
                }
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix(&prefix) {
            let name = rest.rsplit("::").next().unwrap_or(rest).to_owned();
            if name.starts_with(|c: char| c.is_ascii_lowercase()) {
                // A module (the core's callbacks, ops, retry, wire) or a crate (http, ureq).
                let module = format!("greenpin_core::{name}::");
                names.insert(format!("mod:{name}"));
                let mut any = false;
                for core_line in core.lines().filter(|l| l.contains(&module)) {
                    any = true;
                    for (k, n) in type_paths(core_line) {
                        if k == "greenpin_core" && core_line.contains(&format!("{module}{n}")) {
                            names.insert(n);
                        }
                    }
                }
                if !any {
                    // axum re-exports axum-core's types.
                    if name == "axum" {
                        crates.insert("axum_core".to_owned());
                    }
                    crates.insert(name);
                }
            } else {
                names.insert(name);
            }
        } else if let Some(name) = line
            .split_whitespace()
            .find(|w| w.starts_with(&format!("{krate}::")))
            .filter(|_| {
                ["pub struct ", "pub enum ", "pub trait ", "pub type "]
                    .iter()
                    .any(|k| line.contains(k))
            })
            .and_then(|own| own.rsplit("::").next())
        {
            names.insert(
                name.trim_end_matches(|c: char| !c.is_alphanumeric())
                    .to_owned(),
            );
        }
    }
    (names, crates)
}

/// The core types a crate's users cannot name, with a line that names each.
pub(crate) fn unnameable(
    krate: &str,
    snapshot: &str,
    core: &str,
    also_from: &[(&str, &str)],
) -> (usize, BTreeMap<String, String>) {
    let (mut nameable, mut crates) = exported(snapshot, &krate.replace('-', "_"), core);
    for (other, other_snapshot) in also_from {
        let (n, c) = exported(other_snapshot, &other.replace('-', "_"), core);
        nameable.extend(n);
        crates.extend(c);
    }
    // Lines of the core's snapshot, by the item they are about.
    let mut about: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for line in core.lines() {
        if let Some(s) = subject(line) {
            about.entry(s).or_default().push(line);
        }
    }
    let own = krate.replace('-', "_");
    // (crate, type, the line that named it)
    let mut todo: Vec<(String, String, String)> = Vec::new();
    // The crate's own lines name types too.
    for line in snapshot.lines().filter(|l| !l.starts_with("pub use ")) {
        for (k, n) in type_paths(line) {
            if k != own {
                todo.push((k, n, line.to_owned()));
            }
        }
    }
    todo.extend(nameable.iter().map(|n| {
        (
            "greenpin_core".to_owned(),
            n.clone(),
            format!("pub use {own}::{n}"),
        )
    }));
    let mut seen = BTreeSet::new();
    let mut missing = BTreeMap::new();
    while let Some((k, name, via)) = todo.pop() {
        if !seen.insert((k.clone(), name.clone())) {
            continue;
        }
        if k != "greenpin_core" {
            if !ALWAYS_NAMEABLE.contains(&k.as_str()) && !crates.contains(&k) {
                missing.insert(format!("{k}::{name}"), via);
            }
            continue;
        }
        if !nameable.contains(&name) && !name.starts_with("mod:") {
            missing.insert(name.clone(), via);
        }
        for line in about.get(&name).map(Vec::as_slice).unwrap_or_default() {
            for (k2, n2) in type_paths(line) {
                todo.push((k2, n2, (*line).to_owned()));
            }
        }
    }
    (seen.len(), missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_type_named_by_an_exported_item_must_be_exported() {
        let core = "pub struct greenpin_core::Spec\n\
                    pub fn greenpin_core::Spec::validate(&self, &greenpin_core::body::Context) -> http::status::StatusCode\n\
                    pub struct greenpin_core::body::Context\n\
                    pub fn greenpin_core::body::Context::new() -> greenpin_core::Hidden\n";
        let transport = "pub mod greenpin_blocking\npub use greenpin_blocking::Spec\n";
        let (_, missing) = unnameable("greenpin-blocking", transport, core, &[]);
        let names: Vec<_> = missing.keys().cloned().collect();
        assert_eq!(names, ["Context", "Hidden", "http::StatusCode"]);

        // A module of the core taken whole into one of the crate's own.
        let globbed = "pub mod greenpin_blocking\npub use greenpin_blocking::Spec\n\
                       pub use greenpin_blocking::body::<<greenpin_core::body::*>>\n\
                       pub use greenpin_blocking::Hidden\npub use greenpin_blocking::http\n";
        let (_, missing) = unnameable("greenpin-blocking", globbed, core, &[]);
        assert!(missing.is_empty(), "{missing:?}");

        let fixed = "pub mod greenpin_blocking\npub use greenpin_blocking::Spec\n\
                     pub use greenpin_blocking::Context\npub use greenpin_blocking::Hidden\n\
                     pub use greenpin_blocking::http\n";
        let (reached, missing) = unnameable("greenpin-blocking", fixed, core, &[]);
        assert!(missing.is_empty(), "{missing:?}");
        assert!(reached >= 3);
    }
}

#[cfg(test)]
mod committed {
    /// The committed snapshots pass the same walk `cargo xtask public-api` runs on fresh
    /// listings (so this runs without the nightly toolchain).
    #[test]
    fn the_committed_snapshots_leave_no_type_unnameable() {
        let read = |k: &str| {
            std::fs::read_to_string(format!(
                "{}/../docs/public-api/{k}.txt",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap()
        };
        let core = read("greenpin-core");
        let blocking = read("greenpin-blocking");
        let mut report = Vec::new();
        let mut reached_all = 0;
        for (krate, also) in [
            ("greenpin-blocking", vec![]),
            ("greenpin-async", vec![]),
            (
                "greenpin-emulator",
                vec![("greenpin-blocking", blocking.as_str())],
            ),
        ] {
            let (reached, missing) = super::unnameable(krate, &read(krate), &core, &also);
            reached_all += reached;
            report.extend(
                missing
                    .into_iter()
                    .map(|(n, l)| format!("{krate}: {n}  ({l})")),
            );
        }
        assert!(reached_all > 50, "the walk reached {reached_all} types");
        assert!(report.is_empty(), "{}", report.join("\n"));
    }
}
