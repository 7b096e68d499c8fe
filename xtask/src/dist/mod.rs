//! `cargo xtask dist [--check]`: the emulator packaged for people who have no Rust
//! toolchain, into `target/dist/`:
//!
//! - `greenpin-emulator-VERSION-x86_64-unknown-linux-musl.tar.gz`, a static Linux binary
//!   (with the README and licences), and its `.sha256` (`sha256sum -c` reads it);
//! - a Python wheel built by maturin (`bindings = "bin"`), tagged for glibc and musl Linux
//!   alike since the binary is static: pip puts `greenpin-emulator` on PATH beside the
//!   pure-Python package `greenpin_emulator` and its pytest plugin;
//! - `greenpin-emulator-VERSION.tgz`, the npm package with the same binary and its
//!   JavaScript helper.
//!
//! The packages are reproducible (the same sources give the same bytes): sorted names,
//! fixed times and owners, no gzip timestamp.
//! With `--check`, each package is then installed the way a user installs it — the wheel
//! into a fresh virtualenv (offline, from `.tools/wheels`), the tarball into a fresh npm
//! project — and its test file run there, against the installed binary; a check in which
//! no test ran fails. `setup` adds the musl target and fetches pytest's wheels.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cmd::{output, run};

mod installed;

/// The static Linux target of the emulator's binary.
pub(crate) const MUSL: &str = "x86_64-unknown-linux-musl";
/// Where the packaging sources live.
pub(super) const PACKAGING: &str = "crates/greenpin-emulator/packaging";
/// The pytest the fresh virtualenv installs, from `.tools/wheels` (fetched by `setup`).
pub(super) const PYTEST: &str = "pytest==8.4.2";

/// What `cargo xtask setup` does for `dist`: the musl target, by name, with rustup, and
/// pytest's wheels into `.tools/wheels` so the check installs offline.
pub(crate) fn setup() -> Result<Vec<String>, String> {
    let mut done = Vec::new();
    let have = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains(MUSL))
        .unwrap_or(false);
    if !have {
        eprintln!(
            "xtask setup: adding the Rust target {MUSL} with rustup (the emulator's static binary)"
        );
        run(Command::new("rustup").args(["target", "add", MUSL]))?;
        done.push(format!("target {MUSL}"));
    }
    let wheels = crate::setup::path("wheels");
    let version = PYTEST.trim_start_matches("pytest==");
    let fetched = std::fs::read_dir(&wheels).is_ok_and(|d| {
        d.flatten().any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(&format!("pytest-{version}-"))
        })
    });
    if !fetched {
        eprintln!(
            "xtask setup: downloading {PYTEST} and its dependencies' wheels into {}/wheels with pip \
             (the packaged emulator's check installs them offline)",
            crate::setup::ROOT
        );
        run(Command::new(crate::setup::python_tool("python")?)
            .args([
                "-m",
                "pip",
                "download",
                "-q",
                "--only-binary",
                ":all:",
                "-d",
            ])
            .arg(&wheels)
            .arg(PYTEST))?;
        done.push(format!("{PYTEST} wheels"));
    }
    Ok(done)
}

/// The packages built.
pub(crate) struct Dist {
    pub(crate) dir: PathBuf,
    pub(crate) binary_archive: PathBuf,
    pub(crate) wheel: PathBuf,
    pub(crate) npm: PathBuf,
}

/// `cargo xtask dist [--check]`.
pub(crate) fn dist(check: bool) -> Result<String, String> {
    let d = build()?;
    let mut said = format!(
        "{}, {}, {} in {}",
        name(&d.binary_archive),
        name(&d.wheel),
        name(&d.npm),
        d.dir.display()
    );
    if check {
        let (py, js) = (installed::check_wheel(&d)?, installed::check_npm(&d)?);
        said.push_str(&format!(
            "; installed fresh: pytest {py} passed, node --test {js} passed"
        ));
    }
    Ok(said)
}

fn name(p: &Path) -> String {
    p.file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}

