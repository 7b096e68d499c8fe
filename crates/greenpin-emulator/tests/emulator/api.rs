//! The API as GreenPin serves it: envelopes, codes, state and time.

use greenpin_emulator::CallSpec;

use std::time::Duration;

use crate::common::{SEED_UPDATE_MASKED, SEED_UPDATE_REAL, id_of, setup};
use serde_json::{Value, json};

#[test]
fn seed_update_on_an_active_allocation() {
    let (_emu, raw) = setup();
    let created = raw.create_simple("order-1", "7987686144", "9956555625", "6292134471");
    let id = id_of(&created);
    let answer = raw.api("PUT", &format!("/greenpin/{id}"), Some(SEED_UPDATE_REAL));
    let env = answer.json();
    assert_eq!(env["method"], "PUT");
    assert_eq!(env["status"], 200);
    assert!(env["message"].is_null());
    let data = answer.expect_ok();
    // Shaped like the seed's response.
    assert_eq!(data["transaction_id"], "order-1");
    assert_eq!(data["greenpin_id"], id.as_str());
    assert_eq!(
        data["a"],
        json!({"vns": ["+916292134471", "+916292134464"], "numbers": ["+917987686144"], "pin": "123"})
    );
    // As in Exotel's documented response: no b.pin, although the request sent one (B-party
    // PINs are off unless the bparty_pin_enabled setting is on).
    assert_eq!(
        data["b"],
        json!({"vns": ["+916292134465", "+916292134464"], "numbers": ["+919956555625"]})
    );
    assert_eq!(data["usage"], "twoway");
    assert_eq!(data["state"], "active");
    let when = data["deallocation_time"].as_str().unwrap();
    assert!(
        greenpin_core::DeallocationTime::from_str_checked(when),
        "{when}"
    );
    // And the change is stored.
    assert_eq!(
        raw.api("GET", &format!("/greenpin/{id}"), None).expect_ok(),
        data
    );
}

#[test]
fn seed_placeholders_are_code_16() {
    let (_emu, raw) = setup();
    let id = id_of(&raw.create_simple("t", "7987686144", "9956555625", "6292134471"));
    let msg = raw
        .api("PUT", &format!("/greenpin/{id}"), Some(SEED_UPDATE_MASKED))
        .expect_error(400, 16);
    assert!(
        msg.starts_with("a.vns[0]: \"629XXXXX71\" is not a valid phone number"),
        "{msg}"
    );
}

#[test]
fn authentication_and_tenancy() {
    let (_emu, raw) = setup();
    let path = format!("/v1/tenants/{}/settings", raw.sid);
    raw.send("GET", &path, &[], None).expect_error(401, 7);
    raw.send(
        "GET",
        &path,
        &[("authorization", "Basic ZGVtby1rZXk6d3Jvbmc=")],
        None,
    )
    .expect_error(401, 7);
    raw.send("GET", &path, &[("authorization", "Bearer x")], None)
        .expect_error(401, 7);
    raw.send("GET", &path, &[("authorization", "Basic !!!")], None)
        .expect_error(401, 7);
    let auth = raw.auth.clone();
    raw.send(
        "GET",
        "/v1/tenants/someone-else/settings",
        &[("authorization", &auth)],
        None,
    )
    .expect_error(403, 8);
    raw.send("GET", &path, &[("authorization", &auth)], None)
        .expect_ok();
}

