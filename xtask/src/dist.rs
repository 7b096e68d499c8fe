//! `cargo xtask dist`: the emulator packaged for people who have no Rust toolchain.
//! (Written out in full below; `setup` adds the static Linux target it builds for.)

use std::process::Command;

use crate::cmd::run;

/// The static Linux target of the emulator's binary.
pub(crate) const MUSL: &str = "x86_64-unknown-linux-musl";

/// What `cargo xtask setup` does for `dist`: the musl target, by name, with rustup.
pub(crate) fn setup() -> Result<Vec<String>, String> {
    let have = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains(MUSL))
        .unwrap_or(false);
    if have {
        return Ok(Vec::new());
    }
    eprintln!(
        "xtask setup: adding the Rust target {MUSL} with rustup (the emulator's static binary)"
    );
    run(Command::new("rustup").args(["target", "add", MUSL]))?;
    Ok(vec![format!("target {MUSL}")])
}
