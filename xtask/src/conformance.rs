//! `cargo xtask conformance [--mutations]`: schemathesis against the emulator's binary,
//! with the generated OpenAPI document, in a virtualenv of its own.
//!
//! One emulator, started with a seed, takes every operation — allocations and settings
//! together, so fuzzed settings (a country, a cap, PINs switched off) meet the allocations
//! they govern — and the run is deterministic under schemathesis' seed and the emulator's.
//! Beside schemathesis' checks of shapes and status codes, `GreenPinLogic`
//! (`xtask/scripts/conformance_hooks.py`) checks the logic on every answer and fails if one
//! of its checks never ran. Then the emulator's own counts must show a minimum share of
//! successful calls for each operation ([`MIN_SUCCESS`]): a run that mostly bounced off
//! validation proves little.
//!
//! `--mutations` shows the gate has teeth: it applies each of [`MUTATIONS`] to a copy of
//! the emulator's source, builds it, runs the same conformance, and fails unless every
//! mutant is caught.

use std::collections::BTreeMap;
use std::env;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::cmd::{cargo, run, target_dir};

/// The emulator's seed (PINs, ids) and schemathesis' seed.
const SEED: &str = "42";

/// The least share of calls, per operation, that must succeed (per mille): about three
/// quarters of what the deterministic run reaches (docs/CONFORMANCE.md has the counts), so
/// a change that sends more of the run into refusals fails it.
const MIN_SUCCESS: &[(&str, u64)] = &[
    ("create", 219),
    ("get", 618),
    ("update", 120),
    ("bulk_update", 682),
    ("delete", 356),
    ("get_settings", 377),
    ("update_settings", 419),
];

/// Faults an auditor put in the emulator's logic, as (name, file, text, replacement): each
/// must make conformance fail.
const MUTATIONS: &[(&str, &str, &str, &str)] = &[
    (
        "pin_length ignored",
        "crates/greenpin-emulator/src/store/routing.rs",
        "self.entropy.digits(len.get())",
        "self.entropy.digits(default_pin_length().get())",
    ),
    (
        "oneway not enforced",
        "crates/greenpin-emulator/src/store/calls.rs",
        "if side == Side::B && alloc.usage == Usage::Oneway {",
        "if side == Side::B && alloc.usage == Usage::Oneway && false {",
    ),
    (
        "max_deallocation_time cap dropped",
        "crates/greenpin-emulator/src/store/mod.rs",
        "\n                    .min(cap);",
        ";",
    ),
    (
        "VNs not shared with the other party",
        "crates/greenpin-emulator/src/store/mod.rs",
        "        if a.vns.is_empty() {\n            a.vns = b.vns.clone();\n        } else if b.vns.is_empty() {\n            b.vns = a.vns.clone();\n        }",
        "",
    ),
    (
        "same number in both parties after a merged update",
        "crates/greenpin-emulator/src/store/mod.rs",
        "check_parties_disjoint(&next.a, &next.b)?;",
        "",
    ),
];

/// GreenPin's description narrowed so that generated requests reach the logic (valid
/// numbers, one of pin and pin_length): written by `cargo xtask codegen`, never served.
const NARROWED: &str = "xtask/scripts/schemathesis.openapi.json";

/// Runs the conformance check against the emulator built in `target_dir`.
pub(crate) fn conformance(in_ci: bool) -> Result<String, String> {
    let validator = crate::setup::python_tool("openapi-spec-validator")?;
    for doc in [
        "docs/openapi.json",
        NARROWED,
        "crates/greenpin-emulator/controls.openapi.json",
    ] {
        eprintln!("==> validating {doc} as OpenAPI 3.1");
        run(Command::new(&validator).arg(doc))?;
    }
    // In `xtask ci`, `cargo test` has just built the binary; on its own, build it.
    let binary = target_dir().join("debug/greenpin-emulator");
    if !in_ci || !binary.exists() {
        build_emulator(Path::new("."), None)?;
    }
    let outcome = run_once(&binary)?;
    outcome.verdict()
}

