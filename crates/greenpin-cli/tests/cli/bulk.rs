//! `greenpin bulk-update` as a process, against a live emulator: matching, streaming,
//! line numbers, resume, interruption and pacing.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use greenpin_core::{GreenPinId, Usage};
use greenpin_emulator::{Fault, FaultRule};
use serde_json::Value;

use crate::common::*;

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
    let input = e.rows("rows.ndjson", &rows);
    let results = e.dir.join("results.ndjson");
    let out = e
        .bulk(&input)
        .args(["--concurrency", "4"])
        .results(&results)
        .run();
    let invalid = (0..1000).filter(|i| i % 97 == 0).count();
    assert_eq!(code(&out), 2, "some rows were invalid: {}", stderr(&out));
    assert!(stdout(&out).contains(&format!(
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
    let input = e.file(
        "rows.csv",
        format!("greenpin_id,a_numbers,usage,deallocate_after\n{a},7100000001;7100000002,oneway,20m\n{b},,sideways,\n"),
    );
    let out = e.bulk(&input).json().run();
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
    let bad = e.file("bad.csv", "greenpin_id,colour\nx,red\n");
    assert_eq!(code(&e.bulk(&bad).run()), 2);
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
    let input = e.rows("resume.ndjson", &rows);
    let results = e.dir.join("resume-results.ndjson");
    // Slow every bulk request down, and interrupt the run part-way.
    e.emu
        .add_fault(
            FaultRule::new(Fault::Delay { ms: 150 })
                .method("PUT")
                .times(1000),
        )
        .unwrap();
    let mut child = e.bulk(&input).pace(1, 10).results(&results).spawn_quiet();
    wait_until(
        "the first run made no progress",
        Duration::from_secs(30),
        || read_results(&results).len() >= 30,
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let first: Vec<Value> = read_results(&results);
    assert!(
        first.len() < 200,
        "the run finished before it was interrupted"
    );
    let done: HashSet<String> = first
        .iter()
        .filter(|o| o["outcome"] == "applied")
        .map(|o| o["greenpin_id"].as_str().unwrap().to_owned())
        .collect();

    // The batch in flight when the run was killed was sent, and its outcome never
    // recorded: a resume reports its rows unknown and does not send them again. So are the
    // (at most two) batches the worker had declared with it and not yet sent.
    let in_flight = sent_unsettled(&results);
    assert!(in_flight.len() <= 30, "{in_flight:?}");
    e.emu.clear_faults();
    e.emu.clear_requests();
    let out = e.bulk(&input).resume(&results).run();
    assert_eq!(
        code(&out),
        if in_flight.is_empty() { 0 } else { 3 },
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).contains(&format!("{} already done", done.len())));
    if !in_flight.is_empty() {
        assert!(
            stdout(&out).contains(&format!("{} unknown from an earlier run", in_flight.len())),
            "{}",
            stdout(&out)
        );
    }
    // Rows recorded as done, and rows perhaps done, were not sent again.
    let resent = e.bulk_items_sent();
    assert_eq!(resent.len(), 200 - done.len() - in_flight.len());
    for id in &resent {
        assert!(!done.contains(id), "resent a finished row");
        assert!(
            !in_flight.contains(id),
            "resent a row that may have been applied"
        );
    }
    // Asked to, a resume sends the unknown ones, and every row ends applied.
    e.emu.clear_requests();
    let out = e
        .bulk(&input)
        .resume(&results)
        .args(["--retry-unknown"])
        .run();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let mut retried = e.bulk_items_sent();
    retried.sort();
    let mut want: Vec<String> = in_flight.into_iter().collect();
    want.sort();
    assert_eq!(retried, want);
    let outcomes = outcomes(&results);
    assert_eq!(outcomes.len(), 200);
    assert!(outcomes.values().all(|o| o == "applied"), "{outcomes:?}");
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
    let (out, results) = e.bulk_against(&url, "order", &["g-1", "g-2", "g-3"]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let by_id = outcomes(&results);
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
        stdout(&out).contains("1 applied, 0 invalid, 1 failed, 1 unknown"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn rows_of_a_success_answer_that_cannot_be_read_are_unknown_not_failed() {
    let e = env();
    // A 200 whose items lack `success` and `status`: the service took the request, so its
    // rows may have been applied; they are recorded unknown (a resume sends them again),
    // never failed.
    let url = answering(
        200,
        r#"{"success":true,"status":200,"data":{"greenpins":[{"greenpin_id":"g-1"},{"greenpin_id":"g-2"}]}}"#,
    );
    let (out, results) = e.bulk_against(&url, "unreadable", &["g-1", "g-2"]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let by_id = outcomes(&results);
    assert_eq!(by_id["g-1"], "unknown");
    assert_eq!(by_id["g-2"], "unknown");
    assert!(
        stdout(&out).contains("0 applied, 0 invalid, 0 failed, 2 unknown"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn csv_line_numbers_survive_crlf_blank_lines_and_quotes() {
    let e = env();
    let ids = e.allocations("l", 3);
    // Line 1 header, 2 a row, 3 blank, 4 a row with a quoted value, 5 an invalid row.
    let input = e.file(
        "crlf.csv",
        format!(
            "greenpin_id,usage\r\n{},oneway\r\n\r\n\"{}\",\"oneway\"\r\n{},sideways\r\n",
            ids[0], ids[1], ids[2]
        ),
    );
    let out = e.bulk(&input).run();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("line 5: invalid: usage"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).contains("3 rows: 2 applied, 1 invalid"));

    // A refusal names the column the user filled, not the JSON path.
    let columns = e.file(
        "columns.csv",
        format!(
            "greenpin_id,deallocate_after,a_numbers\n{},2 days,\n{},,7987686144;07987686144\n",
            ids[0], ids[1]
        ),
    );
    let out = e.bulk(&columns).run();
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
    let broken = e.file(
        "quote.csv",
        format!(
            "greenpin_id,usage\n{},oneway\n\"{},oneway\n{},oneway\n{},oneway\n",
            ids[0], ids[1], ids[2], ids[0]
        ),
    );
    let out = e.bulk(&broken).run();
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("line 3: a value runs over several lines"),
        "{}",
        stderr(&out)
    );
    assert!(
        e.bulk_items_sent().is_empty(),
        "rows were sent from a broken file"
    );
}

#[test]
fn results_are_refused_where_they_would_destroy_something() {
    let e = env();
    let ids = e.allocations("x", 2);
    let rows = usage_rows(&ids, "oneway");
    let input = e.rows("guard.ndjson", &rows);
    let before = std::fs::read(&input).unwrap();

    // --results naming the input (even by another spelling) is refused; the input stays.
    let same = e.dir.join(".").join("guard.ndjson");
    let out = e.bulk(&input).results(&same).run();
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("is the input file"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(&input).unwrap(), before);

    // A run writes its results; a second run without --resume or --overwrite is refused.
    let results = e.dir.join("guard-results.ndjson");
    assert_eq!(code(&e.bulk(&input).results(&results).run()), 0);
    let written = std::fs::read(&results).unwrap();
    let out = e.bulk(&input).results(&results).run();
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
    let out = e.bulk(&input).results(&results).args(["--overwrite"]).run();
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    // Results of another input are refused for a resume.
    let other = e.rows("other.ndjson", &rows[..1]);
    let out = e.bulk(&other).resume(&results).run();
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("was written for another input"),
        "{}",
        stderr(&out)
    );

    // A damaged line (invalid UTF-8) is refused naming it, not read as "nothing done".
    let mut damaged = std::fs::read(&results).unwrap();
    let line = damaged.iter().filter(|b| **b == b'\n').count() + 1;
    damaged.extend_from_slice(b"\xff\xfe not a result\n");
    std::fs::write(&results, &damaged).unwrap();
    e.emu.clear_requests();
    let out = e.bulk(&input).resume(&results).run();
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains(&format!("line {line} is not a result")),
        "{}",
        stderr(&out)
    );
    assert!(e.bulk_items_sent().is_empty(), "rows were re-sent");

    // A last line cut short by a crash is dropped, and the run goes on.
    damaged.truncate(damaged.len() - b"\xff\xfe not a result\n".len());
    damaged.extend_from_slice(b"{\"line\":2,\"ke");
    std::fs::write(&results, &damaged).unwrap();
    let out = e.bulk(&input).resume(&results).run();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("2 already done"));
    assert!(std::fs::read_to_string(&results).unwrap().ends_with("}\n"));
}

#[test]
fn resume_follows_row_content_not_line_or_line_endings() {
    let e = env();
    let ids = e.allocations("k", 3);
    let results = e.dir.join("content-results.ndjson");
    let csv = |usage_of_b: &str, eol: &str| {
        format!(
            "greenpin_id,usage{eol}{},oneway{eol}{},{usage_of_b}{eol}{},oneway{eol}",
            ids[0], ids[1], ids[2]
        )
    };
    let input = e.file("content.csv", csv("oneway", "\n"));
    assert_eq!(code(&e.bulk(&input).results(&results).run()), 0);

    // Other line endings and a blank line: the same rows, nothing re-sent.
    e.file(
        "content.csv",
        format!("\r\n{}", csv("oneway", "\r\n")).replacen("\r\n", "", 1),
    );
    e.emu.clear_requests();
    let out = e.bulk(&input).resume(&results).run();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("3 already done"));
    assert!(e.bulk_items_sent().is_empty());

    // An edited row with the same id is applied; the others are not re-sent.
    e.file("content.csv", csv("twoway", "\n"));
    let out = e.bulk(&input).resume(&results).run();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(e.bulk_items_sent(), [ids[1].to_string()]);
    assert_eq!(e.sdk.get(&ids[1]).unwrap().usage, Usage::Twoway);
}

#[test]
fn ctrl_c_records_what_is_in_flight_and_resume_sends_each_row_once() {
    let e = env();
    let ids = e.allocations("c", 40);
    let input = e.rows(
        "sigint.ndjson",
        ids.iter()
            .map(|id| format!(r#"{{"greenpin_id":"{id}","a":{{"pin_length":4}}}}"#)),
    );
    let results = e.dir.join("sigint-results.ndjson");
    // Every bulk request takes 400 ms; the run is interrupted while some are in flight.
    e.emu
        .add_fault(
            FaultRule::new(Fault::Delay { ms: 400 })
                .method("PUT")
                .times(1000),
        )
        .unwrap();
    let child = e.bulk(&input).pace(2, 2).results(&results).spawn();
    wait_until("the run made no progress", Duration::from_secs(30), || {
        read_results(&results).len() >= 4
    });
    signal(&child, "-INT");
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 130, "{}", stderr(&out));
    assert!(stderr(&out).contains("interrupted"), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("not sent"),
        "no summary: {}",
        stdout(&out)
    );
    // Every row the service applied is recorded: none was lost in flight.
    let applied_by_service = e.emu.stats().bulk_items_applied;
    assert!(applied_by_service < 40, "the run was not interrupted");
    assert_eq!(
        outcomes(&results)
            .values()
            .filter(|o| *o == "applied")
            .count() as u64,
        applied_by_service,
        "rows applied by the service but not recorded"
    );

    // The resume sends exactly the rest: each row reaches the service once in all.
    e.emu.clear_faults();
    let out = e.bulk(&input).resume(&results).run();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let mut sent = e.bulk_items_sent();
    sent.sort();
    let mut all: Vec<String> = ids.iter().map(ToString::to_string).collect();
    all.sort();
    assert_eq!(sent, all, "a row was sent twice or never");
}

#[test]
fn a_second_ctrl_c_exits_at_once() {
    let e = env();
    let ids = e.allocations("s", 2);
    let input = e.rows("twice.ndjson", usage_rows(&ids, "oneway"));
    e.emu
        .add_fault(
            FaultRule::new(Fault::Delay { ms: 30_000 })
                .method("PUT")
                .times(10),
        )
        .unwrap();
    let started = Instant::now();
    let mut child = e.bulk(&input).spawn();
    wait_until("nothing was sent", Duration::from_secs(20), || {
        !e.bulk_items_sent().is_empty()
    });
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
        stderr(&out).contains("exiting now: the outcomes of requests in flight are not recorded"),
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
    let ids = e.allocations("p", 60);
    let input = e.rows("busy.ndjson", usage_rows(&ids, "oneway"));
    // The first three bulk requests are refused with 429 and a Retry-After of 1 s.
    e.emu
        .add_fault(
            FaultRule::new(Fault::status_retry_after(429, 1))
                .method("PUT")
                .times(3),
        )
        .unwrap();
    let started = Instant::now();
    let out = e.bulk(&input).json().pace(4, 5).run();
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

#[cfg(target_os = "linux")]
#[test]
fn memory_does_not_grow_with_the_file() {
    let e = env();
    // 200,000 rows (about 17 MB) of ids the service does not know: each is answered
    // "not found" item by item, so the whole file is read, sent and recorded.
    let input = e.rows(
        "big.ndjson",
        (0..200_000u32).map(|i| {
            format!(
                r#"{{"greenpin_id":"gp-{i:08}-missing","deallocation_policy":{{"duration":"2h"}}}}"#
            )
        }),
    );
    let results = e.dir.join("big-results.ndjson");
    let mut child = e.bulk(&input).json().results(&results).spawn_quiet();
    let peak = crate::memory::watch_peak_kib(&mut child);
    let out = child.wait_with_output().unwrap();
    let summary = stdout_json(&out);
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
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
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
    let id = e.allocations("o", 1).remove(0);
    let input = e.rows(
        "order.ndjson",
        ["6661", "6662"].map(|pin| format!(r#"{{"greenpin_id":"{id}","a":{{"pin":"{pin}"}}}}"#)),
    );
    // The first request is slow: a second worker sending the later row would overtake it.
    e.emu
        .add_fault(
            FaultRule::new(Fault::Delay { ms: 800 })
                .method("PUT")
                .times(1),
        )
        .unwrap();
    let out = e.bulk(&input).pace(2, 1).run();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(e.sdk.get(&id).unwrap().a.pin.unwrap().as_str(), "6662");
}

#[test]
fn a_row_changed_back_is_sent_again_on_resume() {
    let e = env();
    let id = e.allocations("b", 1).remove(0);
    let results = e.dir.join("flip-results.ndjson");
    let row = |pin: &str| [format!(r#"{{"greenpin_id":"{id}","a":{{"pin":"{pin}"}}}}"#)];
    let input = e.rows("flip.ndjson", row("4441"));
    assert_eq!(code(&e.bulk(&input).results(&results).run()), 0);
    e.rows("flip.ndjson", row("4442"));
    assert_eq!(code(&e.bulk(&input).resume(&results).run()), 0);
    e.rows("flip.ndjson", row("4441"));
    let out = e.bulk(&input).resume(&results).run();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("1 applied"), "{}", stdout(&out));
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
    let input = e.rows(
        "auth.ndjson",
        (0..50).map(|i| format!(r#"{{"greenpin_id":"gp-{i}","usage":"oneway"}}"#)),
    );
    let out = e
        .bulk(&input)
        .pace(1, 5)
        .env("EXOTEL_API_TOKEN", "wrong-token")
        .run();
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
    assert!(stdout(&out).contains("45 not sent"));
}

#[test]
fn odd_inputs_get_plain_answers() {
    let e = env();
    let id = e.allocations("q", 1).remove(0);
    // A byte-order mark before the first NDJSON line is not part of the row.
    let bom = e.file(
        "bom.ndjson",
        format!("\u{feff}{{\"greenpin_id\":\"{id}\",\"usage\":\"oneway\"}}\n"),
    );
    let out = e.bulk(&bom).run();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // A 3 MB line is refused without being echoed or held.
    let long = e.file(
        "long.ndjson",
        format!(
            "{{\"greenpin_id\":\"{id}\",\"a\":{{\"pin\":\"{}\"}}}}\n",
            "7".repeat(3 << 20)
        ),
    );
    let out = e.bulk(&long).run();
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("line 1: invalid: the line is longer than 1024 KiB"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).len() < 2000, "the value was echoed");
    // A directory for --results is named as such.
    let out = e.bulk(&bom).results(&e.dir).run();
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("is a directory"), "{}", stderr(&out));
}

#[test]
fn retry_unknown_holds_back_rows_asking_for_a_new_pin_until_also_new_pins() {
    let e = env();
    let ids = e.allocations("np", 4);
    // Two rows are safe to apply twice, two ask the service for a new PIN.
    let rows: Vec<String> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            if i % 2 == 0 {
                format!(r#"{{"greenpin_id":"{id}","usage":"oneway"}}"#)
            } else {
                format!(r#"{{"greenpin_id":"{id}","a":{{"pin_length":4}}}}"#)
            }
        })
        .collect();
    let input = e.rows("new-pins.ndjson", &rows);
    let results = e.dir.join("new-pins-results.ndjson");
    // Every answer is cut short after the change is made: each row ends unknown.
    e.emu
        .add_fault(FaultRule::new(Fault::Truncate).method("PUT").times(1000))
        .unwrap();
    let out = e.bulk(&input).pace(1, 1).results(&results).run();
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(outcomes(&results).values().all(|o| o == "unknown"));
    e.emu.clear_faults();

    // A plain resume lists every unknown row by line and id, and sends none.
    e.emu.clear_requests();
    let out = e.bulk(&input).resume(&results).json().run();
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(e.bulk_items_sent().is_empty());
    let summary = stdout_json(&out);
    let listed: Vec<(u64, String, bool)> = summary["unknown_earlier_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["greenpin_id"].as_str().unwrap().to_owned(),
                r["new_pin"].as_bool().unwrap(),
            )
        })
        .collect();
    let want: Vec<(u64, String, bool)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (i as u64 + 1, id.to_string(), i % 2 == 1))
        .collect();
    assert_eq!(listed, want);

    // --retry-unknown sends the rows safe to send twice, and names the others.
    let out = e
        .bulk(&input)
        .resume(&results)
        .args(["--retry-unknown"])
        .run();
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let mut sent = e.bulk_items_sent();
    sent.sort();
    let mut safe = vec![ids[0].to_string(), ids[2].to_string()];
    safe.sort();
    assert_eq!(sent, safe);
    assert!(
        stdout(&out).contains("2 of them ask for a new PIN"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains(&format!("2 ({})", ids[1])),
        "{}",
        stdout(&out)
    );

    // With --also-new-pins, the rest go too, and every row ends applied.
    e.emu.clear_requests();
    let out = e
        .bulk(&input)
        .resume(&results)
        .args(["--retry-unknown", "--also-new-pins"])
        .run();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let mut sent = e.bulk_items_sent();
    sent.sort();
    let mut rest = vec![ids[1].to_string(), ids[3].to_string()];
    rest.sort();
    assert_eq!(sent, rest);
    assert!(outcomes(&results).values().all(|o| o == "applied"));
}
