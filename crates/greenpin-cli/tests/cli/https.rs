//! The command over HTTPS, as against a real account: it trusts the operating system's
//! certificate store (here `SSL_CERT_FILE`, as a company's TLS proxy installs its authority),
//! an authority given with `--ca-cert`, and refuses an untrusted certificate with a
//! transport failure (exit 4), nothing sent.

use greenpin_tests::tls::{TestCa, TlsFront};

use crate::common::{env, stderr, stdout};

#[test]
fn settings_get_over_https_trusts_the_system_store_and_a_given_authority() {
    let e = env();
    let ca = TestCa::new();
    let front = TlsFront::start(&ca, e.emu.addr());
    let pem = ca.write_ca(&e.dir, "ca.pem");
    // The authority in the store the operating system's verifier reads.
    let out = e
        .cmd()
        .env("GREENPIN_BASE_URL", &front.base_url)
        .env("SSL_CERT_FILE", &pem)
        .args(["--json", "settings", "get"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        crate::common::stdout_json(&out)["country"],
        "IN",
        "{}",
        stdout(&out)
    );
    // The authority given on the command line, beside the system's.
    let out = e
        .cmd()
        .env("GREENPIN_BASE_URL", &front.base_url)
        .args(["--ca-cert", pem.to_str().unwrap(), "settings", "get"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // Neither: refused before anything was sent, as a transport failure.
    let before = e.emu.requests().len();
    let out = e
        .cmd()
        .env("GREENPIN_BASE_URL", &front.base_url)
        .args(["settings", "get"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("certificate"), "{}", stderr(&out));
    assert_eq!(
        e.emu.requests().len(),
        before,
        "an untrusted handshake sent nothing"
    );
    // A file that is not a certificate is refused by name.
    let bad = e.file("not-a-ca.pem", "hello");
    let out = e
        .cmd()
        .env("GREENPIN_BASE_URL", &front.base_url)
        .args(["--ca-cert", bad.to_str().unwrap(), "settings", "get"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--ca-cert"), "{}", stderr(&out));
}
