//! Debian's Chromium and its WebDriver, for the dashboard's browser test: `cargo xtask
//! setup` installs them with apt-get as root (CI's machine), saying so first; elsewhere it
//! says how. The `ci` step only looks: the test says SKIPPED without them, which fails
//! under `CI=true`.

use std::path::Path;
use std::process::{Command, Stdio};

const CHROMIUM: &str = "/usr/bin/chromium";
const DRIVER: &str = "/usr/bin/chromedriver";

/// Whether the browser test can run here.
pub(crate) fn present() -> bool {
    Path::new(CHROMIUM).exists() && Path::new(DRIVER).exists()
}

/// Installs them when missing (root and apt-get needed), announcing it.
pub(crate) fn install() -> Result<String, String> {
    if present() {
        return Ok("chromium and chromedriver present".into());
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !root || !Path::new("/usr/bin/apt-get").exists() {
        return Err(
            "chromium and chromium-driver are missing, and installing them needs root and apt-get"
                .into(),
        );
    }
    eprintln!(
        "xtask: installing Debian's chromium and chromium-driver with apt-get (for the dashboard's browser test)"
    );
    let install = || {
        Command::new("apt-get")
            .args([
                "install",
                "-y",
                "-q",
                "--no-install-recommends",
                "chromium",
                "chromium-driver",
            ])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !install() {
        let _ = Command::new("apt-get")
            .args(["update", "-q"])
            .stdout(Stdio::null())
            .status();
        install();
    }
    if present() {
        Ok("installed chromium and chromium-driver with apt-get".into())
    } else {
        Err("apt-get could not install chromium and chromium-driver".into())
    }
}

/// What `cargo xtask setup` does: installs them as root, or says how.
pub(crate) fn setup() -> Result<String, String> {
    if present() {
        return Ok("chromium present".into());
    }
    match install() {
        Ok(done) => Ok(done),
        Err(why) if !crate::cmd::in_ci() => Ok(format!(
            "{why}: the dashboard test will say SKIPPED (as root: apt-get install chromium chromium-driver)"
        )),
        Err(why) => Err(why),
    }
}

/// The `ci` step: whether the browser test can run.
pub(crate) fn for_ci() -> Result<String, String> {
    if present() {
        Ok("present".into())
    } else if crate::cmd::in_ci() {
        Err("chromium is missing: run `cargo xtask setup` as root".into())
    } else {
        Ok("not installed: the dashboard test will say SKIPPED (`cargo xtask setup` as root installs it)".into())
    }
}
