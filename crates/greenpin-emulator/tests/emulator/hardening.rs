//! The emulator under slow, abusive and cross-site clients (loopback only, bounded loops):
//! its journal stays within its byte budget, slow clients are cut off, controls refuse web
//! pages, the clock cannot be wrapped, and its printed URL is always one the SDK accepts.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::common::Raw;
use greenpin_emulator::{BlockingEmulator, EmulatorConfig, Limits};

fn with_limits(limits: Limits) -> (BlockingEmulator, Raw) {
    let emu = BlockingEmulator::try_start(EmulatorConfig::new().limits(limits)).unwrap();
    let raw = Raw::new(&emu);
    (emu, raw)
}

fn addr(emu: &BlockingEmulator) -> String {
    emu.base_url().trim_start_matches("http://").to_owned()
}

#[test]
fn the_journal_stays_within_its_byte_budget_and_keeps_no_unauthenticated_body() {
    let mut limits = Limits::default();
    limits.journal_bytes = 1 << 20;
    limits.journal_body_bytes = 64 << 10;
    let (emu, raw) = with_limits(limits);
    let big = format!("{{\"usage\":\"{}\"}}", "x".repeat(500 << 10));
    for _ in 0..40 {
        raw.api("PUT", "/greenpin/g-1", Some(&big));
        raw.send(
            "PUT",
            "/v1/tenants/demo/greenpin/g-1",
            &[("content-type", "application/json")],
            Some(big.as_bytes()),
        );
    }
    let stats = emu.stats();
    assert!(
        stats.journal_bytes <= 1 << 20,
        "{} bytes kept",
        stats.journal_bytes
    );
    assert!(stats.journal_bytes > 0);
    let journal = emu.requests();
    let unauthenticated = journal
        .iter()
        .filter(|e| !e.headers.contains_key("authorization"))
        .collect::<Vec<_>>();
    assert!(!unauthenticated.is_empty());
    assert!(
        unauthenticated
            .iter()
            .all(|e| e.body == "[not authenticated: body not kept]")
    );
    let kept = journal
        .iter()
        .find(|e| e.headers.contains_key("authorization"))
        .unwrap();
    assert!(
        kept.body.len() < 70 << 10 && kept.body.contains("cut"),
        "cut to 64 KiB"
    );
}

#[test]
fn a_slow_client_is_cut_off_and_the_others_are_served() {
    let mut limits = Limits::default();
    limits.header_timeout = Duration::from_millis(300);
    limits.max_connections = 8;
    let (emu, raw) = with_limits(limits);
    // Slowloris: more half-sent requests than the connection cap.
    let mut slow: Vec<TcpStream> = (0..20)
        .filter_map(|_| TcpStream::connect(addr(&emu)).ok())
        .collect();
    for s in &mut slow {
        let _ = s.write_all(b"GET /__emulator/health HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    }
    let started = Instant::now();
    raw.control("GET", "/health", None).expect_ok();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "served in {:?}",
        started.elapsed()
    );
    // The half-sent ones were closed.
    let s = &mut slow[0];
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 512];
    let n = match s.read(&mut buf) {
        Ok(n) => n,
        Err(e) => panic!("a half-sent request was still open after 5 s: {e}"),
    };
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(n == 0 || text.starts_with("HTTP/1.1 408"), "{text:?}");
}

#[test]
fn controls_refuse_other_origins_and_bodies_not_declared_json() {
    let emu = BlockingEmulator::start();
    let raw = Raw::new(&emu);
    let path = "/__emulator/clock/advance";
    let body = br#"{"seconds":60}"#;
    let from_page = raw.send(
        "POST",
        path,
        &[
            ("content-type", "text/plain"),
            ("origin", "http://evil.example"),
        ],
        Some(body),
    );
    from_page.expect_error(403, 8);
    raw.send("POST", path, &[("content-type", "text/plain")], Some(body))
        .expect_error(403, 8);
    raw.send(
        "POST",
        path,
        &[
            ("content-type", "application/json"),
            ("origin", "http://evil.example"),
        ],
        Some(body),
    )
    .expect_error(403, 8);
    let own = format!("http://{}", addr(&emu));
    raw.send(
        "POST",
        path,
        &[("content-type", "application/json"), ("origin", &own)],
        Some(body),
    )
    .expect_ok();
}

#[test]
fn the_clock_cannot_be_wrapped() {
    let emu = BlockingEmulator::start();
    let raw = Raw::new(&emu);
    let m = raw
        .control(
            "POST",
            "/clock/advance",
            Some(serde_json::json!({"seconds": u64::MAX})),
        )
        .expect_error(400, 5);
    assert!(m.starts_with("seconds: "), "{m}");
    // Twenty advances of ten years: the first ten go through, then the clock stops at a
    // hundred years ahead and refuses.
    let answers: Vec<u16> = (0..20)
        .map(|_| {
            raw.control(
                "POST",
                "/clock/advance",
                Some(serde_json::json!({"seconds": 10u64 * 365 * 86_400})),
            )
            .status
        })
        .collect();
    assert_eq!(
        answers.iter().filter(|s| **s == 200).count(),
        10,
        "{answers:?}"
    );
    assert!(answers[10..].iter().all(|s| *s == 400), "{answers:?}");
    let now = raw.control("GET", "/clock", None).expect_ok()["now"]
        .as_str()
        .unwrap()
        .to_owned();
    let year: i32 = now[..4].parse().unwrap();
    assert!((2100..2200).contains(&year), "the clock reads {now}");
}

