//! One rule set: the same bad bodies, sent through the SDK (both flavours) and straight to
//! the emulator over HTTP, are refused naming the same field with the same API code. The
//! SDK refuses before sending; the emulator answers in the API's own envelope.

use greenpin_core::{
    BulkSpec, CreateSpec, Error, ErrorCode, SettingsSpec, UpdateSpec, ValidationError,
};
use greenpin_tests::{Opts, Sdk};
use serde_json::{Value, json};

/// Which call a body goes to.
#[derive(Clone, Copy, Debug)]
enum Call {
    Create,
    Update,
    Bulk,
    Settings,
}

/// Bad bodies, each breaking one rule. The field is the one both sides must name.
fn cases() -> Vec<(Call, Value, &'static str, ErrorCode)> {
    use Call::*;
    use ErrorCode::*;
    let a = json!({"numbers": ["7987686144"], "vns": ["6292134471"]});
    vec![
        (
            Create,
            json!({"a": a}),
            "transaction_id",
            MandatoryParametersMissing,
        ),
        (
            Create,
            json!({"transaction_id": " ", "a": a}),
            "transaction_id",
            MandatoryParametersMissing,
        ),
        (
            Create,
            json!({"transaction_id": "t", "a": {"vns": ["6292134471"]}}),
            "a.numbers",
            MandatoryParametersMissing,
        ),
        (
            Create,
            json!({"transaction_id": "t", "a": {"numbers": ["7987686144"]}}),
            "a.vns",
            MandatoryParametersMissing,
        ),
        (
            Create,
            json!({"transaction_id": "t", "a": {"numbers": ["629XXXXX71"], "vns": ["6292134471"]}}),
            "a.numbers[0]",
            InvalidNumber,
        ),
        (
            Create,
            json!({"transaction_id": "t", "a": a, "b": {"numbers": ["+917987686144"]}}),
            "b.numbers[0]",
            SamePartyNumbers,
        ),
        (
            Create,
            json!({"transaction_id": "t", "a": a, "usage": "threeway"}),
            "usage",
            BadParameters,
        ),
        (Update, json!({}), "body", MandatoryParametersMissing),
        (
            Update,
            json!({"a": {"pin": "23", "pin_length": 3}}),
            "a.pin",
            BadParameters,
        ),
        (Update, json!({"a": {"pin": "12a"}}), "a.pin", BadParameters),
        (
            Update,
            json!({"b": {"pin_length": 11}}),
            "b.pin_length",
            BadParameters,
        ),
        (
            Update,
            json!({"a": {"numbers": ["7987686144", "+91 79876 86144"]}}),
            "a.numbers[1]",
            BadParameters,
        ),
        (
            Update,
            json!({"a": {"numbers": []}}),
            "a.numbers",
            BadParameters,
        ),
        (
            Update,
            json!({"deallocation_policy": {}}),
            "deallocation_policy.duration",
            MandatoryParametersMissing,
        ),
        (
            Update,
            json!({"deallocation_policy": {"duration": "later"}}),
            "deallocation_policy.duration",
            BadParameters,
        ),
        (
            Update,
            json!({"deallocation_policy": {"duration": "36501d"}}),
            "deallocation_policy.duration",
            BadParameters,
        ),
        (Bulk, json!({}), "greenpins", MandatoryParametersMissing),
        (
            Bulk,
            json!({"greenpins": []}),
            "greenpins",
            MandatoryParametersMissing,
        ),
        (
            Bulk,
            json!({"greenpins": vec![json!({"greenpin_id": "g", "usage": "oneway"}); 101]}),
            "greenpins",
            TooManyInBulk,
        ),
        (
            Settings,
            json!({"country": "Narnia"}),
            "country",
            BadParameters,
        ),
        (
            Settings,
            json!({"timezone": "PST"}),
            "timezone",
            BadParameters,
        ),
        (
            Settings,
            json!({"greenpin_call_complete_event_endpoint": "ftp://x.example"}),
            "greenpin_call_complete_event_endpoint",
            BadParameters,
        ),
        (
            Settings,
            json!({"max_deallocation_time": "171d"}),
            "max_deallocation_time",
            BadParameters,
        ),
    ]
}

