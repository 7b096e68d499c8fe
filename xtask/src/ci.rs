//! `cargo xtask ci`: every check a reviewer would run, one summary line per step with its
//! time and what it reached. A step that cannot run fails under `CI=true` rather than
//! passing vacuously; elsewhere it says SKIPPED.

use std::process::{Command, Stdio};

use crate::cmd::{Steps, cargo, run};

/// The publishable crates' tests in the feature sets their users may pick beside the
/// defaults: each crate with `--no-default-features`, and the optional features that bring
/// code of their own. greenpin-emulator has no default feature to turn off.
const FEATURE_SETS: &[(&str, &[&str])] = &[
    ("greenpin-core", &["--no-default-features"]),
    ("greenpin-blocking", &["--no-default-features"]),
    // The axum extractor's code and tests need neither TLS nor the phone metadata: tested in
    // the slim build, one build fewer than a set of its own.
    (
        "greenpin-async",
        &["--no-default-features", "--features", "axum"],
    ),
    ("greenpin-cli", &["--no-default-features"]),
];

/// Runs every [`FEATURE_SETS`] entry; a set in which no test ran fails.
fn feature_sets() -> Result<String, String> {
    let mut said = Vec::new();
    for (krate, args) in FEATURE_SETS {
        let passed = passed_tests(cargo().args(["test", "-p", krate]).args(*args))?;
        if passed == 0 {
            return Err(format!("no test of {krate} {} ran", args.join(" ")));
        }
        said.push(format!("{krate} {}: {passed}", args.join(" ")));
    }
    Ok(said.join("; "))
}

/// Runs `cmd` (a `cargo test`), its output shown, and counts the tests that passed.
fn passed_tests(cmd: &mut Command) -> Result<u32, String> {
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not start {cmd:?}: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    print!("{text}");
    if !out.status.success() {
        return Err(format!("{cmd:?} failed ({})", out.status));
    }
    Ok(text
        .lines()
        .filter_map(|l| l.strip_prefix("test result: ok. "))
        .filter_map(|l| l.split(' ').next()?.parse::<u32>().ok())
        .sum())
}

/// Examples CI runs (each must exit 0).
const EXAMPLES: &[(&str, &str)] = &[
    ("greenpin-core", "documented_update"),
    ("greenpin-async", "async_update"),
    ("greenpin-blocking", "blocking_update"),
];

pub(crate) fn ci() -> Result<(), String> {
    crate::cmd::without_incremental();
    let mut s = Steps::new();
    s.step("setup", || crate::setup::setup(false));
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
    s.step("browser for the dashboard test", crate::browser::for_ci);
    // The workspace's tests include xtask's: the dependency rules over every feature, the
    // import circles, the public-API reachability walk, and the generated files' freshness
    // (each generator is a test that compares its file) are ordinary tests there.
    s.step("tests (default features, as users get them)", || {
        let passed = passed_tests(cargo().args(["test", "--workspace"]))?;
        Ok(format!(
            "{passed} tests, the structural checks and {} generators' freshness among them",
            crate::codegen::GENERATORS.len()
        ))
    });
    s.step("tests of other feature sets", feature_sets);
    s.step("rustdoc (warnings and broken links denied)", || {
        run(cargo()
            .args(["doc", "--workspace", "--no-deps", "--all-features"])
            .env("RUSTDOCFLAGS", "-D warnings"))
        .map(|_| String::new())
    });
    s.step("examples", || {
        for (krate, example) in EXAMPLES {
            // `cargo test` has built them with the workspace's features: run those
            // binaries rather than rebuilding each crate's feature set for `cargo run`.
            let built = crate::cmd::target_dir()
                .join("debug/examples")
                .join(example);
            let mut cmd = if built.exists() {
                Command::new(built)
            } else {
                let mut c = cargo();
                c.args(["run", "-q", "-p", krate, "--example", example]);
                c
            };
            run(cmd.stdout(Stdio::null()))?;
        }
        Ok(format!("{} run", EXAMPLES.len()))
    });
    s.step("public API snapshot", || {
        crate::public_api::public_api(false)
    });
    s.step("package", crate::package::package);
    s.step("the emulator for other languages, installed fresh", || {
        crate::dist::dist(true)
    });
    s.step("conformance (schemathesis)", || {
        crate::conformance::conformance(true)
    });
    s.step("msrv", crate::toolchain::msrv);
    s.finish()
}
