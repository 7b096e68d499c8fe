//! Ctrl-C, SIGTERM and SIGHUP (the terminal or SSH session closed) during a run: the first sets the stop flag and says what happens next
//! (no more requests; those in flight are waited for and recorded); a second exits at once
//! with 130, saying what that leaves. A thread reads the signals, so nothing runs in a
//! signal handler but signal-hook's own.
//!
//! SIGXFSZ (the results file reached the process's file size limit, `ulimit -f`) is caught
//! too, and nothing more: the write then fails with "File too large", which the run reports
//! as a local failure (exit 5) with its summary, instead of being killed by the signal.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::exit::Exit;

/// The stop flag, set by the first signal. `recording`: whether a results file is written
/// (a resume can then send what an early exit leaves).
pub(super) fn stop_on_signal(recording: bool) -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    #[cfg(unix)]
    let signals = [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
        signal_hook::consts::SIGXFSZ,
    ];
    #[cfg(not(unix))]
    let signals = [signal_hook::consts::SIGINT];
    let Ok(mut incoming) = signal_hook::iterator::Signals::new(signals) else {
        return stop;
    };
    let flag = stop.clone();
    std::thread::spawn(move || {
        for signal in incoming.forever() {
            #[cfg(unix)]
            if signal == signal_hook::consts::SIGXFSZ {
                continue;
            }
            let _ = signal;
            if !flag.swap(true, Ordering::SeqCst) {
                crate::output::say!(
                    "greenpin: stopping: no more requests; waiting for those in flight (Ctrl-C again to exit now)"
                );
            } else {
                crate::output::say!(
                    "greenpin: exiting now: the outcomes of requests in flight are not recorded{}",
                    if recording {
                        "; a resume reports their rows unknown and does not send them again"
                    } else {
                        ""
                    }
                );
                std::process::exit(i32::from(Exit::Interrupted.code()));
            }
        }
    });
    stop
}
