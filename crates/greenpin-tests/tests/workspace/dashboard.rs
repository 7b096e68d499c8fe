//! The emulator's dashboard in a real browser: headless Chromium, driven over WebDriver
//! (chromedriver), against a live emulator that the SDK talks to at the same time.
//!
//! `cargo xtask browser` installs Debian's `chromium` and `chromium-driver` (`cargo xtask ci`
//! calls it under `CI=true`). Where they cannot be found this test fails when `CI` is set,
//! and otherwise prints one SKIPPED line and passes nothing else off as tested.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use greenpin_blocking::Client;
use greenpin_core::retry::RetryPolicy;
use greenpin_core::{CreateSpec, Error, PartySpec, State};
use greenpin_emulator::BlockingEmulator;
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A WebDriver session on a chromedriver child process, ended on drop.
struct Browser {
    driver: Child,
    base: String,
    agent: ureq::Agent,
    _profile: tempdir::Dir,
}

mod tempdir {
    /// A directory removed on drop.
    pub(crate) struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl Browser {
    fn start() -> Browser {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let root = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while agent.get(format!("{root}/status")).call().is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile =
            std::env::temp_dir().join(format!("greenpin-chromium-{}-{port}", std::process::id()));
        // The flags a closed network needs: without the background-networking ones,
        // Chromium keeps trying to reach Google's hosts.
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                         "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync",
                         "--window-size=1280,1700",
                         format!("--user-data-dir={}", profile.display())]
            }
        }}});
        let mut b = Browser {
            driver,
            base: root.clone(),
            agent,
            _profile: tempdir::Dir(profile),
        };
        let session = b.call("POST", "/session", Some(caps));
        let id = session["sessionId"].as_str().expect("a session").to_owned();
        b.base = format!("{root}/session/{id}");
        b
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        let answer = match method {
            "GET" => self.agent.get(&url).call(),
            "DELETE" => self.agent.delete(&url).call(),
            _ => self
                .agent
                .post(&url)
                .header("content-type", "application/json")
                .send(body.unwrap_or(json!({})).to_string()),
        };
        let text = answer.unwrap().body_mut().read_to_string().unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        v["value"].clone()
    }

    fn open(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    fn find(&self, css: &str) -> Option<String> {
        let v = self.call(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        v[ELEMENT].as_str().map(str::to_owned)
    }

    fn element(&self, css: &str) -> String {
        self.find(css).unwrap_or_else(|| panic!("no element {css}"))
    }

    fn text(&self, css: &str) -> String {
        match self.find(css) {
            Some(e) => self
                .call("GET", &format!("/element/{e}/text"), None)
                .as_str()
                .unwrap_or("")
                .to_owned(),
            None => String::new(),
        }
    }

    /// Types into a field, as a user would (after clearing it).
    fn fill(&self, css: &str, text: &str) {
        let e = self.element(css);
        self.call("POST", &format!("/element/{e}/clear"), None);
        self.call(
            "POST",
            &format!("/element/{e}/value"),
            Some(json!({ "text": text })),
        );
    }

    fn click(&self, css: &str) {
        let e = self.element(css);
        self.call("POST", &format!("/element/{e}/click"), None);
    }

    /// Waits until `css`'s text satisfies `ok`; returns it.
    fn wait_text(&self, css: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let t = self.text(css);
            if ok(&t) {
                return t;
            }
            assert!(
                Instant::now() < deadline,
                "{css} never matched; it reads {t:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn screenshot(&self, to: &Path) {
        use base64::Engine;
        let png = self.call("GET", "/screenshot", None);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        std::fs::write(to, bytes).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.agent.delete(&self.base).call();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

#[test]
fn the_dashboard_shows_and_drives_the_emulator() {
    if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
        // In CI a skipped browser test would pass vacuously: there it must run.
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but {CHROMIUM} or {CHROMEDRIVER} is missing: the dashboard test cannot run (run `cargo xtask browser` to install them)"
        );
        println!(
            "SKIPPED: the dashboard browser test needs {CHROMIUM} and {CHROMEDRIVER} (Debian's chromium and chromium-driver; `cargo xtask ci` installs them where it can)"
        );
        return;
    }
    let emu = BlockingEmulator::start();
    let client: Client = emu
        .configure(Client::builder())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let browser = Browser::start();
    browser.open(&emu.dashboard_url());
    browser.wait_text("#live", |t| t == "live");

    // An allocation made through the SDK appears, with its parties and time left.
    let a = client
        .create(
            &CreateSpec::new("order-browser")
                .a(PartySpec::new()
                    .number("7987686144")
                    .vn("6292134471")
                    .pin("4321"))
                .b(PartySpec::new().number("9956555625"))
                .deallocate_after("1h"),
        )
        .unwrap();
    let row = format!("tr[data-greenpin-id=\"{}\"]", a.greenpin_id);
    let text = browser.wait_text(&row, |t| t.contains("active"));
    assert!(
        text.contains("order-browser") && text.contains("PIN 4321"),
        "{text}"
    );
    assert!(
        text.contains("59m") || text.contains("1h"),
        "time left: {text}"
    );
    // The routing table names the VN and the PIN.
    let routing = browser.wait_text("#routing-map", |t| t.contains("+916292134471"));
    // As documented: the PIN picks the allocation, the caller's number the party.
    assert!(
        routing.contains("PIN 4321 (A's)")
            && routing.contains("from B's numbers, party B, put through to party A")
            && routing.contains("from any other number, party A, put through to party B"),
        "{routing}"
    );

    // The dial pad places a call and shows its outcome and the callback it fired.
    browser.fill("#dial-from", "9956555625");
    browser.fill("#dial-vn", "6292134471");
    browser.fill("#dial-pin", "4321");
    browser.click("#dial-button");
    let outcome = browser.wait_text("#dial-outcome", |t| !t.is_empty());
    assert!(
        outcome.starts_with("connected to +917987686144"),
        "{outcome}"
    );
    let fired = browser.wait_text("#dial-callback", |t| !t.is_empty());
    assert!(
        fired.contains("\"source\": \"exotel\"") && fired.contains(a.greenpin_id.as_str()),
        "{fired}"
    );
    browser.fill("#dial-pin", "0000");
    browser.click("#dial-button");
    browser.wait_text("#dial-outcome", |t| {
        t == "not put through: wrong_pin (callback call-attempt)"
    });

    // Filters: by state, and by number.
    browser.fill("#filter-number", "99565");
    browser.wait_text("#allocations-count", |t| t.starts_with("1 of"));
    browser.fill("#filter-number", "order-browser");
    browser.wait_text("#allocations-count", |t| t.starts_with("1 of"));
    browser.fill("#filter-number", "123123");
    browser.wait_text("#allocations-count", |t| t.starts_with("0 of"));
    browser.fill("#filter-number", "");

    // Advancing the clock past its deallocation time moves it to the vault.
    browser.fill("#clock-by", "2h");
    browser.click("#clock-button");
    browser.wait_text(&row, |t| t.contains("vault"));
    assert_eq!(client.get(&a.greenpin_id).unwrap().state, State::Vault);
    let callbacks = browser.wait_text("#callbacks-list", |t| t.contains("deallocation"));
    assert!(
        callbacks.contains("not sent: no greenpin_call_complete_event_endpoint is set"),
        "{callbacks}"
    );

    // A fault added in the page fails the SDK's next call.
    browser.fill("#fault-status", "503");
    browser.fill("#fault-times", "1");
    browser.click("#fault-button");
    browser.wait_text("#faults-list", |t| t.contains("answer 503"));
    match client.get(&a.greenpin_id) {
        Err(Error::Api(e)) => assert_eq!(e.status.as_u16(), 503),
        other => panic!("the fault did not reach the SDK: {other:?}"),
    }
    browser.wait_text("#faults-list", |t| t.contains("no fault queued"));
    // The request journal lists the SDK's requests, credentials redacted.
    let journal = browser.wait_text("#requests-list", |t| t.contains("fault"));
    assert!(journal.contains("Basic [redacted]"), "{journal}");
    assert!(!journal.contains(emu.credentials().token().expose()));
    // Settings are shown, read-only.
    assert!(browser.text("#settings-list").contains("timezone"));

    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard.png");
    browser.screenshot(&shot);
    assert!(std::fs::metadata(&shot).unwrap().len() > 10_000);
    println!("dashboard screenshot: {}", shot.display());
}