/// `--mutations`: each mutation, applied to a copy of the source, must fail the check.
pub(crate) fn mutations() -> Result<String, String> {
    crate::setup::python_tool("schemathesis")?;
    let copy = &target_dir().join("conformance-mutant");
    let mut caught = Vec::new();
    let mut missed = Vec::new();
    for (name, file, from, to) in MUTATIONS {
        eprintln!("==> mutation: {name}");
        // A fresh copy of the committed source and the working tree's changes.
        let _ = std::fs::remove_dir_all(copy.join("src"));
        std::fs::create_dir_all(copy.join("src")).map_err(|e| e.to_string())?;
        run(Command::new("sh")
            .args([
                "-c",
                "git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t \"$1\"",
                "sh",
            ])
            .arg(copy.join("src")))?;
        let path = copy.join("src").join(file);
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{file}: {e}"))?;
        if text.matches(from).count() != 1 {
            return Err(format!(
                "mutation {name:?}: {file} holds its text {} times, not once",
                text.matches(from).count()
            ));
        }
        std::fs::write(&path, text.replacen(from, to, 1)).map_err(|e| e.to_string())?;
        let target = std::path::absolute(copy.join("target")).map_err(|e| e.to_string())?;
        build_emulator(&copy.join("src"), Some(&target))?;
        match run_once(&target.join("debug/greenpin-emulator"))?.verdict() {
            Ok(_) => missed.push(*name),
            Err(why) => {
                eprintln!("    caught: {why}");
                caught.push(*name);
            }
        }
    }
    if !missed.is_empty() {
        return Err(format!(
            "conformance passed with these mutations: {missed:?} (caught {caught:?})"
        ));
    }
    Ok(format!(
        "{} of {} mutations caught",
        caught.len(),
        MUTATIONS.len()
    ))
}

fn build_emulator(dir: &Path, target: Option<&Path>) -> Result<(), String> {
    let mut build = cargo();
    build.current_dir(dir).args([
        "build",
        "-q",
        "-p",
        "greenpin-emulator",
        "--bin",
        "greenpin-emulator",
    ]);
    if let Some(target) = target {
        build.env("CARGO_TARGET_DIR", target);
    }
    run(&mut build)
}

/// What one run found.
struct Outcome {
    failures: Vec<String>,
    summary: String,
}

impl Outcome {
    fn verdict(self) -> Result<String, String> {
        eprintln!("conformance: {}", self.summary);
        if self.failures.is_empty() {
            Ok(self.summary)
        } else {
            Err(self.failures.join("; "))
        }
    }
}

