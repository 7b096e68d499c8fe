//! `cargo xtask`: the project's own automation, in Rust so it runs wherever cargo does, and
//! dependency-free so it builds in seconds on every CI run. One module per subcommand:
//!
//! | command | what it does |
//! |---|---|
//! | `cargo xtask ci` | every check CI runs, one timed summary line each ([`ci`]) |
//! | `cargo xtask deps` | the dependency rules of docs/ARCHITECTURE.md ([`deps`]) |
//! | `cargo xtask circles` | no two modules of a library import each other ([`circles`]) |
//! | `cargo xtask codegen [--check]` | write, or check fresh, the generated files ([`codegen`]) |
//! | `cargo xtask conformance [--mutations]` | schemathesis and logic checks against the emulator; with `--mutations`, proof that five known faults fail it ([`conformance`]) |
//! | `cargo xtask mutants [--in-diff REF] [--shard K/N]` | mutation testing of the core and the emulator's logic ([`mutants`]) |
//! | `cargo xtask dist [--check]` | the emulator as a static Linux binary, a Python wheel and an npm package in `target/dist/`; with `--check`, each installed fresh and its tests run ([`dist`]) |
//! | `cargo xtask package` | package and verify the published crates ([`package`]) |
//! | `cargo xtask public-api [--write]` | check, or rewrite, the public-API snapshots ([`public_api`]) |
//! | `cargo xtask msrv` | check the workspace with its `rust-version` ([`toolchain`]) |
//! | `cargo xtask setup [--all]` | install what the checks need, saying each thing: toolchains by name, tools into `.tools/`, Python tools into `.tools/venv`, Chromium as root ([`setup`]) |
//!
//! Scripts the checks need (Python for schemathesis, its configuration) are files in
//! `xtask/scripts/`, included at build time.

mod browser;
mod ci;
mod circles;
mod cmd;
mod codegen;
mod conformance;
mod deps;
mod dist;
mod facade;
mod mutants;
mod package;
mod public_api;
mod reach;
mod setup;
mod toolchain;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <command>
  ci                     every check CI runs
  deps                   the dependency rules
  circles                no import circles between modules
  codegen [--check]      write (or check) the generated files
  conformance [--mutations]
                         schemathesis and logic checks against the emulator
  mutants [--in-diff REF] [--shard K/N]
                         mutation testing (cargo-mutants) of the core and the emulator
  dist [--check]         the emulator's static binary, wheel and npm package into
                         target/dist/ (--check: install each fresh and run its tests)
  package                package and verify the published crates
  public-api [--write]   check (or rewrite) the public-API snapshots
  msrv                   check with the declared rust-version
  setup [--all]          install what the checks need (toolchains by rustup, tools into
                         .tools/, Python tools into .tools/venv, Chromium as root);
                         --all adds cargo-mutants";

fn main() -> ExitCode {
    if std::env::var_os(public_api::AS_RUSTDOC).is_some() {
        return public_api::as_rustdoc();
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().skip(1).any(|a| a == name);
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci::ci(),
        Some("codegen") => codegen::codegen(flag("--check")),
        Some("conformance") if flag("--mutations") => {
            conformance::mutations().map(|n| eprintln!("conformance: {n}"))
        }
        Some("conformance") => conformance::conformance(false).map(drop),
        Some("mutants") => mutants::mutants(&args[1..]).map(|n| eprintln!("mutants: {n}")),
        Some("dist") => dist::dist(flag("--check")).map(|n| eprintln!("dist: {n}")),
        Some("package") => package::package().map(|n| eprintln!("package: {n}")),
        Some("circles") => circles::circles().map(|n| eprintln!("circles: {n}")),
        Some("deps") => deps::dependency_rules().map(|n| eprintln!("dependency rules: {n}")),
        Some("public-api") => {
            public_api::public_api(flag("--write")).map(|n| eprintln!("public API: {n}"))
        }
        Some("msrv") => toolchain::msrv().map(|n| eprintln!("msrv: {n}")),
        Some("setup") => setup::setup(flag("--all")).map(|n| eprintln!("setup: {n}")),
        _ => {
            eprintln!("{USAGE}");
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
