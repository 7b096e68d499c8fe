//! `cargo xtask public-api [--write]`: each published library's public API, as
//! `cargo-public-api` lists it from rustdoc's JSON, compared with the snapshot committed in
//! `docs/public-api/`. Any change to the surface — an item added, removed or changed —
//! fails the check until the snapshot is rewritten with `--write`, so it shows in the diff a
//! reviewer reads.
//!
//! The JSON comes from the rustdoc of a pinned stable release, [`API_TOOLCHAIN`], not a
//! nightly: rustdoc writes JSON only when unstable options are allowed, so this program
//! stands in for rustdoc ([`AS_RUSTDOC`]) and allows them for rustdoc alone. Setting
//! `RUSTC_BOOTSTRAP` for the whole cargo run would change what the dependencies' build
//! scripts see (proc-macro2's and thiserror's probe for it) and rebuild them; this way the
//! dependencies are the ones the stable toolchain's other checks (clippy, rustdoc) already
//! built into the same target directory, and only what a crate's own features change is
//! compiled again.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, ExitCode};

use crate::cmd::{incremental_as_set, output, run};

/// The toolchain whose rustdoc writes the JSON. rustdoc's JSON format changes between
/// releases and the pinned cargo-public-api reads one (format 57, written by Rust 1.95):
/// the two move together.
pub(crate) const API_TOOLCHAIN: &str = "1.95.0";

/// Set, to the path of [`API_TOOLCHAIN`]'s rustdoc, when cargo runs this program as its
/// `RUSTDOC`.
pub(crate) const AS_RUSTDOC: &str = "GREENPIN_XTASK_AS_RUSTDOC";

