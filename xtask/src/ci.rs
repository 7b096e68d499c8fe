//! `cargo xtask ci`: every check a reviewer would run, one summary line per step with its
//! time and what it reached. A step that cannot run fails under `CI=true` rather than
//! passing vacuously; elsewhere it says SKIPPED.

use std::process::{Command, Stdio};

use crate::cmd::{Steps, cargo, run};

/// The publishable crates' tests in the feature sets their users may pick beside the
/// defaults: each crate with `--no-default-features`, and the optional features that bring
/// code of their own. greenpin-emulator has no default feature to turn off. The last item
/// names the feature of `feature-align` selected beside the set (see its manifest), so that
/// third-party crates the set's crate does not name are not compiled again with other
/// features.
const FEATURE_SETS: &[(&str, &[&str], &str)] = &[
    ("greenpin-core", &["--no-default-features"], "core"),
    ("greenpin-blocking", &["--no-default-features"], "blocking"),
    // The axum extractor's code and tests need neither TLS nor the phone metadata: tested in
    // the slim build, one build fewer than a set of its own.
    (
        "greenpin-async",
        &["--no-default-features", "--features", "greenpin-async/axum"],
        "async",
    ),
    ("greenpin-cli", &["--no-default-features"], "cli"),
];

/// Runs every [`FEATURE_SETS`] entry; a set in which no test ran fails. Says, for each, how
/// many third-party crates it compiled (those the workspace's build could not lend it).
fn feature_sets() -> Result<String, String> {
    let mut said = Vec::new();
    for (krate, args, align) in FEATURE_SETS {
        let mut cmd = cargo();
        cmd.args(["test", "-p", krate])
            .args(*args)
            .args(["-p", "feature-align", "--features"])
            .arg(format!("feature-align/{align}"));
        let (passed, compiled) = passed_tests(&mut cmd)?;
        if passed == 0 {
            return Err(format!("no test of {krate} {} ran", args.join(" ")));
        }
        said.push(format!(
            "{krate} {}: {passed} tests, {compiled} third-party crates compiled",
            args.join(" ")
        ));
    }
    Ok(said.join("; "))
}

/// Runs `cmd` (a `cargo test`), its output shown, and counts the tests that passed and the
/// third-party crates cargo compiled for it.
fn passed_tests(cmd: &mut Command) -> Result<(u32, usize), String> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start {cmd:?}: {e}"))?;
    let stderr = child.stderr.take().map(|err| {
        std::thread::spawn(move || {
            let mut compiled = std::collections::BTreeSet::new();
            for line in std::io::BufRead::lines(std::io::BufReader::new(err)).map_while(Result::ok)
            {
                eprintln!("{line}");
                compiled.extend(third_party_compiled(&line));
            }
            compiled.len()
        })
    });
    let mut text = String::new();
    if let Some(mut out) = child.stdout.take() {
        std::io::Read::read_to_string(&mut out, &mut text).map_err(|e| e.to_string())?;
    }
    print!("{text}");
    let status = child.wait().map_err(|e| e.to_string())?;
    let compiled = stderr.and_then(|t| t.join().ok()).unwrap_or(0);
    if !status.success() {
        return Err(format!("{cmd:?} failed ({status})"));
    }
    let passed = text
        .lines()
        .filter_map(|l| l.strip_prefix("test result: ok. "))
        .filter_map(|l| l.split(' ').next()?.parse::<u32>().ok())
        .sum();
    Ok((passed, compiled))
}

/// The `name vVERSION` of a cargo `Compiling` line for a crate from a registry (a path
/// crate's line ends with its directory in parentheses).
fn third_party_compiled(line: &str) -> Option<String> {
    let rest = line.trim_start().strip_prefix("Compiling ")?;
    let mut words = rest.split(' ');
    let (name, version) = (words.next()?, words.next()?);
    (words.next().is_none() && version.starts_with('v')).then(|| format!("{name} {version}"))
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
        let (passed, _) = passed_tests(cargo().args(["test", "--workspace"]))?;
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

#[cfg(test)]
mod tests {
    use super::third_party_compiled;

    #[test]
    fn only_registry_crates_count_as_third_party() {
        assert_eq!(
            third_party_compiled("   Compiling serde v1.0.229").as_deref(),
            Some("serde v1.0.229")
        );
        assert_eq!(
            third_party_compiled("   Compiling greenpin-core v0.1.0 (/src/crates/greenpin-core)"),
            None
        );
        assert_eq!(third_party_compiled("    Finished `test` profile"), None);
        assert_eq!(third_party_compiled("   Checking serde v1.0.229"), None);
    }
}
