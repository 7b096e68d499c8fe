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
const FEATURE_SETS: &[FeatureSet] = &[
    FeatureSet {
        krate: "greenpin-core",
        args: &["--no-default-features"],
        align: "core",
        must_run: "other_forms_are_refused_naming_the_feature",
    },
    FeatureSet {
        krate: "greenpin-blocking",
        args: &["--no-default-features"],
        align: "blocking",
        must_run: "the_slim_build_refuses_what_it_cannot_check_whatever_the_emulator_turns_on",
    },
    // The axum extractor's code and tests need neither TLS nor the phone metadata: tested in
    // the slim build, one build fewer than a set of its own.
    FeatureSet {
        krate: "greenpin-async",
        args: &["--no-default-features", "--features", "greenpin-async/axum"],
        align: "async",
        must_run: "json_callbacks_with_the_secret_in_the_path",
    },
    FeatureSet {
        krate: "greenpin-cli",
        args: &["--no-default-features"],
        align: "cli",
        must_run: "without_its_server_the_command_has_no_demo_and_no_listen",
    },
];

/// A crate's tests in one feature set.
struct FeatureSet {
    krate: &'static str,
    args: &'static [&'static str],
    /// The feature of `feature-align` selected beside it.
    align: &'static str,
    /// A test that runs only in this set's build (its name as libtest prints it): a feature
    /// cargo dropped, or one a dependency turned back on, would otherwise pass unnoticed on
    /// the tests left.
    must_run: &'static str,
}

/// Runs every [`FEATURE_SETS`] entry; a set in which no test ran fails. Says, for each, how
/// many third-party crates it compiled (those the workspace's build could not lend it).
fn feature_sets() -> Result<String, String> {
    let mut said = Vec::new();
    for set in FEATURE_SETS {
        let mut cmd = cargo();
        cmd.args(["test", "-p", set.krate])
            .args(set.args)
            .args(["-p", "feature-align", "--features"])
            .arg(format!("feature-align/{}", set.align));
        let ran = passed_tests(&mut cmd)?;
        let what = format!("{} {}", set.krate, set.args.join(" "));
        if ran.passed == 0 {
            return Err(format!("no test of {what} ran"));
        }
        if !ran.names.iter().any(|n| n.ends_with(set.must_run)) {
            return Err(format!("{what}: {} did not run", set.must_run));
        }
        said.push(format!(
            "{what}: {} tests, {} third-party crates compiled",
            ran.passed, ran.compiled
        ));
    }
    Ok(said.join("; "))
}

/// What a `cargo test` did.
struct Ran {
    passed: u32,
    /// The tests that passed, by name.
    names: Vec<String>,
    /// The third-party crates cargo compiled for it.
    compiled: usize,
}

/// Threads for each test binary: twice the cores, unless `RUST_TEST_THREADS` says. The
/// suite's tests wait on sockets, timeouts and child processes more than they compute
/// (45 % of two cores busy at two threads); at four on two cores the whole run took 46-48 s
/// against 58 s, and four runs in a row passed.
fn test_threads() -> String {
    std::env::var("RUST_TEST_THREADS").unwrap_or_else(|_| {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        (2 * cores).to_string()
    })
}

/// Runs `cmd` (a `cargo test`), its output shown, and says what it did.
fn passed_tests(cmd: &mut Command) -> Result<Ran, String> {
    let mut child = cmd
        .env("RUST_TEST_THREADS", test_threads())
        // Plain `Compiling` lines to count, whatever the terminal or CI asks for.
        .env("CARGO_TERM_COLOR", "never")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start {cmd:?}: {e}"))?;
    let stderr = child.stderr.take().map(|err| {
        std::thread::spawn(move || {
            let mut compiled = std::collections::BTreeSet::new();
            let mut err = std::io::BufReader::new(err);
            let mut line = Vec::new();
            while std::io::BufRead::read_until(&mut err, b'\n', &mut line).is_ok_and(|n| n > 0) {
                let text = String::from_utf8_lossy(&line);
                eprint!("{text}");
                compiled.extend(third_party_compiled(text.trim_end()));
                line.clear();
            }
            compiled.len()
        })
    });
    let mut out = Vec::new();
    if let Some(mut stdout) = child.stdout.take() {
        std::io::Read::read_to_end(&mut stdout, &mut out).map_err(|e| e.to_string())?;
    }
    let text = String::from_utf8_lossy(&out);
    print!("{text}");
    let status = child.wait().map_err(|e| e.to_string())?;
    let compiled = stderr.and_then(|t| t.join().ok()).unwrap_or(0);
    if !status.success() {
        return Err(format!("{cmd:?} failed ({status})"));
    }
    Ok(Ran {
        passed: text
            .lines()
            .filter_map(|l| l.strip_prefix("test result: ok. "))
            .filter_map(|l| l.split(' ').next()?.parse::<u32>().ok())
            .sum(),
        names: text
            .lines()
            .filter_map(|l| l.strip_prefix("test ")?.strip_suffix(" ... ok"))
            .map(str::to_owned)
            .collect(),
        compiled,
    })
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
        let passed = passed_tests(cargo().args(["test", "--workspace"]))?.passed;
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
