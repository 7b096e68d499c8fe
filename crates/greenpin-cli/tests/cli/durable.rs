//! `bulk-update` never applies a row twice without saying so: whatever stops a run — its
//! results file reaching a size limit, a SIGKILL at any moment — a resume sends no row the
//! service may already have, and accounts for every row as applied, failed or unknown.
//!
//! The service is the emulator, whose journal records every bulk item it received.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use greenpin_core::GreenPinId;
use serde_json::Value;

use crate::common::*;

/// `prlimit`, which runs a command under a file size limit (util-linux, on every Linux).
fn prlimit() -> &'static str {
    let found = Command::new("prlimit").arg("--version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "these tests need prlimit (util-linux) to limit the results file's size"
    );
    "prlimit"
}

/// The command's summary under `--json`: the first JSON value on stdout (an error object
/// may follow it).
fn summary(out: &std::process::Output) -> Value {
    serde_json::Deserializer::from_slice(&out.stdout)
        .into_iter::<Value>()
        .next()
        .and_then(Result::ok)
        .unwrap_or_else(|| panic!("no JSON summary: {}", stdout(out)))
}

/// How many times each id reached the service.
fn received(e: &Env) -> HashMap<String, u32> {
    let mut seen = HashMap::new();
    for id in e.bulk_items_sent() {
        *seen.entry(id).or_insert(0) += 1;
    }
    seen
}

/// The run's rows: one usage change per allocation, so each id appears once in the file.
fn input(e: &Env, name: &str, ids: &[GreenPinId]) -> PathBuf {
    e.rows(name, usage_rows(ids, "oneway"))
}

/// `greenpin --json bulk-update … --results R` under a file size limit of `bytes`.
fn limited(e: &Env, input: &Path, results: &Path, bytes: u64) -> std::process::Output {
    let c = e.cmd();
    let program = c.get_program().to_owned();
    let mut limited = Command::new(prlimit());
    limited
        .arg(format!("--fsize={bytes}"))
        .arg(program)
        .args(["--json", "bulk-update"])
        .arg(input)
        .arg("--results")
        .arg(results)
        .args(["--concurrency", "4", "--batch-size", "50"]);
    limited.env_clear();
    for (k, v) in c.get_envs() {
        if let Some(v) = v {
            limited.env(k, v);
        }
    }
    let out = limited.output().unwrap();
    assert_clean(&out);
    out
}

/// Every row of the input is applied, failed or unknown by the end of the runs, and none
/// reached the service twice.
fn assert_each_row_once(e: &Env, rows: u64, last: &Value) {
    let twice: Vec<(String, u32)> = received(e).into_iter().filter(|(_, n)| *n > 1).collect();
    assert!(twice.is_empty(), "ids received more than once: {twice:?}");
    let n = |k: &str| last[k].as_u64().unwrap();
    assert_eq!(
        n("applied") + n("failed") + n("unknown") + n("already_done") + n("unknown_earlier"),
        rows,
        "{last}"
    );
    assert_eq!(n("not_sent") + n("invalid"), 0, "{last}");
}

#[test]
fn a_results_file_that_cannot_grow_stops_the_run_and_a_resume_sends_no_row_twice() {
    let e = env();
    let ids = e.allocations("full", 3000);
    let input = input(&e, "full.ndjson", &ids);
    let results = e.dir.join("full-results.ndjson");
    // About a third of the results fit.
    let out = limited(&e, &input, &results, 200_000);
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot write") && stderr(&out).contains("File too large"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("sending stopped"), "{}", stderr(&out));
    // The summary of what was sent comes first, whole.
    let first = summary(&out);
    assert!(first["applied"].as_u64().unwrap() > 0, "{first}");
    assert!(first["not_sent"].as_u64().unwrap() > 0, "{first}");
    assert!(std::fs::metadata(&results).unwrap().len() <= 200_000);
    let sent_first = e.bulk_items_sent().len() as u64;
    assert!(sent_first < 3000, "the run went on after the failure");

    // With room again, a resume finishes without sending any row twice.
    let out = e.bulk(&input).json().resume(&results).run();
    let last = summary(&out);
    assert!([0, 3].contains(&code(&out)), "{}", stderr(&out));
    assert_each_row_once(&e, 3000, &last);
    // The rows whose outcome the full disk lost are unknown, not resent; every sent row is
    // one of them or was recorded. A worker declares up to two more batches with the one
    // it sends, and with the disk full it cannot take them back. A worker that finds the
    // run stopped just after its intent reached the disk does not send the batch it
    // declared either: at most three batches a worker (4 × 3 × 50) are unknown without
    // having been sent.
    assert!(last["unknown_earlier"].as_u64().unwrap() > 0, "{last}");
    let settled =
        last["already_done"].as_u64().unwrap() + last["unknown_earlier"].as_u64().unwrap();
    assert!(
        (sent_first..=sent_first + 600).contains(&settled),
        "{settled} rows settled, {sent_first} sent: {last}"
    );
}

