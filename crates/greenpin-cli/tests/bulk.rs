//! `greenpin bulk-update` as a process, against a live emulator: matching, streaming,
//! line numbers, resume, interruption and pacing.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use greenpin_core::{GreenPinId, Usage};
use greenpin_emulator::{Fault, FaultRule};
use serde_json::Value;

mod common;
use common::*;

#[test]
fn bulk_update_of_a_thousand_rows_with_invalid_ones() {
    let e = env();
    let ids: Vec<GreenPinId> = (0..1000)
        .map(|i| e.create(&format!("t{i}"), &format!("70{i:08}")))
        .collect();
    let rows: Vec<String> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            if i % 97 == 0 {
                format!(r#"{{"greenpin_id": "{id}", "a": {{"numbers": ["629XXXXX71"]}}}}"#)
            } else {
                format!(r#"{{"greenpin_id": "{id}", "usage": "oneway"}}"#)
            }
        })
        .collect();
    let input = e.dir.join("rows.ndjson");
    let results = e.dir.join("results.ndjson");
    write_rows(&input, &rows);
    let out = e.run(&[
        "bulk-update",
        input.to_str().unwrap(),
        "--concurrency",
        "4",
        "--results",
        results.to_str().unwrap(),
    ]);
    let invalid = (0..1000).filter(|i| i % 97 == 0).count();
    assert_eq!(code(&out), 2, "some rows were invalid: {}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!(
        "1000 rows: {} applied, {invalid} invalid, 0 failed",
        1000 - invalid
    )));
    // Invalid rows are reported by line, with the reason.
    assert!(
        stderr(&out).contains("line 1: invalid: a.numbers[0]"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("line 98: invalid"),
        "{}",
        stderr(&out)
    );
    // Every row has an outcome; valid ones were applied, invalid ones untouched.
    let recorded = read_results(&results);
    assert_eq!(recorded.len(), 1000);
    for (i, id) in ids.iter().enumerate() {
        let want = if i % 97 == 0 {
            Usage::Twoway
        } else {
            Usage::Oneway
        };
        assert_eq!(e.sdk.get(id).unwrap().usage, want, "row {}", i + 1);
    }
}

