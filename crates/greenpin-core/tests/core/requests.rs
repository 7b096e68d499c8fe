//! Building requests: every operation's method and path, and every validation rule.

use greenpin_core::ops::{
    BulkUpdate, CreateAllocation, DeleteAllocation, GetAllocation, GetSettings, UpdateAllocation,
    UpdateSettings,
};
use greenpin_core::ops::{Operation, OperationKind};
use greenpin_core::{
    AccountSid, ApiContext, BulkItemSpec, BulkSpec, CreateSpec, Credentials, Error, GreenPinId,
    PartySpec, PinLength, ServiceRoot, SettingsSpec, Timezone, UpdateSpec, ValidationKind,
};

/// A party with a PIN length the builder cannot take (out of range), as the wire can say it.
fn raw_pin_length(len: i64) -> PartySpec {
    let mut party = PartySpec::new();
    party.pin_length = Some(len);
    party
}

/// A create spec built into a request, as the client does.
trait Build {
    fn build_request(&self, ctx: &ApiContext) -> Result<http::Request<Vec<u8>>, Error>;
}

impl Build for CreateSpec {
    fn build_request(&self, ctx: &ApiContext) -> Result<http::Request<Vec<u8>>, Error> {
        CreateAllocation::new(self.clone()).build_request(ctx)
    }
}

fn ctx() -> ApiContext {
    ApiContext::new(
        AccountSid::new("acme").unwrap(),
        Credentials::new("key", "token"),
    )
    .with_root(ServiceRoot::parse("http://127.0.0.1:4010/").unwrap())
}

fn id() -> GreenPinId {
    GreenPinId::new("g-1").unwrap()
}

fn field_of(err: Error) -> (String, ValidationKind) {
    match err {
        Error::Validation(v) => (v.field().to_owned(), v.kind()),
        other => panic!("expected validation error, got {other:?}"),
    }
}

fn good_create() -> CreateSpec {
    CreateSpec::new("order-1")
        .a(PartySpec::new().vn("6292134471").number("7987686144"))
        .b(PartySpec::new()
            .number("9956555625")
            .pin_length(PinLength::of::<4>()))
}

#[test]
fn methods_paths_and_idempotency() {
    let base = "http://127.0.0.1:4010/v1/tenants/acme";
    let cases: Vec<(OperationKind, http::Request<Vec<u8>>, &str, &str)> = vec![
        (
            OperationKind::Create,
            good_create().build_request(&ctx()).unwrap(),
            "POST",
            "/greenpin",
        ),
        (
            OperationKind::Get,
            GetAllocation::new(id()).build_request(&ctx()).unwrap(),
            "GET",
            "/greenpin/g-1",
        ),
        (
            OperationKind::Update,
            UpdateAllocation::new(id(), UpdateSpec::new().deallocate_after("1h"))
                .build_request(&ctx())
                .unwrap(),
            "PUT",
            "/greenpin/g-1",
        ),
        (
            OperationKind::BulkUpdate,
            BulkUpdate::new(BulkSpec::new().item(BulkItemSpec::new(id()).deallocate_after("1h")))
                .build_request(&ctx())
                .unwrap(),
            "PUT",
            "/greenpin",
        ),
        (
            OperationKind::Delete,
            DeleteAllocation::new(id()).build_request(&ctx()).unwrap(),
            "DELETE",
            "/greenpin/g-1",
        ),
        (
            OperationKind::GetSettings,
            GetSettings::new().build_request(&ctx()).unwrap(),
            "GET",
            "/settings",
        ),
        (
            OperationKind::UpdateSettings,
            UpdateSettings::new(SettingsSpec::new().timezone(Timezone::Utc))
                .build_request(&ctx())
                .unwrap(),
            "PUT",
            "/settings",
        ),
    ];
    for (kind, req, method, path) in cases {
        assert_eq!(req.method(), method, "{kind:?}");
        assert_eq!(kind.method(), method, "{kind:?}");
        assert_eq!(req.uri().to_string(), format!("{base}{path}"), "{kind:?}");
        assert_eq!(
            kind.idempotency() == greenpin_core::retry::Idempotency::Idempotent,
            method != "POST"
        );
        assert!(req.headers()["authorization"].is_sensitive());
        assert_eq!(
            req.headers().contains_key("content-type"),
            !req.body().is_empty(),
            "{kind:?}"
        );
    }
}

