//! HTTPS, the only path users have in production, against a certificate authority each test
//! makes ([`greenpin_tests::tls`]): the shared suite's key calls through both transports,
//! with the authority given to the client and with it only in the system store (a child
//! process started with `SSL_CERT_FILE`, as a company's TLS proxy is installed there), and
//! an untrusted certificate refused by both as one kind of error, before anything is sent.

use std::process::Command;

use greenpin_core::{
    BulkItemSpec, BulkSpec, CreateSpec, Error, ErrorCode, PartySpec, PinLength, TransportErrorKind,
    UpdateSpec, Usage,
};
use greenpin_tests::tls::{TestCa, TlsFront};
use greenpin_tests::{Make, Opts, Sdk};

const CHILD: &str = "GREENPIN_HTTPS_TEST_CHILD";
const URL: &str = "GREENPIN_HTTPS_TEST_URL";

/// Every operation through `sdk` over HTTPS, one allocation from create to a second delete.
fn every_operation(sdk: &dyn Sdk, order: &str) {
    let flavor = sdk.flavor();
    let created = sdk
        .create(
            &CreateSpec::new(order)
                .a(PartySpec::new()
                    .number("7987686144")
                    .vn("6292134471")
                    .pin_length(PinLength::of::<4>()))
                .b(PartySpec::new().number("9956555625"))
                .deallocate_after("1h"),
        )
        .unwrap_or_else(|e| panic!("{flavor}: create over https: {e}"));
    let id = created.greenpin_id;
    assert_eq!(sdk.get(&id).unwrap().state, greenpin_core::State::Active);
    let updated = sdk
        .update(&id, &UpdateSpec::new().usage(Usage::Oneway))
        .unwrap();
    assert_eq!(updated.usage, Usage::Oneway, "{flavor}");
    let bulk = sdk
        .bulk_update(&BulkSpec::new().item(BulkItemSpec::new(&id).usage(Usage::Twoway)))
        .unwrap();
    assert!(bulk.greenpins[0].success, "{flavor}: {bulk:?}");
    sdk.delete(&id).unwrap();
    let again = sdk.delete(&id).unwrap_err();
    assert_eq!(again.code(), Some(ErrorCode::AlreadyDeleted), "{flavor}");
    assert_eq!(
        sdk.settings().unwrap().country,
        Some(greenpin_core::Country::IN)
    );
}

const FLAVOURS: [Make; 2] = [greenpin_tests::blocking, greenpin_tests::asynchronous];

#[test]
fn both_transports_speak_https_to_a_root_they_are_given() {
    let emu = greenpin_tests::emulator();
    let ca = TestCa::new();
    let front = TlsFront::start(&ca, emu.addr());
    for (i, make) in FLAVOURS.into_iter().enumerate() {
        let sdk = make(
            &emu,
            &Opts {
                base_url: Some(front.base_url.clone()),
                root_ca_pem: Some(ca.ca_pem.clone()),
                ..Opts::default()
            },
        );
        every_operation(sdk.as_ref(), &format!("https-given-{i}"));
    }
    greenpin_tests::assert_journal_clean(&emu);
}

#[test]
fn an_untrusted_certificate_is_one_kind_of_error_and_nothing_is_sent() {
    let emu = greenpin_tests::emulator();
    let front = TlsFront::start(&TestCa::new(), emu.addr());
    let mut kinds = Vec::new();
    for make in FLAVOURS {
        // Trusting another authority than the one that signed the front's certificate.
        let sdk = make(
            &emu,
            &Opts {
                base_url: Some(front.base_url.clone()),
                root_ca_pem: Some(TestCa::new().ca_pem),
                ..Opts::default()
            },
        );
        let e = sdk
            .create(
                &CreateSpec::new("untrusted")
                    .a(PartySpec::new().number("7987686144").vn("6292134471"))
                    .b(PartySpec::new().number("9956555625")),
            )
            .unwrap_err();
        let Error::Transport(t) = &e else {
            panic!("{}: {e:?}", sdk.flavor())
        };
        assert!(!e.may_have_been_sent(), "{}: {e:?}", sdk.flavor());
        assert!(
            !e.outcome_unknown(),
            "{}: a create that never left is known",
            sdk.flavor()
        );
        assert!(
            !e.is_retryable(),
            "{}: the same certificate again",
            sdk.flavor()
        );
        kinds.push(t.kind);
    }
    assert_eq!(kinds, [TransportErrorKind::Tls, TransportErrorKind::Tls]);
    // Nothing reached the service.
    assert!(emu.requests().is_empty(), "{:?}", emu.requests());
}

