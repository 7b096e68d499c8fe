//! The documents tell the truth: the requests people really send are valid against
//! GreenPin's description (`docs/openapi.json`) and accepted by the emulator, and every
//! answer the emulator gives them is what the description says. The copy narrowed for
//! test generators is checked to be narrower, so that the two cannot be mistaken.

use greenpin_emulator::BlockingEmulator;
use serde_json::{Value, json};

/// A document whose schemas validate instances (JSON Schema 2020-12, as OpenAPI 3.1 uses).
struct Document {
    doc: Value,
    checked: usize,
}

impl Document {
    fn new(doc: Value) -> Document {
        Document { doc, checked: 0 }
    }

    /// Validates `instance` against the schema at `pointer` in the document, whose
    /// `#/components/schemas/…` references resolve against the document's components.
    fn check(&mut self, pointer: &str, instance: &Value) -> Result<(), String> {
        let schema = self
            .doc
            .pointer(pointer)
            .unwrap_or_else(|| panic!("the document has nothing at {pointer}"))
            .clone();
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": self.doc["components"],
            "allOf": [schema]
        });
        let mut compiler = boon::Compiler::new();
        let mut schemas = boon::Schemas::new();
        let url = format!("urn:greenpin-check:{}", self.checked);
        compiler
            .add_resource(&url, root)
            .map_err(|e| format!("{pointer}: {e}"))?;
        let index = compiler
            .compile(&url, &mut schemas)
            .map_err(|e| format!("{pointer}: {e:#}"))?;
        self.checked += 1;
        schemas
            .validate(instance, index)
            .map_err(|e| format!("{pointer}: {e:#}\n{instance:#}"))
    }
}

/// The JSON pointer of an operation's request body or answer schema.
fn body(path: &str, method: &str) -> String {
    format!(
        "/paths/{}/{method}/requestBody/content/application~1json/schema",
        path.replace('/', "~1")
    )
}

fn answer(path: &str, method: &str, status: &str) -> String {
    format!(
        "/paths/{}/{method}/responses/{status}/content/application~1json/schema",
        path.replace('/', "~1")
    )
}

/// Sends a request to the emulator's API and returns (status, envelope).
fn send(emu: &BlockingEmulator, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let url = format!("{}/v1/tenants/{}{path}", emu.base_url(), emu.account_sid());
    let auth = emu.credentials().authorization();
    let mut answer = match body {
        Some(b) => agent
            .run(
                ureq::http::Request::builder()
                    .method(method)
                    .uri(&url)
                    .header("authorization", &auth)
                    .header("content-type", "application/json")
                    .body(b.to_string())
                    .unwrap(),
            )
            .unwrap(),
        None => agent
            .run(
                ureq::http::Request::builder()
                    .method(method)
                    .uri(&url)
                    .header("authorization", &auth)
                    .body(())
                    .unwrap(),
            )
            .unwrap(),
    };
    let status = answer.status().as_u16();
    let text = answer.body_mut().read_to_string().unwrap();
    (status, serde_json::from_str(&text).unwrap())
}

