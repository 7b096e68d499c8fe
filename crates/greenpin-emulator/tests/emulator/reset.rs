//! Deterministic tests in any language: `POST /__emulator/reset` puts everything back as
//! it started, and `--clock` with `--seed` makes every id, PIN and time repeat, so two runs
//! of the same requests print the same answers and the same journal.

use serde_json::{Value, json};

use crate::common::{Binary, Raw};

/// The same requests a test of any language might make: a create, a call, the clock moved,
/// an update, a get; every answer's `data`, and the journal without the `host` header (the
/// port differs between runs).
fn script(raw: &Raw) -> (Vec<Value>, Value) {
    let mut answers = Vec::new();
    let created = raw.create(json!({"transaction_id": "order-42",
        "a": {"numbers": ["7987686144"], "vns": ["6292134471"], "pin_length": 4},
        "b": {"numbers": ["9956555625"]},
        "deallocation_policy": {"duration": "2h"}}));
    let id = created["greenpin_id"].as_str().unwrap().to_owned();
    let pin = created["a"]["pin"].as_str().unwrap().to_owned();
    answers.push(created);
    answers.push(
        raw.control(
            "POST",
            "/calls",
            Some(json!({"from": "9956555625", "vn": "6292134471", "pin": pin})),
        )
        .expect_ok(),
    );
    answers.push(
        raw.control("POST", "/clock/advance", Some(json!({"seconds": 600})))
            .expect_ok(),
    );
    answers.push(
        raw.api(
            "PUT",
            &format!("/greenpin/{id}"),
            Some(r#"{"a": {"pin_length": 6}}"#),
        )
        .expect_ok(),
    );
    answers.push(raw.api("GET", &format!("/greenpin/{id}"), None).expect_ok());
    let mut journal = raw.control("GET", "/requests", None).expect_ok();
    for entry in journal.as_array_mut().unwrap() {
        entry["headers"].as_object_mut().unwrap().remove("host");
    }
    (answers, journal)
}

#[test]
fn two_runs_with_the_same_seed_and_clock_answer_and_journal_alike() {
    let run = || {
        let emu = Binary::start(&["--seed", "42", "--clock", "2026-01-01T00:00:00Z"]);
        script(&emu.raw())
    };
    let (first, first_journal) = run();
    let (second, second_journal) = run();
    assert_eq!(first, second);
    assert_eq!(first_journal, second_journal);
    // Times are the fixed clock's, in the account's timezone (IST): the create's end two
    // hours after 05:30 IST on 2026-01-01.
    assert_eq!(first[0]["deallocation_time"], "2026-01-01 07:30:00");
    assert_eq!(
        first_journal.as_array().unwrap().len(),
        3,
        "{first_journal}"
    );
}

#[test]
fn reset_puts_everything_back_as_it_started() {
    let emu = Binary::start(&["--seed", "7", "--clock", "2026-01-01T00:00:00Z"]);
    let raw = emu.raw();
    let (before, _) = script(&raw);
    // Change what a reset must undo: settings, a fault, a callback fault.
    raw.api(
        "PUT",
        "/settings",
        Some(r#"{"timezone": "UTC", "deletion_time": 600}"#),
    )
    .expect_ok();
    raw.control(
        "POST",
        "/faults",
        Some(json!({"fault": {"kind": "status", "status": 503}, "times": 5})),
    )
    .expect_ok();
    raw.control(
        "POST",
        "/callbacks/faults",
        Some(json!({"fault": {"kind": "delay", "ms": 600000}})),
    )
    .expect_ok();
    let clock = raw.control("POST", "/reset", Some(json!({}))).expect_ok();
    assert_eq!(clock["now"], "2026-01-01 05:30:00");
    // `iso` says the same instant with its offset, and a reset takes it back.
    assert_eq!(clock["iso"], "2026-01-01T05:30:00+05:30");
    let back = raw
        .control("POST", "/reset", Some(json!({"clock": clock["iso"]})))
        .expect_ok();
    assert_eq!(back["now_ms"], clock["now_ms"]);
    let id = before[0]["greenpin_id"].as_str().unwrap();
    raw.api("GET", &format!("/greenpin/{id}"), None)
        .expect_error(404, 1);
    let settings = raw.api("GET", "/settings", None).expect_ok();
    assert_eq!(
        (&settings["timezone"], &settings["deletion_time"]),
        (&json!("IST"), &json!(0))
    );
    for (path, empty) in [
        ("/faults", json!([])),
        ("/callbacks/faults", json!([])),
        ("/callbacks", json!([])),
    ] {
        assert_eq!(raw.control("GET", path, None).expect_ok(), empty, "{path}");
    }
    // The journal holds only what came after the reset (its two GETs).
    assert_eq!(
        raw.control("GET", "/requests", None)
            .expect_ok()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Ids and PINs start their sequence again: the same script answers the same.
    raw.control("POST", "/reset", Some(json!({}))).expect_ok();
    let (again, _) = script(&raw);
    assert_eq!(again, before);
    // A reset may start the clock elsewhere, or follow real time again.
    let moved = raw
        .control(
            "POST",
            "/reset",
            Some(json!({"clock": "2030-06-01T12:00:00Z"})),
        )
        .expect_ok();
    assert_eq!(moved["now"], "2030-06-01 17:30:00");
    let real = raw
        .control("POST", "/reset", Some(json!({"clock": null})))
        .expect_ok();
    assert!(real["now_ms"].as_i64().unwrap() > 1_767_225_600_000 + 86_400_000);
    // An empty reset goes back to where the emulator started, whatever a reset chose.
    let start = raw.control("POST", "/reset", Some(json!({}))).expect_ok();
    assert_eq!(start["now"], "2026-01-01 05:30:00");
    let bad = raw.control("POST", "/reset", Some(json!({"clock": "tomorrow"})));
    assert!(bad.expect_error(400, 5).contains("clock"), "{}", bad.text);
}

#[test]
fn without_a_seed_a_reset_starts_a_new_stream_of_ids() {
    let emu = Binary::start(&[]);
    let raw = emu.raw();
    let create = || {
        raw.create_simple("order-1", "7987686144", "9956555625", "6292134471")["greenpin_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let before = create();
    raw.control("POST", "/reset", Some(json!({}))).expect_ok();
    // An id kept from before the reset names nothing after it.
    let after = create();
    assert_ne!(before, after);
    raw.api("GET", &format!("/greenpin/{before}"), None)
        .expect_error(404, 1);
}
