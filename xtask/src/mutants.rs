//! `cargo xtask mutants [--in-diff REF] [--shard K/N] [--jobs J] [--all | --file GLOB... [--re REGEX]] [--name RUN]`,
//! `cargo xtask mutants --summary`, `cargo xtask mutants --rerun-missed`: mutation testing with
//! cargo-mutants (installed by `cargo xtask setup --all`).
//!
//! By default the logic the tests must guard is mutated — greenpin-core's bodies and
//! validation, numbers, PINs and durations, the retry decision, the call loop and its
//! budget, and callbacks; the emulator's store (routing, PINs, clock, settings, calls) and
//! callbacks — each mutant tested by its own crate's tests. `--all` mutates every file
//! `.cargo/mutants.toml` allows. `--in-diff REF` mutates only the lines changed since `REF`
//! (everyday use, before a push). `--shard K/N` runs one part of the mutants, so a long run
//! can be split across sessions; each shard writes `target/mutants/shard-K-of-N/`.
//! `--jobs J` tests J mutants at once, each in its own build directory. `--summary` runs
//! nothing and merges every run under `target/mutants/` (the newest outcome of a mutant
//! wins, so a rerun of what was missed replaces the miss). `--name RUN` writes the run to
//! `target/mutants/RUN/`. `--rerun-missed` tests again every mutant missed so far.
//! The summary (per file: caught, missed, timeouts, unviable) is printed, and what
//! docs/TESTING.md records.

use std::process::Command;

use crate::cmd::target_dir;

/// Where every run's outcomes are kept: `<target>/mutants/RUN/`.
fn runs_dir() -> std::path::PathBuf {
    target_dir().join("mutants")
}

/// The logic modules, as cargo-mutants `--file` globs.
const LOGIC: &[&str] = &[
    "crates/greenpin-core/src/body/**",
    "crates/greenpin-core/src/validation.rs",
    "crates/greenpin-core/src/party.rs",
    "crates/greenpin-core/src/pin.rs",
    "crates/greenpin-core/src/duration.rs",
    "crates/greenpin-core/src/phone/**",
    "crates/greenpin-core/src/retry/**",
    "crates/greenpin-core/src/outcome.rs",
    "crates/greenpin-core/src/client/call.rs",
    "crates/greenpin-core/src/callbacks/**",
    "crates/greenpin-emulator/src/store/**",
    "crates/greenpin-emulator/src/callbacks/**",
];

pub(crate) fn mutants(args: &[String]) -> Result<String, String> {
    if args.iter().any(|a| a == "--summary") {
        return summary(&outcome_files()?);
    }
    let tool = crate::setup::rust_tool("cargo-mutants")?;
    if args.iter().any(|a| a == "--rerun-missed") {
        return rerun_missed();
    }
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let mut command = Command::new(tool);
    command.args(["mutants", "-p", "greenpin-core", "-p", "greenpin-emulator"]);
    command.args(["--no-shuffle", "--colors", "never"]);
    // `--file GLOB` (repeatable) narrows to those files, `--re REGEX` to matching mutants
    // (a rerun of what a run missed, after new tests); otherwise the logic modules.
    let files: Vec<&String> = args
        .windows(2)
        .filter(|w| w[0] == "--file")
        .map(|w| &w[1])
        .collect();
    if !files.is_empty() {
        for glob in files {
            command.args(["--file", glob]);
        }
    } else if !args.iter().any(|a| a == "--all") {
        for glob in LOGIC {
            command.args(["--file", glob]);
        }
    }
    if let Some(re) = value("--re") {
        command.args(["--re", &re]);
    }
    if let Some(jobs) = value("--jobs") {
        command.args(["--jobs", &jobs]);
    }
    let runs = runs_dir();
    let mut out = runs.join(value("--name").unwrap_or_else(|| "all".to_owned()));
    if let Some(shard) = value("--shard") {
        out = runs.join(format!("shard-{}", shard.replace('/', "-of-")));
        command.args(["--shard", &shard]);
    }
    if let Some(base) = value("--in-diff") {
        let diff = Command::new("git")
            .args(["diff", &base])
            .output()
            .map_err(|e| format!("git diff: {e}"))?;
        std::fs::create_dir_all(&runs).map_err(|e| e.to_string())?;
        std::fs::write(runs.join("in.diff"), &diff.stdout).map_err(|e| e.to_string())?;
        command.arg("--in-diff").arg(runs.join("in.diff"));
        out = runs.join("in-diff");
    }
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    command.arg("--output").arg(&out);
    // cargo-mutants exits non-zero when a mutant is missed: the summary is the result.
    let status = command
        .status()
        .map_err(|e| format!("cargo mutants: {e}"))?;
    summary(&[out.join("mutants.out/outcomes.json").display().to_string()])
        .map_err(|e| format!("{e} (cargo mutants: {status})"))
}

/// Reruns every mutant missed so far (the newest outcome of each, over every run under
/// `target/mutants/`), into `target/mutants/rerun-<seconds>/`: after new tests, what they
/// kill turns to caught in `--summary`.
fn rerun_missed() -> Result<String, String> {
    let output = Command::new("python3")
        .args(["-c", include_str!("../scripts/mutants_summary.py")])
        .args(outcome_files()?)
        .output()
        .map_err(|e| format!("summarising: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let field = |tag: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(tag))
            .unwrap_or("")
            .to_owned()
    };
    let (files, re) = (field("RERUN-FILES "), field("RERUN-RE "));
    if files.trim().is_empty() {
        return Ok("no missed mutants to rerun".to_owned());
    }
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut args: Vec<String> = files
        .split(' ')
        .flat_map(|f| ["--file".to_owned(), f.to_owned()])
        .collect();
    args.extend([
        "--re".to_owned(),
        re,
        "--name".to_owned(),
        format!("rerun-{stamp}"),
    ]);
    args.extend(["--jobs".to_owned(), "2".to_owned()]);
    mutants(&args)
}

/// Every run's outcomes under `target/mutants/` (shards, reruns, in-diff).
fn outcome_files() -> Result<Vec<String>, String> {
    let mut files = Vec::new();
    let dir = runs_dir();
    let runs = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for run in runs.flatten() {
        let path = run.path().join("mutants.out/outcomes.json");
        if path.is_file() {
            files.push(path.display().to_string());
        }
    }
    Ok(files)
}

/// Prints the per-file summary of `files` merged (the newest outcome of each mutant wins)
/// and returns the total line.
fn summary(files: &[String]) -> Result<String, String> {
    let output = Command::new("python3")
        .args(["-c", include_str!("../scripts/mutants_summary.py")])
        .args(files)
        .output()
        .map_err(|e| format!("summarising: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    eprint!("{text}");
    let total = text
        .lines()
        .find(|l| l.starts_with("TOTAL "))
        .ok_or_else(|| format!("no outcomes in {files:?}"))?;
    Ok(format!(
        "{total} (caught, missed, timeouts, unviable, caught share) from {} run(s)",
        files.len()
    ))
}
