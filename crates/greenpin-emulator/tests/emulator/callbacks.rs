//! Callbacks a test can rely on: each one recorded with every delivery attempt and the
//! receiver's answer; waited for rather than slept on; delivered twice, late, out of order
//! or not at all on request; never to the emulator itself; and simulated calls that end the
//! ways Exotel documents.

use std::collections::HashSet;
use std::time::Duration;

use greenpin_core::callbacks::CallbackReceiver;
use greenpin_emulator::{
    BlockingEmulator, CallAnswer, CallRefusal, CallSpec, CallbackFault, CallbackKind,
    CallbackStatus, EmulatorConfig, TransactionIdSpelling,
};
use serde_json::json;

use crate::common::{Hook, Raw, setup};

const WAIT: Duration = Duration::from_secs(10);

/// An allocation A (7987686144, PIN 123 on 6292134471) ↔ B (9956555625).
fn allocation(raw: &Raw) -> String {
    let c = raw.create(json!({"transaction_id": "order-1",
        "a": {"numbers": ["7987686144"], "vns": ["6292134471"], "pin": "123"},
        "b": {"numbers": ["9956555625"]}}));
    c["greenpin_id"].as_str().unwrap().to_owned()
}

/// An emulator holding [`allocation`], its callbacks registered to a receiver answering 200.
fn with_receiver() -> (BlockingEmulator, Raw, Hook) {
    let (emu, raw) = setup();
    allocation(&raw);
    let hook = Hook::ok();
    hook.register(&raw);
    (emu, raw, hook)
}

fn call(emu: &BlockingEmulator, spec: CallSpec) -> greenpin_emulator::CallbackRecord {
    let out = emu.simulate_call(&spec).unwrap();
    emu.wait_for_callback(|c| c.call_sid() == Some(&out.call_sid), WAIT)
        .expect("the call's callback settles")
}