#[test]
fn unknown_ids_and_the_vault() {
    let (emu, raw) = setup();
    raw.api("GET", "/greenpin/no-such-id", None)
        .expect_error(404, 1);
    raw.api("GET", "/greenpin/%2E%2E", None)
        .expect_error(404, 1);
    raw.api("DELETE", "/greenpin/no-such-id", None)
        .expect_error(404, 1);
    raw.api("PUT", "/v1/nowhere", None).expect_error(404, 1);

    raw.api("PUT", "/settings", Some(r#"{"deletion_time": 3600}"#))
        .expect_ok();
    let id = id_of(&raw.create_simple("t", "7987686144", "9956555625", "6292134471"));
    let deleted = raw
        .api("DELETE", &format!("/greenpin/{id}"), None)
        .expect_ok();
    assert_eq!(deleted["state"], "vault");
    // Readable from the vault; not updatable or deletable again.
    assert_eq!(
        raw.api("GET", &format!("/greenpin/{id}"), None).expect_ok()["state"],
        "vault"
    );
    raw.api(
        "PUT",
        &format!("/greenpin/{id}"),
        Some(r#"{"usage":"oneway"}"#),
    )
    .expect_error(410, 22);
    raw.api("DELETE", &format!("/greenpin/{id}"), None)
        .expect_error(410, 22);
    // Readable through its vault period and after it, until the emulator's vault
    // retention (7 days) has passed; then forgotten.
    emu.advance_clock(Duration::from_secs(3601)).unwrap();
    raw.api("GET", &format!("/greenpin/{id}"), None).expect_ok();
    emu.advance_clock(Duration::from_secs(7 * 86_400 - 3602))
        .unwrap();
    raw.api("GET", &format!("/greenpin/{id}"), None).expect_ok();
    emu.advance_clock(Duration::from_secs(2)).unwrap();
    raw.api("GET", &format!("/greenpin/{id}"), None)
        .expect_error(404, 1);
}

#[test]
fn malformed_and_mistyped_bodies_name_the_field() {
    let (_emu, raw) = setup();
    let id = id_of(&raw.create_simple("t", "7987686144", "9956555625", "6292134471"));
    let put = |body: &str| raw.api("PUT", &format!("/greenpin/{id}"), Some(body));
    assert!(
        put("{\"a\": ")
            .expect_error(400, 5)
            .starts_with("body: is not well-formed JSON")
    );
    assert!(
        put("not json")
            .expect_error(400, 5)
            .starts_with("body: is not well-formed JSON")
    );
    let m = put(r#"{"a": {"pin_length": [3]}}"#).expect_error(400, 5);
    assert!(m.starts_with("a.pin_length: "), "{m}");
    let m = put(r#"{"a": {"numbers": "7987686144"}}"#).expect_error(400, 5);
    assert!(m.starts_with("a.numbers: "), "{m}");
    let m = put(r#"{"usage": 2}"#).expect_error(400, 5);
    assert!(m.starts_with("usage: "), "{m}");
    let m = put(r#"[1,2]"#).expect_error(400, 5);
    assert!(m.starts_with("body: "), "{m}");
    let m = put(r#"{"usage":"sideways"}"#).expect_error(400, 5);
    assert!(m.starts_with("usage: "), "{m}");
    // No field at all: mandatory missing.
    assert!(put("{}").expect_error(400, 3).contains("at least one"));
    put("").expect_error(400, 3);
    // Wrong content type.
    let auth = raw.auth.clone();
    raw.send(
        "PUT",
        &format!("/v1/tenants/{}/greenpin/{id}", raw.sid),
        &[("authorization", &auth), ("content-type", "text/plain")],
        Some(b"{\"usage\":\"oneway\"}"),
    )
    .expect_error(400, 5);
    // Unknown fields are ignored.
    put(r#"{"usage":"oneway","surprise":true}"#).expect_ok();
}

#[test]
fn create_rules_and_codes() {
    let (_emu, raw) = setup();
    let post = |body: Value| raw.api("POST", "/greenpin", Some(&body.to_string()));
    let m =
        post(json!({"a": {"numbers": ["7987686144"], "vns": ["6292134471"]}})).expect_error(400, 3);
    assert!(m.starts_with("transaction_id"), "{m}");
    post(json!({"transaction_id": "t", "a": {"vns": ["6292134471"]}})).expect_error(400, 3);
    let m = post(json!({"transaction_id": "t", "a": {"numbers": ["7987686144", "12345"], "vns": ["6292134471"]}})).expect_error(400, 16);
    assert!(m.starts_with("a.numbers[1]"), "{m}");
    let m = post(json!({"transaction_id": "t", "a": {"numbers": ["7987686144"], "vns": ["6292134471"]}, "b": {"numbers": ["+917987686144"]}}))
        .expect_error(409, 14);
    assert!(m.starts_with("b.numbers[0]"), "{m}");
    // A number twice in one list is a malformed request (code 13, "all numbers are
    // duplicates", is kept for numbers already registered: see the vault tests).
    let m = post(json!({"transaction_id": "t", "a": {"numbers": ["7987686144", "07987686144"], "vns": ["6292134471"]}})).expect_error(400, 5);
    assert!(m.starts_with("a.numbers[1]"), "{m}");

    // A party without VNs uses the other's; usage defaults to twoway.
    let c = raw.create(json!({"transaction_id": "order-9", "a": {"numbers": ["7987686144"], "vns": ["6292134471"]}, "b": {"numbers": ["9956555625"]}}));
    assert_eq!(c["b"]["vns"], json!(["+916292134471"]));
    assert_eq!(c["usage"], "twoway");
    assert_eq!(c["state"], "active");
    // The same transaction id while that allocation is active: 409, code 18.
    post(json!({"transaction_id": "order-9", "a": {"numbers": ["7000000001"], "vns": ["6292134472"]}})).expect_error(409, 18);
    // Once it is deleted, the id can be used again.
    raw.api("DELETE", &format!("/greenpin/{}", id_of(&c)), None)
        .expect_ok();
    raw.create(json!({"transaction_id": "order-9", "a": {"numbers": ["7000000001"], "vns": ["6292134472"]}}));
}

#[test]
fn pin_clash_is_code_19_and_pins_are_freed() {
    let (emu, raw) = setup();
    let first = raw.create(json!({"transaction_id": "1", "a": {"numbers": ["7987686144"], "vns": ["6292134471"], "pin": "123"}, "b": {"numbers": ["9956555625"]}}));
    let clash = json!({"transaction_id": "2", "a": {"numbers": ["7000000001"], "vns": ["6292134471"], "pin": "123"}, "b": {"numbers": ["9000000002"]}});
    let m = raw
        .api("POST", "/greenpin", Some(&clash.to_string()))
        .expect_error(409, 19);
    assert!(m.starts_with("a.pin: VN +916292134471 with PIN 123"), "{m}");
    // Same PIN on another VN is fine; another PIN on the same VN too.
    raw.create(json!({"transaction_id": "3", "a": {"numbers": ["7000000001"], "vns": ["6292134499"], "pin": "123"}}));
    raw.create(json!({"transaction_id": "4", "a": {"numbers": ["7000000002"], "vns": ["6292134471"], "pin": "124"}}));
    // An update into a clash is refused, and leaves the allocation routable as before.
    let other = id_of(&raw.create(json!({"transaction_id": "5", "a": {"numbers": ["7000000003"], "vns": ["6292134471"], "pin": "555"}, "b": {"numbers": ["9000000003"]}})));
    raw.api(
        "PUT",
        &format!("/greenpin/{other}"),
        Some(r#"{"a":{"pin":"123"}}"#),
    )
    .expect_error(409, 19);
    assert!(
        emu.simulate_call(&CallSpec::new("7000000003", "6292134471").pin("555"))
            .unwrap()
            .connected
    );
    emu.check_invariants().unwrap();
    // Deleting the first frees its PIN.
    raw.api("DELETE", &format!("/greenpin/{}", id_of(&first)), None)
        .expect_ok();
    raw.api("POST", "/greenpin", Some(&clash.to_string()))
        .expect_ok();
    emu.check_invariants().unwrap();
}

#[test]
fn generated_pins_are_unique_on_the_vns() {
    let (emu, raw) = setup();
    let mut pins = std::collections::HashSet::new();
    // Only 10 one-digit PINs exist on this VN: all ten are handed out, then refusal.
    for i in 0..10 {
        let c = raw.create(json!({"transaction_id": format!("t{i}"), "a": {"numbers": [format!("70000000{i:02}")], "vns": ["6292134471"], "pin_length": 1}}));
        let pin = c["a"]["pin"].as_str().unwrap().to_owned();
        assert_eq!(pin.len(), 1);
        assert!(pins.insert(pin), "PIN handed out twice");
        assert!(c["a"].get("pin_length").is_none());
    }
    let m = raw.api("POST", "/greenpin", Some(&json!({"transaction_id": "t10", "a": {"numbers": ["7000000099"], "vns": ["6292134471"], "pin_length": 1}}).to_string())).expect_error(409, 19);
    assert!(m.starts_with("a.pin_length"), "{m}");
    emu.check_invariants().unwrap();
    // pin_length on update asks for a fresh PIN of that length.
    let c = raw.create(json!({"transaction_id": "u", "a": {"numbers": ["7100000000"], "vns": ["6292134480"], "pin": "1234"}}));
    let updated = raw
        .api(
            "PUT",
            &format!("/greenpin/{}", id_of(&c)),
            Some(r#"{"a":{"pin_length":6}}"#),
        )
        .expect_ok();
    assert_eq!(updated["a"]["pin"].as_str().unwrap().len(), 6);
}

#[test]
fn expiry_runs_on_the_virtual_clock() {
    let (emu, raw) = setup();
    let c = raw.create(json!({"transaction_id": "t", "a": {"numbers": ["7987686144"], "vns": ["6292134471"], "pin": "42"}, "deallocation_policy": {"duration": "20m"}}));
    let id = id_of(&c);
    emu.advance_clock(Duration::from_secs(19 * 60)).unwrap();
    assert_eq!(
        raw.api("GET", &format!("/greenpin/{id}"), None).expect_ok()["state"],
        "active"
    );
    // An update with a duration restarts the countdown.
    let before = c["deallocation_time"].as_str().unwrap().to_owned();
    let u = raw
        .api(
            "PUT",
            &format!("/greenpin/{id}"),
            Some(r#"{"deallocation_policy":{"duration":"10m"}}"#),
        )
        .expect_ok();
    assert!(u["deallocation_time"].as_str().unwrap() > before.as_str());
    emu.advance_clock(Duration::from_secs(9 * 60)).unwrap();
    assert_eq!(
        raw.api("GET", &format!("/greenpin/{id}"), None).expect_ok()["state"],
        "active"
    );
    // An update without one keeps it, even under a max_deallocation_time.
    raw.api(
        "PUT",
        "/settings",
        Some(r#"{"max_deallocation_time":"1d"}"#),
    )
    .expect_ok();
    let kept = raw
        .api(
            "PUT",
            &format!("/greenpin/{id}"),
            Some(r#"{"usage":"twoway"}"#),
        )
        .expect_ok();
    assert_eq!(kept["deallocation_time"], u["deallocation_time"]);
    emu.advance_clock(Duration::from_secs(61)).unwrap();
    let gone = raw.api("GET", &format!("/greenpin/{id}"), None).expect_ok();
    assert_eq!(gone["state"], "vault");
    // With the default deletion_time (0) its PIN is free at once: a call with it reaches
    // nobody, and a new allocation may take it.
    let out = emu
        .simulate_call(&CallSpec::new("7987686144", "6292134471").pin("42"))
        .unwrap();
    assert_eq!(
        (out.connected, out.reason),
        (false, Some(greenpin_emulator::CallRefusal::NoMatch))
    );
    raw.create(json!({"transaction_id": "t", "a": {"numbers": ["7987686144"], "vns": ["6292134471"], "pin": "42"}}));
}

#[test]
fn deallocation_time_format_and_timezone() {
    let (_emu, raw) = setup();
    let c = raw.create(json!({"transaction_id": "t", "a": {"numbers": ["7987686144"], "vns": ["6292134471"]}, "deallocation_policy": {"duration": "1h"}}));
    let ist = c["deallocation_time"].as_str().unwrap().to_owned();
    raw.api("PUT", "/settings", Some(r#"{"timezone":"UTC"}"#))
        .expect_ok();
    let utc = raw
        .api("GET", &format!("/greenpin/{}", id_of(&c)), None)
        .expect_ok()["deallocation_time"]
        .as_str()
        .unwrap()
        .to_owned();
    let parse = |s: &str| {
        time::PrimitiveDateTime::parse(
            s,
            time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
        )
        .unwrap()
    };
    assert_eq!(parse(&ist) - parse(&utc), time::Duration::minutes(330));
}

#[test]
fn settings_get_put_and_drive_validation() {
    let (emu, raw) = setup();
    let s = raw.api("GET", "/settings", None).expect_ok();
    assert_eq!(
        (
            s["country"].as_str(),
            s["timezone"].as_str(),
            s["intl_num_sup"].as_str()
        ),
        (Some("IN"), Some("IST"), Some("false"))
    );
    assert_eq!(s["max_deallocation_time"], "170d");
    // A PUT keeps what it omits.
    let after = raw
        .api("PUT", "/settings", Some(r#"{"deletion_time": 60}"#))
        .expect_ok();
    assert_eq!(
        (after["deletion_time"].as_u64(), after["timezone"].as_str()),
        (Some(60), Some("IST"))
    );
    // An empty PUT changes nothing and answers the settings.
    let same = raw.api("PUT", "/settings", Some(r#"{}"#)).expect_ok();
    assert_eq!(same["deletion_time"].as_u64(), Some(60));
    assert!(
        raw.api("PUT", "/settings", Some(r#"{"country":"Narnia"}"#))
            .expect_error(400, 5)
            .starts_with("country")
    );
    raw.api("PUT", "/settings", Some(r#"{"timezone":"PST"}"#))
        .expect_error(400, 5);

    // max_deallocation_time caps durations (documented: it "will override" a longer
    // policy), rather than refusing them.
    raw.api(
        "PUT",
        "/settings",
        Some(r#"{"max_deallocation_time":"1h"}"#),
    )
    .expect_ok();
    let long = json!({"transaction_id": "t", "a": {"numbers": ["7987686144"], "vns": ["6292134471"]}, "deallocation_policy": {"duration": "2h"}});
    let capped = raw.create(long);
    let now = raw.control("GET", "/clock", None).expect_ok()["now"]
        .as_str()
        .unwrap()
        .parse::<greenpin_core::DeallocationTime>()
        .unwrap();
    let ends = capped["deallocation_time"]
        .as_str()
        .unwrap()
        .parse::<greenpin_core::DeallocationTime>()
        .unwrap();
    let at =
        |t: greenpin_core::DeallocationTime| t.unix_secs(&greenpin_core::Timezone::Ist).unwrap();
    let lives = at(ends) - at(now);
    assert!(
        (3599..=3601).contains(&lives),
        "lives {lives}s, not the 1h cap"
    );

    // International numbers need intl_num_sup.
    let intl =
        json!({"transaction_id": "i", "a": {"numbers": ["+12015550123"], "vns": ["6292134471"]}});
    assert!(
        raw.api("POST", "/greenpin", Some(&intl.to_string()))
            .expect_error(403, 15)
            .starts_with("a.numbers[0]")
    );
    raw.api("PUT", "/settings", Some(r#"{"intl_num_sup":true}"#))
        .expect_ok();
    raw.api("POST", "/greenpin", Some(&intl.to_string()))
        .expect_ok();

    // country reads local numbers.
    raw.api("PUT", "/settings", Some(r#"{"country":"US"}"#))
        .expect_ok();
    let us = raw.create(json!({"transaction_id": "us", "a": {"numbers": ["(201) 555-0124"], "vns": ["+916292134471"]}}));
    assert_eq!(us["a"]["numbers"][0], "+12015550124");
    // So do simulated calls: a US caller dials in its local form.
    let call = emu
        .simulate_call(
            &CallSpec::new("(201) 555-0124", "+916292134471").pin(us["a"]["pin"].as_str().unwrap()),
        )
        .unwrap();
    // It reaches the allocation (which has no B-party to put it through to).
    assert_eq!(
        (call.greenpin_id.as_deref(), call.reason),
        (
            us["greenpin_id"].as_str(),
            Some(greenpin_emulator::CallRefusal::NoOtherParty)
        )
    );
    // The answer carries the call_type its callback carries.
    let record = emu
        .callbacks()
        .into_iter()
        .find(|c| c.payload["call_sid"] == call.call_sid.as_str())
        .expect("its callback is recorded");
    assert_eq!(
        serde_json::to_value(call.call_type).unwrap(),
        record.payload["call_type"]
    );
}

#[test]
fn bulk_update_is_partial_success() {
    let (_emu, raw) = setup();
    let a = id_of(&raw.create_simple("1", "7000000001", "9000000001", "6292134471"));
    let b = id_of(&raw.create_simple("2", "7000000002", "9000000002", "6292134472"));
    let body = json!({"greenpins": [
        {"greenpin_id": a, "usage": "oneway"},
        {"greenpin_id": "missing", "usage": "oneway"},
        {"greenpin_id": b, "a": {"numbers": ["629XXXXX71"]}},
        {"greenpin_id": b, "deallocation_policy": {"duration": "5m"}},
    ]});
    let data = raw
        .api("PUT", "/greenpin", Some(&body.to_string()))
        .expect_ok();
    let r = data["greenpins"].as_array().unwrap();
    assert_eq!(r.len(), 4);
    let codes: Vec<(bool, u64, Value)> = r
        .iter()
        .map(|i| {
            (
                i["success"].as_bool().unwrap(),
                i["status"].as_u64().unwrap(),
                i["code"].clone(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        vec![
            (true, 200, Value::Null),
            (false, 404, json!(1)),
            (false, 400, json!(16)),
            (true, 200, Value::Null),
        ]
    );
    assert!(
        r[2]["message"]
            .as_str()
            .unwrap()
            .starts_with("greenpins[2].a.numbers[0]")
    );
    assert_eq!(r[0]["data"]["usage"], "oneway");
    assert_eq!(
        raw.api("GET", &format!("/greenpin/{a}"), None).expect_ok()["usage"],
        "oneway"
    );

    // Documented partial success: a malformed item is answered on its own, naming it;
    // the well-formed items beside it are applied.
    for (bad, code, field) in [
        (json!([null]), 5, "greenpins[1]"),
        (json!({"usage": "twoway"}), 3, "greenpins[1].greenpin_id"),
        (
            json!({"greenpin_id": a, "usage": 7}),
            5,
            "greenpins[1].usage",
        ),
        (
            json!({"greenpin_id": a, "deallocation_policy": {}}),
            3,
            "greenpins[1].deallocation_policy.duration",
        ),
    ] {
        raw.api(
            "PUT",
            &format!("/greenpin/{a}"),
            Some(r#"{"usage":"oneway"}"#),
        )
        .expect_ok();
        let body = json!({"greenpins": [{"greenpin_id": a, "usage": "twoway"}, bad]});
        let data = raw
            .api("PUT", "/greenpin", Some(&body.to_string()))
            .expect_ok();
        let r = &data["greenpins"];
        assert_eq!(
            (r[0]["success"].as_bool(), r[1]["success"].as_bool()),
            (Some(true), Some(false)),
            "{data}"
        );
        assert_eq!(
            (r[1]["status"].as_u64(), r[1]["code"].as_i64()),
            (Some(400), Some(code)),
            "{data}"
        );
        let m = r[1]["message"].as_str().unwrap();
        assert!(m.starts_with(field), "{m}");
        assert_eq!(
            raw.api("GET", &format!("/greenpin/{a}"), None).expect_ok()["usage"],
            "twoway",
            "the good item beside {bad} was applied"
        );
    }

    let many: Vec<Value> = (0..101)
        .map(|_| json!({"greenpin_id": a, "usage": "twoway"}))
        .collect();
    raw.api(
        "PUT",
        "/greenpin",
        Some(&json!({"greenpins": many}).to_string()),
    )
    .expect_error(413, 17);
    raw.api("PUT", "/greenpin", Some(r#"{"greenpins": []}"#))
        .expect_error(400, 3);
}

#[test]
fn bodies_over_a_mebibyte_are_413() {
    let (_emu, raw) = setup();
    let big = format!(
        "{{\"usage\":\"{}\"}}",
        "x".repeat(greenpin_emulator::MAX_BODY)
    );
    let answer = raw.api("PUT", "/greenpin/whatever", Some(&big));
    let v = answer.json();
    assert_eq!((answer.status, v["success"].as_bool()), (413, Some(false)));
    // Still serving.
    raw.api("GET", "/settings", None).expect_ok();
}

#[test]
fn method_not_allowed_is_an_envelope() {
    let (_emu, raw) = setup();
    let a = raw.api("PATCH", "/settings", Some("{}"));
    assert_eq!(a.status, 405);
    assert_eq!(a.json()["success"], false);
}

/// `DeallocationTime` parses the documented form.
trait Checked {
    fn from_str_checked(s: &str) -> bool;
}
impl Checked for greenpin_core::DeallocationTime {
    fn from_str_checked(s: &str) -> bool {
        s.parse::<greenpin_core::DeallocationTime>().is_ok() && s.len() == 19
    }
}

#[test]
fn an_update_replaces_only_the_lists_it_gives() {
    let (emu, raw) = setup();
    let c = raw.create(json!({"transaction_id": "t",
        "a": {"numbers": ["7987686144"], "vns": ["6292134471"], "pin": "123"},
        "b": {"numbers": ["9956555625"], "vns": ["6292134471"]}}));
    let id = id_of(&c);
    let update = |body: &str| {
        raw.api("PUT", &format!("/greenpin/{id}"), Some(body))
            .expect_ok()
    };
    // New VNs for A: its numbers and PIN stay, and B is untouched.
    let u = update(r#"{"a": {"vns": ["6292134464"]}}"#);
    assert_eq!(
        (&u["a"]["vns"], &u["a"]["numbers"], &u["a"]["pin"]),
        (
            &json!(["+916292134464"]),
            &json!(["+917987686144"]),
            &json!("123")
        )
    );
    assert_eq!(u["b"], c["b"]);
    // Calls follow: the old VN no longer routes A's PIN, the new one does.
    let old = emu
        .simulate_call(&CallSpec::new("7987686144", "6292134471").pin("123"))
        .unwrap();
    assert_eq!(
        (old.connected, old.reason),
        (false, Some(greenpin_emulator::CallRefusal::NoMatch)),
        "{old:?}"
    );
    let new = emu
        .simulate_call(&CallSpec::new("7987686144", "6292134464").pin("123"))
        .unwrap();
    assert!(new.connected, "{new:?}");
    // New numbers for B: its VNs stay.
    let u = update(r#"{"b": {"numbers": ["9956555626"]}}"#);
    assert_eq!(
        (&u["b"]["vns"], &u["b"]["numbers"]),
        (&json!(["+916292134471"]), &json!(["+919956555626"]))
    );
    emu.check_invariants().unwrap();
}

#[test]
fn a_party_on_several_vns_is_reached_with_its_pin_on_each() {
    let (emu, raw) = setup();
    raw.create(json!({"transaction_id": "t",
        "a": {"numbers": ["7987686144"], "vns": ["6292134471", "6292134464"], "pin": "123"},
        "b": {"numbers": ["9956555625"]}}));
    for vn in ["6292134471", "6292134464"] {
        let out = emu
            .simulate_call(&CallSpec::new("7000000001", vn).pin("123"))
            .unwrap();
        assert_eq!(
            (out.connected, out.to.as_deref()),
            (true, Some("+919956555625")),
            "{vn}: {out:?}"
        );
    }
    emu.check_invariants().unwrap();
}

#[test]
fn settings_the_emulator_does_not_model_are_kept_within_bounds() {
    let (_emu, raw) = setup();
    let put = |body: Value| raw.api("PUT", "/settings", Some(&body.to_string()));
    // Sixty-four are kept, and read back as given.
    let many: serde_json::Map<String, Value> =
        (0..64).map(|i| (format!("x_{i}"), json!(i))).collect();
    put(Value::Object(many)).expect_ok();
    let s = raw.api("GET", "/settings", None).expect_ok();
    assert_eq!((s["x_0"].clone(), s["x_63"].clone()), (json!(0), json!(63)));
    // A sixty-fifth is refused, and nothing of that change is kept.
    let m = put(json!({"x_64": 64, "timezone": "UTC"})).expect_error(400, 5);
    assert!(
        m.starts_with("settings: the emulator keeps at most 64 settings it does not model"),
        "{m}"
    );
    let s = raw.api("GET", "/settings", None).expect_ok();
    assert!(s.get("x_64").is_none() && s["timezone"] != "UTC", "{s}");
    // A null removes one, which makes room.
    put(json!({"x_0": null})).expect_ok();
    put(json!({"x_64": 64})).expect_ok();
    // 64 KiB of them at most, as JSON.
    put(json!({"x_1": null, "x_2": null})).expect_ok();
    put(json!({"big": "x".repeat(60 << 10)})).expect_ok();
    let m = put(json!({"bigger": "x".repeat(8 << 10)})).expect_error(400, 5);
    assert!(m.contains("65536 bytes"), "{m}");
    // Exactly 65,536 bytes is within the bound: `{"big":"…"}` is the value and 10 bytes.
    let (_fresh, raw) = setup();
    let put = |body: Value| raw.api("PUT", "/settings", Some(&body.to_string()));
    put(json!({"big": "x".repeat(65_526)})).expect_ok();
    put(json!({"big": "x".repeat(65_527)})).expect_error(400, 5);
}
