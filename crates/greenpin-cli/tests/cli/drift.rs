//! `greenpin drift`: two identical services give no difference; an injected one is named
//! by its step and field; and against a reference that is not on this machine (an emulator
//! behind TLS, reached through a CONNECT proxy as `https://greenpin.test`) the safety
//! rails hold — refused without the flags, every allocation deleted (also after Ctrl-C),
//! settings untouched, the request budget kept.

use std::time::{Duration, Instant};

use greenpin_emulator::{BlockingEmulator, EmulatorConfig, Fault, FaultRule};
use greenpin_tests::tls::{ConnectProxy, REMOTE_NAME, TestCa, TlsFront};
use serde_json::Value;

use crate::common::*;

/// A reference emulator with the default credentials, and a `greenpin drift` aimed at it.
struct Drift {
    reference: BlockingEmulator,
    dir: std::path::PathBuf,
}

fn drift() -> Drift {
    // Reached as greenpin.test through a TLS front in some tests: it answers that name.
    let reference =
        BlockingEmulator::try_start(EmulatorConfig::new().allow_host(REMOTE_NAME)).unwrap();
    let dir = std::env::temp_dir().join(format!(
        "greenpin-drift-test-{}-{}",
        std::process::id(),
        reference.addr().port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    Drift { reference, dir }
}

impl Drift {
    fn command(&self, base_url: &str) -> std::process::Command {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_greenpin"));
        c.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("GREENPIN_BASE_URL", base_url)
            .env("EXOTEL_ACCOUNT_SID", "demo")
            .env("EXOTEL_API_KEY", "demo-key")
            .env("EXOTEL_API_TOKEN", "demo-token")
            .current_dir(&self.dir);
        c
    }

    /// `greenpin --json drift ARGS` against the reference on loopback.
    fn run(&self, args: &[&str]) -> (i32, Value) {
        let out = self
            .command(self.reference.base_url())
            .args(["--json", "drift"])
            .args(args)
            .output()
            .unwrap();
        let json = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
        (code(&out), json)
    }

    /// API requests the reference received, as `METHOD path`.
    fn received(&self) -> Vec<String> {
        self.reference
            .requests()
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }
}

impl Drop for Drift {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn differences(report: &Value) -> Vec<(String, String)> {
    report["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["step"].as_str().unwrap().to_owned(),
                d["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn two_identical_emulators_give_no_difference() {
    let d = drift();
    let candidate = BlockingEmulator::try_start(EmulatorConfig::new()).unwrap();
    for args in [&["--candidate", candidate.base_url()][..], &["--overwrite"]] {
        let (code, report) = d.run(args);
        assert_eq!(code, 0, "{report:#}");
        assert_eq!(differences(&report), []);
        let steps = report["steps"].as_array().unwrap();
        let played = steps.iter().filter(|s| s["skipped"].is_null()).count();
        // Every step but the settings write (no --allow-settings) was played on both.
        assert_eq!((steps.len(), played), (26, 25), "{report:#}");
        assert!(
            steps
                .iter()
                .filter(|s| s["skipped"].is_null())
                .all(|s| s["reference"] == s["candidate"])
        );
    }
    // The report and the journal are written.
    let report = std::fs::read_to_string(d.dir.join("greenpin-drift.md")).unwrap();
    assert!(
        report.contains("**No difference**: 0 differences and 0 unexpected answers in 25 steps played on both services (1 skipped)."),
        "{report}"
    );
    // A third run would overwrite them: refused, before anything is sent.
    d.reference.clear_requests();
    let (code, answer) = d.run(&[]);
    assert_eq!(code, 2, "{answer:#}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--overwrite"),
        "{answer:#}"
    );
    assert!(d.received().is_empty(), "{:?}", d.received());
    assert_eq!(
        std::fs::read_to_string(d.dir.join("greenpin-drift.md")).unwrap(),
        report
    );
    let journal = std::fs::read_to_string(d.dir.join("greenpin-drift.md.journal.ndjson")).unwrap();
    assert!(journal.lines().count() >= 50);
    assert!(!journal.contains("demo-token") && !journal.contains("Basic "));
}

#[test]
fn an_injected_difference_is_named_by_its_step_and_field() {
    let d = drift();
    // One read answers 400 instead of 404 on the reference.
    d.reference
        .add_fault(
            FaultRule::new(Fault::status(400))
                .method("GET")
                .path("/v1/tenants/*/greenpin/greenpin-drift-no-such-allocation")
                .times(1),
        )
        .unwrap();
    let (code, report) = d.run(&[]);
    assert_eq!(code, 6, "{report:#}");
    let found = differences(&report);
    assert!(
        found.iter().all(|(step, _)| step == "error-1-not-found"),
        "{found:?}"
    );
    assert!(
        found.contains(&("error-1-not-found".into(), "status".into())),
        "{found:?}"
    );
    let status = &report["differences"][found.iter().position(|f| f.1 == "status").unwrap()];
    assert_eq!(
        (status["reference"].as_str(), status["candidate"].as_str()),
        (Some("400"), Some("404"))
    );
    assert!(
        status["decision"]
            .as_str()
            .unwrap()
            .starts_with("Errors are the API's envelope")
    );

    // Every DELETE answered 410: the first difference is the delete's status.
    let d = drift();
    d.reference
        .add_fault(
            FaultRule::new(Fault::status(410))
                .method("DELETE")
                .times(100),
        )
        .unwrap();
    let (code, report) = d.run(&[]);
    assert_eq!(code, 6);
    let found = differences(&report);
    assert_eq!(
        found[0].0, "delete",
        "the delete is the first step to differ: {found:?}"
    );
    let status = report["differences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["step"] == "delete" && d["field"] == "status")
        .expect("the delete's status differs");
    assert_eq!(
        (status["reference"].as_str(), status["candidate"].as_str()),
        (Some("410"), Some("200"))
    );
}

/// The reference emulator as a service that is not on this machine: behind TLS, reached as
/// `https://greenpin.test` through a CONNECT proxy.
struct Remote {
    _front: TlsFront,
    proxy: ConnectProxy,
    ca_file: std::path::PathBuf,
}

/// The account's own numbers, as a user with a real account gives them.
const OWN_NUMBERS: &[&str] = &[
    "--vn",
    "6292134471",
    "--vn",
    "6292134464",
    "--a-number",
    "7987686144",
    "--a-number",
    "7000000001",
    "--b-number",
    "9956555625",
];

impl Drift {
    fn remote(&self) -> Remote {
        let ca = TestCa::new();
        let front = TlsFront::start(&ca, self.reference.addr());
        let proxy = ConnectProxy::start(front.addr);
        let ca_file = ca.write_ca(&self.dir, "ca.pem");
        Remote {
            _front: front,
            proxy,
            ca_file,
        }
    }

    /// `greenpin --json drift ARGS` against the reference as `https://greenpin.test`.
    fn remote_command(&self, r: &Remote, args: &[&str]) -> std::process::Command {
        let mut c = self.command(&format!("https://{REMOTE_NAME}"));
        c.env("HTTPS_PROXY", &r.proxy.url)
            .env("GREENPIN_CA_CERT", &r.ca_file)
            .args(["--json", "drift", "--pace", "20ms"])
            .args(args);
        c
    }

    /// Allocations the reference holds active.
    fn active(&self) -> usize {
        self.reference.stats().allocations_active
    }
}

#[test]
fn a_reference_not_on_this_machine_is_refused_without_the_flags() {
    let d = drift();
    let r = d.remote();
    for args in [
        &[][..],
        &["--allow-writes"],
        &["--allow-writes", "--vn", "6292134471"],
    ] {
        let out = d.remote_command(&r, args).output().unwrap();
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
    }
    let out = d.remote_command(&r, &[]).output().unwrap();
    assert!(stderr(&out).contains("--allow-writes"), "{}", stderr(&out));
    assert_eq!(r.proxy.tunnels(), 0, "a refused run reached the service");
    assert!(d.received().is_empty(), "{:?}", d.received());
}

#[test]
fn on_a_remote_reference_every_allocation_is_deleted_settings_are_untouched_and_requests_paced() {
    let d = drift();
    let r = d.remote();
    let settings_before = d.reference.settings();
    let started = Instant::now();
    let out = d
        .remote_command(&r, &[&["--allow-writes"][..], OWN_NUMBERS].concat())
        .output()
        .unwrap();
    let took = started.elapsed();
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert!(
        r.proxy.tunnels() > 0,
        "the run did not go through the proxy"
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    // It said first how many allocations it would create.
    assert!(
        stderr(&out).contains("up to 8 allocations are created there"),
        "{}",
        stderr(&out)
    );
    let created = report["cleaned_up"]["created"].as_u64().unwrap();
    assert!(created >= 1);
    assert_eq!(report["cleaned_up"]["deleted"], created);
    assert_eq!(report["cleaned_up"]["left"], serde_json::json!([]));
    assert_eq!(
        d.active(),
        0,
        "an allocation the run created is still active"
    );
    // Settings were only read.
    let received = d.received();
    assert!(
        received
            .iter()
            .all(|r| !r.starts_with("PUT") || !r.ends_with("/settings")),
        "{received:?}"
    );
    assert_eq!(d.reference.settings(), settings_before);
    // Paced: 20 ms at least between two requests.
    let sent = report["requests"]["reference"].as_u64().unwrap();
    assert_eq!(sent as usize, received.len());
    assert!(
        took >= Duration::from_millis(20 * (sent - 1)),
        "{sent} requests in {took:?}"
    );
}

#[test]
fn what_can_be_refused_is_refused_before_anything_is_sent() {
    let d = drift();
    let r = d.remote();
    fn with(extra: &[&'static str]) -> Vec<&'static str> {
        [&["--allow-writes"][..], OWN_NUMBERS, extra].concat()
    }
    let cases: Vec<(Vec<&str>, &str)> = vec![
        // A budget smaller than the scenario.
        (with(&["--max-requests", "6"]), "--max-requests 6"),
        (with(&["--max-requests", "0"]), "--max-requests"),
        // Numbers GreenPin would refuse, or could not tell apart.
        (
            [&["--allow-writes", "--vn", "80"][..], &OWN_NUMBERS[2..]].concat(),
            "--vn 80",
        ),
        (
            [
                &[
                    "--allow-writes",
                    "--vn",
                    "6292134471",
                    "--vn",
                    "+916292134471",
                ][..],
                &OWN_NUMBERS[4..],
            ]
            .concat(),
            "+916292134471 is given twice, as the 1st --vn and as the 2nd --vn",
        ),
        (
            [
                &OWN_NUMBERS[..8],
                &["--allow-writes", "--b-number", "7987686144"],
            ]
            .concat(),
            "is given twice, as the 1st --a-number and as the 1st --b-number",
        ),
        // A report that cannot be written (a directory, a device).
        (
            with(&["--report", ".", "--overwrite"]),
            "is not a regular file",
        ),
        (
            with(&["--report", "/dev/null", "--overwrite"]),
            "/dev/null is not a regular file",
        ),
    ];
    for (args, says) in cases {
        let out = d.remote_command(&r, &args).output().unwrap();
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
    assert_eq!(r.proxy.tunnels(), 0, "a refused run reached the service");
    assert!(d.received().is_empty(), "{:?}", d.received());
}

#[test]
fn refused_credentials_stop_the_run_at_once_with_exit_3() {
    let d = drift();
    let out = d
        .command(d.reference.base_url())
        .env("EXOTEL_API_TOKEN", "not-the-token")
        .args(["--json", "drift"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 3, "{}{}", stdout(&out), stderr(&out));
    assert!(
        stderr(&out).contains("the reference refused the credentials (401)"),
        "{}",
        stderr(&out)
    );
    // One request: the settings read that found out.
    assert_eq!(d.received(), ["GET /v1/tenants/demo/settings"]);
    assert!(!stdout(&out).contains("not-the-token") && !stderr(&out).contains("not-the-token"));
}

#[test]
fn a_hostile_reference_can_neither_keep_the_credentials_nor_write_the_report() {
    let d = drift();
    // Every answer echoes the credentials (raw and as the header), and offers an id
    // that is Markdown, HTML and terminal escapes.
    let evil = r"x` | ![t](http://evil.test/p.png) \u001b[31m<script>";
    let url = answering(
        200,
        format!(
            r#"{{"success":true,"status":200,"data":{{"greenpin_id":"{evil}","echo":"Basic ZGVtby1rZXk6ZGVtby10b2tlbg== demo-key demo-token"}}}}"#
        ),
    );
    let out = d.command(&url).args(["drift"]).output().unwrap();
    assert_eq!(code(&out), 6, "{}{}", stdout(&out), stderr(&out));
    let journal = std::fs::read_to_string(d.dir.join("greenpin-drift.md.journal.ndjson")).unwrap();
    for secret in ["demo-token", "demo-key", "ZGVtby1rZXk6ZGVtby10b2tlbg=="] {
        assert!(!journal.contains(secret), "{secret} in the journal");
    }
    assert!(journal.contains("[credentials removed]"));
    let report = std::fs::read_to_string(d.dir.join("greenpin-drift.md")).unwrap();
    assert!(!report.contains("` | ![t]"), "{report}");
    assert!(!report.contains('\u{1b}'), "{report}");
    // The allocation it claims to have made cannot be deleted by id: the user is told.
    assert!(
        stderr(&out).contains("not deleted on the reference, delete them yourself"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains('\u{1b}') && !stdout(&out).contains('\u{1b}'));
}

#[test]
fn ctrl_c_sigterm_or_a_closed_terminal_mid_run_still_deletes_every_allocation_created() {
    for (signal_flag, named) in [("-INT", "Ctrl-C"), ("-TERM", "SIGTERM"), ("-HUP", "SIGHUP")] {
        interrupted_run_cleans_up(signal_flag, named);
    }
}

fn interrupted_run_cleans_up(signal_flag: &str, named: &str) {
    let d = drift();
    let r = d.remote();
    // Every request takes 150 ms: the run is interrupted part-way.
    d.reference
        .add_fault(FaultRule::new(Fault::Delay { ms: 150 }).times(1000))
        .unwrap();
    let child = d
        .remote_command(&r, &[&["--allow-writes"][..], OWN_NUMBERS].concat())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_until("no allocation was created", Duration::from_secs(30), || {
        d.active() > 0
    });
    signal(&child, signal_flag);
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 130, "{signal_flag}: {}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["stopped"]
            .as_str()
            .unwrap()
            .contains(&format!("interrupted ({named}")),
        "{report:#}"
    );
    assert!(stderr(&out).contains("drift stopped early: interrupted"));
    assert!(
        report["steps"].as_array().unwrap().len() < 26,
        "the run was not interrupted"
    );
    assert_eq!(d.active(), 0, "an allocation outlived the interrupted run");
}

#[test]
fn with_allow_settings_the_settings_are_written_and_put_back() {
    let d = drift();
    let r = d.remote();
    d.reference
        .configure(greenpin_blocking::Client::builder())
        .build()
        .unwrap()
        .update_settings(&greenpin_core::SettingsSpec::new().deletion_time(120))
        .unwrap();
    let before = d.reference.settings();
    d.reference.clear_requests();
    let out = d
        .remote_command(
            &r,
            &[&["--allow-writes", "--allow-settings"][..], OWN_NUMBERS].concat(),
        )
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let write = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "settings-written-back")
        .unwrap();
    assert!(write["skipped"].is_null(), "{write}");
    assert_eq!(write["reference"], "200");
    let puts = d
        .received()
        .iter()
        .filter(|r| r.starts_with("PUT") && r.ends_with("/settings"))
        .count();
    assert_eq!(
        puts,
        2,
        "the write and the putting back: {:?}",
        d.received()
    );
    assert_eq!(d.reference.settings(), before);
}
