//! Warm-ups: the builds of `cargo xtask ci`'s last steps, started at idle priority while
//! the steps before them run.
//!
//! On two cores most steps leave a core idle for part of their time: a test binary's last
//! slow test, schemathesis, pip and npm. A warm-up runs a later step's own command
//! (`cargo xtask dist`, `public-api`, `msrv`) in the idle scheduling class (`chrt --idle 0`,
//! and `ionice -c 3` for the disk), which the kernel runs only on CPU time no other process
//! wants: the steps in front never wait for a warm-up, and their timing-bound tests are not
//! slowed by one.
//!
//! A warm-up's outcome is never taken for its step's. When the step's turn comes it waits
//! for its warm-up to end, then runs its command as always: the builds the warm-up finished
//! are fresh, so the step does only what is left. A warm-up writes only where its step
//! writes (each builds into a target directory of its own: `target/public-api`,
//! `target/msrv-VERSION`, the musl release build), and its output goes to
//! `target/ci-warm/NAME.log`. Where `chrt` is missing (not Linux), nothing is warmed and each
//! step does all its work in turn.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

/// A warm-up running in the background, or none.
pub(crate) struct WarmUp {
    child: Option<Child>,
    started: Instant,
}

/// Starts `cargo xtask ARGS` as the warm-up of the step that runs the same command.
pub(crate) fn xtask(name: &str, args: &[&str]) -> WarmUp {
    let Ok(exe) = std::env::current_exe() else {
        return WarmUp::none();
    };
    let mut cmd = Command::new(exe);
    cmd.args(args);
    start(name, cmd, &crate::cmd::target_dir().join("ci-warm"))
}

/// Starts `cmd` at idle priority, its output into `logs/NAME.log`.
pub(crate) fn start(name: &str, cmd: Command, logs: &Path) -> WarmUp {
    let Some(mut idle) = idle_class(&cmd) else {
        return WarmUp::none();
    };
    let log = log_file(logs, name);
    let Some((out, err)) = log.as_ref().and_then(|path| {
        let out = std::fs::File::create(path).ok()?;
        Some((out.try_clone().ok()?, out))
    }) else {
        return WarmUp::none();
    };
    // As the step itself will build: the same environment, so its builds are fresh.
    crate::cmd::incremental_as_set(&mut idle);
    let child = idle
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .ok();
    WarmUp {
        child,
        started: Instant::now(),
    }
}

/// `cmd` wrapped in `chrt --idle 0` (and `ionice -c 3` where there is one); `None` where
/// the idle class cannot be had.
fn idle_class(cmd: &Command) -> Option<Command> {
    let chrt = on_path("chrt")?;
    let mut idle = Command::new(chrt);
    idle.args(["--idle", "0"]);
    if let Some(ionice) = on_path("ionice") {
        idle.arg(ionice).args(["-c", "3"]);
    }
    idle.arg(cmd.get_program()).args(cmd.get_args());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(v) => idle.env(key, v),
            None => idle.env_remove(key),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        idle.current_dir(dir);
    }
    Some(idle)
}

fn on_path(tool: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(tool))
        .find(|p| p.is_file())
}

fn log_file(logs: &Path, name: &str) -> Option<PathBuf> {
    std::fs::create_dir_all(logs).ok()?;
    let file: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    Some(logs.join(format!("{file}.log")))
}

impl WarmUp {
    fn none() -> Self {
        WarmUp {
            child: None,
            started: Instant::now(),
        }
    }

    /// Waits for the warm-up to end; says whether its step had to wait, for the step's
    /// summary line. Its exit status is not the step's: the step runs its command next.
    pub(crate) fn wait(mut self) -> String {
        let Some(mut child) = self.child.take() else {
            return "not warmed: no idle scheduling class here".into();
        };
        let ran = self.started.elapsed().as_secs_f64();
        let (status, waited) = match child.try_wait() {
            Ok(Some(status)) => (Ok(status), None),
            _ => {
                let from = Instant::now();
                (child.wait(), Some(from.elapsed().as_secs_f64()))
            }
        };
        let outcome = match status {
            Ok(s) if s.success() => "",
            Ok(_) => ", and failed (the step says why)",
            Err(_) => ", and was lost",
        };
        match waited {
            None => format!("warmed at idle priority while earlier steps ran{outcome}"),
            Some(w) => format!(
                "warmed at idle priority for {ran:.0} s while earlier steps ran, then {w:.0} s{outcome}"
            ),
        }
    }
}

impl Drop for WarmUp {
    /// A warm-up never outlives `cargo xtask ci`: one not waited for is stopped.
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_warm_up_runs_in_the_idle_class_and_its_output_goes_to_its_log() {
        if on_path("chrt").is_none() {
            // No idle class here: nothing is started, and the step does all its work.
            let w = start("x", Command::new("true"), Path::new("/nonexistent"));
            assert!(w.wait().contains("not warmed"));
            return;
        }
        let logs = std::env::temp_dir().join(format!("xtask-warm-{}", std::process::id()));
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            "chrt -p $$; echo \"incremental=$CARGO_INCREMENTAL\"; exit 3",
        ]);
        cmd.env("CARGO_INCREMENTAL", "0");
        let said = start("a step / name", cmd, &logs).wait();
        assert!(said.contains("failed"), "{said}");
        let log = std::fs::read_to_string(logs.join("a-step---name.log")).unwrap();
        assert!(log.contains("SCHED_IDLE"), "{log}");
        assert!(log.contains("incremental=0"), "{log}");
        let _ = std::fs::remove_dir_all(&logs);
    }

    #[test]
    fn a_warm_up_not_waited_for_is_stopped() {
        if on_path("chrt").is_none() {
            return;
        }
        let logs = std::env::temp_dir().join(format!("xtask-warm-drop-{}", std::process::id()));
        let mut cmd = Command::new("sleep");
        cmd.arg("60");
        let w = start("sleeper", cmd, &logs);
        let started = Instant::now();
        drop(w);
        assert!(
            started.elapsed().as_secs() < 10,
            "the drop waited for the sleep"
        );
        let _ = std::fs::remove_dir_all(&logs);
    }
}
