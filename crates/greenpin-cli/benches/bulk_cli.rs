//! `greenpin bulk-update` at scale, against the emulator, beside a plain load generator.
//!
//! ```text
//! cargo bench -p greenpin-cli --bench bulk_cli             # 1,000,000 rows
//! BULK_ROWS=100000 cargo bench -p greenpin-cli --bench bulk_cli
//! ```
//!
//! 1. An emulator in this process holds 10,000 allocations (over 50 VNs, so their PINs
//!    do not run out).
//! 2. A plain load generator (ureq, pre-serialised bodies of 100 items, as many threads as
//!    the CLI's concurrency) measures how many bulk items per second the emulator applies.
//!    Its items are the CSV's own (same ids, usage and deallocation policy), so the
//!    emulator does the same work for both.
//! 3. `greenpin`, built by `cargo bench` with optimisations, reads a CSV of `BULK_ROWS` rows (each a real update of one of
//!    those allocations) and sends it; its wall time and peak RSS (`VmHWM`) are read.
//!
//! It prints the figures recorded in docs/BENCHMARKS.md — the rates, and the CPU time each
//! side spent a row (the emulator's, in this process, and `greenpin`'s, as a child) — and
//! exits non-zero if a row was not applied. Not a timed test: nothing here passes or fails on speed.

#![expect(clippy::disallowed_macros, reason = "a bench prints its figures")]

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use greenpin_core::{CreateSpec, PartySpec};
use greenpin_emulator::{BlockingEmulator, EmulatorConfig};

#[path = "../tests/cli/memory.rs"]
mod memory;

/// CPU seconds (user + system) this process has used, and those of its waited-for children,
/// from Linux's `/proc/self/stat` (`utime stime cutime cstime`); zeros off Linux.
fn cpu_secs() -> (f64, f64) {
    let ticks = 100.0; // USER_HZ, 100 on every Linux the bench runs on
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(4)
        .map(|v| v.parse().unwrap_or(0.0))
        .collect();
    if f.len() < 4 {
        return (0.0, 0.0);
    }
    ((f[0] + f[1]) / ticks, (f[2] + f[3]) / ticks)
}

const ALLOCATIONS: usize = 10_000;

/// Row `i` of the CSV, and item `i` of the generator's bodies: an allocation, a usage and a
/// deallocation duration.
fn row(ids: &[String], i: usize) -> (&str, &'static str, String) {
    let usage = if (i / ids.len()).is_multiple_of(2) {
        "twoway"
    } else {
        "oneway"
    };
    (&ids[i % ids.len()], usage, format!("{}h", 1 + i % 48))
}
const CONCURRENCY: usize = 4;
const TOKEN: &str = "bench-token";

