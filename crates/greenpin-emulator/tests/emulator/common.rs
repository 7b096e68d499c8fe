//! A raw HTTP client for the emulator's tests: JSON text in, status and JSON out. Nothing
//! of greenpin-core's serialisation is involved, so a bug there cannot hide behind a
//! matching bug in the server.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use greenpin_emulator::BlockingEmulator;
use serde_json::{Value, json};

pub(crate) struct Raw {
    agent: ureq::Agent,
    pub(crate) base: String,
    pub(crate) sid: String,
    pub(crate) auth: String,
}

pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: http::HeaderMap,
    pub(crate) text: String,
}

impl Answer {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }

    /// Asserts an error envelope with this status and code; returns the message.
    pub(crate) fn expect_error(&self, status: u16, code: i64) -> String {
        let v = self.json();
        assert_eq!(
            (
                self.status,
                v["status"].as_u64(),
                v["code"].as_i64(),
                v["success"].as_bool()
            ),
            (status, Some(u64::from(status)), Some(code), Some(false)),
            "{}",
            self.text
        );
        assert!(v["data"].is_null());
        assert!(v["request_id"].as_str().is_some_and(|r| !r.is_empty()));
        v["message"].as_str().unwrap().to_owned()
    }

    /// Asserts a success envelope; returns `data`.
    pub(crate) fn expect_ok(&self) -> Value {
        let v = self.json();
        assert_eq!(
            (self.status, v["success"].as_bool()),
            (200, Some(true)),
            "{}",
            self.text
        );
        assert_eq!(v["code"], Value::Null);
        v["data"].clone()
    }
}

impl Raw {
    pub(crate) fn new(emu: &BlockingEmulator) -> Raw {
        Raw::to(
            emu.base_url(),
            emu.account_sid(),
            emu.credentials().key().expose(),
            emu.credentials().token().expose(),
        )
    }

    /// A client for an emulator at `base` (a child process, say).
    pub(crate) fn to(base: &str, sid: &str, key: &str, token: &str) -> Raw {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(40)))
            .build()
            .into();
        Raw {
            agent,
            base: base.to_owned(),
            sid: sid.to_owned(),
            auth: greenpin_core::Credentials::new(key, token)
                .authorization()
                .to_str()
                .unwrap()
                .to_owned(),
        }
    }

    /// Any request, with any headers.
    pub(crate) fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Answer {
        let mut b = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let req = b
            .body(body.map(<[u8]>::to_vec).unwrap_or_default())
            .unwrap();
        let mut resp = self
            .agent
            .run(req)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        Answer {
            status,
            headers,
            text,
        }
    }

    /// An authenticated API request under `/v1/tenants/{sid}`.
    pub(crate) fn api(&self, method: &str, tail: &str, body: Option<&str>) -> Answer {
        let path = format!("/v1/tenants/{}{tail}", self.sid);
        let auth = self.auth.clone();
        let mut headers = vec![("authorization", auth.as_str())];
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        self.send(method, &path, &headers, body.map(str::as_bytes))
    }

    /// A control request under `/__emulator`.
    pub(crate) fn control(&self, method: &str, tail: &str, body: Option<Value>) -> Answer {
        let text = body.map(|b| b.to_string());
        self.send(
            method,
            &format!("/__emulator{tail}"),
            &[("content-type", "application/json")],
            text.as_deref().map(str::as_bytes),
        )
    }

    /// Creates an allocation from a JSON body; returns its data.
    pub(crate) fn create(&self, body: Value) -> Value {
        self.api("POST", "/greenpin", Some(&body.to_string()))
            .expect_ok()
    }

    /// A simple allocation between two numbers over one VN, with `tx`.
    pub(crate) fn create_simple(&self, tx: &str, a: &str, b: &str, vn: &str) -> Value {
        self.create(json!({
            "transaction_id": tx,
            "a": {"numbers": [a], "vns": [vn]},
            "b": {"numbers": [b]},
        }))
    }
}

