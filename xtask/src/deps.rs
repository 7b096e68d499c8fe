//! `cargo xtask deps`: the "never"s of docs/ARCHITECTURE.md, checked against `cargo tree`.
//! A rule that checked nothing (an empty tree) fails rather than passing vacuously.

use crate::cmd::cargo;

/// Crates a crate's normal (non-dev) dependency tree must not contain: every "never" of
/// docs/ARCHITECTURE.md. The core reaches no transport, server or shell; the two flavours
/// never lean on each other (and the blocking one never on an async runtime); the server
/// never reaches a client.
const DEPENDENCY_RULES: &[(&str, &[&str])] = &[
    (
        "greenpin-core",
        &[
            "tokio",
            "reqwest",
            "ureq",
            "hyper",
            "axum",
            "clap",
            "greenpin-async",
            "greenpin-blocking",
            "greenpin-emulator",
        ],
    ),
    (
        "greenpin-blocking",
        &[
            "tokio",
            "reqwest",
            "hyper",
            "axum",
            "greenpin-async",
            "greenpin-emulator",
        ],
    ),
    (
        "greenpin-async",
        &["ureq", "axum", "greenpin-blocking", "greenpin-emulator"],
    ),
    (
        "greenpin-emulator",
        &["reqwest", "ureq", "greenpin-async", "greenpin-blocking"],
    ),
];

/// Direct dependencies a crate must not list: the emulator reads numbers, times and
/// rules through greenpin-core only.
const DIRECT_DEPENDENCY_RULES: &[(&str, &[&str])] = &[("greenpin-emulator", &["phonenumber"])];

pub(crate) fn dependency_rules() -> Result<String, String> {
    for (krate, banned) in DEPENDENCY_RULES {
        let out = cargo()
            .args([
                "tree", "-p", krate, "-e", "normal", "--prefix", "none", "--format", "{p}",
            ])
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!("cargo tree -p {krate} failed"));
        }
        let tree = String::from_utf8_lossy(&out.stdout);
        let mut seen = 0;
        for line in tree.lines() {
            let name = line.split_whitespace().next().unwrap_or("");
            seen += 1;
            if banned.contains(&name) {
                return Err(format!(
                    "{krate} depends on {name}; it must stay free of {banned:?}"
                ));
            }
        }
        if seen < 2 {
            return Err(format!(
                "cargo tree -p {krate} listed nothing: the rule checked nothing"
            ));
        }
    }
    for (krate, banned) in DIRECT_DEPENDENCY_RULES {
        let out = cargo()
            .args([
                "tree", "-p", krate, "-e", "normal", "--depth", "1", "--prefix", "none",
                "--format", "{p}",
            ])
            .output()
            .map_err(|e| e.to_string())?;
        let tree = String::from_utf8_lossy(&out.stdout);
        for line in tree.lines().skip(1) {
            let name = line.split_whitespace().next().unwrap_or("");
            if banned.contains(&name) {
                return Err(format!(
                    "{krate} depends on {name} directly; go through greenpin-core"
                ));
            }
        }
    }
    Ok(format!(
        "{} crate(s), {} rule(s)",
        DEPENDENCY_RULES.len(),
        DEPENDENCY_RULES.iter().map(|(_, b)| b.len()).sum::<usize>()
            + DIRECT_DEPENDENCY_RULES
                .iter()
                .map(|(_, b)| b.len())
                .sum::<usize>()
    ))
}
