//! `cargo xtask conformance`: schemathesis against the emulator's binary, with the generated
//! OpenAPI document, in a virtualenv of its own; then the emulator's own counts say what
//! the run reached, and a run that reached nothing fails. Its scripts are files in
//! `xtask/scripts/`.

use std::env;
use std::process::Command;
use std::time::Instant;

use crate::cmd::{cargo, run};

/// Where `cargo xtask conformance` keeps its virtualenv.
const VENV: &str = "target/conformance-venv";

/// Runs schemathesis against a freshly started emulator, with the generated spec: every
/// operation, valid and invalid inputs; fails on a 5xx or an answer that breaks the spec.
/// Installs schemathesis (and openapi-spec-validator) from PyPI into its own virtualenv.
pub(crate) fn conformance(strict_install: bool) -> Result<String, String> {
    let python = format!("{VENV}/bin/python");
    let installed = (|| {
        if !std::path::Path::new(&python).exists() {
            run(Command::new("python3").args(["-m", "venv", VENV]))?;
        }
        run(Command::new(&python).args([
            "-m",
            "pip",
            "install",
            "-q",
            "schemathesis==4.32.5",
            "openapi-spec-validator==0.9.0",
        ]))
    })();
    if let Err(e) = installed {
        // In `xtask ci` a registry outage must not turn the build red; say so loudly.
        let note = format!("SKIPPED: could not install schemathesis from PyPI ({e})");
        eprintln!("{note}");
        return if strict_install { Err(note) } else { Ok(note) };
    }
    eprintln!("==> validating docs/openapi.json as OpenAPI 3.1");
    run(Command::new(format!("{VENV}/bin/openapi-spec-validator")).arg("docs/openapi.json"))?;

    // In `xtask ci`, `cargo test` has just built the binary; on its own, build it.
    if strict_install || !std::path::Path::new("target/debug/greenpin-emulator").exists() {
        run(cargo().args([
            "build",
            "-q",
            "-p",
            "greenpin-emulator",
            "--bin",
            "greenpin-emulator",
        ]))?;
    }
    let dir = std::path::Path::new("target/conformance");
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    std::fs::write(
        dir.join("greenpin_hooks.py"),
        include_str!("../scripts/conformance_hooks.py"),
    )
    .map_err(|e| e.to_string())?;
    std::fs::write(
        dir.join("schemathesis.toml"),
        include_str!("../scripts/schemathesis.toml"),
    )
    .map_err(|e| e.to_string())?;
    let examples = env::var("GREENPIN_CONFORMANCE_EXAMPLES").unwrap_or_else(|_| "100".into());
    let started = Instant::now();

    // Allocations on one emulator; settings on another, so that fuzzed settings (a country,
    // a cap, PINs switched on) never change the rules under the allocation run.
    let allocations = Emulator::start()?;
    let settings = Emulator::start()?;
    let mut failures = Vec::new();
    let mut links = None;
    for (emulator, filter, phases) in [
        (
            &allocations,
            [
                "--exclude-operation-id",
                "getSettings",
                "--exclude-operation-id",
                "updateSettings",
            ],
            "examples,coverage,fuzzing,stateful",
        ),
        (
            &settings,
            [
                "--include-operation-id",
                "getSettings",
                "--include-operation-id",
                "updateSettings",
            ],
            "examples,coverage,fuzzing",
        ),
    ] {
        eprintln!(
            "==> schemathesis {} {} … on {}",
            filter[0], filter[1], emulator.base
        );
        let out = Command::new(format!("{VENV}/bin/schemathesis"))
            .args([
                "--config-file",
                "target/conformance/schemathesis.toml",
                "run",
            ])
            .args([
                "docs/openapi.json",
                "--url",
                &format!("{}/v1/tenants/demo", emulator.base),
            ])
            // Every check is on by default; the config file turns off the ones that cannot
            // hold, with reasons (docs/CONFORMANCE.md).
            .args([
                "--auth",
                "demo-key:demo-token",
                "--exclude-checks",
                "use_after_free",
            ])
            .args(filter)
            .args([
                "--phases",
                phases,
                "--mode",
                "all",
                "--max-examples",
                &examples,
            ])
            .args(["--seed", "42", "--no-color"])
            .env("PYTHONPATH", "target/conformance")
            .output()
            .map_err(|e| format!("starting schemathesis: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        eprint!("{text}{}", String::from_utf8_lossy(&out.stderr));
        if !out.status.success() {
            failures.push(format!("schemathesis {} {} failed", filter[0], filter[1]));
        }
        if let Some(line) = text.lines().find(|l| l.contains("API Links:")) {
            links = Some(line.trim().to_owned());
        }
    }

    // What reached the logic: every operation must have succeeded, every link been
    // followed, and bulk updates applied to real allocations.
    let mut counts = allocations.stats()?;
    for (op, (ok, total)) in settings.stats()? {
        let entry = counts.entry(op).or_insert((0, 0));
        entry.0 += ok;
        entry.1 += total;
    }
    eprintln!("==> conformance reached the logic:");
    let mut zero = Vec::new();
    for op in [
        "create",
        "get",
        "update",
        "bulk_update",
        "delete",
        "get_settings",
        "update_settings",
        "bulk_items_applied",
    ] {
        let (ok, total) = counts.get(op).copied().unwrap_or((0, 0));
        eprintln!("    {op:<20} {ok:>6} succeeded of {total:>6}");
        if ok == 0 {
            zero.push(op);
        }
    }
    if !zero.is_empty() {
        failures.push(format!(
            "no successful answer for {zero:?}: the run did not reach the logic"
        ));
    }
    let links = links.unwrap_or_else(|| "API Links: none reported".into());
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
    if covered == 0 || covered < selected {
        failures.push(format!("links not all covered: {links}"));
    }
    let summary = format!(
        "{:.0?}, {examples} examples per operation, {} succeeded in all, {links}",
        started.elapsed(),
        counts.values().map(|(ok, _)| ok).sum::<u64>()
    );
    eprintln!("conformance: {summary}");
    if failures.is_empty() {
        Ok(summary)
    } else {
        Err(failures.join("; "))
    }
}

/// An emulator process for a conformance pass.
struct Emulator {
    child: std::process::Child,
    base: String,
}

impl Emulator {
    fn start() -> Result<Emulator, String> {
        let mut child = Command::new("target/debug/greenpin-emulator")
            .args(["--listen", "127.0.0.1:0"])
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
    fn stats(&self) -> Result<std::collections::BTreeMap<String, (u64, u64)>, String> {
        let script = include_str!("../scripts/emulator_stats.py");
        let out = Command::new(format!("{VENV}/bin/python"))
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
