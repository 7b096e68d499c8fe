//! Golden tests against the seed document: the Update call's request and response.

use greenpin_core::ops::Operation;
use greenpin_core::ops::UpdateAllocation;
use greenpin_core::{
    AccountSid, ApiContext, Credentials, Error, GreenPinId, PinLength, State, UpdateSpec, Usage,
    ValidationKind,
};
use serde_json::{Value, json};

const SEED_REQUEST: &str = include_str!("../fixtures/seed_update_request.json");
const SEED_RESPONSE: &str = include_str!("../fixtures/seed_update_response.json");

/// The docs' real numbers for the seed's masked placeholders.
const REAL: [(&str, &str); 4] = [
    ("629XXXXX71", "6292134471"),
    ("629XXXXX64", "6292134464"),
    ("629XXXXX65", "6292134465"),
    ("798XXXXX44", "7987686144"),
];

fn seed_with_real_numbers() -> String {
    let mut body = SEED_REQUEST.replace("995XXXXX25", "9956555625");
    for (masked, real) in REAL {
        body = body.replace(masked, real);
    }
    body
}

fn ctx() -> ApiContext {
    ApiContext::new(
        AccountSid::new("acme_sid").unwrap(),
        Credentials::new("key", "token"),
    )
}

fn greenpin_id() -> GreenPinId {
    GreenPinId::new("d7ffd4b3-5c1e-4bda-a024-0b1d2a3b4c5d").unwrap()
}

#[test]
fn seed_update_body_builds_to_the_seed_json() {
    // The user hands us the seed's body (with real numbers) as JSON…
    let spec: UpdateSpec = serde_json::from_str(&seed_with_real_numbers()).unwrap();
    let request = UpdateAllocation::new(greenpin_id(), spec)
        .build_request(&ctx())
        .unwrap();

    // …and the wire carries the same JSON value, numbers in E.164, pin_length a number.
    let sent: Value = serde_json::from_slice(request.body()).unwrap();
    let want = json!({
        "a": {
            "vns": ["+916292134471", "+916292134464"],
            "numbers": ["+917987686144"],
            "pin": "123",
            "pin_length": 3
        },
        "b": {
            "vns": ["+916292134465", "+916292134464"],
            "numbers": ["+919956555625"],
            "pin": "234",
            "pin_length": 3
        },
        "usage": "twoway",
        "deallocation_policy": { "duration": "1200s" }
    });
    assert_eq!(sent, want);

    assert_eq!(request.method(), "PUT");
    assert_eq!(
        request.uri(),
        "https://leadassist.exotel.in/v1/tenants/acme_sid/greenpin/d7ffd4b3-5c1e-4bda-a024-0b1d2a3b4c5d"
    );
    assert_eq!(request.headers()["content-type"], "application/json");
    let auth = &request.headers()["authorization"];
    assert_eq!(auth, "Basic a2V5OnRva2Vu");
    assert!(auth.is_sensitive());
    assert!(
        request
            .uri()
            .authority()
            .unwrap()
            .as_str()
            .find('@')
            .is_none()
    );
}

#[test]
fn the_builder_says_the_same_as_the_seed() {
    use greenpin_core::PartySpec;
    let built = UpdateSpec::new()
        .a(PartySpec::new()
            .vns(["6292134471", "6292134464"])
            .number("7987686144")
            .pin("123")
            .pin_length(PinLength::of::<3>()))
        .b(PartySpec::new()
            .vns(["6292134465", "6292134464"])
            .number("9956555625")
            .pin("234")
            .pin_length(PinLength::of::<3>()))
        .usage(Usage::Twoway)
        .deallocate_after(std::time::Duration::from_secs(1200));
    let from_json: UpdateSpec = serde_json::from_str(&seed_with_real_numbers()).unwrap();
    let c = &greenpin_core::ValidationContext::new(greenpin_core::Country::IN);
    assert_eq!(built.validate(c).unwrap(), from_json.validate(c).unwrap());
}

#[test]
fn seed_placeholders_fail_naming_a_vns_0() {
    let spec: UpdateSpec = serde_json::from_str(SEED_REQUEST).unwrap();
    let err = UpdateAllocation::new(greenpin_id(), spec)
        .build_request(&ctx())
        .unwrap_err();
    let Error::Validation(v) = &err else {
        panic!("expected a validation error, got {err:?}")
    };
    assert_eq!(v.field(), "a.vns[0]");
    assert_eq!(v.kind(), ValidationKind::InvalidNumber);
    assert!(
        err.to_string()
            .contains("a.vns[0]: \"629XXXXX71\" is not a valid phone number"),
        "{err}"
    );
    assert!(!err.may_have_been_sent());
}

#[test]
fn seed_response_parses_every_field() {
    let response = http::Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(SEED_RESPONSE.as_bytes())
        .unwrap();
    let op = UpdateAllocation::new(greenpin_id(), UpdateSpec::new().usage(Usage::Twoway));
    let reply = op.parse_response(&response).unwrap();
    assert_eq!(reply.request_id.as_deref(), Some("b45f20XXX5f8712"));
    let a = reply.data;
    assert_eq!(a.transaction_id.as_ref().unwrap().as_str(), "random_string");
    assert_eq!(
        a.greenpin_id.as_str(),
        "d7ffd4b3-XPYX-4bda-a024-ibidatabatodoo"
    );
    let texts = |v: &[greenpin_core::PhoneNumber]| {
        v.iter().map(|n| n.as_str().to_owned()).collect::<Vec<_>>()
    };
    assert_eq!(texts(&a.a.vns), ["+916XXXXXX471", "+916XXXXXX464"]);
    assert_eq!(texts(&a.a.numbers), ["+917XXXXXX144"]);
    assert_eq!(a.a.pin.as_ref().unwrap().as_str(), "123");
    assert_eq!(a.a.pin_length, None);
    assert_eq!(texts(&a.b.vns), ["+916XXXXXX465", "+916XXXXXX464"]);
    assert_eq!(texts(&a.b.numbers), ["+919XXXXXX625"]);
    assert_eq!(a.b.pin, None, "the seed's b has no pin");
    assert_eq!(a.usage, Usage::Twoway);
    assert_eq!(a.state, State::Active);
    let t = a.deallocation_time.unwrap();
    assert_eq!(t.to_string(), "2020-03-27 12:17:09");
    // 12:17:09 IST is 06:47:09 UTC.
    assert_eq!(
        t.unix_secs(&greenpin_core::Timezone::Ist),
        Some(1_585_291_629)
    );
}