fn main() {
    // `cargo bench` passes `--bench`; nothing else is read from the command line.
    let rows: usize = std::env::var("BULK_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let cli = env!("CARGO_BIN_EXE_greenpin");

    let emu = BlockingEmulator::try_start(EmulatorConfig::new().api_token(TOKEN)).unwrap();
    let client = greenpin_blocking::Client::builder()
        .base_url(emu.base_url())
        .account_sid(emu.account_sid())
        .credentials(emu.credentials().key().clone(), TOKEN)
        .build()
        .unwrap();
    let started = Instant::now();
    let ids: Vec<String> = std::thread::scope(|s| {
        let per = ALLOCATIONS / CONCURRENCY;
        let handles: Vec<_> = (0..CONCURRENCY)
            .map(|t| {
                let client = &client;
                s.spawn(move || {
                    (t * per..(t + 1) * per)
                        .map(|i| {
                            client
                                .create(
                                    &CreateSpec::new(format!("bench-{i}")).a(PartySpec::new()
                                        .number(format!("70{i:08}"))
                                        .vn(format!("629213{:04}", 4400 + i % 50))),
                                )
                                .unwrap()
                                .greenpin_id
                                .to_string()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    println!(
        "set-up: {} allocations in {:.1} s",
        ids.len(),
        started.elapsed().as_secs_f64()
    );

    // The plain load generator: bulk bodies of the very items the CSV below holds (the same
    // ids, usage and deallocation policy, so the emulator does the same work for both),
    // pre-serialised, its answers read and dropped.
    let url = format!(
        "{}/v1/tenants/{}/greenpin",
        emu.base_url(),
        emu.account_sid()
    );
    let auth = emu.credentials().authorization();
    let auth = auth.to_str().unwrap().to_owned();
    let bodies: Vec<Vec<u8>> = (0..rows.min(2 * ALLOCATIONS))
        .collect::<Vec<_>>()
        .chunks(100)
        .map(|chunk| {
            let items: Vec<_> = chunk
                .iter()
                .map(|&i| {
                    let (id, usage, after) = row(&ids, i);
                    serde_json::json!({
                        "greenpin_id": id,
                        "usage": usage,
                        "deallocation_policy": { "duration": after },
                    })
                })
                .collect();
            serde_json::to_vec(&serde_json::json!({ "greenpins": items })).unwrap()
        })
        .collect();
    let generator_items = (rows / 2).clamp(100_000, 400_000) as u64;
    // Items a second the emulator applies for the generator; said with its CPU an item.
    let generate = |when: &str| -> f64 {
        let sent = AtomicU64::new(0);
        let (own_before, _) = cpu_secs();
        let started = Instant::now();
        std::thread::scope(|s| {
            for t in 0..CONCURRENCY {
                let (sent, bodies, url, auth) = (&sent, &bodies, &url, &auth);
                s.spawn(move || {
                    let agent = ureq::Agent::new_with_defaults();
                    let mut n = t;
                    while sent.load(Ordering::Relaxed) < generator_items {
                        let body = &bodies[n % bodies.len()];
                        let mut answer = agent
                            .put(url)
                            .header("authorization", auth)
                            .header("content-type", "application/json")
                            .send(&body[..])
                            .unwrap();
                        let _ = answer.body_mut().read_to_vec().unwrap();
                        sent.fetch_add(100, Ordering::Relaxed);
                        n += CONCURRENCY;
                    }
                });
            }
        });
        let secs = started.elapsed().as_secs_f64();
        let generated = sent.load(Ordering::Relaxed);
        let rate = generated as f64 / secs;
        let cpu = cpu_secs().0 - own_before;
        println!(
            "load generator, {when}: {generated} items in {secs:.2} s = {rate:.0} items/s ({CONCURRENCY} connections); \
             emulator + generator CPU {cpu:.2} s = {:.2} µs an item",
            cpu * 1e6 / generated as f64
        );
        rate
    };
    // Before and after the CLI: this machine's speed drifts, and the CLI is compared with
    // the mean of the two.
    let before = generate("before");

    // The CSV: every row a real update of one of the allocations.
    let dir = std::env::temp_dir().join(format!("greenpin-bulk-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("rows.csv");
    let results = dir.join("results.ndjson");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
        writeln!(f, "greenpin_id,usage,deallocate_after").unwrap();
        for i in 0..rows {
            let (id, usage, after) = row(&ids, i);
            writeln!(f, "{id},{usage},{after}").unwrap();
        }
    }
    let input_mb = std::fs::metadata(&input).unwrap().len() as f64 / 1e6;
    let run = |extra: &[&str]| -> (f64, u64, serde_json::Value) {
        let (own, children) = cpu_secs();
        let started = Instant::now();
        let mut child = Command::new(cli)
            .env("GREENPIN_BASE_URL", emu.base_url())
            .env("EXOTEL_ACCOUNT_SID", emu.account_sid())
            .env("EXOTEL_API_KEY", emu.credentials().key().expose())
            .env("EXOTEL_API_TOKEN", TOKEN)
            .args(["--json", "bulk-update"])
            .arg(&input)
            .arg("--results")
            .arg(&results)
            .args(["--concurrency", &CONCURRENCY.to_string()])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let peak = memory::watch_peak_kib(&mut child);
        let out = child.wait_with_output().unwrap();
        let secs = started.elapsed().as_secs_f64();
        let (own_after, children_after) = cpu_secs();
        let (emulator_cpu, cli_cpu) = (own_after - own, children_after - children);
        println!(
            "  CPU: greenpin {cli_cpu:.2} s = {:.2} µs a row; emulator {emulator_cpu:.2} s = {:.2} µs a row",
            cli_cpu * 1e6 / rows as f64,
            emulator_cpu * 1e6 / rows as f64
        );
        (secs, peak, serde_json::from_slice(&out.stdout).unwrap())
    };
    let (secs, peak, summary) = run(&[]);
    let applied = summary["applied"].as_u64().unwrap_or(0);
    let rate = rows as f64 / secs;
    let after = generate("after");
    let capacity = (before + after) / 2.0;
    println!(
        "greenpin bulk-update: {rows} rows ({input_mb:.1} MB CSV) in {secs:.2} s = {rate:.0} rows/s; peak RSS {:.1} MiB; {applied} applied",
        peak as f64 / 1024.0
    );
    println!(
        "CLI / load generator (the mean of before and after): {:.2}× (goal ≥ 0.8×); peak RSS goal < 64 MiB",
        rate / capacity
    );
    assert_eq!(applied, rows as u64, "{summary}");
    // The intent log: how many synced lines declared the rows before they were sent.
    let text = std::fs::read_to_string(&results).unwrap_or_default();
    let intents = text.lines().filter(|l| l.starts_with("{\"sent\":")).count();
    println!(
        "intent log: {intents} intent lines, each on the disk before its batches left, for {rows} rows; {} bytes of results",
        text.len()
    );
    // A resume of the finished run: every row is already done, and the applied rows of the
    // results file are held to be matched.
    let (secs, peak, summary) = run(&["--resume"]);
    println!(
        "resume of the finished run: {} already done in {secs:.2} s; peak RSS {:.1} MiB",
        summary["already_done"],
        peak as f64 / 1024.0
    );
    let _ = std::fs::remove_dir_all(&dir);
}
