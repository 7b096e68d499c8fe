//! Toolchains the checks need besides the machine's own: the declared MSRV, and a pinned
//! nightly for rustdoc's JSON (the public-API snapshot). Installed with rustup when missing
//! (`--profile minimal`), so no check is skipped for want of one.

use std::process::Command;

use crate::cmd::run;

/// The nightly whose rustdoc JSON `cargo-public-api` reads; pinned so the snapshot does
/// not change with the day.
pub(crate) const NIGHTLY: &str = "nightly-2026-05-19";

/// Installs `toolchain` with rustup when it is not there.
pub(crate) fn ensure(toolchain: &str) -> Result<(), String> {
    let installed = Command::new("rustup")
        .args(["run", toolchain, "rustc", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if installed {
        return Ok(());
    }
    eprintln!("xtask: installing toolchain {toolchain} with rustup (--profile minimal)");
    run(Command::new("rustup").args(["toolchain", "install", toolchain, "--profile", "minimal"]))
}

/// The workspace's `rust-version`.
pub(crate) fn msrv_version() -> Result<String, String> {
    let manifest = std::fs::read_to_string("Cargo.toml").map_err(|e| e.to_string())?;
    manifest
        .lines()
        .find_map(|l| l.trim().strip_prefix("rust-version = "))
        .map(|v| v.trim_matches('"').to_owned())
        .ok_or_else(|| "no rust-version in Cargo.toml".into())
}

/// `cargo xtask msrv`: the libraries and binaries checked with the declared
/// `rust-version`, installing that toolchain when missing.
pub(crate) fn msrv() -> Result<String, String> {
    let version = msrv_version()?;
    ensure(&version)?;
    run(Command::new("rustup")
        .args([
            "run",
            &version,
            "cargo",
            "check",
            "--workspace",
            "--lib",
            "--bins",
            "--locked",
        ])
        .env("CARGO_TARGET_DIR", "target/msrv"))
    .map(|_| format!("checked with {version}"))
}