#[test]
fn both_transports_trust_an_authority_in_the_system_store() {
    let emu = greenpin_tests::emulator();
    let ca = TestCa::new();
    let front = TlsFront::start(&ca, emu.addr());
    let dir = std::env::temp_dir().join(format!("greenpin-https-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bundle = ca.write_ca(&dir, "system-store.pem");
    // The clients run in a child process started with SSL_CERT_FILE, where the platform's
    // certificate store is read from on Linux: the environment of a running process is not
    // changed.
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "https::in_a_child_both_transports_trust_the_system_store",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .env(URL, &front.base_url)
        .env("SSL_CERT_FILE", &bundle)
        .env_remove("SSL_CERT_DIR")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("1 passed"), "the child ran no test: {text}");
    // Both flavours' seven calls, and the settings read by a client on the user's own
    // reqwest, reached the emulator through the front.
    assert_eq!(emu.requests().len(), 2 * 7 + 1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Run only by [`both_transports_trust_an_authority_in_the_system_store`], in a child
/// process whose `SSL_CERT_FILE` holds the test's authority: no root is given to the
/// clients.
#[test]
#[ignore = "run by https::both_transports_trust_an_authority_in_the_system_store, in a child process"]
fn in_a_child_both_transports_trust_the_system_store() {
    assert!(
        std::env::var_os(CHILD).is_some() && std::env::var_os("SSL_CERT_FILE").is_some(),
        "this test runs in a child of both_transports_trust_an_authority_in_the_system_store"
    );
    let url = std::env::var(URL).unwrap();
    // A stand-in emulator gives the credentials; the calls go to the parent's front.
    let emu = greenpin_tests::emulator();
    for (i, make) in FLAVOURS.into_iter().enumerate() {
        let sdk = make(
            &emu,
            &Opts {
                base_url: Some(url.clone()),
                ..Opts::default()
            },
        );
        every_operation(sdk.as_ref(), &format!("https-system-{i}"));
    }
    // A reqwest client of the user's own, from `Reqwest::client_builder`: the same TLS (ring,
    // the system store), where `reqwest::Client::builder()` alone would have no provider.
    let http = greenpin_async::Reqwest::client_builder()
        .unwrap()
        .build()
        .unwrap();
    settings_through_own_client(&emu, &url, http);
}

/// The settings, read through an async client over the user's own reqwest client `http`.
fn settings_through_own_client(
    emu: &greenpin_emulator::BlockingEmulator,
    url: &str,
    http: greenpin_async::reqwest::Client,
) {
    let client = greenpin_async::Client::builder()
        .base_url(url)
        .account_sid(emu.account_sid())
        .credentials(
            emu.credentials().key().clone(),
            emu.credentials().token().expose(),
        )
        .build_with(greenpin_async::Reqwest::with_client(http))
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let settings = runtime.block_on(client.settings()).unwrap();
    assert_eq!(settings.country, Some(greenpin_core::Country::IN));
}

#[test]
fn a_client_you_build_takes_the_roots_and_the_sdk_builder_refuses_them_for_it() {
    let emu = greenpin_tests::emulator();
    let ca = TestCa::new();
    let front = TlsFront::start(&ca, emu.addr());
    let roots = greenpin_core::RootCertificate::from_pem(ca.ca_pem.as_bytes()).unwrap();
    // The user's own reqwest client, trusting the test's authority (not in this process's
    // system store): it reaches the service through the front.
    let http = greenpin_async::Reqwest::client_builder_with_roots(&roots)
        .unwrap()
        .build()
        .unwrap();
    settings_through_own_client(&emu, &front.base_url, http);
    assert_eq!(emu.requests().len(), 1);
    let key = emu.credentials().key().clone();
    let token = emu.credentials().token().expose().to_owned();
    // Roots given to the SDK's builder could not reach a client already built: refused
    // when the client is built, in both transports, rather than at the first handshake.
    let http = greenpin_async::Reqwest::client_builder()
        .unwrap()
        .build()
        .unwrap();
    let asynchronous = greenpin_async::Client::builder()
        .base_url(&front.base_url)
        .account_sid(emu.account_sid())
        .credentials(key.clone(), token.as_str())
        .add_root_certificate(roots[0].clone())
        .build_with(greenpin_async::Reqwest::with_client(http))
        .unwrap_err();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .max_redirects(0)
        .build()
        .into();
    let blocking = greenpin_blocking::Client::builder()
        .base_url(&front.base_url)
        .account_sid(emu.account_sid())
        .credentials(key.clone(), token.as_str())
        .add_root_certificate(roots[0].clone())
        .build_with(greenpin_blocking::Ureq::with_agent(agent))
        .unwrap_err();
    for e in [asynchronous, blocking] {
        assert!(
            matches!(&e, Error::Config(c) if c.setting() == "root_certificate"),
            "{e}"
        );
    }
    assert_eq!(emu.requests().len(), 1);
}

#[test]
fn a_root_that_is_not_a_certificate_is_refused_when_the_client_is_built() {
    let junk = greenpin_core::RootCertificate::from_der(b"not a certificate".to_vec());
    let blocking = greenpin_blocking::Client::builder()
        .account_sid("acme")
        .credentials("key", "token")
        .add_root_certificate(junk.clone())
        .build()
        .unwrap_err();
    assert!(
        matches!(&blocking, Error::Config(c) if c.setting() == "root_certificate"),
        "{blocking}"
    );
    let asynchronous = greenpin_async::Client::builder()
        .account_sid("acme")
        .credentials("key", "token")
        .add_root_certificate(junk)
        .build()
        .unwrap_err();
    assert!(matches!(&asynchronous, Error::Config(_)), "{asynchronous}");
}