/// Builds the three packages into `target/dist/` (emptied first).
pub(crate) fn build() -> Result<Dist, String> {
    let version = workspace_version()?;
    let target = crate::cmd::target_dir();
    let dir = target.join("dist");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;

    // The wheel first: maturin builds (and strips) the release binary the others reuse.
    run(Command::new(crate::setup::python_tool("maturin")?)
        .current_dir(format!("{PACKAGING}/python"))
        // Fixed times in the wheel's zip: the same sources make the same wheel.
        .env("SOURCE_DATE_EPOCH", "315532800")
        // The binary is stripped: the release profile's line tables would be compiled only
        // to be thrown away.
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .args(["build", "--quiet", "--release", "--target", MUSL])
        .args(["--compatibility", "manylinux2014", "musllinux_1_2", "--out"])
        .arg(&dir))?;
    let wheel = only_file(&dir, ".whl")?;
    let binary = target.join(MUSL).join("release/greenpin-emulator");
    static_elf(&std::fs::read(&binary).map_err(|e| format!("{}: {e}", binary.display()))?)
        .map_err(|e| format!("{}: {e}", binary.display()))?;

    let binary_archive = archive(&dir, &binary, &version)?;
    let npm = npm_package(&dir, &binary, &version)?;
    Ok(Dist {
        dir,
        binary_archive,
        wheel,
        npm,
    })
}

/// The workspace's version (`[workspace.package] version`).
fn workspace_version() -> Result<String, String> {
    let manifest = std::fs::read_to_string("Cargo.toml").map_err(|e| format!("Cargo.toml: {e}"))?;
    version_of(&manifest).ok_or_else(|| "Cargo.toml: no [workspace.package] version".into())
}

/// The `version = "…"` of a manifest's `[workspace.package]` table.
pub(crate) fn version_of(manifest: &str) -> Option<String> {
    let table = manifest.split("[workspace.package]").nth(1)?;
    let table = table.split("\n[").next()?;
    table.lines().find_map(|l| {
        let v = l.trim().strip_prefix("version")?.trim().strip_prefix('=')?;
        Some(v.trim().trim_matches('"').to_owned())
    })
}

/// The one file of `dir` whose name ends with `suffix`.
fn only_file(dir: &Path, suffix: &str) -> Result<PathBuf, String> {
    let found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| name(p).ends_with(suffix))
        .collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(format!(
            "expected one *{suffix} in {}, found {}",
            dir.display(),
            found.len()
        )),
    }
}

/// `Ok` when `elf` is a 64-bit ELF executable with no program interpreter: it loads no
/// shared C library, so it runs on any x86-64 Linux (glibc, musl, a distroless image).
pub(crate) fn static_elf(elf: &[u8]) -> Result<(), String> {
    const PT_INTERP: u32 = 3;
    if elf.get(..5) != Some(b"\x7fELF\x02") {
        return Err("not a 64-bit ELF file".into());
    }
    let u16_at = |at: usize| {
        elf.get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let u64_at = |at: usize| {
        elf.get(at..at + 8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()))
    };
    let (Some(phoff), Some(size), Some(count)) = (u64_at(0x20), u16_at(0x36), u16_at(0x38)) else {
        return Err("a truncated ELF header".into());
    };
    for i in 0..usize::from(count) {
        let at = usize::try_from(phoff).unwrap_or(usize::MAX) + i * usize::from(size);
        let kind = elf
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or("a truncated program header table")?;
        if kind == PT_INTERP {
            return Err("dynamically linked (it names a program interpreter)".into());
        }
    }
    Ok(())
}

