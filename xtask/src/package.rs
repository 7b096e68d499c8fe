//! `cargo xtask package`: the crates users install, packaged and verified as crates.io
//! would (each `.crate` built on its own against the others), then the CLI the verification
//! built from its packaged crate is run.
//!
//! Verification resolves the packaged crates among each other as registry crates, which
//! cargo treats as immutable: it reuses a build in its target directory and an extraction
//! under `$CARGO_HOME/registry/src/-<hash>/` of an earlier `0.1.0`, so an earlier run's
//! sources would stand in for this one. So this runs with a target directory and a
//! `CARGO_HOME` of its own, both emptied first; the user's registry index and download
//! cache are linked into it (read only: `--offline`), and nothing of the user's is touched.

use std::path::{Path, PathBuf};

use crate::cmd::{cargo, run};

/// The crates users install.
pub(crate) const PUBLISHED: &[&str] = &[
    "greenpin-core",
    "greenpin-emulator",
    "greenpin-async",
    "greenpin-blocking",
    "greenpin-cli",
];

const TARGET: &str = "target/package-check";

/// The user's `CARGO_HOME`.
fn user_cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
}

/// A `CARGO_HOME` of our own whose registry index and cache are the user's.
fn own_cargo_home() -> Result<PathBuf, String> {
    let home = Path::new(TARGET).join("cargo-home");
    let user = user_cargo_home().ok_or("cannot find CARGO_HOME or HOME")?;
    std::fs::create_dir_all(home.join("registry")).map_err(|e| e.to_string())?;
    for part in ["index", "cache"] {
        let from = user.join("registry").join(part);
        let link = home.join("registry").join(part);
        if from.exists() {
            #[cfg(unix)]
            std::os::unix::fs::symlink(&from, &link)
                .map_err(|e| format!("linking {}: {e}", link.display()))?;
            #[cfg(not(unix))]
            return Err("the package check links the registry cache: unix only".into());
        }
    }
    std::path::absolute(&home).map_err(|e| e.to_string())
}

pub(crate) fn package() -> Result<String, String> {
    let _ = std::fs::remove_dir_all(TARGET);
    let home = own_cargo_home()?;
    let mut cmd = cargo();
    cmd.args(["package", "--offline", "--allow-dirty"])
        .env("CARGO_TARGET_DIR", TARGET)
        .env("CARGO_HOME", &home);
    for krate in PUBLISHED {
        cmd.args(["-p", krate]);
    }
    run(&mut cmd)?;
    // Verification built the CLI from its packaged crate against the other packaged
    // crates, as `cargo install greenpin-cli` will once they are published: run it.
    let out = std::process::Command::new(Path::new(TARGET).join("debug/greenpin"))
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
