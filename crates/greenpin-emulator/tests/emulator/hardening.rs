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
    for _ in 0..20 {
        raw.control(
            "POST",
            "/clock/advance",
            Some(serde_json::json!({"seconds": 10u64 * 365 * 86_400})),
        )
        .expect_ok();
    }
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
