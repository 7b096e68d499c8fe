//! `cargo xtask`: the project's own automation, in Rust so it runs wherever cargo does.
//!
//! - `cargo xtask ci` — every check a reviewer would run, one summary line per step with
//!   its time: fmt, clippy (`-D warnings`, all targets), the dependency rules, the whole
//!   test suite, rustdoc with warnings denied, and a build at the declared `rust-version`
//!   when that toolchain is installed (skipped with a notice otherwise).
//! - `cargo xtask codegen [--check]` — regenerates the checked-in generated files, or
//!   fails naming this command when one is stale.
//!
//! Deliberately dependency-free: it is built on every CI run.

use std::env;
use std::process::{Command, ExitCode};
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("codegen") => codegen(args.iter().any(|a| a == "--check")),
        Some("conformance") => conformance(true).map(|_| ()),
        Some("package") => package().map(|n| eprintln!("package: {n}")),
        Some("deps") => dependency_rules().map(|n| eprintln!("dependency rules: {n}")),
        _ => {
            eprintln!(
                "usage: cargo xtask ci | cargo xtask codegen [--check] | cargo xtask conformance | cargo xtask deps | cargo xtask package"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

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

/// Examples CI runs (each must exit 0).
const EXAMPLES: &[(&str, &str)] = &[
    ("greenpin-core", "documented_update"),
    ("greenpin-async", "async_update"),
    ("greenpin-blocking", "blocking_update"),
];

fn cargo() -> Command {
    Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let status = cmd
        .status()
        .map_err(|e| format!("could not start {cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed ({status})"))
    }
}

struct Steps {
    lines: Vec<String>,
    failed: bool,
}

impl Steps {
    fn step(&mut self, name: &str, f: impl FnOnce() -> Result<String, String>) {
        eprintln!("\n==> {name}");
        let start = Instant::now();
        let outcome = f();
        let secs = start.elapsed().as_secs_f64();
        let line = match &outcome {
            Ok(note) if note.is_empty() => format!("ok    {secs:7.1}s  {name}"),
            Ok(note) => format!("ok    {secs:7.1}s  {name} ({note})"),
            Err(e) => format!("FAIL  {secs:7.1}s  {name}: {e}"),
        };
        self.failed |= outcome.is_err();
        eprintln!("{line}");
        self.lines.push(line);
    }
}

/// Debian's Chromium and its WebDriver, for the dashboard's browser test: installed when
/// missing and this machine can (root with apt-get); otherwise said plainly, and the test
/// prints SKIPPED.
fn browser() -> Result<String, String> {
    const CHROMIUM: &str = "/usr/bin/chromium";
    const DRIVER: &str = "/usr/bin/chromedriver";
    let present =
        || std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(DRIVER).exists();
    if present() {
        return Ok("present".into());
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !root || !std::path::Path::new("/usr/bin/apt-get").exists() {
        return Ok("SKIPPED: not installed, and this machine cannot install it (needs root and apt-get); the dashboard test will say SKIPPED".into());
    }
    let install = || {
        Command::new("apt-get")
            .args([
                "install",
                "-y",
                "-q",
                "--no-install-recommends",
                "chromium",
                "chromium-driver",
            ])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !install() {
        let _ = Command::new("apt-get")
            .args(["update", "-q"])
            .stdout(std::process::Stdio::null())
            .status();
        install();
    }
    if present() {
        Ok("installed chromium and chromium-driver".into())
    } else {
        Ok(
            "SKIPPED: apt-get could not install chromium; the dashboard test will say SKIPPED"
                .into(),
        )
    }
}

fn ci() -> Result<(), String> {
    let mut s = Steps {
        lines: Vec::new(),
        failed: false,
    };
    s.step("fmt", || {
        run(cargo().args(["fmt", "--all", "--", "--check"])).map(|_| String::new())
    });
    s.step("clippy", || {
        run(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ]))
        .map(|_| String::new())
    });
    s.step("dependency rules", dependency_rules);
    s.step("browser for the dashboard test", browser);
    s.step("tests", || {
        run(cargo().args(["test", "--workspace", "--all-features"])).map(|_| String::new())
    });
    s.step("rustdoc", || {
        run(cargo()
            .args(["doc", "--workspace", "--no-deps", "--all-features"])
            .env("RUSTDOCFLAGS", "-D warnings"))
        .map(|_| String::new())
    });
    s.step("examples", || {
        for (krate, example) in EXAMPLES {
            // `cargo test` has built them with the workspace's features: run those
            // binaries rather than rebuilding each crate's feature set for `cargo run`.
            let built = std::path::Path::new("target/debug/examples").join(example);
            let mut cmd = if built.exists() {
                Command::new(built)
            } else {
                let mut c = cargo();
                c.args(["run", "-q", "-p", krate, "--example", example]);
                c
            };
            run(cmd.stdout(std::process::Stdio::null()))?;
        }
        Ok(format!("{} run", EXAMPLES.len()))
    });
    s.step("package", package);
    s.step("codegen freshness", || {
        codegen(true).map(|_| format!("{} generator(s)", GENERATORS.len()))
    });
    s.step("conformance (schemathesis)", || conformance(false));
    s.step("msrv", msrv);

    eprintln!("\n== summary ==");
    for line in &s.lines {
        eprintln!("{line}");
    }
    if s.failed {
        Err("some checks failed".into())
    } else {
        Ok(())
    }
}

/// The crates users install, packaged and verified as crates.io would (each `.crate` built
/// on its own), then the CLI installed from its packaged crate and run. `--offline`: the
/// dependencies are in cargo's cache once the workspace has built.
const PUBLISHED: &[&str] = &[
    "greenpin-core",
    "greenpin-emulator",
    "greenpin-async",
    "greenpin-blocking",
    "greenpin-cli",
];

fn package() -> Result<String, String> {
    // A target directory of its own, emptied first: verification resolves the packaged
    // crates among each other as registry crates, which cargo treats as immutable, so a
    // build of an earlier `greenpin-emulator 0.1.0` would otherwise stand in for this one.
    let _ = std::fs::remove_dir_all("target/package-check");
    // Cargo also extracts those registry crates under $CARGO_HOME/registry/src/-<hash of
    // the overlay's path>/ and reuses an extraction that exists: the same path every run
    // means an earlier run's sources would be compiled. Our own crates' extractions go.
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cargo")));
    if let Some(src) = cargo_home.map(|h| h.join("registry/src"))
        && let Ok(registries) = std::fs::read_dir(&src)
    {
        for registry in registries.flatten() {
            // Overlays are named `-<hash>`; crates.io's own index directory is not touched.
            if !registry.file_name().to_string_lossy().starts_with('-') {
                continue;
            }
            for entry in std::fs::read_dir(registry.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let name = entry.file_name().to_string_lossy().into_owned();
                let ours = PUBLISHED.iter().any(|k| {
                    name.strip_prefix(k)
                        .and_then(|rest| rest.strip_prefix('-'))
                        .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
                });
                if ours {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
    }
    let mut cmd = cargo();
    cmd.args(["package", "--offline", "--allow-dirty"])
        .env("CARGO_TARGET_DIR", "target/package-check");
    for krate in PUBLISHED {
        cmd.args(["-p", krate]);
    }
    run(&mut cmd)?;
    // Verification built the CLI from its packaged crate against the other packaged
    // crates, as `cargo install greenpin-cli` will once they are published: run that binary.
    // (A `cargo install` of the unpacked crate cannot resolve the unpublished crates.)
    let out = Command::new("target/package-check/debug/greenpin")
        .arg("--version")
        .output()
        .map_err(|e| format!("running the packaged greenpin: {e}"))?;
    if !out.status.success() {
        return Err("the packaged greenpin did not run".into());
    }
    Ok(format!(
        "{} crates packaged and verified; the packaged CLI runs: {}",
        PUBLISHED.len(),
        String::from_utf8_lossy(&out.stdout).trim()
    ))
}

fn dependency_rules() -> Result<String, String> {
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

fn msrv() -> Result<String, String> {
    let manifest = std::fs::read_to_string("Cargo.toml").map_err(|e| e.to_string())?;
    let version = manifest
        .lines()
        .find_map(|l| l.trim().strip_prefix("rust-version = "))
        .map(|v| v.trim_matches('"').to_owned())
        .ok_or("no rust-version in Cargo.toml")?;
    let installed = Command::new("rustup")
        .args(["run", &version, "cargo", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        let note = format!(
            "SKIPPED: toolchain {version} not installed; `rustup toolchain install {version}` to run it"
        );
        eprintln!("{note}");
        return Ok(note);
    }
    run(Command::new("rustup").args([
        "run",
        &version,
        "cargo",
        "check",
        "--workspace",
        "--lib",
        "--bins",
    ]))
    .map(|_| format!("checked with {version}"))
}

/// The generators live next to what they generate, as tests that rewrite their files when
/// `GREENPIN_CODEGEN=write` and check them otherwise: the Indian-number prefix table
/// (greenpin-core) and the spec and error-code reference (greenpin-spec). They are picked
/// by name from the workspace's own test build, so running them compiles nothing new.
const GENERATORS: &[&str] = &[
    "in_prefix_table_is_fresh",
    "openapi_is_fresh",
    "error_codes_are_fresh",
];

fn codegen(check: bool) -> Result<(), String> {
    let mut cmd = cargo();
    cmd.args(["test", "-q", "--workspace", "--all-features", "--"])
        .args(GENERATORS);
    if !check {
        cmd.env("GREENPIN_CODEGEN", "write");
    }
    run(&mut cmd).map_err(|e| {
        if check {
            format!("generated files are stale: run `cargo xtask codegen` and commit ({e})")
        } else {
            e
        }
    })?;
    eprintln!(
        "codegen: {} generator(s) {}",
        GENERATORS.len(),
        if check { "fresh" } else { "written" }
    );
    Ok(())
}

/// Where `cargo xtask conformance` keeps its virtualenv.
const VENV: &str = "target/conformance-venv";

/// Runs schemathesis against a freshly started emulator, with the generated spec: every
/// operation, valid and invalid inputs; fails on a 5xx or an answer that breaks the spec.
/// Installs schemathesis (and openapi-spec-validator) from PyPI into its own virtualenv.
fn conformance(strict_install: bool) -> Result<String, String> {
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
    std::fs::write(dir.join("greenpin_hooks.py"), HOOKS).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("schemathesis.toml"), CONFIG).map_err(|e| e.to_string())?;
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

/// Makes every generated create's `transaction_id` unique: the service refuses a second
/// active allocation for the same one (409, code 18), and a generator repeats itself.
const HOOKS: &str = r#"# generated by cargo xtask conformance
import uuid

import schemathesis


@schemathesis.hook
def before_call(context, case, kwargs):
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("transaction_id"), str):
        positive = case.meta is None or case.meta.generation.mode.is_positive
        if positive:
            body["transaction_id"] = "tx-" + uuid.uuid4().hex
"#;

/// What counts as accepting valid data: 2xx, and the answers a valid request gets from the
/// state it meets (404 unknown, 409 conflict, 410 already deallocated). Bulk update answers
/// malformed items under a 200, one result each (documented partial success), so the
/// negative-rejection check does not apply to it. GET after DELETE finds the allocation in
/// the vault, by design, so `use_after_free` is off. docs/CONFORMANCE.md has the reasons.
const CONFIG: &str = r#"# generated by cargo xtask conformance
hooks = "greenpin_hooks"

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "410", "429"]

# 413 (too many bulk items, code 17) is a rejection too.
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422"]

# A deleted allocation stays readable in the vault until deletion_time (documented).
[checks.use_after_free]
enabled = false

[[operations]]
include-operation-id = "bulkUpdate"
checks.negative_data_rejection.enabled = false
"#;

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
        let script = "import json,sys,urllib.request\n\
            d=json.load(urllib.request.urlopen(sys.argv[1]))['data']\n\
            [print(k,v['succeeded'],v['total']) for k,v in d['operations'].items()]\n\
            print('bulk_items_applied',d['bulk_items_applied'],d['bulk_items_applied'])";
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
