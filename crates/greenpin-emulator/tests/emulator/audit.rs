//! The rows of an audit against Exotel's pages, each decided (docs/DECISIONS.md) and held
//! here: a PIN sent as a JSON integer, numbers read strictly, the country's case, and
//! every PIN field the service drops or replaces named in `X-GreenPin-Ignored-Fields`.

use serde_json::json;

use crate::common::setup;

#[test]
fn a_pin_sent_as_a_json_integer_is_read_as_its_digits() {
    let (_emu, raw) = setup();
    let created = raw.create(json!({"transaction_id": "int-pin",
        "a": {"numbers": ["7987686144"], "vns": ["6292134471"], "pin": 1234},
        "b": {"numbers": ["9956555625"]}}));
    assert_eq!(created["a"]["pin"], "1234");
    // A whole number written as a float is that integer, as JSON Schema reads it.
    let created = raw.create(json!({"transaction_id": "float-pin",
        "a": {"numbers": ["7000000009"], "vns": ["6292134464"], "pin": 4321.0},
        "b": {"numbers": ["7000000008"]}}));
    assert_eq!(created["a"]["pin"], "4321");
    // A negative, fractional or oversized number is not a PIN, and says where.
    for bad in [json!(-5), json!(12.5), json!(12345678901_u64)] {
        let answer = raw.api(
            "POST",
            "/greenpin",
            Some(
                &json!({"transaction_id": "bad-pin",
                "a": {"numbers": ["7000000001"], "vns": ["6292134471"], "pin": bad}})
                .to_string(),
            ),
        );
        let message = answer.expect_error(400, 5);
        assert!(message.starts_with("a.pin"), "{bad}: {message}");
    }
}

#[test]
fn numbers_are_read_strictly_but_json_schema_integers_are_integers() {
    let (_emu, raw) = setup();
    let id = raw.create_simple("strict", "7987686144", "9956555625", "6292134471")["greenpin_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let update = |pin_length: serde_json::Value| {
        raw.api(
            "PUT",
            &format!("/greenpin/{id}"),
            Some(&json!({"a": {"pin_length": pin_length}}).to_string()),
        )
    };
    // A string must be digits and nothing else.
    for bad in [
        json!(" 4"),
        json!("4 "),
        json!("+4"),
        json!("4.0"),
        json!("four"),
    ] {
        let message = update(bad.clone()).expect_error(400, 5);
        assert!(message.starts_with("a.pin_length"), "{bad}: {message}");
    }
    // 4, "4", and the JSON Schema integers 4.0 and 4e0 are all four.
    for good in [json!(4), json!("4"), json!(4.0), json!(4e0)] {
        let answer = update(good.clone()).expect_ok();
        assert_eq!(answer["a"]["pin"].as_str().unwrap().len(), 4, "{good}");
    }
    // deletion_time is a count of seconds: 1e3 is the integer 1000, " 600" is not one.
    let settings = raw
        .api("PUT", "/settings", Some(r#"{"deletion_time": 1e3}"#))
        .expect_ok();
    assert_eq!(settings["deletion_time"], 1000);
}

#[test]
fn a_country_is_kept_and_echoed_as_its_code_in_capitals() {
    let (_emu, raw) = setup();
    let settings = raw
        .api("PUT", "/settings", Some(r#"{"country": "in"}"#))
        .expect_ok();
    assert_eq!(settings["country"], "IN");
    assert_eq!(
        raw.api("GET", "/settings", None).expect_ok()["country"],
        "IN"
    );
    let message = raw
        .api("PUT", "/settings", Some(r#"{"country": "zz"}"#))
        .expect_error(400, 5);
    assert!(message.starts_with("country"), "{message}");
}

#[test]
fn every_pin_field_the_service_drops_or_replaces_is_named() {
    let (_emu, raw) = setup();
    // B-party PINs are off by default: both of B's PIN fields are dropped, each named.
    let answer = raw.api(
        "POST",
        "/greenpin",
        Some(
            &json!({"transaction_id": "drops",
                "a": {"numbers": ["7987686144"], "vns": ["6292134471"]},
                "b": {"numbers": ["9956555625"], "pin_length": 5}})
            .to_string(),
        ),
    );
    let id = answer.expect_ok()["greenpin_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        answer.headers["x-greenpin-ignored-fields"],
        "b.pin_length (bparty_pin_enabled is off)"
    );
    let answer = raw.api(
        "PUT",
        &format!("/greenpin/{id}"),
        Some(r#"{"b": {"pin": "55555", "pin_length": 5}}"#),
    );
    answer.expect_ok();
    assert_eq!(
        answer.headers["x-greenpin-ignored-fields"],
        "b.pin (bparty_pin_enabled is off), b.pin_length (bparty_pin_enabled is off)"
    );
    // Under common_pin_enabled B has A's PIN: an explicit b.pin is replaced, and said.
    raw.api("PUT", "/settings", Some(r#"{"common_pin_enabled": true}"#))
        .expect_ok();
    let answer = raw.api(
        "POST",
        "/greenpin",
        Some(
            &json!({"transaction_id": "common",
                "a": {"numbers": ["7000000001"], "vns": ["6292134464"], "pin": "1111"},
                "b": {"numbers": ["7000000002"], "pin": "2222"}})
            .to_string(),
        ),
    );
    let data = answer.expect_ok();
    assert_eq!(data["b"]["pin"], "1111");
    assert_eq!(
        answer.headers["x-greenpin-ignored-fields"],
        "b.pin (common_pin_enabled: B has A's PIN)"
    );
}