#[test]
fn create_body_shape() {
    let req = good_create().build_request(&ctx()).unwrap();
    let body: serde_json::Value = serde_json::from_slice(req.body()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "transaction_id": "order-1",
            "a": {"vns": ["+916292134471"], "numbers": ["+917987686144"]},
            "b": {"numbers": ["+919956555625"], "pin_length": 4}
        })
    );
}

#[test]
fn create_rules() {
    let c = ctx();
    let mut no_tx = good_create();
    no_tx.transaction_id = None;
    assert_eq!(
        field_of(no_tx.build_request(&c).unwrap_err()),
        ("transaction_id".into(), ValidationKind::Missing)
    );
    let mut blank = good_create();
    blank.transaction_id = Some("  ".into());
    assert_eq!(
        field_of(blank.build_request(&c).unwrap_err()),
        ("transaction_id".into(), ValidationKind::Missing)
    );
    let no_numbers = CreateSpec::new("t").a(PartySpec::new().vn("6292134471"));
    assert_eq!(
        field_of(no_numbers.build_request(&c).unwrap_err()),
        ("a.numbers".into(), ValidationKind::Missing)
    );
    let no_vns = CreateSpec::new("t").b(PartySpec::new().number("7987686144"));
    assert_eq!(
        field_of(no_vns.build_request(&c).unwrap_err()),
        ("a.vns".into(), ValidationKind::Missing)
    );
}

#[test]
fn update_rules() {
    let c = ctx();
    let update = |spec| {
        UpdateAllocation::new(id(), spec)
            .build_request(&c)
            .unwrap_err()
    };
    let (field, kind) = field_of(update(UpdateSpec::new()));
    assert_eq!((field.as_str(), kind), ("body", ValidationKind::Missing));
    // Empty party specs are not "a field".
    let (_, kind) = field_of(update(UpdateSpec::new().a(PartySpec::new())));
    assert_eq!(kind, ValidationKind::Missing);

    let err =
        update(UpdateSpec::new().b(PartySpec::new().pin("23").pin_length(PinLength::of::<3>())));
    assert_eq!(
        err.to_string(),
        "b.pin: a PIN of 2 digits does not match pin_length 3"
    );

    // A PIN is a credential: no refusal quotes it, and Debug does not show it.
    for (pin, len) in [
        ("98765432109", None),
        ("98a7", None),
        ("9876", Some(3)),
        ("", None),
    ] {
        let mut party = PartySpec::new().pin(pin);
        if let Some(len) = len {
            party = party.pin_length(PinLength::new(len).unwrap());
        }
        let err = update(UpdateSpec::new().a(party.clone()));
        let text = format!("{err} {err:?} {party:?}");
        assert!(text.contains("a.pin"), "{text}");
        assert!(
            pin.is_empty() || !text.contains(pin),
            "the PIN leaked: {text}"
        );
    }

    let cases: Vec<(UpdateSpec, &str, ValidationKind)> = vec![
        (
            UpdateSpec::new().a(PartySpec::new().pin("12a")),
            "a.pin",
            ValidationKind::Invalid,
        ),
        (
            UpdateSpec::new().a(raw_pin_length(0)),
            "a.pin_length",
            ValidationKind::Invalid,
        ),
        (
            UpdateSpec::new().a(raw_pin_length(11)),
            "a.pin_length",
            ValidationKind::Invalid,
        ),
        (
            UpdateSpec::new().b(PartySpec::new().number("12345")),
            "b.numbers[0]",
            ValidationKind::InvalidNumber,
        ),
        (
            UpdateSpec::new().a(PartySpec::new().numbers(["7987686144", "+91 79876 86144"])),
            "a.numbers[1]",
            ValidationKind::Duplicate,
        ),
        (
            UpdateSpec::new()
                .a(PartySpec::new().number("7987686144"))
                .b(PartySpec::new().number("07987686144")),
            "b.numbers[0]",
            ValidationKind::SameNumberInBothParties,
        ),
        (
            UpdateSpec::new()
                .a(PartySpec::new().numbers((0..11).map(|i| format!("98765432{i:02}")))),
            "a.numbers",
            ValidationKind::Invalid,
        ),
        (
            UpdateSpec::new().a(PartySpec::new().numbers(Vec::<String>::new())),
            "a.numbers",
            ValidationKind::Invalid,
        ),
        (
            UpdateSpec::new().usage("sideways".into()),
            "usage",
            ValidationKind::Invalid,
        ),
        (
            UpdateSpec::new().deallocate_after("0s"),
            "deallocation_policy.duration",
            ValidationKind::Invalid,
        ),
        (
            UpdateSpec::new().deallocate_after("36501d"),
            "deallocation_policy.duration",
            ValidationKind::Invalid,
        ),
        (
            UpdateSpec::new().deallocate_after("later"),
            "deallocation_policy.duration",
            ValidationKind::Invalid,
        ),
        (
            UpdateSpec::new().deallocate_after(std::time::Duration::from_millis(1500)),
            "deallocation_policy.duration",
            ValidationKind::Invalid,
        ),
    ];
    for (spec, want_field, want_kind) in cases {
        let (field, kind) = field_of(update(spec.clone()));
        assert_eq!((field.as_str(), kind), (want_field, want_kind), "{spec:?}");
    }
    // Ten numbers are fine.
    let ten =
        UpdateSpec::new().a(PartySpec::new().numbers((0..10).map(|i| format!("98765432{i:02}"))));
    assert!(UpdateAllocation::new(id(), ten).build_request(&c).is_ok());
}

