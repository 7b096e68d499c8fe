//! The test controls: faults, the journal, call simulation, callbacks; and correctness
//! under concurrent load.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::{Raw, setup};
use greenpin_emulator::{CallSpec, Fault, FaultRule};
use serde_json::{Value, json};

#[test]
fn status_fault_with_retry_after_then_normal_service() {
    let (_emu, raw) = setup();
    raw.control(
        "POST",
        "/faults",
        Some(
            json!({"method": "GET", "path": "/v1/tenants/*/settings", "times": 2,
        "fault": {"kind": "status", "status": 429, "retry_after": "1"}}),
        ),
    )
    .expect_ok();
    for _ in 0..2 {
        let a = raw.api("GET", "/settings", None);
        a.expect_error(429, 0);
        assert_eq!(a.headers["retry-after"], "1");
    }
    raw.api("GET", "/settings", None).expect_ok();
}

#[test]
fn html_body_fault() {
    let (emu, raw) = setup();
    emu.add_fault(FaultRule::new(Fault::Status {
        status: 502,
        retry_after: None,
        body: Some("<html>Bad Gateway</html>".into()),
        content_type: None,
    }))
    .unwrap();
    let a = raw.api("GET", "/settings", None);
    assert_eq!(
        (a.status, a.text.as_str()),
        (502, "<html>Bad Gateway</html>")
    );
    assert_eq!(a.headers["content-type"], "text/html");
}

#[test]
fn delay_fault() {
    let (emu, raw) = setup();
    emu.add_fault(FaultRule::new(Fault::Delay { ms: 300 }).method("GET"))
        .unwrap();
    let start = Instant::now();
    raw.api("GET", "/settings", None).expect_ok();
    assert!(start.elapsed() >= Duration::from_millis(300));
}

#[test]
fn close_fault_sends_no_answer() {
    let (emu, raw) = setup();
    emu.add_fault(FaultRule::new(Fault::Close).path("/v1/tenants/*/settings"))
        .unwrap();
    // A raw socket sees the connection end with no bytes at all.
    let mut s = std::net::TcpStream::connect(emu.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "GET /v1/tenants/demo/settings HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: {}\r\n\r\n",
        raw.auth
    )
    .unwrap();
    let mut buf = Vec::new();
    let n = s.read_to_end(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "{:?}", String::from_utf8_lossy(&buf));
    // The journal counted the attempt, and the next request is served.
    assert_eq!(emu.requests().len(), 1);
    raw.api("GET", "/settings", None).expect_ok();
}

#[test]
fn truncate_fault_cuts_the_body() {
    let (emu, raw) = setup();
    let full = raw.api("GET", "/settings", None).text;
    emu.add_fault(FaultRule::new(Fault::Truncate)).unwrap();
    let cut = raw.api("GET", "/settings", None);
    assert_eq!(cut.status, 200);
    assert!(serde_json::from_str::<Value>(&cut.text).is_err());
    assert_eq!(cut.text.len(), full.len() / 2);
}

