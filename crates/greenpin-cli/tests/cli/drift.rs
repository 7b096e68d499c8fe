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
    for args in [&["--candidate", candidate.base_url()][..], &[]] {
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
        report.contains("**No difference** in the 25 steps played on both services (1 skipped)."),
        "{report}"
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
fn the_request_budget_holds_and_what_was_created_is_still_deleted() {
    let d = drift();
    let r = d.remote();
    let out = d
        .remote_command(
            &r,
            &[&["--allow-writes", "--max-requests", "6"][..], OWN_NUMBERS].concat(),
        )
        .output()
        .unwrap();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["stopped"].as_str().unwrap().contains("budget"),
        "{report:#}"
    );
    // Six requests of the scenario, and the deletes of what it created.
    let created = report["cleaned_up"]["created"].as_u64().unwrap();
    assert_eq!(d.received().len() as u64, 6 + created, "{:?}", d.received());
    assert_eq!(d.active(), 0);
}

#[test]
fn ctrl_c_mid_run_still_deletes_every_allocation_created() {
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
    signal(&child, "-INT");
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 130, "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["stopped"].as_str().unwrap().contains("interrupted"));
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
