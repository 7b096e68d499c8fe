//! `cargo xtask package`: the crates users install, packaged as crates.io would take them,
//! then used the way users use them: a fresh crate that depends on `greenpin-blocking` with
//! its default features, and `cargo install` of the two binaries, each built from its
//! packaged `.crate` against the other packaged crates.
//!
//! The crates are packaged without cargo's own verification (which resolves them among each
//! other through a registry of its own under `$CARGO_HOME` and reuses an earlier
//! extraction of the same version there). They are unpacked under the target directory
//! instead, and a `[patch.crates-io]` points each `greenpin-*` dependency at its unpacked
//! copy: the user's cargo home is only read from, as by any build.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cmd::{cargo, output, run, target_dir};

/// The crates users install.
pub(crate) const PUBLISHED: &[&str] = &[
    "greenpin-core",
    "greenpin-emulator",
    "greenpin-async",
    "greenpin-blocking",
    "greenpin-cli",
];

/// What the fresh crate does with greenpin-blocking's default features: the everyday
/// numbers a default build must accept.
const CONSUMER_MAIN: &str = r#"use greenpin_blocking::{Country, PhoneNumber};

fn main() {
    for input in ["919876543210", "+65 9123 4567", "0091 98765 43210"] {
        match PhoneNumber::parse(input, Country::IN) {
            Ok(n) => println!("{input} -> {n}"),
            Err(e) => {
                eprintln!("{input}: {e}");
                std::process::exit(1);
            }
        }
    }
}
"#;

fn version() -> Result<String, String> {
    let manifest = std::fs::read_to_string("Cargo.toml").map_err(|e| e.to_string())?;
    manifest
        .lines()
        .skip_while(|l| l.trim() != "[workspace.package]")
        .find_map(|l| l.trim().strip_prefix("version = "))
        .map(|v| v.trim_matches('"').to_owned())
        .ok_or_else(|| "no [workspace.package] version in Cargo.toml".into())
}

/// `[patch.crates-io]` lines pointing every published crate at its unpacked copy.
fn patches(unpacked: &Path, version: &str) -> String {
    let mut out = String::from("[patch.crates-io]\n");
    for krate in PUBLISHED {
        out.push_str(&format!(
            "{krate} = {{ path = {:?} }}\n",
            unpacked.join(format!("{krate}-{version}"))
        ));
    }
    out
}

pub(crate) fn package() -> Result<String, String> {
    let root =
        std::path::absolute(target_dir().join("package-check")).map_err(|e| e.to_string())?;
    // Fresh packages and copies every run.
    for stale in ["unpacked", "consumer", "install", "build/package"] {
        let _ = std::fs::remove_dir_all(root.join(stale));
    }
    let version = version()?;
    let unpacked = pack(&root, &version)?;
    // The builds share the workspace's target directory: the dependencies the tests
    // compiled are reused (the packaged greenpin crates are other packages to cargo, and
    // build apart), so this step compiles little beyond them.
    let shared = std::path::absolute(target_dir()).map_err(|e| e.to_string())?;
    consumer(&root, &unpacked, &version, &shared)?;
    let ran = install(&root, &unpacked, &version, &shared)?;
    Ok(format!(
        "{} crates packaged; a fresh crate on greenpin-blocking's defaults reads the everyday numbers; cargo install from the packages runs: {}",
        PUBLISHED.len(),
        ran.join(", ")
    ))
}

/// `cargo package` of every published crate (without cargo's verification, see the module
/// doc), unpacked under `root/unpacked`.
fn pack(root: &Path, version: &str) -> Result<PathBuf, String> {
    let mut cmd = cargo();
    // Offline: online, cargo would ask the registry only whether a dependency's version is
    // yanked (which `cargo publish` asks at release), for 5 s of every run.
    cmd.args(["package", "--no-verify", "--allow-dirty", "--offline"])
        .env("CARGO_TARGET_DIR", root.join("build"));
    for krate in PUBLISHED {
        cmd.args(["-p", krate]);
    }
    run(&mut cmd)?;
    let unpacked = root.join("unpacked");
    std::fs::create_dir_all(&unpacked).map_err(|e| e.to_string())?;
    for krate in PUBLISHED {
        let file = root
            .join("build/package")
            .join(format!("{krate}-{version}.crate"));
        run(Command::new("tar")
            .arg("xzf")
            .arg(&file)
            .arg("-C")
            .arg(&unpacked))?;
    }
    Ok(unpacked)
}

/// A fresh crate, as a user starts one: greenpin-blocking with its default features, run.
fn consumer(root: &Path, unpacked: &Path, version: &str, shared: &Path) -> Result<(), String> {
    let consumer = root.join("consumer");
    std::fs::create_dir_all(consumer.join("src")).map_err(|e| e.to_string())?;
    let manifest = format!(
        "[package]\nname = \"greenpin-consumer\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\ngreenpin-blocking = \"{version}\"\n\n[workspace]\n\n{}",
        patches(unpacked, version)
    );
    write(&consumer.join("Cargo.toml"), &manifest)?;
    write(&consumer.join("src/main.rs"), CONSUMER_MAIN)?;
    // The workspace's lock, so the fresh crate resolves the versions already built.
    let _ = std::fs::copy("Cargo.lock", consumer.join("Cargo.lock"));
    let said = output(
        cargo()
            .args(["run", "-q", "--manifest-path"])
            .arg(consumer.join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", shared),
    )?;
    if said.lines().count() != 3 {
        return Err(format!("the fresh crate said: {said}"));
    }
    Ok(())
}

/// `cargo install` of each binary from its packaged crate (dev profile: the build, not its
/// speed, is what is checked); what each says of its version.
fn install(
    root: &Path,
    unpacked: &Path,
    version: &str,
    shared: &Path,
) -> Result<Vec<String>, String> {
    let install = root.join("install");
    let patch_config: Vec<String> = PUBLISHED
        .iter()
        .map(|krate| {
            format!(
                "patch.crates-io.{krate}.path={:?}",
                unpacked
                    .join(format!("{krate}-{version}"))
                    .display()
                    .to_string()
            )
        })
        .collect();
    let mut ran = Vec::new();
    for (krate, bin) in [
        ("greenpin-emulator", "greenpin-emulator"),
        ("greenpin-cli", "greenpin"),
    ] {
        let mut cmd = cargo();
        // Offline: without `--locked`, as most users run it, cargo resolves afresh; offline
        // it takes the newest compatible versions already downloaded (the lock's, which the
        // earlier steps fetched) rather than whatever the index holds that day. A new
        // release of a dependency that breaks `cargo install` is not caught here.
        cmd.args(["install", "-q", "--debug", "--offline", "--path"])
            .arg(unpacked.join(format!("{krate}-{version}")))
            .arg("--root")
            .arg(&install)
            .env("CARGO_TARGET_DIR", shared);
        for p in &patch_config {
            cmd.args(["--config", p]);
        }
        run(&mut cmd)?;
        let out = output(Command::new(install.join("bin").join(bin)).arg("--version"))?;
        ran.push(out.trim().to_owned());
    }
    Ok(ran)
}

fn write(path: &PathBuf, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}
