//! Proxy variables never apply to a loopback service root: with `HTTP_PROXY` and
//! `ALL_PROXY` pointing at a catcher, both flavours still talk to the emulator directly,
//! and the Basic header never reaches the proxy. The clients run in a child process that
//! starts with those variables set (the environment is not changed in a running process).

use std::process::Command;

use greenpin_tests::Opts;
use greenpin_tests::hostile::{Hostile, Misbehaviour};

const CHILD: &str = "GREENPIN_PROXY_TEST_CHILD";

#[test]
fn loopback_is_never_reached_through_a_proxy() {
    let catcher = Hostile::start(Misbehaviour::Redirect {
        status: 502,
        location: "http://127.0.0.1:9/".into(),
    });
    let mut child = Command::new(std::env::current_exe().unwrap());
    child
        .args([
            "proxy::in_a_child_clients_talk_to_the_emulator_directly",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD, "1");
    for var in [
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "HTTPS_PROXY",
        "https_proxy",
    ] {
        child.env(var, catcher.url());
    }
    let out = child.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("1 passed"), "the child ran no test: {text}");
    assert_eq!(catcher.requests(), 0, "{:?}", catcher.received());
}

/// Run only by [`loopback_is_never_reached_through_a_proxy`], in a child process started
/// with the proxy variables set.
#[test]
#[ignore = "run by proxy::loopback_is_never_reached_through_a_proxy, in a child process"]
fn in_a_child_clients_talk_to_the_emulator_directly() {
    assert!(
        std::env::var_os(CHILD).is_some() && std::env::var_os("HTTP_PROXY").is_some(),
        "this test runs in a child of loopback_is_never_reached_through_a_proxy"
    );
    let emu = greenpin_tests::emulator();
    for make in [greenpin_tests::blocking, greenpin_tests::asynchronous] {
        let sdk = make(&emu, &Opts::default());
        let s = sdk
            .settings()
            .unwrap_or_else(|e| panic!("{}: {e}", sdk.flavor()));
        assert_eq!(s.country, Some(greenpin_core::Country::IN));
    }
}