#[test]
fn when_even_the_intent_cannot_be_written_nothing_is_sent() {
    let e = env();
    let ids = e.allocations("intent", 40);
    let input = input(&e, "intent.ndjson", &ids);
    // Room for the header and not for the first intent line.
    let probe = e.dir.join("probe-results.ndjson");
    let out = e.bulk(&input).results(&probe).run();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let header = std::fs::read_to_string(&probe).unwrap();
    let header = header.lines().next().unwrap().len() as u64 + 1;
    e.emu.clear_requests();

    let results = e.dir.join("intent-results.ndjson");
    let out = limited(&e, &input, &results, header + 20);
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    assert!(
        e.bulk_items_sent().is_empty(),
        "sent without an intent on disk"
    );
    let first = summary(&out);
    assert_eq!(first["applied"], 0, "{first}");
    assert_eq!(first["not_sent"], 40, "{first}");
    // Nothing was sent, so a resume sends everything, once.
    let out = e.bulk(&input).json().resume(&results).run();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(summary(&out)["applied"], 40);
    assert_each_row_once(&e, 40, &summary(&out));
}

/// A small linear congruential generator: the kill moments, reproducible from the seed the
/// test prints.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

#[test]
#[expect(
    clippy::disallowed_macros,
    reason = "the test prints its seed, to rerun a failing trial"
)]
fn after_a_sigkill_at_any_moment_a_resume_sends_no_row_twice() {
    let e = env();
    let ids = e.allocations("kill", 600);
    let input = input(&e, "kill.ndjson", &ids);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    println!("kill moments from seed {seed}");
    let mut moments = Lcg(seed);
    // Each bulk request takes 40 ms: a run of 24 batches, 4 at a time, lasts about a
    // quarter of a second, within which the kills land.
    e.emu
        .add_fault(
            greenpin_emulator::FaultRule::new(greenpin_emulator::Fault::Delay { ms: 40 })
                .method("PUT")
                .times(100_000),
        )
        .unwrap();
    let (mut killed_mid_run, mut unknown_seen) = (0, 0);
    for trial in 0..20 {
        e.emu.clear_requests();
        let results = e.dir.join(format!("kill-{trial}.ndjson"));
        let mut child = e.bulk(&input).results(&results).pace(4, 25).spawn_quiet();
        std::thread::sleep(Duration::from_millis(20 + moments.below(280)));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if !status.success() {
            killed_mid_run += 1;
        }
        let out = e.bulk(&input).json().resume(&results).run();
        assert!(
            [0, 3].contains(&code(&out)),
            "trial {trial} (seed {seed}): {}",
            stderr(&out)
        );
        let last = summary(&out);
        assert_each_row_once(&e, 600, &last);
        unknown_seen += last["unknown_earlier"].as_u64().unwrap();
    }
    // The kills landed mid-run, where rows are in flight: the trials tested something.
    assert!(
        killed_mid_run >= 10,
        "only {killed_mid_run} of 20 runs were killed mid-run"
    );
    println!("{killed_mid_run} of 20 runs killed mid-run; {unknown_seen} rows left unknown in all");
}