#[test]
fn bulk_errors_name_the_item() {
    let op = BulkUpdate::new(
        BulkSpec::new()
            .item(BulkItemSpec::new(id()).usage(greenpin_core::Usage::Oneway))
            .item(BulkItemSpec::new("g-2").a(PartySpec::new().vn("629XXXXX71"))),
    );
    let (field, kind) = field_of(op.build_request(&ctx()).unwrap_err());
    assert_eq!(
        (field.as_str(), kind),
        ("greenpins[1].a.vns[0]", ValidationKind::InvalidNumber)
    );
    assert!(field_of(BulkUpdate::default().build_request(&ctx()).unwrap_err()).0 == "greenpins");
}

#[test]
fn bulk_body_shape() {
    let op = BulkUpdate::new(BulkSpec::new().item(BulkItemSpec::new(id()).deallocate_after("20m")));
    let body: serde_json::Value =
        serde_json::from_slice(op.build_request(&ctx()).unwrap().body()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"greenpins":[{"greenpin_id":"g-1","deallocation_policy":{"duration":"20m"}}]})
    );
}

#[test]
fn settings_rules() {
    // A PUT keeps what it omits: an empty change is a valid (no-op) request.
    let empty = UpdateSettings::new(SettingsSpec::new())
        .build_request(&ctx())
        .unwrap();
    assert_eq!(empty.body(), b"{}");
    assert_eq!(
        field_of(
            UpdateSettings::new(
                serde_json::from_str::<SettingsSpec>(r#"{"country":"Narnia"}"#).unwrap()
            )
            .build_request(&ctx())
            .unwrap_err()
        )
        .0,
        "country"
    );
}

#[test]
fn service_root_rules() {
    for bad in [
        "http://leadassist.exotel.in",
        "ftp://127.0.0.1",
        "https://u:p@leadassist.exotel.in",
        "https://leadassist.exotel.in/?x=1",
        "leadassist.exotel.in",
        "",
        "https://leadassist.exotel.in/v1/tenants/acme",
    ] {
        let err = ServiceRoot::parse(bad).unwrap_err();
        assert_eq!(err.setting(), "base_url", "{bad:?}");
    }
    for (good, norm) in [
        (
            "https://leadassist.exotel.in/",
            "https://leadassist.exotel.in",
        ),
        ("http://localhost:8080", "http://localhost:8080"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("http://127.0.0.2:1/prefix/", "http://127.0.0.2:1/prefix"),
    ] {
        assert_eq!(ServiceRoot::parse(good).unwrap().as_str(), norm);
    }
}

#[test]
fn the_token_never_shows() {
    let ctx = ApiContext::new(
        AccountSid::new("acme").unwrap(),
        Credentials::new("canary-key-1f2e", "canary-token-9c8b"),
    );
    let req = GetAllocation::new(id()).build_request(&ctx).unwrap();
    let err = UpdateAllocation::new(id(), UpdateSpec::new())
        .build_request(&ctx)
        .unwrap_err();
    for text in [
        format!("{ctx:?}"),
        format!("{req:?}"),
        req.uri().to_string(),
        format!("{err:?}"),
        err.to_string(),
    ] {
        assert!(!text.contains("canary"), "{text}");
    }
}

/// Every refusal says its problem once: no run of four words appears twice in a message
/// (`"12345" is not a valid phone number: not a valid phone number` did).
#[test]
fn validation_messages_say_their_problem_once() {
    use greenpin_core::{MaxDeallocationTime, SettingsSpec, ValidationContext};
    let ctx = ValidationContext::default();
    let party = |p: PartySpec| UpdateSpec::new().a(p).validate(&ctx).map(drop);
    let errors = [
        party(PartySpec::new().number("12345")),
        party(PartySpec::new().number("629XXXXX71")),
        party(PartySpec::new().number("")),
        party(PartySpec::new().number("7".repeat(40))),
        party(PartySpec::new().numbers(["7987686144", "07987686144"])),
        party(PartySpec::new().pin("12a")),
        party(PartySpec::new().pin("123").pin_length(PinLength::of::<4>())),
        party(raw_pin_length(11)),
        UpdateSpec::new()
            .deallocate_after("2 days")
            .validate(&ctx)
            .map(drop),
        UpdateSpec::new()
            .deallocate_after("0s")
            .validate(&ctx)
            .map(drop),
        UpdateSpec::new().validate(&ctx).map(drop),
        CreateSpec::new("").validate(&ctx).map(drop),
        CreateSpec::new("t")
            .a(PartySpec::new().number("7987686144"))
            .validate(&ctx)
            .map(drop),
        SettingsSpec::new()
            .deletion_time(90_000)
            .validate(&ctx)
            .map(drop),
        SettingsSpec::new()
            .max_deallocation_time(MaxDeallocationTime::Cap("1s".parse().unwrap()))
            .validate(&ctx)
            .map(drop),
        serde_json::from_str::<SettingsSpec>(r#"{"country":"XX"}"#)
            .unwrap()
            .validate(&ctx)
            .map(drop),
        SettingsSpec::new()
            .call_complete_endpoint("ftp://x")
            .validate(&ctx)
            .map(drop),
    ];
    let mut checked = 0;
    for e in errors {
        let message = e.expect_err("each is refused").to_string();
        let words: Vec<&str> = message
            .split(|c: char| c.is_whitespace() || c == ':' || c == ',')
            .filter(|w| !w.is_empty())
            .collect();
        for (i, window) in words.windows(4).enumerate() {
            let again = words[i + 1..].windows(4).any(|w| w == window);
            assert!(!again, "{message:?} says {window:?} twice");
        }
        checked += 1;
    }
    assert_eq!(checked, 17);
}

#[cfg(feature = "international-numbers")]
#[test]
fn international_numbers_follow_the_accounts_setting() {
    use greenpin_core::{Country, ValidationContext};
    let party = PartySpec::new().numbers(["7987686144", "+447911123456"]);
    // The SDK lets them through (the service applies intl_num_sup)...
    let sdk = ValidationContext::new(Country::IN);
    let ok = party.validate("a", &sdk).unwrap();
    assert_eq!(ok.numbers[1].as_str(), "+447911123456");
    // ...an account without intl_num_sup refuses the foreign one by its index, code 15.
    let account = sdk.intl_num_sup(false);
    let err = party.validate("a", &account).unwrap_err();
    assert_eq!(
        (err.field(), err.kind()),
        ("a.numbers[1]", ValidationKind::RegionNotSupported)
    );
    assert!(err.to_string().contains("+447911123456"), "{err}");
    // Local numbers pass either way.
    assert!(
        PartySpec::new()
            .number("7987686144")
            .validate("a", &account)
            .is_ok()
    );
}

#[test]
fn a_party_shows_its_numbers_but_not_its_pin() {
    let party = PartySpec::new()
        .vn("6292134471")
        .number("7987686144")
        .pin("8642");
    let shown = format!("{party:?}");
    assert!(shown.starts_with("PartySpec {"), "{shown}");
    assert!(
        shown.contains("6292134471") && shown.contains("7987686144"),
        "{shown}"
    );
    assert!(
        shown.contains("<set>") && !shown.contains("8642"),
        "{shown}"
    );
}
