//! Exotel's documented behaviour, row by row (`GREENPIN_API.md`): each test is one place
//! where the emulator once departed from the documentation.

use greenpin_emulator::CallSpec;

use std::time::Duration;

use crate::common::{id_of, setup};
use serde_json::json;

#[test]
fn intl_num_sup_is_the_strings_true_and_false() {
    let (_emu, raw) = setup();
    assert_eq!(
        raw.api("GET", "/settings", None).expect_ok()["intl_num_sup"],
        "false"
    );
    let s = raw
        .api("PUT", "/settings", Some(r#"{"intl_num_sup":"true"}"#))
        .expect_ok();
    assert_eq!(s["intl_num_sup"], "true");
    let m = raw
        .api("PUT", "/settings", Some(r#"{"intl_num_sup":"yes"}"#))
        .expect_error(400, 5);
    assert!(m.starts_with("intl_num_sup: "), "{m}");
}

#[test]
fn max_deallocation_time_caps_a_longer_policy_and_is_at_most_170_days() {
    let (emu, raw) = setup();
    raw.api(
        "PUT",
        "/settings",
        Some(r#"{"max_deallocation_time":"2h"}"#),
    )
    .expect_ok();
    let a = raw.create(
        json!({"transaction_id": "t", "a": {"numbers": ["7987686144"], "vns": ["6292134471"]},
        "deallocation_policy": {"duration": "3h"}}),
    );
    emu.advance_clock(Duration::from_secs(2 * 3600 + 1))
        .unwrap();
    assert_eq!(
        raw.api("GET", &format!("/greenpin/{}", id_of(&a)), None)
            .expect_ok()["state"],
        "vault",
        "capped at 2h, not refused and not 3h"
    );
    let m = raw
        .api(
            "PUT",
            "/settings",
            Some(r#"{"max_deallocation_time":"365d"}"#),
        )
        .expect_error(400, 5);
    assert!(m.starts_with("max_deallocation_time: "), "{m}");
    // With -1 (never expire) nothing caps a policy: a 200-day policy is honoured.
    raw.api(
        "PUT",
        "/settings",
        Some(r#"{"max_deallocation_time":"-1"}"#),
    )
    .expect_ok();
    let long = raw.create(
        json!({"transaction_id": "long", "a": {"numbers": ["7000000001"], "vns": ["6292134472"]},
        "deallocation_policy": {"duration": "200d"}}),
    );
    emu.advance_clock(Duration::from_secs(190 * 86_400))
        .unwrap();
    assert_eq!(
        raw.api("GET", &format!("/greenpin/{}", id_of(&long)), None)
            .expect_ok()["state"],
        "active"
    );
}

#[test]
fn durations_are_count_and_unit_only_and_live_at_least_five_minutes() {
    let (emu, raw) = setup();
    for bad in ["1h 30m", "90min", "2weeks", "1.5h", "10M", "0s"] {
        let m = raw
            .api(
                "POST",
                "/greenpin",
                Some(&json!({"transaction_id": bad, "a": {"numbers": ["7987686144"], "vns": ["6292134471"]},
                    "deallocation_policy": {"duration": bad}}).to_string()),
            )
            .expect_error(400, 5);
        assert!(
            m.starts_with("deallocation_policy.duration: "),
            "{bad}: {m}"
        );
    }
    // "1s" is a valid policy (Exotel's own examples use "20s"); it lives the documented
    // minimum of 5 minutes.
    let short = raw.create(
        json!({"transaction_id": "s", "a": {"numbers": ["7987686144"], "vns": ["6292134471"]},
        "deallocation_policy": {"duration": "1s"}}),
    );
    let id = id_of(&short);
    emu.advance_clock(Duration::from_secs(299)).unwrap();
    assert_eq!(
        raw.api("GET", &format!("/greenpin/{id}"), None).expect_ok()["state"],
        "active"
    );
    emu.advance_clock(Duration::from_secs(2)).unwrap();
    assert_eq!(
        raw.api("GET", &format!("/greenpin/{id}"), None).expect_ok()["state"],
        "vault"
    );
    // The form given is echoed, as in the settings.
    assert!(short["deallocation_time"].is_string());
}

#[test]
fn pins_exist_only_for_parties_whose_pin_is_enabled() {
    let (emu, raw) = setup();
    // Defaults: A-party PINs on, B-party PINs off (the documented Update response has
    // a.pin and no b.pin).
    let c = raw.create(json!({"transaction_id": "t",
        "a": {"numbers": ["7987686144"], "vns": ["6292134471"]},
        "b": {"numbers": ["9956555625"], "pin": "234"}}));
    assert_eq!(
        c["a"]["pin"].as_str().map(str::len),
        Some(4),
        "generated for A"
    );
    assert!(c["b"].get("pin").is_none(), "dropped for B");
    // B reaches A by its own number, no PIN asked.
    let call = emu
        .simulate_call(&CallSpec::new("9956555625", "6292134471"))
        .unwrap();
    assert_eq!(
        (call.connected, call.to.as_deref()),
        (true, Some("+917987686144"))
    );

    // Turning B-party PINs on: B's explicit PIN is kept.
    raw.api("PUT", "/settings", Some(r#"{"bparty_pin_enabled":"true"}"#))
        .expect_ok();
    let d = raw.create(json!({"transaction_id": "u",
        "a": {"numbers": ["7000000001"], "vns": ["6292134472"]},
        "b": {"numbers": ["9000000001"], "pin": "234"}}));
    assert_eq!(d["b"]["pin"], "234");
}

#[test]
fn the_common_pin_is_shared_and_the_caller_number_tells_the_parties_apart() {
    let (emu, raw) = setup();
    raw.api(
        "PUT",
        "/settings",
        Some(r#"{"common_pin_enabled":true,"common_pin_length":5}"#),
    )
    .expect_ok();
    let c = raw.create(json!({"transaction_id": "t",
        "a": {"numbers": ["7987686144"], "vns": ["6292134471"]},
        "b": {"numbers": ["9956555625"]}}));
    let pin = c["a"]["pin"].as_str().unwrap().to_owned();
    assert_eq!(pin.len(), 5);
    assert_eq!(c["b"]["pin"].as_str(), Some(pin.as_str()));
    let from_b = emu
        .simulate_call(&CallSpec::new("9956555625", "6292134471").pin(&pin))
        .unwrap();
    assert_eq!(from_b.to.as_deref(), Some("+917987686144"), "B reaches A");
    let from_anyone = emu
        .simulate_call(&CallSpec::new("7000000009", "6292134471").pin(&pin))
        .unwrap();
    assert_eq!(
        from_anyone.to.as_deref(),
        Some("+919956555625"),
        "anyone else is A"
    );
}

#[test]
fn a_b_party_number_entering_the_a_pin_is_not_the_a_party() {
    let (emu, raw) = setup();
    let c = raw.create(json!({"transaction_id": "t",
        "a": {"numbers": ["7987686144"], "vns": ["6292134471"], "pin": "1234"},
        "b": {"numbers": ["9956555625"]}, "usage": "twoway"}));
    assert_eq!(c["a"]["pin"], "1234");
    let call = emu
        .simulate_call(&CallSpec::new("9956555625", "6292134471").pin("1234"))
        .unwrap();
    assert_eq!(
        (call.party, call.to.as_deref()),
        (Some(greenpin_emulator::Side::B), Some("+917987686144")),
        "B is the B-party, reaching A, never connected to itself"
    );
    // One-way: the B-party is refused, whichever PIN it enters.
    raw.api(
        "PUT",
        &format!("/greenpin/{}", id_of(&c)),
        Some(r#"{"usage":"oneway"}"#),
    )
    .expect_ok();
    let refused = emu
        .simulate_call(&CallSpec::new("9956555625", "6292134471").pin("1234"))
        .unwrap();
    assert_eq!(
        (refused.connected, refused.reason),
        (false, Some(greenpin_emulator::CallRefusal::Oneway))
    );
}

#[test]
fn a_settings_put_keeps_what_it_omits_even_all_of_it() {
    let (_emu, raw) = setup();
    let before = raw.api("GET", "/settings", None).expect_ok();
    let after = raw.api("PUT", "/settings", Some("{}")).expect_ok();
    assert_eq!(before, after);
}

#[test]
fn settings_echo_the_form_they_were_set_in() {
    let (_emu, raw) = setup();
    assert_eq!(
        raw.api("GET", "/settings", None).expect_ok()["max_deallocation_time"],
        "170d"
    );
    for (set, echoed) in [
        (json!("-1"), "-1"),
        (json!(-1), "-1"),
        (json!("12h"), "12h"),
    ] {
        let s = raw
            .api(
                "PUT",
                "/settings",
                Some(&json!({"max_deallocation_time": set}).to_string()),
            )
            .expect_ok();
        assert_eq!(s["max_deallocation_time"], echoed);
    }
}

#[test]
fn whole_numbers_written_as_floats_are_read() {
    let (_emu, raw) = setup();
    let s = raw
        .api(
            "PUT",
            "/settings",
            Some(r#"{"deletion_time":3600.0,"aparty_pin_length":5.0}"#),
        )
        .expect_ok();
    assert_eq!(
        (s["deletion_time"].as_u64(), s["aparty_pin_length"].as_u64()),
        (Some(3600), Some(5))
    );
    let c = raw.create(json!({"transaction_id": "t",
        "a": {"numbers": ["7987686144"], "vns": ["6292134471"], "pin_length": 6.0}}));
    assert_eq!(c["a"]["pin"].as_str().map(str::len), Some(6));
    let m = raw
        .api("PUT", "/settings", Some(r#"{"deletion_time":1.5}"#))
        .expect_error(400, 5);
    assert!(m.starts_with("deletion_time: "), "{m}");
}

#[test]
fn type_errors_name_their_field_in_every_body() {
    let (_emu, raw) = setup();
    let m = raw
        .api(
            "POST",
            "/greenpin",
            Some(r#"{"transaction_id":"t","a":{"pin_length":"abc"}}"#),
        )
        .expect_error(400, 5);
    assert!(m.starts_with("a.pin_length: "), "{m}");
    let m = raw
        .api("PUT", "/settings", Some(r#"{"timezone":5}"#))
        .expect_error(400, 5);
    assert!(m.starts_with("timezone: "), "{m}");
    let data = raw
        .api(
            "PUT",
            "/greenpin",
            Some(r#"{"greenpins":[{"greenpin_id":"g","a":{"pin_length":"abc"}}]}"#),
        )
        .expect_ok();
    let m = data["greenpins"][0]["message"].as_str().unwrap();
    assert!(m.starts_with("greenpins[0].a.pin_length: "), "{m}");
}

#[test]
fn dot_ids_and_transaction_ids_say_what_is_wrong() {
    let (_emu, raw) = setup();
    for id in [".", ".."] {
        let v = greenpin_core::GreenPinId::new(id).unwrap_err();
        assert_eq!(v.to_string(), "greenpin_id: must not be \".\" or \"..\"");
    }
    // Any text without control characters is a transaction id: it travels in JSON only.
    raw.create(json!({"transaction_id": "order 42/é", "a": {"numbers": ["7987686144"], "vns": ["6292134471"]}}));
    let m = raw
        .api("POST", "/greenpin", Some(r#"{"transaction_id":"a\u0007b","a":{"numbers":["7000000001"],"vns":["6292134472"]}}"#))
        .expect_error(400, 5);
    assert_eq!(m, "transaction_id: contains the control character '\\u{7}'");
}

#[test]
fn unknown_fields_are_ignored_and_said_so() {
    let (emu, raw) = setup();
    let c = raw.create_simple("t", "7987686144", "9956555625", "6292134471");
    emu.clear_requests();
    let answer = raw.api(
        "PUT",
        &format!("/greenpin/{}", id_of(&c)),
        Some(r#"{"usage":"oneway","deallocation_polcy":{"duration":"1h"}}"#),
    );
    assert_eq!(
        answer
            .headers
            .get("x-greenpin-ignored-fields")
            .and_then(|v| v.to_str().ok()),
        Some("deallocation_polcy")
    );
    answer.expect_ok();
    let journal = emu.requests();
    assert_eq!(
        journal.last().unwrap().ignored_fields,
        ["deallocation_polcy"]
    );
}

#[test]
fn a_transaction_id_of_an_active_allocation_is_refused_with_code_18() {
    let (_emu, raw) = setup();
    let first = raw.create_simple("order-1", "7987686144", "9956555625", "6292134471");
    let m = raw
        .api(
            "POST",
            "/greenpin",
            Some(&json!({"transaction_id": "order-1", "a": {"numbers": ["7000000001"], "vns": ["6292134472"]}}).to_string()),
        )
        .expect_error(409, 18);
    assert!(m.starts_with("transaction_id: "), "{m}");
    // Freed once the first is deallocated.
    raw.api("DELETE", &format!("/greenpin/{}", id_of(&first)), None)
        .expect_ok();
    raw.create(json!({"transaction_id": "order-1", "a": {"numbers": ["7000000001"], "vns": ["6292134472"]}}));
}
