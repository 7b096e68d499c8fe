//! Both transports against a hostile server on loopback: the same limits hold and the
//! same words come back, because the loop and the limits live in the core.

use std::error::Error as _;
use std::time::{Duration, Instant};

use greenpin_core::retry::RetryPolicy;
use greenpin_core::{CreateSpec, Error, PartySpec, TransportErrorKind};
use greenpin_tests::hostile::{Hostile, Misbehaviour};
use greenpin_tests::{Make, Opts};

const CAP: u64 = 64 * 1024;

fn opts(url: &str) -> Opts {
    Opts {
        base_url: Some(url.to_owned()),
        max_response_bytes: Some(CAP),
        retry: Some(RetryPolicy::none()),
        ..Opts::default()
    }
}

fn flavours() -> [(&'static str, Make); 2] {
    [
        ("blocking", greenpin_tests::blocking),
        ("async", greenpin_tests::asynchronous),
    ]
}

fn create() -> CreateSpec {
    CreateSpec::new("order-7")
        .a(PartySpec::new().number("7987686144").vn("6292134471"))
        .b(PartySpec::new().number("9956555625"))
}

#[test]
fn an_endless_answer_is_cut_at_the_same_cap_with_the_same_words() {
    let emu = greenpin_tests::emulator();
    let mut messages = Vec::new();
    for how in [
        Misbehaviour::EndlessBody { limit: 256 << 20 },
        Misbehaviour::HugeContentLength,
    ] {
        let server = Hostile::start(how.clone());
        for (name, make) in flavours() {
            let sdk = make(&emu, &opts(server.url()));
            let started = Instant::now();
            let e = sdk.settings().unwrap_err();
            let Error::Transport(t) = &e else {
                panic!("{name} {how:?}: {e:?}")
            };
            assert_eq!(
                t.kind,
                TransportErrorKind::ResponseTooLarge,
                "{name} {how:?}"
            );
            assert!(!e.is_retryable());
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{name}: read past the cap"
            );
            messages.push(e.to_string());
        }
    }
    assert!(messages.windows(2).all(|w| w[0] == w[1]), "{messages:?}");
}

#[test]
fn a_refused_connection_reads_the_same_on_both_transports() {
    let emu = greenpin_tests::emulator();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut seen = Vec::new();
    for (name, make) in flavours() {
        let sdk = make(&emu, &opts(&format!("http://127.0.0.1:{port}")));
        let e = sdk.settings().unwrap_err();
        assert!(
            matches!(&e, Error::Transport(t) if t.kind == TransportErrorKind::Connect),
            "{name}: {e:?}"
        );
        assert!(!e.may_have_been_sent());
        // The summary is ours; the cause is reachable once, in source(), not repeated.
        let summary = e.to_string();
        let cause = e.source().expect("a cause").to_string();
        assert!(
            !summary.contains(&cause),
            "{name}: {summary:?} repeats {cause:?}"
        );
        seen.push(summary);
    }
    assert_eq!(seen[0], seen[1]);
    assert_eq!(seen[0], "could not connect to GreenPin");
}

#[test]
fn redirects_are_never_followed_and_nothing_reaches_the_other_origin() {
    let emu = greenpin_tests::emulator();
    let elsewhere = Hostile::start(Misbehaviour::Drip {
        every: Duration::ZERO,
    });
    for status in [301, 302, 307, 308] {
        let server = Hostile::start(Misbehaviour::Redirect {
            status,
            location: format!("{}/v1/tenants/stolen/greenpin", elsewhere.url()),
        });
        for (name, make) in flavours() {
            let sdk = make(&emu, &opts(server.url()));
            let e = sdk.create(&create()).unwrap_err();
            assert_eq!(e.status().map(|s| s.as_u16()), Some(status), "{name}");
            let text = e.to_string();
            assert!(text.contains(elsewhere.url()), "{name}: {text}");
            assert!(
                !text.contains("stolen"),
                "{name}: the Location's path is not repeated"
            );
        }
        assert_eq!(server.requests(), 2, "one create per flavour, no retry");
    }
    assert_eq!(elsewhere.requests(), 0, "no request followed the redirect");
}

#[test]
fn a_dripping_answer_ends_at_the_whole_call_timeout() {
    let emu = greenpin_tests::emulator();
    let server = Hostile::start(Misbehaviour::Drip {
        every: Duration::from_millis(200),
    });
    for (name, make) in flavours() {
        let mut o = opts(server.url());
        o.retry = None; // retries on: the deadline must bound them too
        o.timeout = Some(Duration::from_millis(1500));
        let sdk = make(&emu, &o);
        let started = Instant::now();
        let e = sdk.settings().unwrap_err();
        let took = started.elapsed();
        assert!(e.is_timeout(), "{name}: {e:?}");
        assert!(
            took < Duration::from_secs(4),
            "{name}: took {took:?} for a 1.5 s call"
        );
    }
}