#[test]
fn resumes_of_two_rows_for_one_allocation_settle_on_the_later_row_and_then_send_nothing() {
    let e = env();
    let id = e.allocations("two", 1).remove(0);
    // The first row asks for a new PIN and one-way; the second, later, two-way.
    let input = e.rows(
        "two.ndjson",
        [
            format!(r#"{{"greenpin_id":"{id}","a":{{"pin_length":4}},"usage":"oneway"}}"#),
            format!(r#"{{"greenpin_id":"{id}","usage":"twoway"}}"#),
        ],
    );
    let results = e.dir.join("two-results.ndjson");
    // The first request is refused: row 1 fails, row 2 (in a batch of its own) applies.
    e.emu
        .add_fault(
            greenpin_emulator::FaultRule::new(greenpin_emulator::Fault::status(409))
                .method("PUT")
                .times(1),
        )
        .unwrap();
    let out = e.bulk(&input).results(&results).run();
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    // The resume sends the failed row, then the later row again, so that it still wins.
    e.emu.clear_requests();
    let out = e.bulk(&input).json().resume(&results).run();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let last = summary(&out);
    assert_eq!(
        (last["applied"].as_u64(), last["resent_for_order"].as_u64()),
        (Some(2), Some(1)),
        "{last}"
    );
    assert_eq!(e.bulk_items_sent().len(), 2);
    assert_eq!(e.sdk.get(&id).unwrap().usage, greenpin_core::Usage::Twoway);
    // Further resumes find everything done: nothing is sent, whatever their number.
    for _ in 0..3 {
        e.emu.clear_requests();
        let out = e.bulk(&input).json().resume(&results).run();
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert_eq!(summary(&out)["already_done"], 2);
        assert!(
            e.bulk_items_sent().is_empty(),
            "a resume sent {:?}",
            e.bulk_items_sent()
        );
    }
}

#[test]
fn rows_of_one_allocation_applied_in_two_runs_are_not_sent_again() {
    let e = env();
    let id = e.allocations("split", 1).remove(0);
    let input = e.rows(
        "split.ndjson",
        [
            format!(r#"{{"greenpin_id":"{id}","a":{{"pin_length":4}}}}"#),
            format!(r#"{{"greenpin_id":"{id}","usage":"oneway"}}"#),
        ],
    );
    let results = e.dir.join("split-results.ndjson");
    // Run 1 applies the first row only: the second is refused (a 409 for its request).
    e.emu
        .add_fault(
            greenpin_emulator::FaultRule::new(greenpin_emulator::Fault::Delay { ms: 0 })
                .method("PUT")
                .times(1),
        )
        .unwrap();
    e.emu
        .add_fault(
            greenpin_emulator::FaultRule::new(greenpin_emulator::Fault::status(409))
                .method("PUT")
                .times(1),
        )
        .unwrap();
    assert_eq!(code(&e.bulk(&input).results(&results).run()), 3);
    // Run 2 applies the second. Then nothing is ever sent again: the first row, applied in
    // an earlier run than the second, is not stale.
    assert_eq!(code(&e.bulk(&input).resume(&results).run()), 0);
    let pin = e.sdk.get(&id).unwrap().a.pin;
    for _ in 0..3 {
        e.emu.clear_requests();
        assert_eq!(code(&e.bulk(&input).resume(&results).run()), 0);
        assert!(
            e.bulk_items_sent().is_empty(),
            "a resume sent {:?}",
            e.bulk_items_sent()
        );
    }
    assert_eq!(
        e.sdk.get(&id).unwrap().a.pin,
        pin,
        "the PIN was generated again"
    );
}

#[test]
fn a_size_limit_within_the_header_is_a_local_failure_and_overwrite_starts_again() {
    let e = env();
    let ids = e.allocations("head", 5);
    let input = input(&e, "head.ndjson", &ids);
    let results = e.dir.join("head-results.ndjson");
    for limit in [0, 1, 50] {
        let _ = std::fs::remove_file(&results);
        let out = limited(&e, &input, &results, limit);
        // Not killed by SIGXFSZ (exit 153): a local failure, its error one JSON document.
        assert_eq!(code(&out), 5, "limit {limit}: {}", stderr(&out));
        let docs: Vec<Value> = serde_json::Deserializer::from_slice(&out.stdout)
            .into_iter::<Value>()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(docs.len(), 1, "{}", stdout(&out));
        assert_eq!(docs[0]["error"]["kind"], "local", "{}", docs[0]);
    }
    assert!(e.bulk_items_sent().is_empty());
    // The header cut short is a results file --overwrite may replace.
    let out = e.bulk(&input).results(&results).args(["--overwrite"]).run();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(outcomes(&results).len(), 5);
}