/// Real requests, each: valid against the description, accepted by the emulator, and
/// answered as the description says. Returns how many were checked.
#[test]
fn real_requests_are_described_accepted_and_answered_as_described() {
    let mut api = Document::new(greenpin_spec::openapi());
    let emu = BlockingEmulator::start();
    // Numbers as people write them: national, with the country code, formatted.
    let create = json!({
        "transaction_id": "order 42/é",
        "a": {"numbers": ["9123456789", "+91 98765 43210"], "vns": ["(+91) 62921-34471"]},
        "b": {"numbers": ["919956555625"]},
        "deallocation_policy": {"duration": "2h"}
    });
    api.check(&body("/greenpin", "post"), &create).unwrap();
    let (status, created) = send(&emu, "POST", "/greenpin", Some(&create));
    assert_eq!(status, 200, "{created}");
    api.check(&answer("/greenpin", "post", "200"), &created)
        .unwrap();
    let id = created["data"]["greenpin_id"].as_str().unwrap().to_owned();

    // Exotel's documented Update: a pin with its pin_length, in both forms.
    let update: Value = serde_json::from_str(greenpin_core::test_util::DOCUMENTED_UPDATE).unwrap();
    api.check(&body("/greenpin/{greenpin_id}", "put"), &update)
        .unwrap();
    let (status, updated) = send(&emu, "PUT", &format!("/greenpin/{id}"), Some(&update));
    assert_eq!(status, 200, "{updated}");
    api.check(&answer("/greenpin/{greenpin_id}", "put", "200"), &updated)
        .unwrap();

    // A PIN as a JSON integer, as GreenVN's pages write it.
    let integer_pin = json!({"transaction_id": "order-43",
        "a": {"numbers": ["7000000001"], "vns": ["6292134472"], "pin": 4321},
        "b": {"numbers": ["7000000002"]}});
    api.check(&body("/greenpin", "post"), &integer_pin).unwrap();
    let (status, second) = send(&emu, "POST", "/greenpin", Some(&integer_pin));
    assert_eq!(status, 200, "{second}");
    let second_id = second["data"]["greenpin_id"].as_str().unwrap().to_owned();

    // A bulk update of both, and a settings change with a real callback URL.
    let bulk = json!({"greenpins": [
        {"greenpin_id": id, "usage": "oneway"},
        {"greenpin_id": second_id, "deallocation_policy": {"duration": "30m"}}
    ]});
    api.check(&body("/greenpin", "put"), &bulk).unwrap();
    let (status, results) = send(&emu, "PUT", "/greenpin", Some(&bulk));
    assert_eq!(status, 200, "{results}");
    api.check(&answer("/greenpin", "put", "200"), &results)
        .unwrap();
    let settings = json!({
        "greenpin_call_complete_event_endpoint": "https://hooks.example.com/greenpin?team=ops",
        "country": "in", "intl_num_sup": "true", "deletion_time": 600
    });
    api.check(&body("/settings", "put"), &settings).unwrap();
    let (status, changed) = send(&emu, "PUT", "/settings", Some(&settings));
    assert_eq!(status, 200, "{changed}");
    api.check(&answer("/settings", "put", "200"), &changed)
        .unwrap();

    // Reads and the delete, answered as described.
    for (method, path, pointer) in [
        (
            "GET",
            format!("/greenpin/{id}"),
            answer("/greenpin/{greenpin_id}", "get", "200"),
        ),
        (
            "GET",
            "/settings".to_owned(),
            answer("/settings", "get", "200"),
        ),
        (
            "DELETE",
            format!("/greenpin/{id}"),
            answer("/greenpin/{greenpin_id}", "delete", "200"),
        ),
    ] {
        let (status, got) = send(&emu, method, &path, None);
        assert_eq!(status, 200, "{method} {path}: {got}");
        api.check(&pointer, &got).unwrap();
    }
    // Refusals, in the error envelope the description gives.
    let (status, refused) = send(
        &emu,
        "PUT",
        &format!("/greenpin/{id}"),
        Some(&json!({"usage": "twoway"})),
    );
    assert_eq!(status, 410, "{refused}");
    api.check("/components/schemas/ErrorEnvelope", &refused)
        .unwrap();
    let (status, refused) = send(
        &emu,
        "POST",
        "/greenpin",
        Some(&json!({"transaction_id": "x",
        "a": {"numbers": ["12345"], "vns": ["6292134471"]}})),
    );
    assert_eq!(status, 400, "{refused}");
    api.check("/components/schemas/ErrorEnvelope", &refused)
        .unwrap();
    // Every request and answer above was checked (a check that ran nothing would pass).
    assert_eq!(api.checked, 14);
}

/// The description refuses what the service refuses where a schema can say so.
#[test]
fn the_description_refuses_what_no_service_takes() {
    let mut api = Document::new(greenpin_spec::openapi());
    let create = body("/greenpin", "post");
    for (bad, why) in [
        (
            json!({"a": {"numbers": ["9123456789"], "vns": ["6292134471"]}}),
            "no transaction_id",
        ),
        (
            json!({"transaction_id": "t", "a": {"numbers": ["9123456789"]}}),
            "no VNs",
        ),
        (
            json!({"transaction_id": "t", "a": {"numbers": ["91234 x6789"], "vns": ["6292134471"]}}),
            "a letter in a number",
        ),
        (
            json!({"transaction_id": "t", "a": {"numbers": ["9123456789"], "vns": ["6292134471"], "pin": "12a"}}),
            "a letter in a PIN",
        ),
        (
            json!({"transaction_id": "t", "a": {"numbers": ["9123456789"], "vns": ["6292134471"]}, "duration": 7200}),
            "the newer shape's duration",
        ),
    ] {
        assert!(api.check(&create, &bad).is_err(), "{why}: {bad}");
    }
    assert!(
        api.check(
            &body("/settings", "put"),
            &json!({"greenpin_call_complete_event_endpoint": "ftp://x"})
        )
        .is_err()
    );
}

