//! A raw HTTP client for the emulator's tests: JSON text in, status and JSON out. Nothing
//! of greenpin-core's serialisation is involved, so a bug there cannot hide behind a
//! matching bug in the server.
#![allow(
    dead_code,
    reason = "each test binary uses a different part of the helpers"
)]

use greenpin_emulator::BlockingEmulator;
use serde_json::{Value, json};

pub struct Raw {
    agent: ureq::Agent,
    pub base: String,
    pub sid: String,
    pub auth: String,
}

pub struct Answer {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }

    /// Asserts an error envelope with this status and code; returns the message.
    pub fn expect_error(&self, status: u16, code: i64) -> String {
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
    pub fn expect_ok(&self) -> Value {
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
    pub fn new(emu: &BlockingEmulator) -> Raw {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(20)))
            .build()
            .into();
        Raw {
            agent,
            base: emu.base_url().to_owned(),
            sid: emu.account_sid().to_owned(),
            auth: emu
                .credentials()
                .authorization()
                .to_str()
                .unwrap()
                .to_owned(),
        }
    }

    /// Any request, with any headers.
    pub fn send(
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
    pub fn api(&self, method: &str, tail: &str, body: Option<&str>) -> Answer {
        let path = format!("/v1/tenants/{}{tail}", self.sid);
        let auth = self.auth.clone();
        let mut headers = vec![("authorization", auth.as_str())];
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        self.send(method, &path, &headers, body.map(str::as_bytes))
    }

    /// A control request under `/__emulator`.
    pub fn control(&self, method: &str, tail: &str, body: Option<Value>) -> Answer {
        let text = body.map(|b| b.to_string());
        self.send(
            method,
            &format!("/__emulator{tail}"),
            &[("content-type", "application/json")],
            text.as_deref().map(str::as_bytes),
        )
    }

    /// Creates an allocation from a JSON body; returns its data.
    pub fn create(&self, body: Value) -> Value {
        self.api("POST", "/greenpin", Some(&body.to_string()))
            .expect_ok()
    }

    /// A simple allocation between two numbers over one VN, with `tx`.
    pub fn create_simple(&self, tx: &str, a: &str, b: &str, vn: &str) -> Value {
        self.create(json!({
            "transaction_id": tx,
            "a": {"numbers": [a], "vns": [vn]},
            "b": {"numbers": [b]},
        }))
    }
}

/// The seed's Update body with the docs' real numbers in place of its placeholders.
pub const SEED_UPDATE_REAL: &str = r#"{
"a": {"vns": ["6292134471", "6292134464"], "numbers": ["7987686144"], "pin": "123", "pin_length": 3},
"b": {"vns": ["6292134465", "6292134464"], "numbers": ["9956555625"], "pin": "234", "pin_length": "3"},
"usage": "twoway",
"deallocation_policy": {"duration": "1200s"}
}"#;

/// The seed's Update body exactly as published, placeholders and all.
pub const SEED_UPDATE_MASKED: &str = r#"{
"a": {"vns": ["629XXXXX71", "629XXXXX64"], "numbers": ["798XXXXX44"], "pin": "123", "pin_length": 3},
"b": {"vns": ["629XXXXX65", "629XXXXX64"], "numbers": ["995XXXXX25"], "pin": "234", "pin_length": "3"},
"usage": "twoway",
"deallocation_policy": {"duration": "1200s"}
}"#;

/// An emulator with the defaults, and a raw HTTP client for it.
pub fn setup() -> (BlockingEmulator, Raw) {
    let emu = BlockingEmulator::start();
    let raw = Raw::new(&emu);
    (emu, raw)
}

/// The `greenpin_id` of an allocation's JSON.
pub fn id_of(v: &Value) -> String {
    v["greenpin_id"].as_str().unwrap().to_owned()
}