#[test]
fn a_wildcard_listener_prints_a_loopback_url_and_serves_mapped_loopback_controls() {
    let v4 =
        BlockingEmulator::try_start(EmulatorConfig::new().listen("0.0.0.0:0".parse().unwrap()))
            .unwrap();
    assert!(
        v4.base_url().starts_with("http://127.0.0.1:"),
        "{}",
        v4.base_url()
    );
    greenpin_core::ServiceRoot::parse(v4.base_url()).unwrap();

    let Ok(dual) =
        BlockingEmulator::try_start(EmulatorConfig::new().listen("[::]:0".parse().unwrap()))
    else {
        eprintln!("SKIPPED: no IPv6 on this machine");
        return;
    };
    assert!(
        dual.base_url().starts_with("http://[::1]:"),
        "{}",
        dual.base_url()
    );
    greenpin_core::ServiceRoot::parse(dual.base_url()).unwrap();
    // An IPv4 client of the dual-stack listener is seen as ::ffff:127.0.0.1: loopback.
    let port = dual.base_url().rsplit(':').next().unwrap().to_owned();
    let mut s = TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
    s.write_all(b"GET /__emulator/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
}

#[test]
fn settings_it_does_not_model_are_bounded_and_a_null_removes_one() {
    let emu = BlockingEmulator::start();
    let raw = Raw::new(&emu);
    let big = format!(r#"{{"junk_0": "{}"}}"#, "x".repeat(60 << 10));
    raw.api("PUT", "/settings", Some(&big)).expect_ok();
    let more = format!(r#"{{"junk_1": "{}"}}"#, "x".repeat(10 << 10));
    let m = raw
        .api("PUT", "/settings", Some(&more))
        .expect_error(400, 5);
    assert!(m.starts_with("settings: "), "{m}");
    raw.api("PUT", "/settings", Some(r#"{"junk_0": null}"#))
        .expect_ok();
    let s = raw.api("PUT", "/settings", Some(&more)).expect_ok();
    assert!(s.get("junk_0").is_none() && s["junk_1"].is_string());
    let many: serde_json::Map<String, serde_json::Value> = (0..65)
        .map(|i| (format!("k{i}"), serde_json::json!(i)))
        .collect();
    raw.api(
        "PUT",
        "/settings",
        Some(&serde_json::Value::Object(many).to_string()),
    )
    .expect_error(400, 5);
}

#[test]
fn the_clock_refuses_to_run_past_a_hundred_years_ahead() {
    let emu = BlockingEmulator::start();
    let raw = Raw::new(&emu);
    for _ in 0..10 {
        raw.control(
            "POST",
            "/clock/advance",
            Some(serde_json::json!({"seconds": 315_360_000})),
        )
        .expect_ok();
    }
    let before = raw.control("GET", "/clock", None).expect_ok()["now_ms"].clone();
    let m = raw
        .control(
            "POST",
            "/clock/advance",
            Some(serde_json::json!({"seconds": 315_360_000})),
        )
        .expect_error(400, 5);
    assert!(m.contains("100 years"), "{m}");
    let after = raw.control("GET", "/clock", None).expect_ok()["now_ms"].clone();
    assert!(after.as_i64().unwrap() - before.as_i64().unwrap() < 60_000);
    assert!(emu.advance_clock(Duration::from_secs(315_360_000)).is_err());
    raw.control("POST", "/clock/advance", Some(serde_json::json!({})))
        .expect_error(400, 5);
}

#[test]
fn the_journal_hides_the_secrets_of_urls_in_bodies() {
    let emu = BlockingEmulator::start();
    let raw = Raw::new(&emu);
    raw.api(
        "PUT",
        "/settings",
        Some(r#"{"greenpin_call_complete_event_endpoint":"http://u:SEKRIT3@127.0.0.1:9000/hooks?greenpin_secret=SEKRIT4&x=1"}"#),
    )
    .expect_ok();
    let journal = serde_json::to_string(&emu.requests()).unwrap();
    let state = raw.control("GET", "/state", None).text;
    for text in [&journal, &state] {
        assert!(!text.contains("SEKRIT"), "{text}");
    }
    assert!(journal.contains("greenpin_secret=***"), "{journal}");
}

#[test]
fn blank_credentials_are_refused_at_start_and_the_banner_says_which_token() {
    for config in [
        EmulatorConfig::new().api_token(""),
        EmulatorConfig::new().api_key("  "),
    ] {
        let e = BlockingEmulator::try_start(config).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput, "{e}");
        assert!(e.to_string().contains("must not be blank"), "{e}");
    }
    let banner = |args: &[&str]| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_greenpin-emulator"))
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env_remove("EXOTEL_API_TOKEN")
            .env_remove("EXOTEL_API_KEY")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut lines =
            std::io::BufRead::lines(std::io::BufReader::new(child.stdout.take().unwrap()));
        let third = lines.nth(2).unwrap().unwrap();
        let _ = child.kill();
        let _ = child.wait();
        third
    };
    let only_key = banner(&["--api-key", "k2"]);
    assert!(
        only_key.contains("key k2, token demo-token (the public default token"),
        "{only_key}"
    );
    let own = banner(&["--api-token", "s3cr3t-token"]);
    assert!(own.contains("the token you gave (not shown)"), "{own}");
    assert!(!own.contains("s3cr3t-token"), "{own}");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_greenpin-emulator"))
        .args(["--listen", "127.0.0.1:0", "--api-token", ""])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success());
}
