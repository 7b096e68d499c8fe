//! `cargo xtask setup`: installs what the checks need, saying each thing before it does it,
//! and nothing anywhere else:
//!
//! - Rust toolchains, by name, with rustup (the pinned release whose rustdoc writes the
//!   JSON the public-API snapshot reads, and the declared MSRV);
//! - Rust tools with `cargo install --root .tools` (never the user's `~/.cargo/bin`);
//! - Python tools in a virtualenv, `.tools/venv` (never the user's site-packages);
//! - Debian's Chromium and its driver for the dashboard's browser test, with apt-get, only
//!   as root (CI's machine); elsewhere it says how.
//!
//! `cargo xtask ci` runs it as its first step. Every other command that misses a tool fails
//! and names `cargo xtask setup`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cmd::{cargo, run};

/// Where the project's own tools live (gitignored).
pub(crate) const ROOT: &str = ".tools";

/// A Rust tool installed with `cargo install --root .tools`.
pub(crate) struct RustTool {
    pub(crate) name: &'static str,
    pub(crate) version: &'static str,
    /// Installed by plain `setup`, or only by `setup --all` (tools no CI step runs).
    pub(crate) for_ci: bool,
}

pub(crate) const RUST_TOOLS: &[RustTool] = &[
    // Reads rustdoc JSON format 57, which Rust 1.95's rustdoc writes: it moves with
    // `public_api::API_TOOLCHAIN`.
    RustTool {
        name: "cargo-public-api",
        version: "0.52.0",
        for_ci: true,
    },
    RustTool {
        name: "cargo-mutants",
        version: "27.1.0",
        for_ci: false,
    },
];

/// Python packages of the virtualenv, pinned.
pub(crate) const PYTHON_PACKAGES: &[&str] = &[
    "schemathesis==4.32.5",
    "openapi-spec-validator==0.9.0",
    "maturin==1.9.6",
    "pytest==8.4.2",
];

/// The absolute path of `.tools/<rel>` (so commands run elsewhere find it).
pub(crate) fn path(rel: &str) -> PathBuf {
    std::path::absolute(Path::new(ROOT).join(rel)).unwrap_or_else(|_| Path::new(ROOT).join(rel))
}

/// The binary of an installed Rust tool; `Err` naming `cargo xtask setup` when missing.
pub(crate) fn rust_tool(name: &str) -> Result<PathBuf, String> {
    let bin = path(&format!("bin/{name}"));
    if bin.exists() {
        Ok(bin)
    } else {
        Err(format!(
            "{name} is not installed in {ROOT}/: run `cargo xtask setup{}`",
            if RUST_TOOLS.iter().any(|t| t.name == name && !t.for_ci) {
                " --all"
            } else {
                ""
            }
        ))
    }
}

/// The virtualenv's `bin/<name>`; `Err` naming `cargo xtask setup` when missing.
pub(crate) fn python_tool(name: &str) -> Result<PathBuf, String> {
    let bin = path(&format!("venv/bin/{name}"));
    if bin.exists() {
        Ok(bin)
    } else {
        Err(format!(
            "{name} is not in {ROOT}/venv: run `cargo xtask setup`"
        ))
    }
}

fn say(what: &str) {
    eprintln!("xtask setup: {what}");
}

/// `cargo xtask setup [--all]`.
pub(crate) fn setup(all: bool) -> Result<String, String> {
    let mut done = Vec::new();
    toolchains(&mut done)?;
    rust_tools(all, &mut done)?;
    python_packages(&mut done)?;
    done.extend(crate::dist::setup()?);
    done.push(crate::browser::setup()?);
    Ok(if done.is_empty() {
        "everything present".into()
    } else {
        done.join("; ")
    })
}

/// The toolchains the checks name (rustdoc JSON's release, the MSRV), with rustup.
fn toolchains(done: &mut Vec<String>) -> Result<(), String> {
    for toolchain in crate::toolchain::needed()? {
        if crate::toolchain::installed(&toolchain) {
            continue;
        }
        say(&format!(
            "installing Rust toolchain {toolchain} with rustup (--profile minimal)"
        ));
        run(Command::new("rustup").args([
            "toolchain",
            "install",
            &toolchain,
            "--profile",
            "minimal",
        ]))?;
        done.push(toolchain);
    }
    Ok(())
}