#[test]
fn each_callback_records_every_attempt_and_the_receivers_answer() {
    let (emu, raw) = setup();
    allocation(&raw);
    // A receiver that refuses (a wrong secret, say): one attempt, not retried, failed.
    let refusing = Hook::answering(&[403]);
    refusing.register(&raw);
    let r = call(&emu, CallSpec::new("7987686144", "6292134471").pin("123"));
    assert_eq!(r.status, CallbackStatus::Failed);
    assert_eq!(
        r.attempts.iter().map(|a| a.status()).collect::<Vec<_>>(),
        [Some(403)]
    );
    assert_eq!(r.deliveries(), 0);
    refusing.next();
    // A receiver that fails once (500), then takes it: retried a second later.
    let flaky = Hook::answering(&[500, 200]);
    flaky.register(&raw);
    let r = call(&emu, CallSpec::new("7987686144", "6292134471").pin("123"));
    assert_eq!(r.status, CallbackStatus::Delivered);
    assert_eq!(
        r.attempts.iter().map(|a| a.status()).collect::<Vec<_>>(),
        [Some(500), Some(200)]
    );
    assert!(r.attempts[1].at_ms >= r.attempts[0].at_ms + 900);
    // Nobody listening: every attempt recorded without an answer, then failed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", closed.local_addr().unwrap());
    drop(closed);
    raw.api(
        "PUT",
        "/settings",
        Some(&json!({"greenpin_call_complete_event_endpoint": url}).to_string()),
    )
    .expect_ok();
    let r = call(&emu, CallSpec::new("7987686144", "6292134471").pin("123"));
    assert_eq!(r.status, CallbackStatus::Failed);
    assert_eq!(r.attempts.len(), greenpin_emulator::CALLBACK_ATTEMPTS);
    assert!(r.attempts.iter().all(|a| a.status().is_none()));
    // Tried again no sooner than 1 s, then 2 s later (the delays themselves are unit-tested;
    // timers fire late under load, so no upper bound here).
    let gaps: Vec<u64> = r
        .attempts
        .windows(2)
        .map(|w| w[1].at_ms.saturating_sub(w[0].at_ms))
        .collect();
    assert!(gaps[0] >= 900 && gaps[1] >= 1_900, "{gaps:?}");
    // No endpoint at all: not sent, and said why.
    raw.api(
        "PUT",
        "/settings",
        Some(r#"{"greenpin_call_complete_event_endpoint": ""}"#),
    )
    .expect_ok();
    let r = call(&emu, CallSpec::new("7987686144", "6292134471").pin("123"));
    assert_eq!(r.status, CallbackStatus::NotSent);
    assert!(
        r.note
            .unwrap()
            .contains("no greenpin_call_complete_event_endpoint")
    );
}

#[test]
fn a_receiver_drops_the_duplicate_that_a_fault_delivers() {
    let (emu, raw) = setup();
    let id = allocation(&raw);
    let hook = Hook::ok();
    hook.register(&raw);
    emu.add_callback_fault(CallbackFault::duplicate().only(CallbackKind::CallCompleted))
        .unwrap();
    let record = call(&emu, CallSpec::new("7987686144", "6292134471").pin("123"));
    assert_eq!(record.deliveries(), 2, "{record:?}");
    assert!(record.note.as_deref().unwrap().contains("twice"));
    // The receiver a user writes: the SDK's reader, and a set of keys seen.
    let receiver = CallbackReceiver::unprotected();
    let mut seen = HashSet::new();
    let mut handled = Vec::new();
    for _ in 0..2 {
        let got = hook.next();
        let mut request = http::Request::post(got.path.as_str());
        for (k, v) in &got.headers {
            request = request.header(k.as_str(), v.as_str());
        }
        let callback = receiver
            .receive_request(&request.body(got.body.clone()).unwrap())
            .unwrap();
        if seen.insert(callback.key().unwrap()) {
            handled.push(callback);
        }
    }
    assert_eq!(handled.len(), 1, "the duplicate is dropped");
    let greenpin_core::callbacks::CallbackEvent::CallCompleted(c) = &handled[0].event else {
        panic!("{:?}", handled[0]);
    };
    assert_eq!(c.greenpin_id.as_ref().unwrap().as_str(), id);
    assert_eq!(c.transaction_id.as_ref().unwrap().as_str(), "order-1");
}

#[test]
fn late_and_reordered_callbacks_arrive_after_the_next_one() {
    let (emu, _, hook) = with_receiver();
    for fault in [
        CallbackFault::reorder(),
        CallbackFault::delay(Duration::from_millis(400)),
    ] {
        emu.add_callback_fault(fault).unwrap();
        let first = emu
            .simulate_call(&CallSpec::new("7987686144", "6292134471").pin("123"))
            .unwrap();
        let second = emu
            .simulate_call(&CallSpec::new("9956555625", "6292134471").pin("123"))
            .unwrap();
        let order = [hook.next().json(), hook.next().json()];
        assert_eq!(
            [order[0]["call_sid"].as_str(), order[1]["call_sid"].as_str()],
            [
                Some(second.call_sid.as_str()),
                Some(first.call_sid.as_str())
            ]
        );
    }
}

#[test]
fn a_dropped_callback_is_recorded_and_never_sent_and_can_be_sent_again() {
    let (emu, raw, hook) = with_receiver();
    emu.add_callback_fault(CallbackFault::drop_next()).unwrap();
    let dropped = call(&emu, CallSpec::new("7987686144", "6292134471").pin("123"));
    assert_eq!(dropped.status, CallbackStatus::Dropped);
    assert!(dropped.attempts.is_empty());
    assert!(
        hook.received
            .recv_timeout(Duration::from_millis(300))
            .is_err(),
        "nothing was sent"
    );
    // Redelivered on request (over the control, as any test could).
    raw.control(
        "POST",
        &format!("/callbacks/{}/redeliver", dropped.id),
        Some(json!({})),
    )
    .expect_ok();
    assert_eq!(hook.next().json()["call_sid"], dropped.call_sid().unwrap());
    let again = emu
        .wait_for_callback(|c| c.id == dropped.id && c.deliveries() == 1, WAIT)
        .unwrap();
    assert_eq!(again.status, CallbackStatus::Delivered);
    raw.control("POST", "/callbacks/999999/redeliver", Some(json!({})))
        .expect_error(404, 1);
}

#[test]
fn a_callback_delivered_again_names_where_it_went() {
    let (emu, raw) = setup();
    allocation(&raw);
    // No endpoint yet: recorded, not sent, and no target.
    let first = call(&emu, CallSpec::new("7987686144", "6292134471").pin("123"));
    assert_eq!(first.status, CallbackStatus::NotSent);
    assert_eq!(first.target, None);
    // Redelivered once an endpoint is set: the record names it.
    let hook = Hook::ok();
    hook.register(&raw);
    raw.control(
        "POST",
        &format!("/callbacks/{}/redeliver", first.id),
        Some(json!({})),
    )
    .expect_ok();
    assert_eq!(hook.next().json()["call_sid"], first.call_sid().unwrap());
    let again = emu
        .wait_for_callback(|c| c.id == first.id && c.deliveries() == 1, WAIT)
        .unwrap();
    assert_eq!(again.status, CallbackStatus::Delivered);
    let target = again.target.expect("the redelivery names its target");
    assert!(target.starts_with("http://127.0.0.1:"), "{target}");
}

#[test]
fn simulated_calls_end_the_ways_exotel_documents() {
    let (emu, raw) = setup();
    allocation(&raw);
    // Dialled for: 5 s of ringing and the talk when answered, 30 s of ringing when
    // nobody answers or the caller gives up, 1 s when busy or failed.
    for (answer, call_type, status, talk, dialled) in [
        (CallAnswer::Answered, "completed", "completed", 42, 47),
        (CallAnswer::Busy, "incomplete", "busy", 0, 1),
        (CallAnswer::NoAnswer, "incomplete", "no-answer", 0, 30),
        (CallAnswer::Failed, "incomplete", "failed", 0, 1),
        (CallAnswer::CallerHungUp, "client-hangup", "canceled", 0, 30),
    ] {
        let r = call(
            &emu,
            CallSpec::new("7987686144", "6292134471")
                .pin("123")
                .answer(answer)
                .talk_for(Duration::from_secs(42)),
        );
        let c = r.call_completed().unwrap();
        assert_eq!(
            (
                c.call_type.as_ref().map(|t| t.as_str()),
                c.dial_call_status.as_deref(),
                c.on_call_duration
            ),
            (Some(call_type), Some(status), Some(talk)),
            "{answer:?}"
        );
        assert_eq!(c.dial_call_duration, Some(dialled), "{answer:?}");
        // Start and end in ISO 8601, in the account's timezone (IST), the dial apart.
        let at = |s: &str| {
            assert!(s.ends_with("+05:30"), "{s}");
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap()
        };
        let (start, end) = (
            at(c.start_time.as_deref().unwrap()),
            at(c.current_time.as_deref().unwrap()),
        );
        assert_eq!((end - start).whole_seconds(), dialled as i64, "{answer:?}");
    }
    // A wrong PIN: a call attempt, with the caller and the VN.
    let out = emu
        .simulate_call(&CallSpec::new("9000000009", "6292134471").pin("999"))
        .unwrap();
    assert_eq!(
        (out.connected, out.reason),
        (false, Some(CallRefusal::WrongPin))
    );
    let attempt = emu
        .wait_for_callback(|c| c.call_sid() == Some(&out.call_sid), WAIT)
        .unwrap()
        .call_completed()
        .unwrap();
    assert_eq!(attempt.call_type.unwrap().as_str(), "call-attempt");
    assert_eq!(attempt.from.unwrap().as_str(), "+919000000009");
    assert_eq!(attempt.vn.unwrap().as_str(), "+916292134471");
    assert_eq!(attempt.on_call_duration, Some(0));
    // Over the control too, with a duration.
    let out = raw
        .control(
            "POST",
            "/calls",
            Some(
                json!({"from": "7987686144", "vn": "6292134471", "pin": "123",
                "answer": "busy"}),
            ),
        )
        .expect_ok();
    assert_eq!(out["call_type"], "incomplete");
    raw.control(
        "POST",
        "/calls",
        Some(json!({"from": "7987686144", "vn": "6292134471", "talk_secs": 86401})),
    )
    .expect_error(400, 5);
}

#[test]
fn the_transaction_id_is_spelt_as_chosen() {
    for (spelling, present, absent) in [
        (
            TransactionIdSpelling::Table,
            &["transation_id"][..],
            Some("transaction_id"),
        ),
        (
            TransactionIdSpelling::Sample,
            &["transaction_id"][..],
            Some("transation_id"),
        ),
        (
            TransactionIdSpelling::Both,
            &["transaction_id", "transation_id"][..],
            None,
        ),
    ] {
        let emu =
            BlockingEmulator::try_start(EmulatorConfig::new().transaction_id_spelling(spelling))
                .unwrap();
        let raw = Raw::new(&emu);
        allocation(&raw);
        let hook = Hook::ok();
        hook.register(&raw);
        call(&emu, CallSpec::new("7987686144", "6292134471").pin("123"));
        let body = hook.next().json();
        for field in present {
            assert_eq!(body[field], "order-1", "{spelling:?}: {body}");
        }
        if let Some(field) = absent {
            assert!(body.get(field).is_none(), "{spelling:?}: {body}");
        }
    }
}

#[test]
fn callbacks_never_reach_the_emulator_itself_or_any_emulators_controls() {
    let (emu, raw) = setup();
    allocation(&raw);
    // Its own controls, and its own port on any path: refused with the reason recorded,
    // and the call is placed once.
    for url in [
        format!("{}/__emulator/calls", emu.base_url()),
        format!("{}/anything", emu.base_url()),
        format!("{}/hook", emu.base_url().replace("127.0.0.1", "localhost")),
    ] {
        raw.api(
            "PUT",
            "/settings",
            Some(&json!({"greenpin_call_complete_event_endpoint": url}).to_string()),
        )
        .expect_ok();
        let r = call(&emu, CallSpec::new("7987686144", "6292134471").pin("123"));
        assert_eq!(r.status, CallbackStatus::NotSent, "{url}");
        assert!(r.note.as_deref().unwrap().contains("itself"), "{r:?}");
    }
    // Another emulator's controls: refused by the sender (the path), and by the other
    // emulator (a callback never drives controls).
    let other = BlockingEmulator::start();
    raw.api(
        "PUT",
        "/settings",
        Some(&json!({"greenpin_call_complete_event_endpoint": format!("{}/__emulator/calls", other.base_url())}).to_string()),
    )
    .expect_ok();
    let r = call(&emu, CallSpec::new("7987686144", "6292134471").pin("123"));
    assert_eq!(r.status, CallbackStatus::NotSent);
    let forged = Raw::new(&other).send(
        "POST",
        "/__emulator/calls",
        &[
            ("content-type", "application/json"),
            ("x-greenpin-event", "call_completed"),
        ],
        Some(br#"{"from":"7987686144","vn":"6292134471"}"#),
    );
    forged.expect_error(403, 8);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(emu.callbacks().len(), 4, "each call fired one callback");
    assert!(other.callbacks().is_empty());
}

#[test]
fn callbacks_can_be_waited_for_over_http() {
    let (emu, raw, hook) = with_receiver();
    let out = raw
        .control(
            "POST",
            "/calls",
            Some(json!({"from": "7987686144", "vn": "6292134471", "pin": "123"})),
        )
        .expect_ok();
    let sid = out["call_sid"].as_str().unwrap();
    let list = raw
        .control(
            "GET",
            &format!("/callbacks?call_sid={sid}&wait_ms=10000"),
            None,
        )
        .expect_ok();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["status"], "delivered");
    assert_eq!(list[0]["attempts"][0]["status"], 200);
    assert_eq!(hook.next().json()["call_sid"], sid);
    raw.control("GET", "/callbacks?wait_ms=30001", None)
        .expect_error(400, 5);
    raw.control("GET", "/callbacks?kind=nope", None)
        .expect_error(400, 5);
    raw.control("DELETE", "/callbacks", None).expect_ok();
    assert!(emu.callbacks().is_empty());
}

#[tokio::test]
async fn an_async_test_waits_for_a_callback() {
    let emu = greenpin_emulator::Emulator::start().await;
    let settle = emu
        .wait_for_callback(|_| true, Duration::from_millis(50))
        .await;
    assert!(settle.is_none());
    let call = emu
        .simulate_call(&CallSpec::new("7000000001", "6292134471"))
        .unwrap();
    let record = emu
        .wait_for_callback(|c| c.call_sid() == Some(&call.call_sid), WAIT)
        .await
        .expect("the call attempt's callback");
    assert_eq!(record.status, CallbackStatus::NotSent);
    assert_eq!(record.payload["call_type"], "call-attempt");
}

/// Longer than any test should wait: a waiter still waiting at its deadline was never woken
/// (and cargo-mutants, which stops a test after 60 s, counts the mutant as caught).
const NEVER: Duration = Duration::from_secs(120);

#[test]
fn a_blocking_waiter_is_woken_when_its_callback_settles() {
    let (emu, _, hook) = with_receiver();
    // Delivered 300 ms after the call: the waiter, started before the call, is waiting by
    // then, so only the settling can end its wait before the deadline.
    emu.add_callback_fault(CallbackFault::delay(Duration::from_millis(300)))
        .unwrap();
    let started = std::time::Instant::now();
    let (r, out) = std::thread::scope(|s| {
        let waiter =
            s.spawn(|| emu.wait_for_callback(|c| c.kind == CallbackKind::CallCompleted, NEVER));
        let out = emu
            .simulate_call(&CallSpec::new("7987686144", "6292134471").pin("123"))
            .unwrap();
        (waiter.join().unwrap(), out)
    });
    let r = r.expect("the settled callback");
    // Woken, not found at the deadline: half of it is a margin no loaded machine needs.
    assert!(started.elapsed() < NEVER / 2, "{:?}", started.elapsed());
    assert_eq!(r.call_sid(), Some(out.call_sid.as_str()));
    assert_eq!(r.status, CallbackStatus::Delivered);
    assert_eq!(hook.next().json()["call_sid"], out.call_sid.as_str());
}

#[test]
fn queued_callback_faults_are_listed_and_can_be_cleared() {
    let (emu, raw, hook) = with_receiver();
    raw.control(
        "POST",
        "/callbacks/faults",
        Some(json!({"fault": {"kind": "drop"}, "times": 2})),
    )
    .expect_ok();
    // `times` is 1 when not given; a delay is at most ten minutes.
    raw.control(
        "POST",
        "/callbacks/faults",
        Some(json!({"callback": "deallocation", "fault": {"kind": "delay", "ms": 600_000}})),
    )
    .expect_ok();
    let m = raw
        .control(
            "POST",
            "/callbacks/faults",
            Some(json!({"fault": {"kind": "delay", "ms": 600_001}})),
        )
        .expect_error(400, 5);
    assert!(m.contains("fault.ms: at most 600000"), "{m}");
    emu.add_callback_fault(CallbackFault::duplicate().only(CallbackKind::CallCompleted))
        .unwrap();
    let listed = raw.control("GET", "/callbacks/faults", None).expect_ok();
    assert_eq!(
        listed,
        json!([{"times": 2, "fault": {"kind": "drop"}},
               {"callback": "deallocation", "times": 1, "fault": {"kind": "delay", "ms": 600_000}},
               {"callback": "call_completed", "times": 1, "fault": {"kind": "duplicate"}}])
    );
    // Cleared over the control: the next call's callback is delivered, not dropped.
    raw.control("DELETE", "/callbacks/faults", None).expect_ok();
    assert_eq!(
        raw.control("GET", "/callbacks/faults", None).expect_ok(),
        json!([])
    );
    let r = call(&emu, CallSpec::new("7987686144", "6292134471").pin("123"));
    assert_eq!(r.status, CallbackStatus::Delivered);
    hook.next();
    // And through the Rust API.
    emu.add_callback_fault(CallbackFault::drop_next()).unwrap();
    emu.clear_callback_faults();
    let r = call(&emu, CallSpec::new("7987686144", "6292134471").pin("123"));
    assert_eq!(r.status, CallbackStatus::Delivered);
}
