//! The command against a real account, as an operator and an attacker would run it:
//! `listen --register` leaves the account as it found it, nothing from outside reaches the
//! terminal raw, `--results` cannot be turned against other files, `listen` bounds its
//! connections and its forwarding, and `greenpin settings` alone reads.
// The callback receiver's and the demo's tests need the command built with them.
#![cfg_attr(
    not(all(feature = "listen", feature = "demo")),
    expect(
        unused_imports,
        dead_code,
        reason = "used by the tests of `listen` and `demo`"
    )
)]

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use greenpin_core::SettingsSpec;
use greenpin_emulator::{CallSpec, Fault, FaultRule};

use crate::common::*;

const OLD_ENDPOINT: &str = "http://127.0.0.1:9/old-hook";

fn endpoint(e: &Env) -> Option<String> {
    e.emu.settings().greenpin_call_complete_event_endpoint
}

fn set_old_endpoint(e: &Env) {
    e.sdk
        .update_settings(&SettingsSpec::new().call_complete_endpoint(OLD_ENDPOINT))
        .unwrap();
}

#[cfg(feature = "listen")]
#[test]
fn listen_register_puts_the_old_endpoint_back_on_ctrl_c_sigterm_and_sighup() {
    for sig in ["-INT", "-TERM", "-HUP"] {
        let e = env();
        set_old_endpoint(&e);
        let l = e.listen(&[], &["--register"]);
        assert_eq!(endpoint(&e).as_deref(), Some(l.url.as_str()), "{sig}");
        assert!(
            l.said
                .iter()
                .any(|s| s.contains(&format!("(it was {OLD_ENDPOINT:?})"))),
            "{:?}",
            l.said
        );
        signal(&l.child, sig);
        let (code, said, _) = l.finish();
        assert_eq!(code, 130, "{sig}: {said:?}");
        assert_eq!(
            endpoint(&e).as_deref(),
            Some(OLD_ENDPOINT),
            "{sig}: {said:?}"
        );
        assert!(
            said.iter().any(|s| s
                == &format!("restored greenpin_call_complete_event_endpoint to {OLD_ENDPOINT:?}")),
            "{sig}: {said:?}"
        );
    }
}

#[cfg(feature = "listen")]
#[test]
fn listen_register_puts_the_old_endpoint_back_when_its_count_is_reached() {
    let e = env();
    // No endpoint before: it is cleared again afterwards.
    let l = e.listen(&[], &["--register", "--count", "1"]);
    assert!(
        l.said.iter().any(|s| s.contains("(it was not set)")),
        "{:?}",
        l.said
    );
    e.create("reg-1", "7987686144");
    e.emu
        .simulate_call(&CallSpec::new("7987686144", "6292134471"))
        .unwrap();
    let (code, said, _) = l.finish();
    assert_eq!(code, 0, "{said:?}");
    assert_eq!(endpoint(&e).unwrap_or_default(), "", "{said:?}");
    assert!(
        said.iter()
            .any(|s| s == "restored greenpin_call_complete_event_endpoint to not set"),
        "{said:?}"
    );
}

#[cfg(feature = "listen")]
#[test]
fn listen_register_leaves_an_endpoint_someone_else_set_meanwhile() {
    let e = env();
    set_old_endpoint(&e);
    let l = e.listen(&[], &["--register"]);
    let theirs = "http://127.0.0.1:9/someone-else";
    e.sdk
        .update_settings(&SettingsSpec::new().call_complete_endpoint(theirs))
        .unwrap();
    signal(&l.child, "-INT");
    let (_, said, _) = l.finish();
    assert_eq!(endpoint(&e).as_deref(), Some(theirs), "{said:?}");
    assert!(
        said.iter()
            .any(|s| s.contains("was changed to") && s.contains("left as it is")),
        "{said:?}"
    );
}

