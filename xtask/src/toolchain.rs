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

/// Members that declare a `rust-version` of their own (higher than the workspace's), as
/// (package name, version).
fn own_rust_versions() -> Result<Vec<(String, String)>, String> {
    let mut own = Vec::new();
    let dir = std::fs::read_dir("crates").map_err(|e| format!("crates: {e}"))?;
    for entry in dir.flatten() {
        let Ok(manifest) = std::fs::read_to_string(entry.path().join("Cargo.toml")) else {
            continue;
        };
        let field = |key: &str| {
            manifest
                .lines()
                .find_map(|l| l.trim().strip_prefix(key))
                .map(|v| v.trim().trim_matches('"').to_owned())
        };
        if let (Some(name), Some(version)) = (field("name = "), field("rust-version = ")) {
            own.push((name, version));
        }
    }
    own.sort();
    Ok(own)
}

/// `cargo xtask msrv`: the libraries and binaries checked with the declared
/// `rust-version` — the workspace's for every member that inherits it, and each of the
/// others with its own — installing the toolchains when missing.
pub(crate) fn msrv() -> Result<String, String> {
    let version = msrv_version()?;
    let own = own_rust_versions()?;
    // The default targets: each library and binary (no tests, benches or examples).
    let check = |toolchain: &str, packages: &[String]| -> Result<(), String> {
        ensure(toolchain)?;
        run(Command::new("rustup")
            .args(["run", toolchain, "cargo", "check", "--locked"])
            .args(packages)
            .env("CARGO_TARGET_DIR", format!("target/msrv-{toolchain}")))
    };
    let mut workspace = vec!["--workspace".to_owned()];
    for (name, _) in &own {
        workspace.extend(["--exclude".to_owned(), name.clone()]);
    }
    check(&version, &workspace)?;
    let mut said = vec![format!("the workspace with {version}")];
    for (name, own_version) in &own {
        check(own_version, &["-p".to_owned(), name.clone()])?;
        said.push(format!("{name} with {own_version}"));
    }
    Ok(format!("checked {}", said.join(", ")))
}