fn through_sdk(sdk: &dyn Sdk, call: Call, body: &Value) -> ValidationError {
    let id = greenpin_core::GreenPinId::new("g-1").unwrap();
    let result = match call {
        Call::Create => sdk
            .create(&serde_json::from_value::<CreateSpec>(body.clone()).unwrap())
            .map(drop),
        Call::Update => sdk
            .update(
                &id,
                &serde_json::from_value::<UpdateSpec>(body.clone()).unwrap(),
            )
            .map(drop),
        Call::Bulk => sdk
            .bulk_update(&serde_json::from_value::<BulkSpec>(body.clone()).unwrap())
            .map(drop),
        Call::Settings => sdk
            .update_settings(&serde_json::from_value::<SettingsSpec>(body.clone()).unwrap())
            .map(drop),
    };
    match result {
        Err(Error::Validation(v)) => v,
        other => panic!(
            "{}: {body} was not refused before sending: {other:?}",
            sdk.flavor()
        ),
    }
}

/// The emulator's answer: (status, code, message).
fn through_emulator(
    emu: &greenpin_emulator::BlockingEmulator,
    call: Call,
    body: &Value,
) -> (u16, i64, String) {
    let (method, path) = match call {
        Call::Create => ("POST", "/greenpin".to_owned()),
        Call::Update => ("PUT", "/greenpin/g-1".to_owned()),
        Call::Bulk => ("PUT", "/greenpin".to_owned()),
        Call::Settings => ("PUT", "/settings".to_owned()),
    };
    let url = format!("{}/v1/tenants/{}{path}", emu.base_url(), emu.account_sid());
    let auth = emu.credentials().authorization();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut answer = agent
        .run(
            http::Request::builder()
                .method(method)
                .uri(url)
                .header("authorization", auth)
                .header("content-type", "application/json")
                .body(body.to_string())
                .unwrap(),
        )
        .unwrap();
    let status = answer.status().as_u16();
    let v: Value = serde_json::from_str(&answer.body_mut().read_to_string().unwrap()).unwrap();
    (
        status,
        v["code"].as_i64().unwrap_or(-1),
        v["message"].as_str().unwrap_or("").to_owned(),
    )
}

#[test]
fn the_sdk_and_the_emulator_refuse_the_same_bodies_the_same_way() {
    let emu = greenpin_tests::emulator();
    let sdks = [
        greenpin_tests::blocking(&emu, &Opts::default()),
        greenpin_tests::asynchronous(&emu, &Opts::default()),
    ];
    let mut compared = 0;
    for (call, body, field, code) in cases() {
        for sdk in &sdks {
            let v = through_sdk(sdk.as_ref(), call, &body);
            assert_eq!(
                (v.field(), v.kind().error_code()),
                (field, code),
                "{} {call:?} {body}: {v}",
                sdk.flavor()
            );
        }
        let (status, got_code, message) = through_emulator(&emu, call, &body);
        assert_eq!(got_code, code.code(), "emulator {call:?} {body}: {message}");
        assert_eq!(
            Some(status),
            code.http_status(),
            "emulator {call:?} {body}: {message}"
        );
        assert!(
            message.starts_with(&format!("{field}: ")),
            "emulator {call:?} {body}: {message:?} does not name {field}"
        );
        compared += 1;
    }
    // Every SDK refusal happened before sending: the API saw only the raw requests.
    let api: Vec<_> = emu
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/v1/tenants/"))
        .collect();
    let from_sdk = api
        .iter()
        .filter(|r| {
            r.headers
                .get("user-agent")
                .is_some_and(|ua| ua.starts_with("greenpin-rs"))
        })
        .count();
    assert!(compared >= 20, "only {compared} bodies compared");
    assert_eq!((api.len(), from_sdk), (compared, 0));
}
