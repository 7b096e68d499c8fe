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
