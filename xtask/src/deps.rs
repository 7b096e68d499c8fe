//! `cargo xtask deps`: the "never"s of docs/ARCHITECTURE.md, checked against `cargo tree`
//! over every feature of each crate (a feature that brings a banned crate is a breach, not
//! an option), and the few crates allowed only behind a feature of their own checked absent
//! from the default build. A rule that checked nothing (an empty tree) fails rather than
//! passing vacuously. The same check runs as `cargo test -p xtask`.

use crate::cmd::cargo;

/// Which of a crate's features a rule is checked with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Features {
    /// `--all-features`: nothing any feature brings may break the rule.
    All,
    /// The defaults: for crates a feature of the crate's own may bring (async's `axum`).
    Default,
}

/// A rule: `krate`'s normal (non-dev) dependency tree, built with `features`, holds none of
/// `banned`.
pub(crate) struct Rule {
    pub(crate) krate: &'static str,
    pub(crate) features: Features,
    pub(crate) banned: &'static [&'static str],
}

/// Every "never" of docs/ARCHITECTURE.md. The core reaches no transport, server or shell;
/// the two flavours never lean on each other (and the blocking one never on an async
/// runtime); the server never reaches a client. greenpin-async reaches axum only through
/// its `axum` feature.
pub(crate) const RULES: &[Rule] = &[
    Rule {
        krate: "greenpin-core",
        features: Features::All,
        banned: &[
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
    },
    Rule {
        krate: "greenpin-blocking",
        features: Features::All,
        banned: &[
            "tokio",
            "reqwest",
            "hyper",
            "axum",
            "greenpin-async",
            "greenpin-emulator",
        ],
    },
    Rule {
        krate: "greenpin-async",
        features: Features::All,
        banned: &["ureq", "greenpin-blocking", "greenpin-emulator"],
    },
    Rule {
        krate: "greenpin-async",
        features: Features::Default,
        banned: &["axum"],
    },
    Rule {
        krate: "greenpin-emulator",
        features: Features::All,
        banned: &["reqwest", "ureq", "greenpin-async", "greenpin-blocking"],
    },
];

/// Direct dependencies a crate must not list: the emulator reads numbers, times and
/// rules through greenpin-core only.
pub(crate) const DIRECT_RULES: &[(&str, &[&str])] = &[("greenpin-emulator", &["phonenumber"])];

/// The breaches of `banned` in a `cargo tree --prefix none --format {p}` listing (one
/// `name vX.Y.Z` a line, the crate itself first); `Err` when the listing names nothing but
/// the crate, so a rule never passes on an empty tree.
pub(crate) fn breaches(tree: &str, banned: &[&str]) -> Result<Vec<String>, String> {
    let names: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    if names.len() < 2 {
        return Err("the tree listed nothing: the rule checked nothing".into());
    }
    let mut found: Vec<String> = names
        .iter()
        .filter(|n| banned.contains(n))
        .map(|n| (*n).to_owned())
        .collect();
    found.sort();
    found.dedup();
    Ok(found)
}

fn tree(krate: &str, features: Features, depth: Option<&str>) -> Result<String, String> {
    let mut cmd = cargo();
    cmd.args([
        "tree", "-p", krate, "-e", "normal", "--prefix", "none", "--format", "{p}",
    ]);
    if features == Features::All {
        cmd.arg("--all-features");
    }
    if let Some(d) = depth {
        cmd.args(["--depth", d]);
    }
    let out = cmd.output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "cargo tree -p {krate} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

pub(crate) fn dependency_rules() -> Result<String, String> {
    for rule in RULES {
        let listing = tree(rule.krate, rule.features, None)?;
        let found = breaches(&listing, rule.banned).map_err(|e| format!("{}: {e}", rule.krate))?;
        if !found.is_empty() {
            return Err(format!(
                "{} ({:?} features) depends on {}; it must stay free of {:?}",
                rule.krate,
                rule.features,
                found.join(", "),
                rule.banned
            ));
        }
    }
    for (krate, banned) in DIRECT_RULES {
        let listing = tree(krate, Features::All, Some("1"))?;
        let found = breaches(&listing, banned).map_err(|e| format!("{krate}: {e}"))?;
        if !found.is_empty() {
            return Err(format!(
                "{krate} depends on {} directly; go through greenpin-core",
                found.join(", ")
            ));
        }
    }
    Ok(format!(
        "{} rule(s) over {} banned crate(s), every feature",
        RULES.len() + DIRECT_RULES.len(),
        RULES.iter().map(|r| r.banned.len()).sum::<usize>()
            + DIRECT_RULES.iter().map(|(_, b)| b.len()).sum::<usize>()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_planted_banned_crate_is_found_and_an_empty_tree_fails() {
        let tree =
            "greenpin-async v0.1.0 (/w)\nreqwest v0.13.5\naxum v0.8.4\nhttp v1.3.1\naxum v0.8.4\n";
        assert_eq!(breaches(tree, &["axum", "ureq"]).unwrap(), ["axum"]);
        assert!(breaches(tree, &["ureq"]).unwrap().is_empty());
        assert!(breaches("greenpin-async v0.1.0 (/w)\n", &["axum"]).is_err());
        assert!(breaches("", &["axum"]).is_err());
    }

    #[test]
    fn every_rule_holds_over_every_feature() {
        // The workspace's own trees, as `cargo xtask ci` checks them.
        std::env::set_current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).unwrap();
        let said = dependency_rules().unwrap();
        assert!(said.contains("6 rule(s)"), "{said}");
    }

    #[test]
    fn greenpin_async_reaches_axum_only_through_its_feature() {
        // The case the default-only check missed: with every feature, axum is there.
        std::env::set_current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).unwrap();
        let all = tree("greenpin-async", Features::All, None).unwrap();
        assert_eq!(breaches(&all, &["axum"]).unwrap(), ["axum"]);
        let default = tree("greenpin-async", Features::Default, None).unwrap();
        assert!(breaches(&default, &["axum"]).unwrap().is_empty());
    }
}