/// One schemathesis run over every operation against a fresh emulator from `binary`, and
/// the gate on what reached the logic.
fn run_once(binary: &Path) -> Result<Outcome, String> {
    let dir = &target_dir().join("conformance");
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    for (name, text) in [
        (
            "greenpin_hooks.py",
            include_str!("../scripts/conformance_hooks.py"),
        ),
        (
            "schemathesis.toml",
            include_str!("../scripts/schemathesis.toml"),
        ),
    ] {
        std::fs::write(dir.join(name), text).map_err(|e| e.to_string())?;
    }
    let examples = env::var("GREENPIN_CONFORMANCE_EXAMPLES").unwrap_or_else(|_| "100".into());
    let started = Instant::now();
    let emulator = Emulator::start(binary)?;
    eprintln!("==> schemathesis, every operation, on {}", emulator.base);
    let out = Command::new(crate::setup::python_tool("schemathesis")?)
        .arg("--config-file")
        .arg(dir.join("schemathesis.toml"))
        .arg("run")
        .args([
            NARROWED,
            "--url",
            &format!("{}/v1/tenants/demo", emulator.base),
        ])
        // Every check is on by default; the config file turns off the ones that cannot
        // hold, with reasons (docs/CONFORMANCE.md).
        .args(["--auth", "demo-key:demo-token"])
        .args([
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--mode",
            "all",
        ])
        .args([
            "--max-examples",
            &examples,
            "--seed",
            SEED,
            "--no-color",
            "--workers",
            "1",
            // The same examples every run, and none replayed from an earlier one.
            "--generation-deterministic",
        ])
        .env("PYTHONPATH", dir)
        .env("GREENPIN_CONFORMANCE_BASE", &emulator.base)
        .output()
        .map_err(|e| format!("starting schemathesis: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    eprint!("{text}{}", String::from_utf8_lossy(&out.stderr));
    let mut failures = Vec::new();
    if !out.status.success() {
        failures.push("schemathesis failed (its report is above)".to_owned());
    }
    let counts = emulator.stats()?;
    failures.extend(gate(&counts));
    let links = text
        .lines()
        .find(|l| l.contains("API Links:"))
        .map_or("API Links: none reported".to_owned(), |l| {
            l.trim().to_owned()
        });
    failures.extend(links_covered(&links));
    let logic = text
        .lines()
        .find_map(|l| l.strip_prefix("GreenPinLogic checks run: "))
        .unwrap_or("none reported")
        .to_owned();
    let summary = format!(
        "{:.0?}, {examples} examples per operation, {} calls succeeded, logic checks {logic}, {links}",
        started.elapsed(),
        counts.values().map(|(ok, _)| ok).sum::<u64>()
    );
    Ok(Outcome { failures, summary })
}

/// Each operation's share of successful calls against its minimum.
fn gate(counts: &BTreeMap<String, (u64, u64)>) -> Vec<String> {
    eprintln!("==> conformance reached the logic:");
    let mut failures = Vec::new();
    for (op, min) in MIN_SUCCESS {
        let (ok, total) = counts.get(*op).copied().unwrap_or((0, 0));
        let share = (ok * 1000).checked_div(total).unwrap_or(0);
        eprintln!(
            "    {op:<16} {ok:>6} of {total:>6} succeeded ({:>4.1}%, at least {:.1}%)",
            share as f64 / 10.0,
            *min as f64 / 10.0
        );
        if ok == 0 || share < *min {
            failures.push(format!(
                "{op}: {ok} of {total} calls succeeded, below {:.1}%",
                *min as f64 / 10.0
            ));
        }
    }
    let (applied, _) = counts.get("bulk_items_applied").copied().unwrap_or((0, 0));
    eprintln!("    bulk items applied {applied}");
    if applied == 0 {
        failures.push("no bulk item was applied".into());
    }
    failures
}

/// Every link of the spec followed by the stateful phase.
fn links_covered(links: &str) -> Option<String> {
    eprintln!("    {links}");
    let covered = links
        .split_whitespace()
        .skip_while(|w| *w != "Links:")
        .nth(1)
        .and_then(|n| n.parse::<u32>().ok())
        .unwrap_or(0);
    let selected = links
        .split(" / ")
        .nth(1)
        .and_then(|p| p.split_whitespace().next())
        .and_then(|n| n.parse::<u32>().ok())
        .unwrap_or(u32::MAX);
    (covered == 0 || covered < selected).then(|| format!("links not all covered: {links}"))
}

/// An emulator process for a conformance run.
struct Emulator {
    child: std::process::Child,
    base: String,
}

impl Emulator {
    fn start(binary: &Path) -> Result<Emulator, String> {
        let mut child = Command::new(binary)
            .args(["--listen", "127.0.0.1:0", "--seed", SEED])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| format!("starting the emulator: {e}"))?;
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().ok_or("no stdout")?),
            &mut line,
        )
        .map_err(|e| e.to_string())?;
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .ok_or(format!("unexpected first line {line:?}"))?
            .to_owned();
        Ok(Emulator { child, base })
    }

    /// `/__emulator/stats` as (succeeded, total) per operation, read with the venv's Python
    /// (xtask has no HTTP client or JSON parser of its own).
    fn stats(&self) -> Result<BTreeMap<String, (u64, u64)>, String> {
        let script = include_str!("../scripts/emulator_stats.py");
        let out = Command::new(crate::setup::python_tool("python")?)
            .args(["-c", script, &format!("{}/__emulator/stats", self.base)])
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!(
                "reading stats: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let mut w = l.split_whitespace();
                Some((
                    w.next()?.to_owned(),
                    (w.next()?.parse().ok()?, w.next()?.parse().ok()?),
                ))
            })
            .collect())
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