/// The binary's `.tar.gz` (a directory holding it, the README and the licences) and its
/// `.sha256`.
fn archive(dir: &Path, binary: &Path, version: &str) -> Result<PathBuf, String> {
    let stem = format!("greenpin-emulator-{version}-{MUSL}");
    let stage = dir.join("stage");
    let root = stage.join(&stem);
    std::fs::create_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
    copy(binary, &root.join("greenpin-emulator"))?;
    for f in ["README.md", "LICENSE-MIT", "LICENSE-APACHE"] {
        copy(
            &Path::new("crates/greenpin-emulator").join(f),
            &root.join(f),
        )?;
    }
    let tar = dir.join(format!("{stem}.tar"));
    run(Command::new("tar")
        .args([
            "--sort=name",
            "--mtime=@0",
            "--owner=0",
            "--group=0",
            "--numeric-owner",
        ])
        .arg("-cf")
        .arg(&tar)
        .arg("-C")
        .arg(&stage)
        .arg(&stem))?;
    run(Command::new("gzip").args(["-n", "-9", "-f"]).arg(&tar))?;
    let _ = std::fs::remove_dir_all(&stage);
    let gz = dir.join(format!("{stem}.tar.gz"));
    let sum = output(Command::new("sha256sum").arg(name(&gz)).current_dir(dir))?;
    let sums = dir.join(format!("{stem}.tar.gz.sha256"));
    std::fs::write(&sums, sum).map_err(|e| format!("{}: {e}", sums.display()))?;
    Ok(gz)
}

/// The npm package: the packaging sources, the licences and the binary in `bin/`, packed
/// by `npm pack`. Its version must be the workspace's.
fn npm_package(dir: &Path, binary: &Path, version: &str) -> Result<PathBuf, String> {
    let src = Path::new(PACKAGING).join("npm");
    let manifest = std::fs::read_to_string(src.join("package.json"))
        .map_err(|e| format!("{}/package.json: {e}", src.display()))?;
    if !manifest.contains(&format!("\"version\": \"{version}\"")) {
        return Err(format!(
            "{}/package.json: its version is not the workspace's ({version})",
            src.display()
        ));
    }
    let stage = dir.join("npm");
    std::fs::create_dir_all(stage.join("bin")).map_err(|e| format!("{}: {e}", stage.display()))?;
    for f in ["package.json", "index.js", "index.d.ts", "README.md"] {
        copy(&src.join(f), &stage.join(f))?;
    }
    for f in ["LICENSE-MIT", "LICENSE-APACHE"] {
        copy(
            &Path::new("crates/greenpin-emulator").join(f),
            &stage.join(f),
        )?;
    }
    copy(binary, &stage.join("bin/greenpin-emulator"))?;
    run(Command::new("npm")
        .args(["pack", "--quiet", "--pack-destination"])
        .arg(dir)
        .current_dir(&stage))?;
    let _ = std::fs::remove_dir_all(&stage);
    let tgz = dir.join(format!("greenpin-emulator-{version}.tgz"));
    if !tgz.exists() {
        return Err(format!("npm pack did not write {}", tgz.display()));
    }
    Ok(tgz)
}

pub(super) fn copy(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::copy(from, to)
        .map(drop)
        .map_err(|e| format!("copying {} to {}: {e}", from.display(), to.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_version_is_read_from_its_table_only() {
        let manifest = "[package]\nversion = \"9.9.9\"\n\n[workspace.package]\nedition = \"2024\"\nversion = \"0.1.0\"\n\n[workspace.dependencies]\nversion = \"1\"\n";
        assert_eq!(version_of(manifest).as_deref(), Some("0.1.0"));
        assert_eq!(version_of("[package]\nversion = \"1\"\n"), None);
    }

    #[test]
    fn a_binary_with_a_program_interpreter_is_not_static() {
        // A minimal ELF64 header with one program header at 64 of the given type.
        let elf = |kind: u32| {
            let mut b = vec![0u8; 64 + 56];
            b[..5].copy_from_slice(b"\x7fELF\x02");
            b[0x20..0x28].copy_from_slice(&64u64.to_le_bytes());
            b[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
            b[0x38..0x3a].copy_from_slice(&1u16.to_le_bytes());
            b[64..68].copy_from_slice(&kind.to_le_bytes());
            b
        };
        assert!(static_elf(&elf(1)).is_ok());
        assert!(
            static_elf(&elf(3))
                .unwrap_err()
                .contains("dynamically linked")
        );
        assert!(static_elf(b"#!/bin/sh\n").is_err());
        assert!(static_elf(&elf(1)[..0x30]).is_err());
        // This test's own binary, linked against the system's C library, is caught.
        let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert!(static_elf(&me).unwrap_err().contains("dynamically linked"));
    }
}