/// The Rust tools, each at its pinned version, into `.tools/` (never `~/.cargo/bin`).
fn rust_tools(all: bool, done: &mut Vec<String>) -> Result<(), String> {
    for tool in RUST_TOOLS.iter().filter(|t| all || t.for_ci) {
        let bin = path(&format!("bin/{}", tool.name));
        let says_version = |args: &[&str]| {
            Command::new(&bin)
                .args(args)
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(tool.version))
        };
        if says_version(&[tool.name.trim_start_matches("cargo-"), "--version"])
            || says_version(&["--version"])
        {
            continue;
        }
        say(&format!(
            "installing {} {} with cargo install --root {ROOT}",
            tool.name, tool.version
        ));
        run(cargo().args([
            "install",
            "--locked",
            "--root",
            ROOT,
            tool.name,
            "--version",
            tool.version,
        ]))?;
        done.push(format!("{} {}", tool.name, tool.version));
    }
    Ok(())
}

/// The Python packages, pinned, into `.tools/venv` (made first if missing).
fn python_packages(done: &mut Vec<String>) -> Result<(), String> {
    let python = path("venv/bin/python");
    if does_not_run(&path("venv")) {
        // A virtualenv does not move: its scripts name the interpreter by the path it was
        // made at, and fail once that is gone (a moved or copied checkout).
        say(&format!(
            "the virtualenv in {ROOT}/venv does not run (made at another path?): making it again"
        ));
        std::fs::remove_dir_all(path("venv")).map_err(|e| format!("{ROOT}/venv: {e}"))?;
    }
    if !python.exists() {
        say(&format!("creating a Python virtualenv in {ROOT}/venv"));
        run(Command::new("python3")
            .args(["-m", "venv"])
            .arg(path("venv")))?;
    }
    let have = Command::new(&python)
        .args(["-m", "pip", "freeze"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).to_lowercase())
        .unwrap_or_default();
    let missing: Vec<&str> = PYTHON_PACKAGES
        .iter()
        .copied()
        .filter(|p| !have.contains(&p.to_lowercase()))
        .collect();
    if !missing.is_empty() {
        say(&format!(
            "installing {} into {ROOT}/venv with pip",
            missing.join(", ")
        ));
        run(Command::new(&python)
            .args(["-m", "pip", "install", "-q"])
            .args(&missing))?;
        done.extend(missing.iter().map(|p| (*p).to_owned()));
    }
    Ok(())
}

/// Whether the virtualenv at `venv` has a `pip` script that does not start: its
/// interpreter, named by the path the virtualenv was made at (directly, or through a shell
/// wrapper when that path is long), is not there.
fn does_not_run(venv: &Path) -> bool {
    let pip = venv.join("bin/pip");
    pip.exists()
        && !Command::new(&pip)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_virtualenv_made_at_another_path_is_noticed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("xtask-venv-{}", std::process::id()));
        let venv = dir.join("venv");
        std::fs::create_dir_all(venv.join("bin")).unwrap();
        let pip = |script: &str| {
            let at = venv.join("bin/pip");
            std::fs::write(&at, script).unwrap();
            std::fs::set_permissions(&at, std::fs::Permissions::from_mode(0o755)).unwrap();
        };
        assert!(!does_not_run(&venv), "no pip script: nothing to say");
        pip("#!/bin/sh\nexit 0\n");
        assert!(!does_not_run(&venv));
        // The interpreter it was made with is gone: directly, and through pip's shell wrapper.
        pip("#!/elsewhere/.tools/venv/bin/python3\nimport sys\n");
        assert!(does_not_run(&venv));
        pip(
            "#!/bin/sh\n'''exec' \"/elsewhere/a long path/venv/bin/python3\" \"$0\" \"$@\"\n' '''\n",
        );
        assert!(does_not_run(&venv));
        let _ = std::fs::remove_dir_all(dir);
    }
}
