//! Running programs, and the summary `cargo xtask ci` prints: one line per step with its
//! time and what it reached.

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Whether cargo keeps incremental state (set off by [`without_incremental`]).
static NO_INCREMENTAL: AtomicBool = AtomicBool::new(false);

/// From now on, every cargo this process runs builds without incremental state.
/// `cargo xtask ci` compiles each workspace crate once per step and feature set: the state
/// incremental compilation writes would not be read, and writing it costs time.
pub(crate) fn without_incremental() {
    NO_INCREMENTAL.store(true, Ordering::Relaxed);
}

/// `cmd`, with `CARGO_INCREMENTAL=0` after [`without_incremental`]: for cargo run by
/// another name (`rustup run VERSION cargo`).
pub(crate) fn incremental_as_set(cmd: &mut Command) -> &mut Command {
    if NO_INCREMENTAL.load(Ordering::Relaxed) {
        cmd.env("CARGO_INCREMENTAL", "0");
    }
    cmd
}

/// `cargo`, as the one that runs xtask.
pub(crate) fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    incremental_as_set(&mut cmd);
    cmd
}

/// The target directory cargo builds into: `CARGO_TARGET_DIR` (or `build.target-dir`) as
/// cargo itself reads it, `target` otherwise. Every path into a build goes through it.
pub(crate) fn target_dir() -> std::path::PathBuf {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let metadata = cargo()
            .args(["metadata", "--format-version", "1", "--no-deps"])
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        target_directory_of(&metadata).unwrap_or_else(|| "target".into())
    })
    .clone()
}

/// `target_directory` of `cargo metadata`'s JSON (a string field: read without a parser).
pub(crate) fn target_directory_of(metadata: &str) -> Option<std::path::PathBuf> {
    let rest = metadata.split("\"target_directory\":\"").nth(1)?;
    let end = rest.find('"')?;
    Some(rest[..end].replace("\\\\", "\\").into())
}

/// Runs `cmd`; `Err` names it when it fails.
pub(crate) fn run(cmd: &mut Command) -> Result<(), String> {
    let status = cmd
        .status()
        .map_err(|e| format!("could not start {cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed ({status})"))
    }
}

/// Runs `cmd` and returns its standard output.
pub(crate) fn output(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("could not start {cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Whether this run is CI's (`CI` is set, as CI services set it).
pub(crate) fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The steps of a run, each timed, with a line of what it reached.
pub(crate) struct Steps {
    lines: Vec<String>,
    failed: bool,
}

impl Steps {
    pub(crate) fn new() -> Self {
        Steps {
            lines: Vec::new(),
            failed: false,
        }
    }

    /// Runs one step. A note that begins `SKIPPED` fails the run in CI: a skipped check
    /// passes vacuously.
    pub(crate) fn step(&mut self, name: &str, f: impl FnOnce() -> Result<String, String>) {
        eprintln!("\n==> {name}");
        let start = Instant::now();
        let outcome = f().and_then(|note| {
            if note.starts_with("SKIPPED") && in_ci() {
                Err(format!("{note} (not allowed in CI)"))
            } else {
                Ok(note)
            }
        });
        let secs = start.elapsed().as_secs_f64();
        let line = match &outcome {
            Ok(note) if note.is_empty() => format!("ok    {secs:7.1}s  {name}"),
            Ok(note) => format!("ok    {secs:7.1}s  {name} ({note})"),
            Err(e) => format!("FAIL  {secs:7.1}s  {name}: {e}"),
        };
        self.failed |= outcome.is_err();
        eprintln!("{line}");
        self.lines.push(line);
    }

    /// Prints the summary; `Err` when a step failed.
    pub(crate) fn finish(self) -> Result<(), String> {
        eprintln!("\n== summary ==");
        for line in &self.lines {
            eprintln!("{line}");
        }
        if self.failed {
            Err("some checks failed".into())
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_directory_is_cargo_s_own_with_cargo_target_dir_set() {
        // What cargo itself reports, with the variable set, is what every step builds into.
        let out = cargo()
            .args(["metadata", "--format-version", "1", "--no-deps"])
            .env("CARGO_TARGET_DIR", "/tmp/xtask-some-target")
            .output()
            .unwrap();
        let metadata = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            target_directory_of(&metadata),
            Some(std::path::PathBuf::from("/tmp/xtask-some-target"))
        );
        assert_eq!(
            target_directory_of(r#"{"x":1,"target_directory":"C:\\t\\target","y":2}"#),
            Some(std::path::PathBuf::from("C:\\t\\target"))
        );
        assert_eq!(target_directory_of("{}"), None);
    }
}
