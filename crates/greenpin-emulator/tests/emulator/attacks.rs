//! Three cheap attacks, each against the emulator's binary in a child process, and the bound
//! that now holds: a flood of large requests with wrong credentials keeps nothing beyond the
//! journal's budget; a callback pointed at the emulator's own controls is refused instead
//! of placing calls forever; and with thousands of allocations a dashboard poll costs one
//! page, not the store, while the store itself is capped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::json;

use crate::common::Binary;

/// Sends `count` PUTs of `size` bytes with wrong credentials on one kept-alive connection,
/// reading each answer.
fn flood(base: &str, count: usize, size: usize) {
    let addr = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let body = vec![b'x'; size];
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    for i in 0..count {
        let head = format!(
            "PUT /v1/tenants/demo/greenpin/g-{i} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Basic d3Jvbmc6d3Jvbmc=\r\ncontent-type: application/json\r\nx-padding: {}\r\ncontent-length: {size}\r\n\r\n",
            "p".repeat(2000)
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(&body).unwrap();
        // The answer: a status line, headers, a content-length body.
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert!(line.starts_with("HTTP/1.1 401"), "{i}: {line:?}");
        let mut len = 0;
        loop {
            let mut h = String::new();
            reader.read_line(&mut h).unwrap();
            if h == "\r\n" {
                break;
            }
            if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
        }
        let mut answer = vec![0; len];
        reader.read_exact(&mut answer).unwrap();
    }
}

#[test]
fn a_flood_with_wrong_credentials_keeps_nothing_beyond_the_journal_budget() {
    let emu = Binary::start(&["--journal-bytes", "4194304"]);
    let raw = emu.raw();
    // Warm up (the first requests size the allocator's pools), then measure.
    flood(&emu.base, 20, 1_000_000);
    let before = emu.rss_kib();
    flood(&emu.base, 400, 1_000_000);
    let after = emu.rss_kib();
    let grown_mib = after.saturating_sub(before) / 1024;
    eprintln!("flood: resident {before} KiB before, {after} KiB after 400 refused 1 MB requests");
    // Before the journal copied what it keeps, each request pinned the server's read
    // buffers (about 400 KB): 400 requests grew it by about 160 MiB.
    assert!(
        grown_mib < 40,
        "resident memory grew by {grown_mib} MiB over 400 refused 1 MB requests"
    );
    let stats = raw.control("GET", "/stats", None).expect_ok();
    let kept = stats["journal_bytes"].as_u64().unwrap();
    assert!(
        kept > 0,
        "the refused requests are journaled (headers only)"
    );
    assert!(kept <= 4 << 20, "{kept} bytes kept over a 4 MiB budget");
    // Counted honestly: the headers are in the figure (each value kept up to 1 KiB).
    let entries = raw.control("GET", "/requests", None).expect_ok();
    let n = entries.as_array().unwrap().len() as u64;
    assert!(
        kept >= n * 1024,
        "{kept} bytes for {n} entries with a 2 KB header"
    );
    assert_eq!(
        entries[0]["headers"]["x-padding"].as_str().map(str::len),
        Some(1024)
    );
    assert!(
        entries[0]["body"] == "[not authenticated: body not kept]",
        "{}",
        entries[0]
    );
}

#[test]
fn a_callback_pointed_at_the_emulators_own_controls_places_no_call() {
    let emu = Binary::start(&[]);
    let raw = emu.raw();
    raw.create(json!({"transaction_id": "loop",
        "a": {"numbers": ["7987686144"], "vns": ["6292134471"], "pin": "123"},
        "b": {"numbers": ["9956555625"]}}));
    raw.api(
        "PUT",
        "/settings",
        Some(
            &json!({"greenpin_call_complete_event_endpoint": format!("{}/__emulator/calls", emu.base)})
                .to_string(),
        ),
    )
    .expect_ok();
    let out = raw
        .control(
            "POST",
            "/calls",
            Some(json!({"from": "7987686144", "vn": "6292134471", "pin": "123"})),
        )
        .expect_ok();
    let sid = out["call_sid"].as_str().unwrap();
    let list = raw
        .control(
            "GET",
            &format!("/callbacks?call_sid={sid}&wait_ms=5000"),
            None,
        )
        .expect_ok();
    assert_eq!(list[0]["status"], "not_sent", "{list}");
    assert!(list[0]["note"].as_str().unwrap().contains("itself"));
    // A loop would keep placing calls: one call, one callback, still.
    std::thread::sleep(Duration::from_millis(500));
    let all = raw.control("GET", "/callbacks", None).expect_ok();
    assert_eq!(all.as_array().unwrap().len(), 1, "{all}");
}

#[test]
fn a_poll_costs_one_page_whatever_the_store_holds_and_the_store_is_capped() {
    let emu = Binary::start(&["--max-allocations", "3000"]);
    let raw = emu.raw();
    let create = |i: usize| {
        raw.api(
            "POST",
            "/greenpin",
            Some(
                &json!({"transaction_id": format!("load-{i}"),
                    "a": {"numbers": [format!("70{:08}", i)], "vns": [format!("62921344{:02}", i % 100)]},
                    "b": {"numbers": [format!("90{:08}", i)]}})
                .to_string(),
            ),
        )
    };
    let poll = |query: &str| {
        let a = raw.control("GET", &format!("/state{query}"), None);
        let size = a.text.len();
        (a.expect_ok(), size)
    };
    for i in 0..1000 {
        create(i).expect_ok();
    }
    let (_, size_1000) = poll("");
    for i in 1000..3000 {
        create(i).expect_ok();
    }
    let (state, size_3000) = poll("");
    let page = &state["allocations"];
    assert_eq!(
        (
            page["total"].as_u64(),
            page["matching"].as_u64(),
            page["items"].as_array().unwrap().len()
        ),
        (Some(3000), Some(3000), 200)
    );
    assert!(state["routes"].as_array().unwrap().len() <= 1000);
    // Three times the allocations, the same page: within a tenth of the size.
    assert!(
        size_3000 < size_1000 + size_1000 / 10,
        "a poll grew from {size_1000} to {size_3000} bytes"
    );
    // Filtered on the server: one transaction id, one row.
    let (one, _) = poll("?q=load-2999&limit=10");
    assert_eq!(one["allocations"]["matching"], 1);
    assert_eq!(
        one["allocations"]["items"][0]["transaction_id"],
        "load-2999"
    );
    raw.control("GET", "/state?limit=501&x=1", None)
        .expect_error(400, 5);
    // The cap: a create past it is refused, naming the limit; a delete makes room.
    let m = create(3000).expect_error(403, 8);
    assert!(m.contains("3000") && m.contains("max_allocations"), "{m}");
    let first = poll("?q=load-0&limit=1").0["allocations"]["items"][0]["greenpin_id"]
        .as_str()
        .unwrap()
        .to_owned();
    raw.api("DELETE", &format!("/greenpin/{first}"), None)
        .expect_ok();
    create(3000).expect_ok();
}