#[test]
fn bulk_update_from_csv() {
    let e = env();
    let a = e.create("c1", "7000000001");
    let b = e.create("c2", "7000000002");
    let input = e.dir.join("rows.csv");
    std::fs::write(&input, format!("greenpin_id,a_numbers,usage,deallocate_after\n{a},7100000001;7100000002,oneway,20m\n{b},,sideways,\n")).unwrap();
    let out = e.run(&["--json", "bulk-update", input.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    let summary = stdout_json(&out);
    assert_eq!(
        (summary["applied"].as_u64(), summary["invalid"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(
        stderr(&out).contains("line 3: invalid: usage"),
        "{}",
        stderr(&out)
    );
    assert_eq!(e.sdk.get(&a).unwrap().a.numbers.len(), 2);
    let bad = e.dir.join("bad.csv");
    std::fs::write(&bad, "greenpin_id,colour\nx,red\n").unwrap();
    assert_eq!(code(&e.run(&["bulk-update", bad.to_str().unwrap()])), 2);
}

#[test]
fn an_interrupted_bulk_run_finishes_with_resume() {
    let e = env();
    let ids: Vec<GreenPinId> = (0..200)
        .map(|i| e.create(&format!("r{i}"), &format!("71{i:08}")))
        .collect();
    let rows: Vec<String> = ids
        .iter()
        .map(|id| {
            format!(r#"{{"greenpin_id": "{id}", "deallocation_policy": {{"duration": "2h"}}}}"#)
        })
        .collect();
    let input = e.dir.join("resume.ndjson");
    let results = e.dir.join("resume-results.ndjson");
    write_rows(&input, &rows);
    // Slow every bulk request down, and interrupt the run part-way.
    e.emu
        .add_fault(
            FaultRule::new(Fault::Delay { ms: 150 })
                .method("PUT")
                .times(1000),
        )
        .unwrap();
    let mut child = e
        .cmd()
        .args([
            "bulk-update",
            input.to_str().unwrap(),
            "--concurrency",
            "1",
            "--batch-size",
            "10",
            "--results",
            results.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while read_results(&results).len() < 30 {
        assert!(Instant::now() < deadline, "the first run made no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let first: Vec<Value> = read_results(&results);
    assert!(
        first.len() < 200,
        "the run finished before it was interrupted"
    );
    let done: std::collections::HashSet<String> = first
        .iter()
        .filter(|o| o["outcome"] == "applied")
        .map(|o| o["greenpin_id"].as_str().unwrap().to_owned())
        .collect();

    e.emu.clear_faults();
    e.emu.clear_requests();
    let out = e.run(&[
        "bulk-update",
        input.to_str().unwrap(),
        "--resume",
        "--results",
        results.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("{} already done", done.len())));
    // Rows recorded as done were not sent again.
    for req in e.emu.requests() {
        let body: Value = serde_json::from_str(&req.body).unwrap();
        for item in body["greenpins"].as_array().unwrap() {
            assert!(
                !done.contains(item["greenpin_id"].as_str().unwrap()),
                "resent a finished row"
            );
        }
    }
    // Every row ends applied.
    let applied: std::collections::HashSet<String> = read_results(&results)
        .iter()
        .filter(|o| o["outcome"] == "applied")
        .map(|o| o["greenpin_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(applied.len(), 200);
}

#[test]
fn bulk_results_are_matched_by_id_not_by_position() {
    let e = env();
    // Results in another order than the items, and one item not accounted for.
    let url = answering(
        200,
        r#"{"success":true,"status":200,"data":{"greenpins":[
            {"greenpin_id":"g-3","success":true,"status":200,"data":{"greenpin_id":"g-3","usage":"oneway","state":"active"}},
            {"greenpin_id":"g-1","success":false,"status":404,"code":1,"message":"no such allocation","data":null}
        ]}}"#,
    );
    let input = e.dir.join("order.ndjson");
    let results = e.dir.join("order-results.ndjson");
    write_rows(
        &input,
        &[
            r#"{"greenpin_id":"g-1","usage":"oneway"}"#.to_owned(),
            r#"{"greenpin_id":"g-2","usage":"oneway"}"#.to_owned(),
            r#"{"greenpin_id":"g-3","usage":"oneway"}"#.to_owned(),
        ],
    );
    let out = e
        .cmd()
        .env("GREENPIN_BASE_URL", &url)
        .args([
            "bulk-update",
            input.to_str().unwrap(),
            "--results",
            results.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let by_id: std::collections::HashMap<String, String> = read_results(&results)
        .into_iter()
        .map(|r| {
            (
                r["greenpin_id"].as_str().unwrap().to_owned(),
                r["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        by_id["g-1"], "failed",
        "the refused row is not recorded applied"
    );
    assert_eq!(
        by_id["g-2"], "unknown",
        "an unaccounted row is never applied"
    );
    assert_eq!(by_id["g-3"], "applied");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 applied, 0 invalid, 1 failed, 1 unknown"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Allocations to update, created through the SDK.
fn allocations(e: &Env, prefix: &str, n: usize) -> Vec<GreenPinId> {
    (0..n)
        .map(|i| e.create(&format!("{prefix}{i}"), &format!("72{i:08}")))
        .collect()
}

fn bulk_items_sent(e: &Env) -> Vec<String> {
    e.emu
        .requests()
        .iter()
        .filter(|r| r.method == "PUT" && r.path.ends_with("/greenpin"))
        .flat_map(|r| {
            let body: Value = serde_json::from_str(&r.body).unwrap();
            body["greenpins"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["greenpin_id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn csv_line_numbers_survive_crlf_blank_lines_and_quotes() {
    let e = env();
    let ids = allocations(&e, "l", 3);
    let input = e.dir.join("crlf.csv");
    // Line 1 header, 2 a row, 3 blank, 4 a row with a quoted value, 5 an invalid row.
    std::fs::write(
        &input,
        format!(
            "greenpin_id,usage\r\n{},oneway\r\n\r\n\"{}\",\"oneway\"\r\n{},sideways\r\n",
            ids[0], ids[1], ids[2]
        ),
    )
    .unwrap();
    let out = e.run(&["bulk-update", input.to_str().unwrap()]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("line 5: invalid: usage"),
        "{}",
        stderr(&out)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("3 rows: 2 applied, 1 invalid"));

    // A refusal names the column the user filled, not the JSON path.
    let columns = e.dir.join("columns.csv");
    std::fs::write(
        &columns,
        format!(
            "greenpin_id,deallocate_after,a_numbers\n{},2 days,\n{},,7987686144;07987686144\n",
            ids[0], ids[1]
        ),
    )
    .unwrap();
    let out = e.run(&["bulk-update", columns.to_str().unwrap()]);
    let text = stderr(&out);
    assert!(
        text.contains("line 2: invalid: deallocate_after: "),
        "{text}"
    );
    assert!(
        text.contains(
            "line 3: invalid: a_numbers #2: +917987686144 is already listed as a_numbers #1"
        ),
        "{text}"
    );
    assert!(!text.contains("deallocation_policy"), "{text}");

    // An unclosed quote is an error naming its line, before anything is sent.
    e.emu.clear_requests();
    let broken = e.dir.join("quote.csv");
    std::fs::write(
        &broken,
        format!(
            "greenpin_id,usage\n{},oneway\n\"{},oneway\n{},oneway\n{},oneway\n",
            ids[0], ids[1], ids[2], ids[0]
        ),
    )
    .unwrap();
    let out = e.run(&["bulk-update", broken.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("line 3: a value runs over several lines"),
        "{}",
        stderr(&out)
    );
    assert!(
        bulk_items_sent(&e).is_empty(),
        "rows were sent from a broken file"
    );
}

#[test]
fn results_are_refused_where_they_would_destroy_something() {
    let e = env();
    let ids = allocations(&e, "x", 2);
    let input = e.dir.join("guard.ndjson");
    let rows: Vec<String> = ids
        .iter()
        .map(|id| format!(r#"{{"greenpin_id":"{id}","usage":"oneway"}}"#))
        .collect();
    write_rows(&input, &rows);
    let before = std::fs::read(&input).unwrap();
    let path = |p: &Path| p.to_str().unwrap().to_owned();

    // --results naming the input (even by another spelling) is refused; the input stays.
    let same = e.dir.join(".").join("guard.ndjson");
    let out = e.run(&["bulk-update", &path(&input), "--results", &path(&same)]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("is the input file"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(&input).unwrap(), before);

    // A run writes its results; a second run without --resume or --overwrite is refused.
    let results = e.dir.join("guard-results.ndjson");
    assert_eq!(
        code(&e.run(&["bulk-update", &path(&input), "--results", &path(&results)])),
        0
    );
    let written = std::fs::read(&results).unwrap();
    let out = e.run(&["bulk-update", &path(&input), "--results", &path(&results)]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("already holds results"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read(&results).unwrap(),
        written,
        "the results were touched"
    );
    let out = e.run(&[
        "bulk-update",
        &path(&input),
        "--results",
        &path(&results),
        "--overwrite",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    // Results of another input are refused for a resume.
    let other = e.dir.join("other.ndjson");
    write_rows(&other, &rows[..1]);
    let out = e.run(&[
        "bulk-update",
        &path(&other),
        "--results",
        &path(&results),
        "--resume",
    ]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("was written for another input"),
        "{}",
        stderr(&out)
    );

    // A damaged line (invalid UTF-8) is refused naming it, not read as "nothing done".
    let mut damaged = std::fs::read(&results).unwrap();
    damaged.extend_from_slice(b"\xff\xfe not a result\n");
    std::fs::write(&results, &damaged).unwrap();
    e.emu.clear_requests();
    let out = e.run(&[
        "bulk-update",
        &path(&input),
        "--results",
        &path(&results),
        "--resume",
    ]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("line 4 is not a result"),
        "{}",
        stderr(&out)
    );
    assert!(bulk_items_sent(&e).is_empty(), "rows were re-sent");

    // A last line cut short by a crash is dropped, and the run goes on.
    damaged.truncate(damaged.len() - b"\xff\xfe not a result\n".len());
    damaged.extend_from_slice(b"{\"line\":2,\"ke");
    std::fs::write(&results, &damaged).unwrap();
    let out = e.run(&[
        "bulk-update",
        &path(&input),
        "--results",
        &path(&results),
        "--resume",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 already done"));
    assert!(std::fs::read_to_string(&results).unwrap().ends_with("}\n"));
}

#[test]
fn resume_follows_row_content_not_line_or_line_endings() {
    let e = env();
    let ids = allocations(&e, "k", 3);
    let input = e.dir.join("content.csv");
    let results = e.dir.join("content-results.ndjson");
    let csv = |usage_of_b: &str, eol: &str| {
        format!(
            "greenpin_id,usage{eol}{},oneway{eol}{},{usage_of_b}{eol}{},oneway{eol}",
            ids[0], ids[1], ids[2]
        )
    };
    std::fs::write(&input, csv("oneway", "\n")).unwrap();
    let path = |p: &Path| p.to_str().unwrap().to_owned();
    assert_eq!(
        code(&e.run(&["bulk-update", &path(&input), "--results", &path(&results)])),
        0
    );

    // Other line endings and a blank line: the same rows, nothing re-sent.
    std::fs::write(
        &input,
        format!("\r\n{}", csv("oneway", "\r\n")).replacen("\r\n", "", 1),
    )
    .unwrap();
    e.emu.clear_requests();
    let out = e.run(&[
        "bulk-update",
        &path(&input),
        "--results",
        &path(&results),
        "--resume",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("3 already done"));
    assert!(bulk_items_sent(&e).is_empty());

    // An edited row with the same id is applied; the others are not re-sent.
    std::fs::write(&input, csv("twoway", "\n")).unwrap();
    let out = e.run(&[
        "bulk-update",
        &path(&input),
        "--results",
        &path(&results),
        "--resume",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(bulk_items_sent(&e), [ids[1].to_string()]);
    assert_eq!(e.sdk.get(&ids[1]).unwrap().usage, Usage::Twoway);
}

/// Sends `signal` to the child with `kill`, as a terminal's Ctrl-C would.
fn signal(child: &std::process::Child, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn ctrl_c_records_what_is_in_flight_and_resume_sends_each_row_once() {
    let e = env();
    let ids = allocations(&e, "c", 40);
    let rows: Vec<String> = ids
        .iter()
        .map(|id| format!(r#"{{"greenpin_id":"{id}","a":{{"pin_length":4}}}}"#))
        .collect();
    let input = e.dir.join("sigint.ndjson");
    let results = e.dir.join("sigint-results.ndjson");
    write_rows(&input, &rows);
    // Every bulk request takes 400 ms; the run is interrupted while some are in flight.
    e.emu
        .add_fault(
            FaultRule::new(Fault::Delay { ms: 400 })
                .method("PUT")
                .times(1000),
        )
        .unwrap();
    let child = e
        .cmd()
        .args([
            "bulk-update",
            input.to_str().unwrap(),
            "--concurrency",
            "2",
            "--batch-size",
            "2",
            "--results",
            results.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while read_results(&results).len() < 4 {
        assert!(Instant::now() < deadline, "the run made no progress");
        std::thread::sleep(Duration::from_millis(10));
    }
    signal(&child, "-INT");
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 130, "{}", stderr(&out));
    assert!(stderr(&out).contains("interrupted"), "{}", stderr(&out));
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(summary.contains("not sent"), "no summary: {summary}");
    // Every row the service applied is recorded: none was lost in flight.
    let recorded = read_results(&results);
    let applied_by_service = e.emu.stats().bulk_items_applied;
    assert!(applied_by_service < 40, "the run was not interrupted");
    assert_eq!(
        recorded
            .iter()
            .filter(|o| o["outcome"] == "applied")
            .count() as u64,
        applied_by_service,
        "rows applied by the service but not recorded"
    );

    // The resume sends exactly the rest: each row reaches the service once in all.
    e.emu.clear_faults();
    let out = e.run(&[
        "bulk-update",
        input.to_str().unwrap(),
        "--results",
        results.to_str().unwrap(),
        "--resume",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let mut sent = bulk_items_sent(&e);
    sent.sort();
    let mut all: Vec<String> = ids.iter().map(ToString::to_string).collect();
    all.sort();
    assert_eq!(sent, all, "a row was sent twice or never");
}

#[test]
fn a_second_ctrl_c_exits_at_once() {
    let e = env();
    let ids = allocations(&e, "s", 2);
    let input = e.dir.join("twice.ndjson");
    write_rows(
        &input,
        &ids.iter()
            .map(|id| format!(r#"{{"greenpin_id":"{id}","usage":"oneway"}}"#))
            .collect::<Vec<_>>(),
    );
    e.emu
        .add_fault(
            FaultRule::new(Fault::Delay { ms: 30_000 })
                .method("PUT")
                .times(10),
        )
        .unwrap();
    let started = Instant::now();
    let mut child = e
        .cmd()
        .args(["bulk-update", input.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    while bulk_items_sent(&e).is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "nothing was sent"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    signal(&child, "-INT");
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the first Ctrl-C did not wait for the request in flight"
    );
    signal(&child, "-INT");
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 130);
    // Both signals are answered in words: what happens next, and what exiting leaves.
    assert!(
        stderr(&out).contains("stopping: no more requests"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("exiting now: requests in flight are not recorded"),
        "{}",
        stderr(&out)
    );
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "the second Ctrl-C waited for the 30 s request"
    );
}

#[test]
fn the_run_slows_down_when_the_service_asks_and_loses_nothing() {
    let e = env();
    let ids = allocations(&e, "p", 60);
    let input = e.dir.join("busy.ndjson");
    write_rows(
        &input,
        &ids.iter()
            .map(|id| format!(r#"{{"greenpin_id":"{id}","usage":"oneway"}}"#))
            .collect::<Vec<_>>(),
    );
    // The first three bulk requests are refused with 429 and a Retry-After of 1 s.
    e.emu
        .add_fault(
            FaultRule::new(Fault::status_retry_after(429, 1))
                .method("PUT")
                .times(3),
        )
        .unwrap();
    let started = Instant::now();
    let out = e.run(&[
        "--json",
        "bulk-update",
        input.to_str().unwrap(),
        "--concurrency",
        "4",
        "--batch-size",
        "5",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let summary = stdout_json(&out);
    assert_eq!(summary["applied"], 60, "{summary}");
    assert_eq!(summary["slowed_down"], 3, "{summary}");
    assert!(
        summary["lowest_concurrency"].as_u64().unwrap() < 4,
        "{summary}"
    );
    assert!(
        stderr(&out).contains("the service asked to slow down (429"),
        "{}",
        stderr(&out)
    );
    // The Retry-After was honoured: the refused batches waited it out.
    assert!(started.elapsed() >= Duration::from_secs(1));
    for id in &ids {
        assert_eq!(e.sdk.get(id).unwrap().usage, Usage::Oneway);
    }
}

/// Peak resident memory of a running process, in KiB (Linux).
#[cfg(target_os = "linux")]
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(target_os = "linux")]
#[test]
fn memory_does_not_grow_with_the_file() {
    let e = env();
    // 200,000 rows (about 17 MB) of ids the service does not know: each is answered
    // "not found" item by item, so the whole file is read, sent and recorded.
    let input = e.dir.join("big.ndjson");
    let results = e.dir.join("big-results.ndjson");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
        for i in 0..200_000u32 {
            writeln!(
                f,
                r#"{{"greenpin_id":"gp-{i:08}-missing","deallocation_policy":{{"duration":"2h"}}}}"#
            )
            .unwrap();
        }
    }
    let mut child = e
        .cmd()
        .args([
            "--json",
            "bulk-update",
            input.to_str().unwrap(),
            "--results",
            results.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut peak = 0;
    while child.try_wait().unwrap().is_none() {
        if let Some(kib) = peak_rss_kib(child.id()) {
            peak = peak.max(kib);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["failed"], 200_000, "{summary}");
    assert_eq!(read_results(&results).len(), 200_000);
    assert!(peak > 0, "the process's memory was never read");
    // The whole-file version held ~130 MB here; streaming stays far below.
    assert!(peak < 48 * 1024, "peak RSS {peak} KiB");
}

#[cfg(unix)]
#[test]
fn a_pipe_is_refused_rather_than_half_read() {
    let e = env();
    let mut child = e
        .cmd()
        .args(["bulk-update", "/dev/stdin", "--format", "csv"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        let _ = stdin.write_all(b"greenpin_id,usage\nx,oneway\n");
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not a regular file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn rows_for_one_allocation_are_applied_in_file_order() {
    let e = env();
    let id = allocations(&e, "o", 1).remove(0);
    let input = e.dir.join("order.ndjson");
    write_rows(
        &input,
        &[
            format!(r#"{{"greenpin_id":"{id}","a":{{"pin":"6661"}}}}"#),
            format!(r#"{{"greenpin_id":"{id}","a":{{"pin":"6662"}}}}"#),
        ],
    );
    // The first request is slow: a second worker sending the later row would overtake it.
    e.emu
        .add_fault(
            FaultRule::new(Fault::Delay { ms: 800 })
                .method("PUT")
                .times(1),
        )
        .unwrap();
    let out = e.run(&[
        "bulk-update",
        input.to_str().unwrap(),
        "--concurrency",
        "2",
        "--batch-size",
        "1",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(e.sdk.get(&id).unwrap().a.pin.unwrap().as_str(), "6662");
}

#[test]
fn a_row_changed_back_is_sent_again_on_resume() {
    let e = env();
    let id = allocations(&e, "b", 1).remove(0);
    let input = e.dir.join("flip.ndjson");
    let results = e.dir.join("flip-results.ndjson");
    let path = |p: &Path| p.to_str().unwrap().to_owned();
    let row = |pin: &str| vec![format!(r#"{{"greenpin_id":"{id}","a":{{"pin":"{pin}"}}}}"#)];
    write_rows(&input, &row("4441"));
    assert_eq!(
        code(&e.run(&["bulk-update", &path(&input), "--results", &path(&results)])),
        0
    );
    write_rows(&input, &row("4442"));
    assert_eq!(
        code(&e.run(&[
            "bulk-update",
            &path(&input),
            "--results",
            &path(&results),
            "--resume"
        ])),
        0
    );
    write_rows(&input, &row("4441"));
    let out = e.run(&[
        "bulk-update",
        &path(&input),
        "--results",
        &path(&results),
        "--resume",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 applied"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(e.sdk.get(&id).unwrap().a.pin.unwrap().as_str(), "4441");
    // Each line says which run wrote it.
    let runs: Vec<u64> = read_results(&results)
        .iter()
        .map(|o| o["run"].as_u64().unwrap())
        .collect();
    assert_eq!(runs, [1, 2, 3]);
}

#[test]
fn refused_credentials_stop_the_run() {
    let e = env();
    let input = e.dir.join("auth.ndjson");
    let rows: Vec<String> = (0..50)
        .map(|i| format!(r#"{{"greenpin_id":"gp-{i}","usage":"oneway"}}"#))
        .collect();
    write_rows(&input, &rows);
    let out = e
        .cmd()
        .env("EXOTEL_API_TOKEN", "wrong-token")
        .args([
            "bulk-update",
            input.to_str().unwrap(),
            "--batch-size",
            "5",
            "--concurrency",
            "1",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("refused the credentials"),
        "{}",
        stderr(&out)
    );
    let sent = e
        .emu
        .requests()
        .iter()
        .filter(|r| r.method == "PUT")
        .count();
    assert_eq!(sent, 1, "bulk requests sent after a 401");
    assert!(String::from_utf8_lossy(&out.stdout).contains("45 not sent"));
}

#[test]
fn odd_inputs_get_plain_answers() {
    let e = env();
    let id = allocations(&e, "q", 1).remove(0);
    // A byte-order mark before the first NDJSON line is not part of the row.
    let bom = e.dir.join("bom.ndjson");
    std::fs::write(
        &bom,
        format!("\u{feff}{{\"greenpin_id\":\"{id}\",\"usage\":\"oneway\"}}\n"),
    )
    .unwrap();
    let out = e.run(&["bulk-update", bom.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // A 3 MB line is refused without being echoed or held.
    let long = e.dir.join("long.ndjson");
    std::fs::write(
        &long,
        format!(
            "{{\"greenpin_id\":\"{id}\",\"a\":{{\"pin\":\"{}\"}}}}\n",
            "7".repeat(3 << 20)
        ),
    )
    .unwrap();
    let out = e.run(&["bulk-update", long.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("line 1: invalid: the line is longer than 1024 KiB"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).len() < 2000, "the value was echoed");
    // A directory for --results is named as such.
    let out = e.run(&[
        "bulk-update",
        bom.to_str().unwrap(),
        "--results",
        e.dir.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("is a directory"), "{}", stderr(&out));
}