/// The narrowed copy is narrower: the real requests above are not all valid against it,
/// and it says it is not GreenPin's description.
#[test]
fn the_copy_for_generators_is_narrower_and_says_so() {
    let narrowed = greenpin_spec::openapi_for_generators();
    assert!(
        narrowed["info"]["description"]
            .as_str()
            .unwrap()
            .starts_with("NOT a description of what GreenPin accepts")
    );
    let mut narrowed = Document::new(narrowed);
    let real = json!({"transaction_id": "t",
        "a": {"numbers": ["9123456789"], "vns": ["6292134471"]}});
    assert!(narrowed.check(&body("/greenpin", "post"), &real).is_err());
    let documented: Value =
        serde_json::from_str(greenpin_core::test_util::DOCUMENTED_UPDATE).unwrap();
    assert!(
        narrowed
            .check(&body("/greenpin/{greenpin_id}", "put"), &documented)
            .is_err(),
        "the narrowed copy allows a pin with a pin_length"
    );
    // And the true one takes both.
    let mut api = Document::new(greenpin_spec::openapi());
    api.check(&body("/greenpin", "post"), &real).unwrap();
    api.check(&body("/greenpin/{greenpin_id}", "put"), &documented)
        .unwrap();
    // The served copy is the true one.
    let served = include_str!("../../greenpin-emulator/openapi.json");
    assert_eq!(served, greenpin_spec::openapi_text());
}

/// A control's answer: (status, envelope).
fn control(emu: &BlockingEmulator, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let request = ureq::http::Request::builder()
        .method(method)
        .uri(format!("{}{path}", emu.base_url()))
        .header("content-type", "application/json");
    let mut answer = agent
        .run(
            request
                .body(body.map(|b| b.to_string()).unwrap_or_default())
                .unwrap(),
        )
        .unwrap();
    let status = answer.status().as_u16();
    let text = answer
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_string()
        .unwrap();
    (status, serde_json::from_str(&text).unwrap())
}

/// A loopback receiver that answers 200 and keeps each callback's content type and body.
fn receiver() -> (
    std::net::SocketAddr,
    std::sync::mpsc::Receiver<(String, String)>,
) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut length, mut kind) = (0usize, String::new());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                if let Some(v) = lower.strip_prefix("content-type:") {
                    kind = v.trim().to_owned();
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            let mut stream = stream;
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            let _ = tx.send((kind, String::from_utf8_lossy(&body).into_owned()));
        }
    });
    (addr, rx)
}

/// The pointer of a control's 200 answer, or of a webhook's body of `kind`.
fn control_answer(path: &str, method: &str) -> String {
    answer(path, method, "200")
}

fn webhook(name: &str, content_type: &str) -> String {
    format!(
        "/webhooks/{name}/post/requestBody/content/{}/schema",
        content_type.replace('/', "~1")
    )
}