/// This program as cargo's `RUSTDOC`: the rustdoc [`AS_RUSTDOC`] names, with its
/// arguments, its exit status and `RUSTC_BOOTSTRAP=1` (unstable options, for
/// `--output-format json`).
pub(crate) fn as_rustdoc() -> ExitCode {
    let rustdoc = std::env::var_os(AS_RUSTDOC).unwrap_or_else(|| "rustdoc".into());
    let status = Command::new(rustdoc)
        .args(std::env::args_os().skip(1))
        .env("RUSTC_BOOTSTRAP", "1")
        .env_remove(AS_RUSTDOC)
        .status();
    match status {
        Ok(s) => ExitCode::from(s.code().and_then(|c| u8::try_from(c).ok()).unwrap_or(1)),
        Err(e) => {
            eprintln!("xtask: could not start rustdoc: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The libraries whose API is a promise.
const LIBRARIES: &[&str] = &[
    "greenpin-core",
    "greenpin-async",
    "greenpin-blocking",
    "greenpin-emulator",
];

fn snapshot_path(krate: &str) -> String {
    format!("docs/public-api/{krate}.txt")
}

/// `krate`'s rustdoc JSON, with its promised features, in the shared target directory.
///
/// `feature-align` is selected beside it with every set (see its manifest): the listing
/// reads only `krate`'s own items, which its own features decide, and the dependencies'
/// are then those clippy has already checked, so they are not checked again.
fn rustdoc_json(krate: &str) -> Result<PathBuf, String> {
    let this = std::env::current_exe().map_err(|e| format!("this program's path: {e}"))?;
    let rustdoc =
        output(Command::new("rustup").args(["which", "--toolchain", API_TOOLCHAIN, "rustdoc"]))?;
    let json = crate::cmd::target_dir()
        .join("doc")
        .join(format!("{}.json", krate.replace('-', "_")));
    // Only this run's JSON is read: an earlier run's must not stand in for it.
    let _ = std::fs::remove_file(&json);
    let mut cmd = Command::new("rustup");
    incremental_as_set(&mut cmd)
        .args([
            "run",
            API_TOOLCHAIN,
            "cargo",
            "doc",
            "--quiet",
            "--no-deps",
            "--lib",
        ])
        .args(["-p", krate])
        .args(promised_features(krate))
        .args(["-p", "feature-align", "--features", ALIGN_ALL])
        // The encoded form, when set, would win over this one.
        .env_remove("CARGO_ENCODED_RUSTDOCFLAGS")
        .env("RUSTDOCFLAGS", "-Z unstable-options --output-format json")
        .env("RUSTDOC", this)
        .env(AS_RUSTDOC, rustdoc.trim());
    run(&mut cmd)?;
    if !json.exists() {
        return Err(format!("rustdoc wrote no {}", json.display()));
    }
    Ok(json)
}

/// A note when the default toolchain is not [`API_TOOLCHAIN`]: the check is as good, but
/// the dependencies clippy checked with the default one are checked again for it.
fn note_other_default() {
    let default = output(Command::new("rustc").arg("--version")).unwrap_or_default();
    let ours = API_TOOLCHAIN.trim_end_matches(".0");
    if !default.starts_with(&format!("rustc {API_TOOLCHAIN}"))
        && !default.starts_with(&format!("rustc {ours} "))
    {
        eprintln!(
            "xtask public-api: the default toolchain is {}; rustdoc JSON comes from {API_TOOLCHAIN}, \
             so the dependencies are checked again for it",
            default.trim()
        );
    }
}

/// Every feature of `feature-align`.
const ALIGN_ALL: &str =
    "feature-align/core,feature-align/blocking,feature-align/async,feature-align/cli";

fn current(krate: &str) -> Result<String, String> {
    let json = rustdoc_json(krate)?;
    // `--rustdoc-json` (hidden in cargo-public-api's help) lists a JSON file already built.
    let listing = output(
        Command::new(crate::setup::rust_tool("cargo-public-api")?)
            .args(["public-api", "--rustdoc-json"])
            .arg(&json)
            .args(["-ss", "--color", "never"]),
    )?;
    Ok(format!(
        "# The public API of {krate}, generated by `cargo xtask public-api --write`; do not edit.\n{listing}"
    ))
}

/// The features whose items are part of the promise: the defaults and the stable
/// optional features, never `unstable-wire`, `fuzzing` or the spec's `schema`.
fn promised_features(krate: &str) -> &'static [&'static str] {
    match krate {
        // Unqualified: greenpin-core's dev-dependency on itself is named `greenpin-core`, so
        // cargo reads `greenpin-core/test-util` as that dependency's feature, which `cargo
        // doc` (no dev-dependencies) drops without a word (the snapshot caught it).
        "greenpin-core" => &["--features", "test-util"],
        "greenpin-async" => &["--features", "axum"],
        _ => &[],
    }
}

pub(crate) fn public_api(write: bool) -> Result<String, String> {
    crate::toolchain::require(API_TOOLCHAIN)?;
    note_other_default();
    std::fs::create_dir_all("docs/public-api").map_err(|e| e.to_string())?;
    let mut items = 0;
    let mut stale = Vec::new();
    let mut listings = std::collections::BTreeMap::new();
    for krate in LIBRARIES {
        let now = current(krate)?;
        items += now.lines().count() - 1;
        listings.insert(*krate, now.clone());
        let path = snapshot_path(krate);
        if write {
            std::fs::write(&path, &now).map_err(|e| format!("{path}: {e}"))?;
            continue;
        }
        let before = std::fs::read_to_string(&path).unwrap_or_default();
        if before != now {
            let old: BTreeSet<&str> = before.lines().collect();
            let new: BTreeSet<&str> = now.lines().collect();
            for gone in old.difference(&new) {
                eprintln!("{krate}: - {gone}");
            }
            for added in new.difference(&old) {
                eprintln!("{krate}: + {added}");
            }
            stale.push(*krate);
        }
    }
    if items == 0 {
        return Err("cargo-public-api listed no item: the check checked nothing".into());
    }
    let reached = one_dependency_is_enough(&listings)?;
    if !stale.is_empty() {
        return Err(format!(
            "the public API of {stale:?} changed (above): review it, then run `cargo xtask public-api --write` and commit docs/public-api/"
        ));
    }
    Ok(format!(
        "{} crates, {items} items {}; {reached} types reached from the transports and the emulator, each nameable",
        LIBRARIES.len(),
        if write { "written" } else { "as reviewed" }
    ))
}

/// Every type the transports' and the emulator's items name can be named by their users:
/// the transports through themselves, the emulator through itself or greenpin-blocking.
fn one_dependency_is_enough(
    listings: &std::collections::BTreeMap<&str, String>,
) -> Result<usize, String> {
    let core = &listings["greenpin-core"];
    let blocking = listings["greenpin-blocking"].as_str();
    let mut reached_all = 0;
    let mut report = Vec::new();
    for (krate, also) in [
        ("greenpin-blocking", vec![]),
        ("greenpin-async", vec![]),
        ("greenpin-emulator", vec![("greenpin-blocking", blocking)]),
    ] {
        let (reached, missing) = crate::reach::unnameable(krate, &listings[krate], core, &also);
        reached_all += reached;
        for (name, line) in missing {
            report.push(format!("{krate}: cannot name {name} (in `{line}`)"));
        }
    }
    if reached_all == 0 {
        return Err("the reachability walk reached no type: it checked nothing".into());
    }
    if !report.is_empty() {
        return Err(format!(
            "types a user of one crate cannot name:\n{}",
            report.join("\n")
        ));
    }
    Ok(reached_all)
}