#[test]
fn bad_fault_rules_are_refused() {
    let (_emu, raw) = setup();
    raw.control(
        "POST",
        "/faults",
        Some(json!({"fault": {"kind": "status", "status": 42}})),
    )
    .expect_error(400, 5);
    raw.control(
        "POST",
        "/faults",
        Some(json!({"fault": {"kind": "explode"}})),
    )
    .expect_error(400, 5);
    raw.control(
        "POST",
        "/faults",
        Some(json!({"times": 0, "fault": {"kind": "close"}})),
    )
    .expect_error(400, 5);
    raw.control("POST", "/faults", Some(json!({"fault": {"kind": "close"}})))
        .expect_ok();
    assert_eq!(
        raw.control("GET", "/faults", None)
            .expect_ok()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    raw.control("DELETE", "/faults", None).expect_ok();
    raw.api("GET", "/settings", None).expect_ok();
}

#[test]
fn journal_counts_requests_and_redacts_credentials() {
    let (emu, raw) = setup();
    raw.api("GET", "/settings", None);
    raw.api("PUT", "/settings", Some(r#"{"deletion_time": 5}"#));
    raw.control("GET", "/faults", None);
    let journal = raw.control("GET", "/requests", None).expect_ok();
    let entries = journal.as_array().unwrap();
    assert_eq!(entries.len(), 2, "controls are not journaled");
    assert_eq!(entries[1]["method"], "PUT");
    assert_eq!(entries[1]["path"], "/v1/tenants/demo/settings");
    assert_eq!(entries[1]["body"], r#"{"deletion_time": 5}"#);
    assert_eq!(entries[0]["headers"]["authorization"], "Basic [redacted]");
    let text = journal.to_string();
    assert!(
        !text.contains("demo-token") && !text.contains(&raw.auth[6..]),
        "{text}"
    );
    assert_eq!(emu.requests().len(), 2);
    raw.control("DELETE", "/requests", None).expect_ok();
    assert!(emu.requests().is_empty());
}

#[test]
fn calls_route_both_ways_and_refuse_with_reasons() {
    let (_emu, raw) = setup();
    raw.api("PUT", &format!("/greenpin/{}", "x"), Some("{}"));
    // A vault period, so the deleted allocation's keys stay reserved below.
    raw.api("PUT", "/settings", Some(r#"{"deletion_time": 600}"#))
        .expect_ok();
    let c = raw.create(json!({"transaction_id": "t",
        "a": {"numbers": ["7987686144"], "vns": ["6292134471"], "pin": "123"},
        "b": {"numbers": ["9956555625"], "vns": ["6292134465"]}}));
    let id = c["greenpin_id"].as_str().unwrap();
    let call = |from: &str, vn: &str, pin: Option<&str>| {
        let mut body = json!({"from": from, "vn": vn});
        if let Some(p) = pin {
            body["pin"] = json!(p);
        }
        let mut out = raw.control("POST", "/calls", Some(body)).expect_ok();
        let sid = out.as_object_mut().unwrap().remove("call_sid");
        assert!(sid.is_some_and(|s| s.as_str().is_some_and(|s| s.len() == 36)));
        out
    };
    // A calls B through its VN with its PIN.
    assert_eq!(
        call("7987686144", "6292134471", Some("123")),
        json!({"connected": true, "call_type": "completed", "greenpin_id": id, "party": "a", "to": "+919956555625"})
    );
    // B calls A through its VN, known by its number (no PIN).
    assert_eq!(
        call("9956555625", "6292134465", None),
        json!({"connected": true, "call_type": "completed", "greenpin_id": id, "party": "b", "to": "+917987686144"})
    );
    assert_eq!(
        call("7987686144", "6292134471", Some("999"))["reason"],
        "wrong_pin"
    );
    assert_eq!(
        call("7987686144", "6292134471", None)["reason"],
        "wrong_pin"
    );
    assert_eq!(call("9000000000", "6292134465", None)["reason"], "no_match");
    assert_eq!(call("9000000000", "6292139999", None)["reason"], "no_match");
    raw.control(
        "POST",
        "/calls",
        Some(json!({"from": "629XXXXX71", "vn": "6292134471"})),
    )
    .expect_error(400, 16);
    // oneway: B may not call A.
    raw.api(
        "PUT",
        &format!("/greenpin/{id}"),
        Some(r#"{"usage":"oneway"}"#),
    )
    .expect_ok();
    let refused = call("9956555625", "6292134465", None);
    assert_eq!(
        (
            refused["connected"].as_bool(),
            refused["reason"].as_str(),
            refused["party"].as_str()
        ),
        (Some(false), Some("oneway"), Some("b"))
    );
    assert_eq!(
        call("7987686144", "6292134471", Some("123"))["connected"],
        true
    );
    // Deleted, in its vault period: not active, and the attempt names the allocation.
    raw.api("DELETE", &format!("/greenpin/{id}"), None)
        .expect_ok();
    let gone = call("7987686144", "6292134471", Some("123"));
    assert_eq!(
        (
            gone["reason"].as_str(),
            gone["greenpin_id"].as_str(),
            gone["call_type"].as_str()
        ),
        (Some("not_active"), Some(id), Some("call-attempt"))
    );
}

/// A one-shot HTTP listener on loopback that hands each request body to a channel.
fn listener() -> (String, mpsc::Receiver<(String, Value)>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hooks/greenpin", l.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in l.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut len, mut kind) = (0usize, String::new());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                if let Some(v) = lower.strip_prefix("x-greenpin-event:") {
                    kind = v.trim().to_owned();
                }
            }
            let mut body = vec![0; len];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            if let Ok(v) = serde_json::from_slice(&body) {
                let _ = tx.send((kind, v));
            }
        }
    });
    (url, rx)
}

#[test]
fn callbacks_reach_a_loopback_listener() {
    let (emu, raw) = setup();
    let (url, events) = listener();
    raw.api(
        "PUT",
        "/settings",
        Some(&json!({"greenpin_call_complete_event_endpoint": url}).to_string()),
    )
    .expect_ok();
    let c = raw.create(json!({"transaction_id": "order-7", "a": {"numbers": ["7987686144"], "vns": ["6292134471"], "pin": "123"},
        "b": {"numbers": ["9956555625"]}, "deallocation_policy": {"duration": "1m"}}));
    let id = c["greenpin_id"].as_str().unwrap().to_owned();
    let wait = || {
        events
            .recv_timeout(Duration::from_secs(10))
            .expect("a callback")
    };

    emu.simulate_call(&CallSpec::new("7987686144", "6292134471").pin("123"))
        .unwrap();
    let (kind, call) = wait();
    assert_eq!(kind, "call_completed");
    assert_eq!(
        (
            call["greenpin_id"].as_str(),
            // As Exotel's callback table spells it.
            call["transation_id"].as_str()
        ),
        (Some(id.as_str()), Some("order-7"))
    );
    assert_eq!(
        (
            call["from"].as_str(),
            call["to"].as_str(),
            call["vn"].as_str()
        ),
        (
            Some("+917987686144"),
            Some("+919956555625"),
            Some("+916292134471")
        )
    );
    assert_eq!(call["call_type"], "completed");
    let parsed: greenpin_core::callbacks::CallCompleted = serde_json::from_value(call).unwrap();
    assert_eq!(parsed.direction.as_deref(), Some("incoming"));

    // A 1-minute policy lives the documented minimum, 5 minutes.
    emu.advance_clock(Duration::from_secs(61)).unwrap();
    assert!(
        events.recv_timeout(Duration::from_millis(300)).is_err(),
        "not yet expired"
    );
    emu.advance_clock(Duration::from_secs(240)).unwrap();
    let (kind, dealloc) = wait();
    assert_eq!(kind, "deallocation");
    assert_eq!(
        (
            dealloc["greenpin_id"].as_str(),
            dealloc["reason"].as_str(),
            dealloc["state"].as_str()
        ),
        (Some(id.as_str()), Some("expired"), Some("vault"))
    );

    let second = raw.create_simple("order-8", "7000000001", "9000000001", "6292134472");
    raw.api(
        "DELETE",
        &format!("/greenpin/{}", second["greenpin_id"].as_str().unwrap()),
        None,
    )
    .expect_ok();
    let (_, deleted) = wait();
    assert_eq!(deleted["reason"], "deleted");
}

#[test]
fn controls_refuse_nothing_from_loopback_and_clock_reports() {
    let (_emu, raw) = setup();
    let before = raw.control("GET", "/clock", None).expect_ok()["now_ms"]
        .as_i64()
        .unwrap();
    let after = raw
        .control("POST", "/clock/advance", Some(json!({"seconds": 3600})))
        .expect_ok()["now_ms"]
        .as_i64()
        .unwrap();
    assert!(after - before >= 3_600_000);
    raw.control("POST", "/clock/advance", Some(json!({"seconds": -1})))
        .expect_error(400, 5);
    assert_eq!(raw.control("GET", "/health", None).expect_ok(), "ok");
}

#[test]
fn concurrent_clients_keep_the_invariants() {
    let (emu, _raw) = setup();
    // 16 threads race to claim (VN, PIN) pairs from a pool of 3 VNs x 5 PINs, update,
    // and delete; every pair may be held by one active allocation at a time.
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let raw = Raw::new(&emu);
            std::thread::spawn(move || {
                let mut held = Vec::new();
                let mut statuses = Vec::new();
                for i in 0..40 {
                    let vn = format!("62921344{:02}", 70 + (t + i) % 3);
                    let pin = format!("{}", 100 + (t * 7 + i) % 5);
                    let body = json!({"transaction_id": format!("t{t}-{i}"), "a": {"numbers": [format!("70{t:02}{i:06}")], "vns": [vn], "pin": pin}});
                    let a = raw.api("POST", "/greenpin", Some(&body.to_string()));
                    statuses.push(a.status);
                    if a.status == 200 {
                        held.push(a.json()["data"]["greenpin_id"].as_str().unwrap().to_owned());
                    }
                    if i % 3 == 2 && let Some(id) = held.pop() {
                        statuses.push(raw.api("DELETE", &format!("/greenpin/{id}"), None).status);
                    }
                    if let Some(id) = held.last() {
                        let next = format!("{}", 100 + (t + i) % 5);
                        statuses.push(raw.api("PUT", &format!("/greenpin/{id}"), Some(&json!({"a": {"pin": next}}).to_string())).status);
                    }
                }
                statuses
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in threads {
        all.extend(t.join().unwrap());
    }
    assert!(
        all.iter().all(|s| matches!(s, 200 | 409 | 410)),
        "unexpected statuses: {:?}",
        all.iter()
            .filter(|s| !matches!(s, 200 | 409 | 410))
            .collect::<Vec<_>>()
    );
    assert!(
        all.contains(&200) && all.contains(&409),
        "the race never contended"
    );
    emu.check_invariants().unwrap();
}

#[test]
fn the_binary_prints_its_address_serves_and_stops_on_sigterm() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_greenpin-emulator"))
        .args(["--listen", "127.0.0.1:0", "--api-token", "bin-token"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    let mut second = String::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap());
    lines.read_line(&mut first).unwrap();
    lines.read_line(&mut second).unwrap();
    let base = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{first:?}"))
        .to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    // The second line is the dashboard.
    assert_eq!(
        second.trim(),
        format!("dashboard at {base}/__emulator/dashboard")
    );

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let auth = greenpin_core::Credentials::new("demo-key", "bin-token").authorization();
    let resp = agent
        .get(format!("{base}/v1/tenants/demo/settings"))
        .header("authorization", auth.to_str().unwrap())
        .call()
        .unwrap();
    assert_eq!(resp.status(), 200);

    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(!err.contains("bin-token"));
}

#[test]
fn serves_its_openapi_document() {
    let (_emu, raw) = setup();
    let a = raw.send("GET", "/__emulator/openapi.json", &[], None);
    assert_eq!(a.status, 200);
    assert_eq!(a.headers["content-type"], "application/json");
    let doc = a.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["x-generated"],
        "generated by `cargo xtask codegen`, do not edit"
    );
    assert!(doc["paths"]["/greenpin/{greenpin_id}"]["put"].is_object());
}

#[test]
fn the_dashboard_is_served_locked_down_with_its_state() {
    let (emu, raw) = setup();
    let c = raw.create_simple("dash-1", "7987686144", "9956555625", "6292134471");
    let id = crate::common::id_of(&c);
    let page = raw.send("GET", "/__emulator/dashboard", &[], None);
    assert_eq!(page.status, 200);
    assert!(page.text.contains("<h1>GreenPin emulator</h1>"));
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    for (asset, kind) in [
        ("app.js", "text/javascript"),
        ("app.css", "text/css"),
        ("icon.svg", "image/svg+xml"),
    ] {
        let a = raw.send("GET", &format!("/__emulator/dashboard/{asset}"), &[], None);
        assert_eq!(a.status, 200, "{asset}");
        assert!(
            a.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with(kind),
            "{asset}"
        );
    }
    // Its data: the allocation with time left, the routing table, the clock, settings.
    emu.simulate_call(&CallSpec::new("9956555625", "6292134471"))
        .unwrap();
    let state = raw.control("GET", "/state", None).expect_ok();
    assert_eq!(
        (
            state["allocations"]["total"].as_u64(),
            state["allocations"]["matching"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let a = &state["allocations"]["items"][0];
    assert_eq!(a["greenpin_id"], id.as_str());
    assert!(a["ms_left"].as_i64().unwrap() > 0);
    assert!(
        state["routes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["vn"] == "+916292134471" && r["greenpin_id"] == id.as_str()),
        "{}",
        state["routes"]
    );
    assert_eq!(state["callbacks"][0]["kind"], "call_completed");
    assert_eq!(state["account"], emu.account_sid());
    assert!(state["settings"]["timezone"].is_string());
    assert_eq!(state["requests"][0]["method"], "POST");
    // The controls' rules hold for it: another site's page, or a host name that was made
    // to point at loopback (DNS rebinding), gets nothing.
    let other = raw.send(
        "GET",
        "/__emulator/state",
        &[("origin", "http://evil.example")],
        None,
    );
    assert_eq!(other.status, 403);
    let rebound = raw.send(
        "GET",
        "/__emulator/state",
        &[
            ("host", "evil.example:80"),
            ("origin", "http://evil.example:80"),
        ],
        None,
    );
    assert_eq!(rebound.status, 403);
    assert!(
        rebound
            .text
            .contains("name the emulator by a loopback host"),
        "{}",
        rebound.text
    );
}

#[test]
fn the_journal_redacts_credentials_wherever_they_are_sent() {
    let (emu, raw) = setup();
    let token = emu.credentials().token().expose().to_owned();
    let bare = emu.credentials().authorization();
    let bare = bare
        .to_str()
        .unwrap()
        .trim_start_matches("Basic ")
        .to_owned();
    raw.send(
        "GET",
        &format!(
            "/v1/tenants/{}/settings?api_token={token}&page=2",
            emu.account_sid()
        ),
        &[
            ("authorization", bare.as_str()),
            ("proxy-authorization", &format!("Basic {bare}")),
            ("x-api-token", &token),
        ],
        None,
    );
    let state = raw.control("GET", "/state", None).expect_ok();
    let text = state["requests"].to_string();
    assert!(!text.contains(&token) && !text.contains(&bare), "{text}");
    let r = &state["requests"][0];
    assert_eq!(r["headers"]["authorization"], "[redacted]");
    assert_eq!(r["headers"]["proxy-authorization"], "Basic [redacted]");
    assert_eq!(r["headers"]["x-api-token"], "[redacted]");
    assert_eq!(r["query"], "api_token=[redacted]&page=2");
}

#[test]
fn controls_refuse_what_they_cannot_carry_out_naming_the_field() {
    let (emu, raw) = setup();
    for (body, field) in [
        (
            json!({"fault": {"kind": "status", "status": 100}}),
            "fault.status",
        ),
        (
            json!({"fault": {"kind": "status", "status": 101}}),
            "fault.status",
        ),
        (
            json!({"fault": {"kind": "status", "status": 503, "retry_after": "1\r\nx-evil: 1"}}),
            "fault.retry_after",
        ),
        (json!({"fault": {"kind": "close"}, "tims": 2}), "tims"),
    ] {
        let m = raw
            .control("POST", "/faults", Some(body))
            .expect_error(400, 5);
        assert!(m.contains(field), "{field}: {m}");
    }
    raw.control(
        "POST",
        "/callbacks/faults",
        Some(json!({"fault": {"kind": "drop"}, "x": 1})),
    )
    .expect_error(400, 5);
    raw.control(
        "POST",
        "/calls",
        Some(json!({"from": "7987686144", "vn": "6292134471", "pn": "1"})),
    )
    .expect_error(400, 5);
    raw.control("GET", "/state?state=bogus", None)
        .expect_error(400, 5);
    raw.control("GET", "/state?limit=501", None)
        .expect_error(400, 5);
    raw.control("POST", "/callbacks/99999/redeliver", Some(json!({})))
        .expect_error(404, 1);
    let m = raw
        .control("POST", "/callbacks/abc/redeliver", Some(json!({})))
        .expect_error(404, 1);
    assert!(m.contains("callback"), "{m}");
    let m = raw
        .api(
            "PUT",
            "/settings",
            Some(r#"{"greenpin_call_complete_event_endpoint": "http://127.0.0.1:65536/hook"}"#),
        )
        .expect_error(400, 5);
    assert!(
        m.starts_with("greenpin_call_complete_event_endpoint"),
        "{m}"
    );
    assert!(emu.check_invariants().is_ok());
}

#[test]
fn a_pin_given_for_a_party_whose_pin_is_off_is_said_to_be_ignored() {
    let (_emu, raw) = setup();
    let a = raw.api(
        "POST",
        "/greenpin",
        Some(&json!({"transaction_id": "p", "a": {"numbers": ["7987686144"], "vns": ["6292134471"], "pin": "123"},
            "b": {"numbers": ["9956555625"], "pin": "234"}}).to_string()),
    );
    let data = a.expect_ok();
    assert!(data["b"].get("pin").is_none());
    assert_eq!(
        a.headers["x-greenpin-ignored-fields"],
        "b.pin (bparty_pin_enabled is off)"
    );
}

#[test]
fn a_host_name_allowed_by_the_user_is_answered_from_this_machine_and_others_are_not() {
    let emu = greenpin_emulator::BlockingEmulator::try_start(
        greenpin_emulator::EmulatorConfig::new().allow_host("Greenpin.Test"),
    )
    .unwrap();
    let raw = Raw::new(&emu);
    let path = format!("/v1/tenants/{}/settings", emu.account_sid());
    let auth = raw.auth.clone();
    let named = |host: &str| {
        raw.send(
            "GET",
            &path,
            &[("host", host), ("authorization", auth.as_str())],
            None,
        )
        .status
    };
    // The name the user allowed (in any case, with or without a port) is answered.
    assert_eq!(named("greenpin.test"), 200);
    assert_eq!(named("GREENPIN.TEST:443"), 200);
    // Any other name is still refused: the rebinding guard stands.
    assert_eq!(named("evil.example"), 403);
    assert_eq!(named("greenpin.test.evil.example"), 403);
}

#[test]
fn a_fault_with_a_field_it_does_not_have_is_refused_naming_it() {
    let (_emu, raw) = setup();
    // method and path belong to the rule, not the fault: nested, they would be ignored and
    // the fault would hit every request.
    let message = raw
        .control(
            "POST",
            "/faults",
            Some(json!({"fault": {"kind": "status", "status": 503, "method": "PUT"}})),
        )
        .expect_error(400, 5);
    assert!(message.contains("method"), "{message}");
    let message = raw
        .control(
            "POST",
            "/callbacks/faults",
            Some(json!({"fault": {"kind": "delay", "ms": 5, "path": "/x"}})),
        )
        .expect_error(400, 5);
    assert!(message.contains("path"), "{message}");
    // A clock advance says what a count is, not what a Rust type is.
    let message = raw
        .control("POST", "/clock/advance", Some(json!({"seconds": -1})))
        .expect_error(400, 5);
    assert!(
        message.contains("is not a whole number, 0 or more"),
        "{message}"
    );
    assert!(!message.contains("u64"), "{message}");
}
