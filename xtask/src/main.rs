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
        _ => {
            eprintln!("usage: cargo xtask ci | cargo xtask codegen [--check]");
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

/// Crates a crate's normal (non-dev) dependency tree must not contain.
const DEPENDENCY_RULES: &[(&str, &[&str])] =
    &[("greenpin-core", &["tokio", "reqwest", "ureq", "hyper"])];

/// Examples CI runs (each must exit 0).
const EXAMPLES: &[(&str, &str)] = &[
    ("greenpin-core", "seed_update"),
    ("greenpin-async", "update"),
    ("greenpin-blocking", "update"),
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
            run(cargo()
                .args(["run", "-q", "-p", krate, "--example", example])
                .stdout(std::process::Stdio::null()))?;
        }
        Ok(format!("{} run", EXAMPLES.len()))
    });
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
        for line in tree.lines() {
            let name = line.split_whitespace().next().unwrap_or("");
            if banned.contains(&name) {
                return Err(format!(
                    "{krate} depends on {name}; it must stay free of {banned:?}"
                ));
            }
        }
    }
    Ok(format!("{} rule(s)", DEPENDENCY_RULES.len()))
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

/// The generators live next to what they generate, as tests that rewrite their file when
/// `GREENPIN_CODEGEN=write` and check it otherwise; this runs them.
const GENERATORS: &[(&str, &str)] = &[("greenpin-core", "phone::tests::in_prefix_table_is_fresh")];

fn codegen(check: bool) -> Result<(), String> {
    for (krate, test) in GENERATORS {
        let mut cmd = cargo();
        cmd.args(["test", "-q", "-p", krate, "--lib", "--", "--exact", test]);
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
    }
    eprintln!(
        "codegen: {} generator(s) {}",
        GENERATORS.len(),
        if check { "fresh" } else { "written" }
    );
    Ok(())
}