/// The seed's Update body with the docs' real numbers in place of its placeholders.
pub(crate) const SEED_UPDATE_REAL: &str = r#"{
"a": {"vns": ["6292134471", "6292134464"], "numbers": ["7987686144"], "pin": "123", "pin_length": 3},
"b": {"vns": ["6292134465", "6292134464"], "numbers": ["9956555625"], "pin": "234", "pin_length": "3"},
"usage": "twoway",
"deallocation_policy": {"duration": "1200s"}
}"#;

/// The seed's Update body exactly as published, placeholders and all.
pub(crate) const SEED_UPDATE_MASKED: &str = r#"{
"a": {"vns": ["629XXXXX71", "629XXXXX64"], "numbers": ["798XXXXX44"], "pin": "123", "pin_length": 3},
"b": {"vns": ["629XXXXX65", "629XXXXX64"], "numbers": ["995XXXXX25"], "pin": "234", "pin_length": "3"},
"usage": "twoway",
"deallocation_policy": {"duration": "1200s"}
}"#;

/// An emulator with the defaults, and a raw HTTP client for it.
pub(crate) fn setup() -> (BlockingEmulator, Raw) {
    let emu = BlockingEmulator::start();
    let raw = Raw::new(&emu);
    (emu, raw)
}

/// The `greenpin_id` of an allocation's JSON.
pub(crate) fn id_of(v: &Value) -> String {
    v["greenpin_id"].as_str().unwrap().to_owned()
}

/// A callback receiver on loopback: answers each request with the next of `statuses`
/// (then the last one again) and hands what it received to a channel.
pub(crate) struct Hook {
    pub(crate) url: String,
    pub(crate) received: mpsc::Receiver<Received>,
}

/// One request a [`Hook`] received.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) path: String,
    /// Lower-case names.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Received {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

impl Hook {
    /// A receiver answering 200 to everything.
    pub(crate) fn ok() -> Hook {
        Hook::answering(&[200])
    }

    pub(crate) fn answering(statuses: &[u16]) -> Hook {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hooks/greenpin", l.local_addr().unwrap());
        let (tx, rx) = mpsc::channel();
        let statuses = statuses.to_vec();
        std::thread::spawn(move || {
            for (n, stream) in l.incoming().enumerate() {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
                    continue;
                }
                let path = request_line
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or("")
                    .to_owned();
                let mut headers = Vec::new();
                let mut len = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((k, v)) = line.split_once(':') {
                        let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_owned());
                        if k == "content-length" {
                            len = v.parse().unwrap_or(0);
                        }
                        headers.push((k, v));
                    }
                }
                let mut body = vec![0; len];
                if reader.read_exact(&mut body).is_err() {
                    continue;
                }
                let status = statuses.get(n).or(statuses.last()).copied().unwrap_or(200);
                let _ = stream.write_all(
                    format!(
                        "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    )
                    .as_bytes(),
                );
                let _ = tx.send(Received {
                    path,
                    headers,
                    body,
                });
            }
        });
        Hook { url, received: rx }
    }

    /// The next request, within 10 s.
    pub(crate) fn next(&self) -> Received {
        self.received
            .recv_timeout(Duration::from_secs(10))
            .expect("a callback within 10 s")
    }

    /// Points the account's callback endpoint at this receiver.
    pub(crate) fn register(&self, raw: &Raw) {
        raw.api(
            "PUT",
            "/settings",
            Some(&json!({"greenpin_call_complete_event_endpoint": self.url}).to_string()),
        )
        .expect_ok();
    }
}

/// The emulator's binary in a child process, killed when dropped.
pub(crate) struct Binary {
    pub(crate) child: Child,
    pub(crate) base: String,
}

impl Binary {
    /// Starts `greenpin-emulator --listen 127.0.0.1:0 ARGS`; reads its first line.
    pub(crate) fn start(args: &[&str]) -> Binary {
        let mut child = Command::new(env!("CARGO_BIN_EXE_greenpin-emulator"))
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let base = first
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("{first:?}"))
            .to_owned();
        Binary { child, base }
    }

    /// A raw client with the default account and credentials.
    pub(crate) fn raw(&self) -> Raw {
        Raw::to(&self.base, "demo", "demo-key", "demo-token")
    }

    /// Resident memory now, in KiB (`VmRSS` of /proc).
    pub(crate) fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