/// Every control's answer, and the callbacks the emulator sends in both encodings, are what
/// the controls document (as the emulator serves it) says: the schemas of the state, of the
/// callback records and of both payload encodings included.
#[test]
fn the_controls_answer_and_call_back_as_their_document_says() {
    use greenpin_emulator::{CallbackEncoding, EmulatorConfig};
    for encoding in [CallbackEncoding::Json, CallbackEncoding::Form] {
        let (addr, delivered) = receiver();
        let emu = BlockingEmulator::try_start(
            EmulatorConfig::new()
                .callback_encoding(encoding)
                .seed(7)
                .clock(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_767_225_600)),
        )
        .unwrap();
        let (_, doc) = control(&emu, "GET", "/__emulator/controls.openapi.json", None);
        let mut controls = Document::new(doc);
        let check = |controls: &mut Document,
                     method: &str,
                     path: &str,
                     schema_path: &str,
                     body: Option<Value>| {
            let (status, got) = control(&emu, method, path, body);
            assert_eq!(status, 200, "{method} {path}: {got}");
            controls
                .check(
                    &control_answer(schema_path, &method.to_ascii_lowercase()),
                    &got,
                )
                .unwrap();
        };
        // An allocation with tags, a callback endpoint, a call, an expiry.
        let settings = json!({"greenpin_call_complete_event_endpoint": format!("http://{addr}/hook"),
            "tag_enabled": "true", "aparty_tag": "rider", "bparty_tag": "customer"});
        assert_eq!(send(&emu, "PUT", "/settings", Some(&settings)).0, 200);
        let create = json!({"transaction_id": "order-42",
            "a": {"numbers": ["7987686144"], "vns": ["6292134471"]},
            "b": {"numbers": ["9956555625"]}, "deallocation_policy": {"duration": "1h"}});
        let (_, created) = send(&emu, "POST", "/greenpin", Some(&create));
        let pin = created["data"]["a"]["pin"].as_str().unwrap().to_owned();
        let call = json!({"from": "7000000001", "vn": "6292134471", "pin": pin,
            "answer": "answered", "talk_secs": 30});
        check(
            &mut controls,
            "POST",
            "/__emulator/calls",
            "/__emulator/calls",
            Some(call),
        );
        let wrong = json!({"from": "7000000001", "vn": "6292134471", "pin": "0000"});
        check(
            &mut controls,
            "POST",
            "/__emulator/calls",
            "/__emulator/calls",
            Some(wrong),
        );
        check(
            &mut controls,
            "POST",
            "/__emulator/clock/advance",
            "/__emulator/clock/advance",
            Some(json!({"seconds": 3601})),
        );
        // Three callbacks: the call, the call-attempt and the deallocation.
        let mut bodies = Vec::new();
        while bodies.len() < 3 {
            bodies.push(
                delivered
                    .recv_timeout(std::time::Duration::from_secs(10))
                    .expect("a callback was delivered"),
            );
        }
        for (kind, body) in &bodies {
            let (name, instance) = if kind.starts_with("application/json") {
                let v: Value = serde_json::from_str(body).unwrap();
                let name = if v.get("call_sid").is_some() {
                    "callCompleted"
                } else {
                    "deallocation"
                };
                (name, v)
            } else {
                assert!(
                    kind.starts_with("application/x-www-form-urlencoded"),
                    "{kind}"
                );
                let fields: serde_json::Map<String, Value> =
                    form_urlencoded::parse(body.as_bytes())
                        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                        .collect();
                let name = if fields.contains_key("call_sid") {
                    "callCompleted"
                } else {
                    "deallocation"
                };
                (name, Value::Object(fields))
            };
            let content = kind.split(';').next().unwrap().trim();
            controls.check(&webhook(name, content), &instance).unwrap();
        }
        for (path, schema) in [
            ("/__emulator/health", "/__emulator/health"),
            ("/__emulator/clock", "/__emulator/clock"),
            ("/__emulator/stats", "/__emulator/stats"),
            ("/__emulator/state", "/__emulator/state"),
            ("/__emulator/requests", "/__emulator/requests"),
            ("/__emulator/callbacks", "/__emulator/callbacks"),
            ("/__emulator/faults", "/__emulator/faults"),
            (
                "/__emulator/callbacks/faults",
                "/__emulator/callbacks/faults",
            ),
        ] {
            check(&mut controls, "GET", path, schema, None);
        }
        let fault =
            json!({"method": "PUT", "times": 2, "fault": {"kind": "status", "status": 503}});
        check(
            &mut controls,
            "POST",
            "/__emulator/faults",
            "/__emulator/faults",
            Some(fault),
        );
        check(
            &mut controls,
            "POST",
            "/__emulator/callbacks/faults",
            "/__emulator/callbacks/faults",
            Some(json!({"fault": {"kind": "delay", "ms": 60000}})),
        );
        check(
            &mut controls,
            "POST",
            "/__emulator/callbacks/1/redeliver",
            "/__emulator/callbacks/{id}/redeliver",
            None,
        );
        check(
            &mut controls,
            "DELETE",
            "/__emulator/faults",
            "/__emulator/faults",
            None,
        );
        check(
            &mut controls,
            "POST",
            "/__emulator/reset",
            "/__emulator/reset",
            Some(json!({"clock": "2026-06-01T09:00:00+05:30"})),
        );
        // Every answer above and every callback was checked: 16 answers, 3 callbacks, the
        // API settings and create not counted (they are the API document's).
        assert_eq!(controls.checked, 19, "{encoding:?}");
    }
}
