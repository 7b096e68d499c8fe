//! `cargo xtask ci`: every check a reviewer would run, one summary line per step with its
//! time and what it reached. A step that cannot run fails under `CI=true` rather than
//! passing vacuously; elsewhere it says SKIPPED.

use std::process::{Command, Stdio};

use crate::cmd::{Steps, cargo, output, run};

/// Examples CI runs (each must exit 0).
const EXAMPLES: &[(&str, &str)] = &[
    ("greenpin-core", "documented_update"),
    ("greenpin-async", "async_update"),
    ("greenpin-blocking", "blocking_update"),
];

pub(crate) fn ci() -> Result<(), String> {
    let mut s = Steps::new();
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
    s.step("dependency rules", crate::deps::dependency_rules);
    s.step("import circles", crate::circles::circles);
    s.step("browser for the dashboard test", crate::browser::for_ci);
    s.step("tests", || {
        run(cargo().args(["test", "--workspace", "--all-features"])).map(|_| String::new())
    });
    s.step("greenpin-core without international numbers", || {
        // The workspace's tests turn the feature on (the emulator and the CLI need it):
        // the default build of the core is tested on its own.
        let out = output(cargo().args([
            "test",
            "-p",
            "greenpin-core",
            "--test",
            "without_international_numbers",
        ]))?;
        let passed: u32 = out
            .lines()
            .filter_map(|l| l.strip_prefix("test result: ok. "))
            .filter_map(|l| l.split(' ').next()?.parse::<u32>().ok())
            .sum();
        if passed == 0 {
            return Err("no test of the core without international numbers ran".into());
        }
        Ok(format!(
            "{passed} tests, greenpin-core's default build (no phonenumber)"
        ))
    });
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
            let built = std::path::Path::new("target/debug/examples").join(example);
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
    s.step("codegen freshness", || {
        crate::codegen::codegen(true)
            .map(|_| format!("{} generator(s)", crate::codegen::GENERATORS.len()))
    });
    s.step("conformance (schemathesis)", || {
        crate::conformance::conformance(false)
    });
    s.step("msrv", crate::toolchain::msrv);
    s.finish()
}
