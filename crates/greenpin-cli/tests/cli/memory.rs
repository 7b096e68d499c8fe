//! Peak resident memory of a running process, from Linux's `/proc/<pid>/status` (`VmHWM`).
//! One file shared by the bulk tests and the `bulk_cli` bench (`#[path]`-included there).

use std::process::Child;
use std::time::Duration;

/// The process's peak resident set so far, in KiB; `None` once it has gone or off Linux.
pub(crate) fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Polls the child's peak every 20 ms until it exits; the highest value read, 0 if none was.
pub(crate) fn watch_peak_kib(child: &mut Child) -> u64 {
    let mut peak = 0;
    while child.try_wait().unwrap().is_none() {
        if let Some(kib) = peak_rss_kib(child.id()) {
            peak = peak.max(kib);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    peak
}
