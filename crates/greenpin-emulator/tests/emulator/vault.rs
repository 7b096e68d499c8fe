//! Exotel's vault, and the settings around it, as documented: `deletion_time` is a cool-off
//! of 0 to 86,400 seconds (default 0) during which a deallocated allocation's VN and PIN —
//! and its numbers on its VNs — stay reserved; a DELETE answers success whatever it is;
//! `max_deallocation_time` is 5 minutes to 170 days or `"-1"`; a number is registered on a
//! VN under one PIN (code 19), and every number already registered is code 13; the
//! settings shared with GreenVN have their documented defaults.

use std::time::Duration;

use greenpin_emulator::{
    BlockingEmulator, CallRefusal, CallSpec, CallbackKind, EmulatorConfig, Limits,
};
use serde_json::json;

use crate::common::{Hook, Raw, id_of, setup};

#[test]
fn deletion_time_is_0_to_86400_seconds_and_defaults_to_0() {
    let (_emu, raw) = setup();
    let s = raw.api("GET", "/settings", None).expect_ok();
    assert_eq!(s["deletion_time"], 0);
    for bad in ["86401", "-1", "\"soon\"", "1.5"] {
        let m = raw
            .api(
                "PUT",
                "/settings",
                Some(&format!(r#"{{"deletion_time": {bad}}}"#)),
            )
            .expect_error(400, 5);
        assert!(m.starts_with("deletion_time: "), "{bad}: {m}");
    }
    let s = raw
        .api("PUT", "/settings", Some(r#"{"deletion_time": 86400}"#))
        .expect_ok();
    assert_eq!(s["deletion_time"], 86400);
}

#[test]
fn a_delete_answers_success_whatever_the_vault_period() {
    let (emu, raw) = setup();
    let hook = Hook::ok();
    hook.register(&raw);
    for (i, deletion_time) in [0, 1800].into_iter().enumerate() {
        raw.api(
            "PUT",
            "/settings",
            Some(&json!({"deletion_time": deletion_time}).to_string()),
        )
        .expect_ok();
        let c = raw.create_simple(&format!("d{i}"), "7987686144", "9956555625", "6292134471");
        let id = id_of(&c);
        let deleted = raw
            .api("DELETE", &format!("/greenpin/{id}"), None)
            .expect_ok();
        assert_eq!(
            (deleted["state"].as_str(), deleted["greenpin_id"].as_str()),
            (Some("vault"), Some(id.as_str())),
            "deletion_time {deletion_time}"
        );
        assert!(deleted["deallocation_time"].is_string());
        // Readable as a vault allocation, and its one deallocation callback arrives.
        assert_eq!(
            raw.api("GET", &format!("/greenpin/{id}"), None).expect_ok()["state"],
            "vault"
        );
        let record = emu
            .wait_for_callback(
                |c| c.kind == CallbackKind::Deallocation && c.greenpin_id() == Some(&id),
                Duration::from_secs(10),
            )
            .expect("the deallocation callback");
        assert_eq!(record.payload["reason"], "deleted");
        assert_eq!(hook.next().json()["greenpin_id"], id.as_str());
        // With no vault period the keys are free at once (the next round reuses them);
        // the transaction id always is.
        emu.check_invariants().unwrap();
    }
}

#[test]
fn a_deallocated_allocations_keys_stay_reserved_for_the_vault_period() {
    let (emu, raw) = setup();
    raw.api("PUT", "/settings", Some(r#"{"deletion_time": 1800}"#))
        .expect_ok();
    let first = raw.create(json!({"transaction_id": "v1",
        "a": {"numbers": ["7987686144"], "vns": ["6292134471"], "pin": "123"},
        "b": {"numbers": ["9956555625"]}}));
    raw.api("DELETE", &format!("/greenpin/{}", id_of(&first)), None)
        .expect_ok();
    // The same VN and PIN, for other people: refused while the vault period lasts.
    let same_pin = json!({"transaction_id": "v2",
        "a": {"numbers": ["7000000001"], "vns": ["6292134471"], "pin": "123"},
        "b": {"numbers": ["9000000001"]}});
    let m = raw
        .api("POST", "/greenpin", Some(&same_pin.to_string()))
        .expect_error(409, 19);
    assert!(m.contains("vault period"), "{m}");
    // The same number on the same VN under another PIN: refused too.
    let same_number = json!({"transaction_id": "v3",
        "a": {"numbers": ["7987686144"], "vns": ["6292134471"], "pin": "456"}});
    raw.api("POST", "/greenpin", Some(&same_number.to_string()))
        .expect_error(409, 19);
    // A call with the old PIN is refused as not active, naming the allocation.
    let call = emu
        .simulate_call(&CallSpec::new("9956555625", "6292134471").pin("123"))
        .unwrap();
    assert_eq!(call.reason, Some(CallRefusal::NotActive));
    assert_eq!(call.greenpin_id.as_deref(), Some(id_of(&first).as_str()));
    // A generated PIN never lands on a reserved one.
    emu.check_invariants().unwrap();
    emu.advance_clock(Duration::from_secs(1799)).unwrap();
    raw.api("POST", "/greenpin", Some(&same_pin.to_string()))
        .expect_error(409, 19);
    emu.advance_clock(Duration::from_secs(2)).unwrap();
    raw.create(same_pin);
    raw.create(json!({"transaction_id": "v3b",
        "a": {"numbers": ["7987686144"], "vns": ["6292134471"], "pin": "456"}}));
    emu.check_invariants().unwrap();
}

#[test]
fn an_expiry_starts_the_vault_period_too() {
    let (emu, raw) = setup();
    raw.api("PUT", "/settings", Some(r#"{"deletion_time": 600}"#))
        .expect_ok();
    raw.create(json!({"transaction_id": "e1",
        "a": {"numbers": ["7987686144"], "vns": ["6292134471"], "pin": "77"},
        "deallocation_policy": {"duration": "10m"}}));
    let again = json!({"transaction_id": "e2",
        "a": {"numbers": ["7000000002"], "vns": ["6292134471"], "pin": "77"}});
    // Expired after 10 minutes, reserved 10 more.
    emu.advance_clock(Duration::from_secs(10 * 60 + 1)).unwrap();
    raw.api("POST", "/greenpin", Some(&again.to_string()))
        .expect_error(409, 19);
    emu.advance_clock(Duration::from_secs(10 * 60)).unwrap();
    raw.create(again);
    // An expiry long past ends its vault period in the same sweep.
    raw.create(json!({"transaction_id": "e3",
        "a": {"numbers": ["7000000003"], "vns": ["6292134472"], "pin": "78"},
        "deallocation_policy": {"duration": "5m"}}));
    emu.advance_clock(Duration::from_secs(3600)).unwrap();
    raw.create(json!({"transaction_id": "e4",
        "a": {"numbers": ["7000000003"], "vns": ["6292134472"], "pin": "78"}}));
    emu.check_invariants().unwrap();
}

#[test]
fn max_deallocation_time_is_5_minutes_to_170_days_or_never() {
    let (_emu, raw) = setup();
    for bad in [r#""1s""#, r#""4m""#, "299", r#""171d""#, r#""0s""#] {
        let m = raw
            .api(
                "PUT",
                "/settings",
                Some(&format!(r#"{{"max_deallocation_time": {bad}}}"#)),
            )
            .expect_error(400, 5);
        assert!(m.starts_with("max_deallocation_time: "), "{bad}: {m}");
    }
    for good in [r#""5m""#, "300", r#""170d""#, r#""-1""#] {
        raw.api(
            "PUT",
            "/settings",
            Some(&format!(r#"{{"max_deallocation_time": {good}}}"#)),
        )
        .expect_ok();
    }
}

#[test]
fn a_number_registered_on_a_vn_under_another_pin_is_code_19() {
    let (emu, raw) = setup();
    raw.create(json!({"transaction_id": "r1",
        "a": {"numbers": ["7987686144"], "vns": ["6292134471"], "pin": "111"},
        "b": {"numbers": ["9956555625"]}}));
    // The rider's number on the same VN, under another PIN (given or generated).
    for pin in [json!("222"), serde_json::Value::Null] {
        let mut body = json!({"transaction_id": "r2",
            "a": {"numbers": ["7987686144"], "vns": ["6292134471"]},
            "b": {"numbers": ["9000000001"]}});
        if !pin.is_null() {
            body["a"]["pin"] = pin;
        }
        let m = raw
            .api("POST", "/greenpin", Some(&body.to_string()))
            .expect_error(409, 19);
        assert!(
            m.starts_with("a.numbers[0]: +917987686144 is already registered on VN +916292134471 with another PIN"),
            "{m}"
        );
        assert!(m.ends_with("by another active allocation"), "{m}");
    }
    // A party without a PIN (B's is off) giving that number on the VN: still "with
    // another PIN", code 19 — the holder routes it by PIN — never 13.
    let m = raw
        .api(
            "POST",
            "/greenpin",
            Some(
                &json!({"transaction_id": "r2",
                    "a": {"numbers": ["7000000009"], "vns": ["6292134471"], "pin": "333"},
                    "b": {"numbers": ["7987686144"]}})
                .to_string(),
            ),
        )
        .expect_error(409, 19);
    assert!(
        m.starts_with(
            "b.numbers[0]: +917987686144 is already registered on VN +916292134471 with another PIN"
        ),
        "{m}"
    );
    // On another VN it is free; so is another number on the same VN.
    raw.create(json!({"transaction_id": "r3",
        "a": {"numbers": ["7987686144"], "vns": ["6292134472"], "pin": "222"}}));
    raw.create(json!({"transaction_id": "r4",
        "a": {"numbers": ["7000000001"], "vns": ["6292134471"], "pin": "222"}}));
    emu.check_invariants().unwrap();
}

#[test]
fn every_number_already_registered_without_pins_is_code_13() {
    let (emu, raw) = setup();
    raw.api("PUT", "/settings", Some(r#"{"aparty_pin_enabled": false}"#))
        .expect_ok();
    raw.create(json!({"transaction_id": "n1",
        "a": {"numbers": ["7987686144", "7000000001"], "vns": ["6292134471"]}}));
    let m = raw
        .api(
            "POST",
            "/greenpin",
            Some(
                &json!({"transaction_id": "n2",
                "a": {"numbers": ["7000000001", "7987686144"], "vns": ["6292134471"]}})
                .to_string(),
            ),
        )
        .expect_error(409, 13);
    assert!(
        m.starts_with("a.numbers: all numbers are duplicates"),
        "{m}"
    );
    // Only some of them: the first clash is named, code 19.
    let m = raw
        .api(
            "POST",
            "/greenpin",
            Some(
                &json!({"transaction_id": "n3",
                "a": {"numbers": ["7000000002", "7987686144"], "vns": ["6292134471"]}})
                .to_string(),
            ),
        )
        .expect_error(409, 19);
    assert!(m.starts_with("a.numbers[1]: +917987686144"), "{m}");
    emu.check_invariants().unwrap();
}

#[test]
fn the_settings_shared_with_greenvn_have_their_documented_defaults_and_are_kept() {
    let (_emu, raw) = setup();
    let s = raw.api("GET", "/settings", None).expect_ok();
    assert_eq!(
        (
            &s["tag_enabled"],
            &s["aparty_tag"],
            &s["bparty_tag"],
            &s["sticky_agent_enabled"],
            &s["lcr_enabled"]
        ),
        (
            &json!("false"),
            &json!("aparty"),
            &json!("bparty"),
            &json!("false"),
            &json!("false")
        )
    );
    let change = json!({"tag_enabled": "true", "aparty_tag": "rider", "bparty_tag": "customer",
        "sms_config": {"sender": "EXOTEL"}, "sticky_agent_enabled": true, "lcr_enabled": "true",
        "default_region": "KA"});
    let s = raw
        .api("PUT", "/settings", Some(&change.to_string()))
        .expect_ok();
    assert_eq!(s["tag_enabled"], "true");
    assert_eq!(s["sticky_agent_enabled"], "true");
    assert_eq!(s["sms_config"], json!({"sender": "EXOTEL"}));
    assert_eq!(s["default_region"], "KA");
    let kept = raw.api("PUT", "/settings", Some("{}")).expect_ok();
    assert_eq!(kept, s);
    // A tag is a short printable name.
    let m = raw
        .api("PUT", "/settings", Some(r#"{"aparty_tag": "  "}"#))
        .expect_error(400, 5);
    assert!(m.starts_with("aparty_tag: "), "{m}");
    let m = raw
        .api("PUT", "/settings", Some(r#"{"tag_enabled": "yes"}"#))
        .expect_error(400, 5);
    assert!(m.starts_with("tag_enabled: "), "{m}");
}

#[test]
fn tags_travel_in_call_callbacks_when_tag_enabled_is_on() {
    let (emu, raw) = setup();
    raw.create(json!({"transaction_id": "tag",
        "a": {"numbers": ["7987686144"], "vns": ["6292134471"], "pin": "123"},
        "b": {"numbers": ["9956555625"]}}));
    let place = |from: &str| {
        let call = emu
            .simulate_call(&CallSpec::new(from, "6292134471").pin("123"))
            .unwrap();
        emu.wait_for_callback(
            |c| c.call_sid() == Some(&call.call_sid),
            Duration::from_secs(10),
        )
        .expect("the call's callback")
        .call_completed()
        .expect("a call record")
    };
    let off = place("7987686144");
    assert_eq!((off.from_tag, off.to_tag), (None, None));
    raw.api(
        "PUT",
        "/settings",
        Some(r#"{"tag_enabled": "true", "aparty_tag": "rider", "bparty_tag": "customer"}"#),
    )
    .expect_ok();
    let a = place("7987686144");
    assert_eq!(
        (a.from_tag.as_deref(), a.to_tag.as_deref()),
        (Some("rider"), Some("customer"))
    );
    let b = place("9956555625");
    assert_eq!(
        (b.from_tag.as_deref(), b.to_tag.as_deref()),
        (Some("customer"), Some("rider"))
    );
}

#[test]
fn the_newer_request_shape_is_refused_naming_its_field() {
    let (_emu, raw) = setup();
    let m = raw
        .api(
            "POST",
            "/greenpin",
            Some(r#"{"caller_id_number": "+916292134471", "from": ["+917987686144"]}"#),
        )
        .expect_error(400, 5);
    assert!(
        m.starts_with("caller_id_number: ") || m.starts_with("from: "),
        "{m}"
    );
    assert!(m.contains("use "), "{m}");
    let c = raw.create_simple("shape", "7987686144", "9956555625", "6292134471");
    let m = raw
        .api(
            "PUT",
            &format!("/greenpin/{}", id_of(&c)),
            Some(r#"{"usage": "oneway", "duration": 7200}"#),
        )
        .expect_error(400, 5);
    assert!(m.starts_with("duration: "), "{m}");
    assert!(m.contains("deallocation_policy.duration"), "{m}");
    let results = raw
        .api(
            "PUT",
            "/greenpin",
            Some(
                &json!({"greenpins": [{"greenpin_id": id_of(&c), "to": ["+919000000001"]}]})
                    .to_string(),
            ),
        )
        .expect_ok();
    let item = &results["greenpins"][0];
    assert_eq!(
        (item["success"].as_bool(), item["code"].as_i64()),
        (Some(false), Some(5))
    );
    assert!(
        item["message"]
            .as_str()
            .unwrap()
            .starts_with("greenpins[0].to: "),
        "{item}"
    );
}

#[test]
fn the_vault_holds_as_many_as_max_allocations_and_forgets_the_oldest_first() {
    let mut limits = Limits::default();
    limits.max_allocations = 2;
    let emu = BlockingEmulator::try_start(EmulatorConfig::new().limits(limits)).unwrap();
    let raw = Raw::new(&emu);
    let ids: Vec<String> = (0..4)
        .map(|i| {
            let c = raw.create_simple(&format!("v{i}"), "7987686144", "9956555625", "6292134471");
            let id = id_of(&c);
            raw.api("DELETE", &format!("/greenpin/{id}"), None)
                .expect_ok();
            // Each deallocated at its own millisecond, so "oldest" is never a tie.
            emu.advance_clock(Duration::from_millis(2)).unwrap();
            id
        })
        .collect();
    // Two deallocated allocations kept, the two newest; the oldest two are forgotten.
    for (id, kept) in ids.iter().zip([false, false, true, true]) {
        let got = raw.api("GET", &format!("/greenpin/{id}"), None);
        if kept {
            assert_eq!(got.expect_ok()["state"], "vault", "{id}");
        } else {
            got.expect_error(404, 1);
        }
    }
    emu.check_invariants().unwrap();
}