#[cfg(feature = "listen")]
#[test]
fn listen_register_refuses_a_service_that_is_not_on_this_machine() {
    let e = env();
    // TEST-NET-1: nothing is sent there; the refusal comes before any request.
    let out = e
        .cmd()
        .env("GREENPIN_BASE_URL", "https://192.0.2.1:9")
        .args(["listen", "--register"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("add --redirect-live-callbacks if that is what you want"),
        "{}",
        stderr(&out)
    );
    // Even allowed, it needs an address the service can reach: not this machine's loopback.
    let out = e
        .cmd()
        .env("GREENPIN_BASE_URL", "https://192.0.2.1:9")
        .args(["listen", "--register", "--redirect-live-callbacks"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("needs --public-url"),
        "{}",
        stderr(&out)
    );
    let out = e
        .cmd()
        .env("GREENPIN_BASE_URL", "https://192.0.2.1:9")
        .args([
            "listen",
            "--register",
            "--redirect-live-callbacks",
            "--public-url",
            "http://127.0.0.1:8080/tunnel",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is not an address"),
        "{}",
        stderr(&out)
    );
    // The flag means nothing without --register.
    let out = e
        .cmd()
        .args(["listen", "--redirect-live-callbacks", "--count", "0"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
}

/// Strings a hostile service, callback or file might carry: an OSC title and a screen
/// clear, a bell, a backspace and carriage return that overwrite a line, a C1 CSI, a
/// right-to-left override and a zero-width space.
const HOSTILE: &str = "evil\u{1b}]0;pwned\u{7}\u{1b}[2J\u{8}\r\u{9b}31m\u{202e}gnp.exe\u{200b}";
/// The same, as a JSON string's content.
const HOSTILE_JSON: &str =
    "evil\\u001b]0;pwned\\u0007\\u001b[2J\\b\\r\\u009b31m\\u202egnp.exe\\u200b";

/// The characters none of which may reach the terminal raw.
fn assert_terminal_safe(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for c in [
        '\u{1b}', '\u{7}', '\u{8}', '\r', '\u{9b}', '\u{202e}', '\u{200b}',
    ] {
        assert!(
            !text.contains(c),
            "{what}: {c:?} reached the terminal: {text:?}"
        );
    }
}

#[cfg(feature = "listen")]
#[test]
fn nothing_from_outside_reaches_the_terminal_raw() {
    let e = env();
    let mut reached = Vec::new();
    let mut check = |what: &str, out: &std::process::Output, marker: bool| {
        assert_terminal_safe(what, &out.stdout);
        assert_terminal_safe(what, &out.stderr);
        let all = format!("{}{}", stdout(out), stderr(out));
        if marker {
            assert!(
                all.contains("pwned"),
                "{what}: the hostile text was never printed: {all}"
            );
        }
        reached.push(what.to_owned());
    };

    // 1. An API error's message, human, JSON and traced.
    let refusal = format!(
        r#"{{"success":false,"status":404,"code":1,"message":"{HOSTILE_JSON}","data":null}}"#
    );
    let url = answering(404, refusal.clone());
    for args in [
        &["get", "g-1"][..],
        &["--json", "get", "g-1"],
        &["-vvv", "get", "g-1"],
    ] {
        let out = e
            .cmd()
            .env("GREENPIN_BASE_URL", &url)
            .args(args)
            .output()
            .unwrap();
        check(&format!("error {args:?}"), &out, true);
    }

    // 2. An allocation's fields (get), human and JSON.
    let allocation = format!(
        r#"{{"success":true,"status":200,"data":{{"greenpin_id":"g-1","transaction_id":"{HOSTILE_JSON}","a":{{"numbers":["+917987686144"]}},"b":{{}},"usage":"twoway","state":"active"}}}}"#
    );
    let url = answering(200, allocation);
    for args in [&["get", "g-1"][..], &["--json", "get", "g-1"]] {
        let out = e
            .cmd()
            .env("GREENPIN_BASE_URL", &url)
            .args(args)
            .output()
            .unwrap();
        check(&format!("allocation {args:?}"), &out, true);
    }

    // 3. Settings the SDK does not model, with hostile keys and values.
    let settings = format!(
        r#"{{"success":true,"status":200,"data":{{"country":"IN","x_{HOSTILE_JSON}":"{HOSTILE_JSON}"}}}}"#
    );
    let url = answering(200, settings);
    for args in [&["settings"][..], &["--json", "settings", "get"]] {
        let out = e
            .cmd()
            .env("GREENPIN_BASE_URL", &url)
            .args(args)
            .output()
            .unwrap();
        check(&format!("settings {args:?}"), &out, true);
    }

    // 4. bulk-update: refused credentials, and rows refused with hostile messages.
    let input = e.rows(
        "hostile.ndjson",
        ["g-1", "g-2"].map(|id| format!(r#"{{"greenpin_id":"{id}","usage":"oneway"}}"#)),
    );
    let url = answering(401, refusal.replace("404", "401"));
    let out = e.bulk(&input).env("GREENPIN_BASE_URL", url).run();
    check("bulk, credentials refused", &out, true);
    let item = |id: &str| {
        format!(
            r#"{{"greenpin_id":"{id}","success":false,"status":404,"code":1,"message":"{HOSTILE_JSON}","data":null}}"#
        )
    };
    let url = answering(
        200,
        format!(
            r#"{{"success":true,"status":200,"data":{{"greenpins":[{},{}]}}}}"#,
            item("g-1"),
            item("g-2")
        ),
    );
    let out = e.bulk(&input).env("GREENPIN_BASE_URL", url).run();
    check("bulk, rows refused", &out, true);

    // 5. A file's own text in a refusal (a CSV column name).
    let csv = e.file("hostile.csv", format!("greenpin_id,{HOSTILE}\ng-1,x\n"));
    let out = e.bulk(&csv).run();
    check("bulk, a hostile column", &out, false);

    // 6. listen: hostile callbacks, human and JSON.
    for global in [&[][..], &["--json"]] {
        let l = e.listen(global, &[]);
        let deallocation = format!(
            r#"{{"greenpin_id":"g-1","reason":"{HOSTILE_JSON}","state":"vault","transaction_id":"{HOSTILE_JSON}"}}"#
        );
        let call = format!(
            r#"{{"call_sid":"{HOSTILE_JSON}","greenpin_id":"g-1","call_type":"{HOSTILE_JSON}","from":"{HOSTILE_JSON}"}}"#
        );
        let unknown = format!(r#"{{"event":"{HOSTILE_JSON}","{HOSTILE_JSON}":1}}"#);
        // A forgery (no secret) is refused, and its reason printed.
        let forged = post_status(&format!("{}x", l.url), &call);
        assert_eq!(forged, 403);
        let statuses: Vec<u16> = [deallocation, call, unknown]
            .iter()
            .map(|body| post_status(&l.url, body))
            .collect();
        assert_eq!(statuses[1], 200, "the call was not accepted: {statuses:?}");
        signal(&l.child, "-INT");
        let (code, said, out) = l.finish();
        assert_eq!(code, 130, "{said:?}");
        let said = said.join("\n");
        assert_terminal_safe("listen stdout", out.as_bytes());
        assert_terminal_safe("listen stderr", said.as_bytes());
        assert!(out.contains("pwned"), "{out}");
        reached.push(format!("listen {global:?}"));
    }
    // Every path above was walked: the count says so, and can fail.
    assert_eq!(reached.len(), 12, "{reached:?}");
}

#[test]
fn service_messages_on_failed_rows_are_cut() {
    let e = env();
    let long = "x".repeat(150_000);
    let item = |id: &str| {
        format!(
            r#"{{"greenpin_id":"{id}","success":false,"status":400,"code":5,"message":"{long}","data":null}}"#
        )
    };
    let url = answering(
        200,
        format!(
            r#"{{"success":true,"status":200,"data":{{"greenpins":[{},{},{}]}}}}"#,
            item("g-1"),
            item("g-2"),
            item("g-3")
        ),
    );
    let (out, results) = e.bulk_against(&url, "cut", &["g-1", "g-2", "g-3"]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let written = std::fs::metadata(&results).unwrap().len();
    assert!(
        written < 5_000,
        "results file of {written} bytes for three rows"
    );
    assert!(
        stderr(&out).len() < 5_000,
        "{} bytes on stderr",
        stderr(&out).len()
    );
    assert!(stderr(&out).contains("xxxx"), "{}", stderr(&out));
}

#[test]
fn a_batch_never_holds_two_rows_of_one_allocation() {
    let e = env();
    let ids = e.allocations("two", 3);
    let rows = [
        format!(r#"{{"greenpin_id":"{}","a":{{"pin":"5551"}}}}"#, ids[0]),
        format!(r#"{{"greenpin_id":"{}","usage":"oneway"}}"#, ids[1]),
        format!(r#"{{"greenpin_id":"{}","a":{{"pin":"5552"}}}}"#, ids[0]),
        format!(r#"{{"greenpin_id":"{}","usage":"oneway"}}"#, ids[2]),
    ];
    let input = e.rows("two.ndjson", &rows);
    let out = e.bulk(&input).pace(1, 10).run();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let batches = e.bulk_batches_sent();
    assert!(batches.len() >= 2, "{batches:?}");
    for batch in &batches {
        let mut unique = batch.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            batch.len(),
            "two rows of one allocation in {batch:?}"
        );
    }
    assert_eq!(e.sdk.get(&ids[0]).unwrap().a.pin.unwrap().as_str(), "5552");
}

#[cfg(target_os = "linux")]
#[test]
fn an_unclosed_quote_in_a_large_csv_is_refused_in_bounded_memory() {
    let e = env();
    let path = e.dir.join("quote.csv");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        writeln!(f, "greenpin_id,usage\ng-1,\"oneway").unwrap();
        let filler = "y".repeat(1 << 20);
        for _ in 0..40 {
            writeln!(f, "{filler}").unwrap();
        }
    }
    let mut child = e.bulk(&path).spawn_quiet();
    let peak = crate::memory::watch_peak_kib(&mut child);
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 2);
    assert!(peak > 0, "the process's memory was never read");
    assert!(peak < 48 * 1024, "peak RSS {peak} KiB for a 40 MB file");
}

#[test]
fn a_csv_value_over_the_cap_is_refused_naming_its_row() {
    let e = env();
    let ids = e.allocations("cap", 1);
    let big = "7".repeat(100_000);
    let csv = e.file(
        "big-value.csv",
        format!("greenpin_id,usage\n{},oneway\ng-2,{big}\n", ids[0]),
    );
    let out = e.bulk(&csv).run();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("line 3: invalid: usage: the value is longer than 64 KiB"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).len() < 2_000, "the value was echoed");
    // The row before it was applied: the cap refuses the row, not the file.
    assert_eq!(e.bulk_items_sent(), [ids[0].to_string()]);
}

#[test]
fn timeout_bounds_a_row_across_its_retries() {
    let e = env();
    let ids = e.allocations("slow", 1);
    let input = e.rows("slow.ndjson", usage_rows(&ids, "oneway"));
    // The service keeps asking to wait a second: without a row deadline this never ends.
    e.emu
        .add_fault(
            FaultRule::new(Fault::status_retry_after(503, 1))
                .method("PUT")
                .times(1000),
        )
        .unwrap();
    let results = e.dir.join("slow-results.ndjson");
    let started = Instant::now();
    let out = e
        .bulk(&input)
        .results(&results)
        .args(["--timeout", "2s"])
        .run();
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let line = &read_results(&results)[0];
    // A 503 is a server error: the core cannot tell that the request was not applied, so
    // neither does the row (a resume sends it again).
    assert_eq!(line["outcome"], "unknown", "{line}");
    assert!(
        line["message"].as_str().unwrap().contains("--timeout 2s"),
        "{line}"
    );
}

#[test]
fn a_row_a_try_may_have_applied_stays_unknown_whatever_later_tries_say() {
    let e = env();
    let ids = e.allocations("maybe", 1);
    let input = e.rows("maybe.ndjson", usage_rows(&ids, "oneway"));
    // The first try gets a server error (which may follow work done), the second is asked
    // to wait, the third is refused outright. What the first may have done, the later
    // answers cannot undo: the row is unknown, never "failed".
    for fault in [
        Fault::status_retry_after(503, 0),
        Fault::status_retry_after(429, 0),
        Fault::status(400),
    ] {
        e.emu
            .add_fault(FaultRule::new(fault).method("PUT").times(1))
            .unwrap();
    }
    let results = e.dir.join("maybe-results.ndjson");
    let out = e.bulk(&input).results(&results).run();
    let line = &read_results(&results)[0];
    assert_eq!(line["outcome"], "unknown", "{line}; {}", stderr(&out));
    // All three tries were made: the last answer is the 400's.
    assert_eq!(line["status"], 400, "{line}");
}

#[cfg(unix)]
#[test]
fn results_never_follow_a_link_nor_replace_another_file() {
    let e = env();
    let ids = e.allocations("lnk", 1);
    let input = e.rows("lnk.ndjson", usage_rows(&ids, "oneway"));
    // A link to a file that matters, with --overwrite: refused, the file untouched.
    let precious = e.file("precious.txt", "do not lose me\n");
    let link = e.dir.join("link-results.ndjson");
    std::os::unix::fs::symlink(&precious, &link).unwrap();
    let out = e.bulk(&input).results(&link).args(["--overwrite"]).run();
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("is a symbolic link"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(&precious).unwrap(),
        "do not lose me\n"
    );
    // A dangling link: refused, and its target is not created.
    let target = e.dir.join("created-through-a-link");
    let dangling = e.dir.join("dangling-results.ndjson");
    std::os::unix::fs::symlink(&target, &dangling).unwrap();
    let out = e.bulk(&input).results(&dangling).run();
    assert_eq!(code(&out), 2);
    assert!(!target.exists(), "the link's target was created");
    // --overwrite of a file that is not a results file: refused, untouched.
    let notes = e.file("notes.ndjson", "{\"mine\":true}\n");
    let out = e.bulk(&input).results(&notes).args(["--overwrite"]).run();
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("is not a results file"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(&notes).unwrap(),
        "{\"mine\":true}\n"
    );
}

#[test]
fn a_second_run_on_the_same_results_file_is_refused_while_the_first_runs() {
    let e = env();
    let ids = e.allocations("lock", 2);
    let input = e.rows("lock.ndjson", usage_rows(&ids, "oneway"));
    let results = e.dir.join("lock-results.ndjson");
    e.emu
        .add_fault(
            FaultRule::new(Fault::Delay { ms: 3_000 })
                .method("PUT")
                .times(1),
        )
        .unwrap();
    let first = e.bulk(&input).results(&results).pace(1, 1).spawn();
    wait_until("the first run never sent", Duration::from_secs(20), || {
        !e.bulk_items_sent().is_empty()
    });
    let out = e.bulk(&input).resume(&results).run();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is in use by another greenpin bulk-update run"),
        "{}",
        stderr(&out)
    );
    let first = first.wait_with_output().unwrap();
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    // Once it is over, the file is free again.
    let out = e.bulk(&input).resume(&results).run();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[cfg(feature = "listen")]
#[test]
fn listen_closes_slow_connections_and_still_serves() {
    let e = env();
    let l = e.listen(&[], &[]);
    let host = l
        .url
        .strip_prefix("http://")
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    // 50 connections that start a request and never finish its headers.
    let opened = Instant::now();
    let mut slow: Vec<std::net::TcpStream> = (0..50)
        .map(|_| {
            let mut s = std::net::TcpStream::connect(&host).unwrap();
            s.write_all(b"POST /hooks/greenpin HTTP/1.1\r\nhost: x\r\n")
                .unwrap();
            s
        })
        .collect();
    // A real callback still gets through meanwhile.
    assert_eq!(
        post_status(
            &l.url,
            r#"{"greenpin_id":"g-1","reason":"expired","state":"vault"}"#
        ),
        200
    );
    // Each slow connection is closed by the receiver once the header timeout (5 s) has
    // passed: not before, and not left open.
    for s in &mut slow {
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut buf = [0u8; 256];
        match s.read(&mut buf) {
            Ok(n) => {
                let answer = String::from_utf8_lossy(&buf[..n]);
                assert!(n == 0 || answer.starts_with("HTTP/1.1 408"), "{answer}");
            }
            Err(e) => panic!("a slow connection was left open: {e}"),
        }
    }
    let held = opened.elapsed();
    assert!(
        held >= Duration::from_secs(4) && held < Duration::from_secs(12),
        "closed after {held:?}"
    );
    signal(&l.child, "-INT");
    let (code, said, _) = l.finish();
    assert_eq!(code, 130, "{said:?}");
}

#[cfg(feature = "listen")]
#[test]
fn idle_connections_past_the_cap_cannot_keep_a_callback_out() {
    let e = env();
    let l = e.listen(&[], &[]);
    let host = l
        .url
        .strip_prefix("http://")
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    // More idle connections than the receiver serves at once (64), none sending a byte.
    let idle: Vec<std::net::TcpStream> = (0..100)
        .map(|_| std::net::TcpStream::connect(&host).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    // A callback is still answered, and well before the idle ones' 5 s header timeout
    // would have freed a slot: the longest idle connection made room for it.
    let sent = Instant::now();
    assert_eq!(
        post_status(
            &l.url,
            r#"{"greenpin_id":"g-1","reason":"expired","state":"vault"}"#
        ),
        200
    );
    let waited = sent.elapsed();
    assert!(waited < Duration::from_secs(4), "answered after {waited:?}");
    // The connections closed to make room were closed, not left hanging: at least the 36
    // past the cap, plus one for the callback, see the end of their stream.
    let mut closed = 0;
    for mut s in idle {
        s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        if matches!(s.read(&mut [0u8; 64]), Ok(0)) {
            closed += 1;
        }
    }
    assert!(closed >= 37, "{closed} idle connections closed");
    signal(&l.child, "-INT");
    let (code, said, _) = l.finish();
    assert_eq!(code, 130, "{said:?}");
}

#[cfg(feature = "listen")]
#[test]
fn forwarding_to_a_hung_target_neither_holds_the_callback_nor_waits_forever() {
    let e = env();
    // A target that accepts and never answers.
    let hung = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let target = format!("http://{}/hook", hung.local_addr().unwrap());
    let l = e.listen(
        &[],
        &[
            "--count",
            "1",
            "--forward",
            &target,
            "--forward-timeout",
            "1s",
        ],
    );
    let started = Instant::now();
    let status = post_status(
        &l.url,
        r#"{"greenpin_id":"g-1","reason":"expired","state":"vault"}"#,
    );
    assert_eq!(status, 200);
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "the callback waited for the forward: {:?}",
        started.elapsed()
    );
    let mut l = l;
    let line = l
        .stderr
        .by_ref()
        .map_while(Result::ok)
        .find(|s| s.starts_with("forwarding failed"))
        .expect("the forward's failure was not said");
    assert!(started.elapsed() < Duration::from_secs(5), "{line}");
    drop(hung);
    let (code, said, _) = l.finish();
    assert_eq!(code, 0, "{said:?}");
}

#[cfg(feature = "listen")]
#[test]
fn listen_on_every_interface_warns_and_prints_a_url_that_reaches_it() {
    let e = env();
    let l = e.listen(&[], &["--listen", "0.0.0.0:0", "--count", "1"]);
    assert!(
        l.said
            .iter()
            .any(|s| s.starts_with("warning: listening on 0.0.0.0:") && s.contains("not loopback")),
        "{:?}",
        l.said
    );
    assert!(l.url.starts_with("http://127.0.0.1:"), "{}", l.url);
    assert_eq!(
        post_status(
            &l.url,
            r#"{"greenpin_id":"g-1","reason":"expired","state":"vault"}"#
        ),
        200
    );
    let (code, said, _) = l.finish();
    assert_eq!(code, 0, "{said:?}");
}

#[test]
fn settings_alone_reads_the_settings() {
    let e = env();
    let out = e.run(&["--json", "settings"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout_json(&out)["country"], "IN");
}

#[cfg(feature = "listen")]
#[test]
fn listen_register_puts_the_old_endpoint_back_when_stdout_is_closed() {
    let e = env();
    set_old_endpoint(&e);
    // `greenpin listen --register | head -n1`: the reader goes away after one line.
    let mut l = e.listen(&[], &["--register"]);
    drop(l.child.stdout.take());
    e.create("pipe-1", "7987686144");
    for _ in 0..3 {
        let _ = e
            .emu
            .simulate_call(&CallSpec::new("7987686144", "6292134471"));
        std::thread::sleep(Duration::from_millis(100));
    }
    let (code, said, _) = l.finish();
    assert_eq!(code, 0, "{said:?}");
    assert_eq!(endpoint(&e).as_deref(), Some(OLD_ENDPOINT), "{said:?}");
    assert!(
        said.iter()
            .any(|s| s.contains("standard output was closed")),
        "{said:?}"
    );
}

#[cfg(feature = "listen")]
#[test]
fn listen_refuses_a_request_without_the_secret_before_reading_its_body() {
    let e = env();
    let l = e.listen(&[], &[]);
    let rest = l.url.strip_prefix("http://").unwrap();
    let host = rest.split('/').next().unwrap();
    // Headers promise a large body, which never comes: without the secret, the answer
    // comes at once instead of after the body.
    let mut s = std::net::TcpStream::connect(host).unwrap();
    write!(
        s,
        "POST /hooks/greenpin/wrong-secret-0123456789 HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n"
    )
    .unwrap();
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).expect("no answer before the body");
    assert!(
        String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 403"),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );
    signal(&l.child, "-INT");
    let (code, said, _) = l.finish();
    assert_eq!(code, 130, "{said:?}");
}

#[test]
fn traces_and_argument_errors_are_terminal_safe_too() {
    let e = env();
    // A message with a line break cannot forge a trace line.
    let url = answering(
        404,
        r#"{"success":false,"status":404,"code":1,"message":"boom\n2026-01-01T00:00:00Z  INFO forged line","data":null}"#,
    );
    let out = e
        .cmd()
        .env("GREENPIN_BASE_URL", &url)
        .args(["-vvv", "get", "g-1"])
        .output()
        .unwrap();
    assert!(
        !stderr(&out)
            .lines()
            .any(|l| l.starts_with("2026-01-01T00:00:00Z")),
        "{}",
        stderr(&out)
    );
    // clap's messages echo what was typed: escaped as well.
    let out = e
        .cmd()
        .args(["--timeout", "\u{1b}]0;pwned\u{7}", "get", "g-1"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    assert_terminal_safe("an argument error", &out.stderr);
    assert!(stderr(&out).contains("--timeout"), "{}", stderr(&out));
}

#[test]
fn a_token_file_wins_over_the_environment() {
    let e = env();
    let token = e.file("token", format!("{TOKEN}\n"));
    let out = e
        .cmd()
        .env("EXOTEL_API_TOKEN", "not-the-token")
        .args(["--api-token-file", token.to_str().unwrap(), "settings"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[cfg(unix)]
#[test]
fn results_files_are_private_single_named_and_a_crafted_run_number_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let e = env();
    let ids = e.allocations("priv", 1);
    let input = e.rows("priv.ndjson", usage_rows(&ids, "oneway"));
    let results = e.dir.join("priv-results.ndjson");
    assert_eq!(code(&e.bulk(&input).results(&results).run()), 0);
    let mode = std::fs::metadata(&results).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "results are readable by others: {mode:o}");
    // A second name for the results file is refused.
    let other = e.dir.join("other-name.ndjson");
    std::fs::hard_link(&results, &other).unwrap();
    let out = e.bulk(&input).resume(&results).run();
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("hard links"), "{}", stderr(&out));
    std::fs::remove_file(&other).unwrap();
    // A run number at the top of its range: refused in words, not a panic.
    let mut text = std::fs::read_to_string(&results).unwrap();
    text = text.replace("\"run\":1", "\"run\":4294967295");
    std::fs::write(&results, text).unwrap();
    let out = e.bulk(&input).resume(&results).run();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("too many runs"), "{}", stderr(&out));
}
