//! Toolchains the checks need besides the machine's own: the declared MSRV, and the pinned
//! release whose rustdoc writes the JSON of the public-API snapshot
//! ([`crate::public_api::API_TOOLCHAIN`]). `cargo xtask setup` installs them
//! by name with rustup; a check that misses one fails, naming that command.

use std::process::Command;

use crate::cmd::run;

/// Whether rustup has `toolchain`.
pub(crate) fn installed(toolchain: &str) -> bool {
    Command::new("rustup")
        .args(["run", toolchain, "rustc", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `Err` naming `cargo xtask setup` when `toolchain` is missing.
pub(crate) fn require(toolchain: &str) -> Result<(), String> {
    if installed(toolchain) {
        Ok(())
    } else {
        Err(format!(
            "the Rust toolchain {toolchain} is not installed: run `cargo xtask setup`"
        ))
    }
}

/// The toolchains `cargo xtask setup` installs.
pub(crate) fn needed() -> Result<Vec<String>, String> {
    Ok(vec![
        crate::public_api::API_TOOLCHAIN.to_owned(),
        msrv_version()?,
    ])
}

/// The workspace's `rust-version`: one for every member.
pub(crate) fn msrv_version() -> Result<String, String> {
    let manifest = std::fs::read_to_string("Cargo.toml").map_err(|e| e.to_string())?;
    manifest
        .lines()
        .find_map(|l| l.trim().strip_prefix("rust-version = "))
        .map(|v| v.trim_matches('"').to_owned())
        .ok_or_else(|| "no rust-version in Cargo.toml".into())
}

/// `cargo xtask msrv`: every published library and binary checked with the declared
/// `rust-version` (no tests, benches or examples: users build those with their own
/// toolchain), against the committed lock. The unpublished members (the spec generator, the
/// shared tests, xtask) are built only here, with the stable toolchain.
pub(crate) fn msrv() -> Result<String, String> {
    let version = msrv_version()?;
    require(&version)?;
    let mut cmd = Command::new("rustup");
    crate::cmd::incremental_as_set(&mut cmd)
        .args(["run", &version, "cargo", "check", "--locked"])
        .env(
            "CARGO_TARGET_DIR",
            crate::cmd::target_dir().join(format!("msrv-{version}")),
        );
    for krate in crate::package::PUBLISHED {
        cmd.args(["-p", krate]);
    }
    run(&mut cmd)?;
    Ok(format!(
        "{} published crates checked with {version}",
        crate::package::PUBLISHED.len()
    ))
}
