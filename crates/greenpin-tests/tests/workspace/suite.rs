//! The shared suite: every scenario runs against both transports and a live emulator.

use std::time::{Duration, Instant};

use greenpin_core::retry::RetryPolicy;
use greenpin_core::{
    BulkItemSpec, BulkSpec, CreateSpec, Error, ErrorCode, GreenPinId, PartySpec, Pin, PinLength,
    SettingsSpec, State, TimeoutKind, Timezone, UpdateSpec, Usage,
};
use greenpin_emulator::{BlockingEmulator, CallSpec, Fault, FaultRule};
use greenpin_tests::{Make, Opts};

fn seed_update() -> UpdateSpec {
    serde_json::from_str(
        r#"{"a": {"vns": ["6292134471", "6292134464"], "numbers": ["7987686144"], "pin": "123", "pin_length": 3},
            "b": {"vns": ["6292134465", "6292134464"], "numbers": ["9956555625"], "pin": "234", "pin_length": "3"},
            "usage": "twoway", "deallocation_policy": {"duration": "1200s"}}"#,
    )
    .unwrap()
}

fn simple(tx: &str, a: &str, vn: &str) -> CreateSpec {
    CreateSpec::new(tx)
        .a(PartySpec::new().number(a).vn(vn))
        .b(PartySpec::new().number("9000000009"))
}

fn api_error(e: Error, status: u16, code: ErrorCode) -> String {
    greenpin_tests::assert_no_secret(&format!("{e} {e:?}"));
    assert_eq!(e.status().map(|s| s.as_u16()), Some(status), "{e}");
    assert_eq!(e.code(), Some(code), "{e}");
    assert!(e.request_id().is_some(), "no request id: {e:?}");
    let Error::Api(api) = e else { unreachable!() };
    api.message.unwrap()
}

fn create_read_change_and_delete_an_allocation(make: Make) {
    let emu = greenpin_tests::emulator();
    let sdk = make(&emu, &Opts::default());
    let created = sdk
        .create(
            &CreateSpec::new("order-1")
                .a(PartySpec::new()
                    .number("7987686144")
                    .vn("6292134471")
                    .pin_length(PinLength::of::<4>()))
                .b(PartySpec::new().number("9956555625"))
                .deallocate_after("1h"),
        )
        .unwrap();
    assert_eq!(created.state, State::Active);
    assert_eq!(created.a.pin.as_ref().unwrap().len(), 4);
    let id = created.greenpin_id.clone();
    assert_eq!(sdk.get(&id).unwrap(), created);

    let updated = sdk.update(&id, &seed_update()).unwrap();
    assert_eq!(updated.a.pin.as_ref().unwrap().as_str(), "123");
    assert_eq!(updated.b.numbers[0].as_str(), "+919956555625");
    assert_eq!(updated.b.vns.len(), 2);
    assert_eq!(sdk.get(&id).unwrap(), updated);

    let other = sdk
        .create(&simple("order-2", "7000000002", "6292134472"))
        .unwrap();
    let bulk = BulkSpec::new()
        .item(BulkItemSpec::new(&id).usage(Usage::Oneway))
        .item(BulkItemSpec::new("no-such-allocation").usage(Usage::Oneway))
        .item(BulkItemSpec::new(&other.greenpin_id).deallocate_after("5m"));
    let results = sdk.bulk_update(&bulk).unwrap().greenpins;
    assert_eq!(
        results.iter().map(|r| r.success).collect::<Vec<_>>(),
        [true, false, true]
    );
    let bad = results[1].clone().into_result().unwrap_err();
    assert_eq!(
        (bad.status().map(|s| s.as_u16()), bad.code()),
        (Some(404), Some(ErrorCode::NotFound))
    );
    assert_eq!(sdk.get(&id).unwrap().usage, Usage::Oneway);

    let deleted = sdk.delete(&id).unwrap().unwrap();
    assert_eq!(deleted.state, State::Vault);
    assert_eq!(sdk.get(&id).unwrap().state, State::Vault);

    let s = sdk.settings().unwrap();
    assert_eq!(s.timezone, Some(Timezone::Ist));
    let s = sdk
        .update_settings(&SettingsSpec::new().timezone(Timezone::Utc))
        .unwrap();
    assert_eq!(
        (s.timezone, s.country),
        (Some(Timezone::Utc), Some(greenpin_core::Country::IN))
    );
    greenpin_tests::assert_journal_clean(&emu);
}

fn each_refusal_is_the_error_its_code_says(make: Make) {
    let emu = greenpin_tests::emulator();
    let sdk = make(&emu, &Opts::default());
    let missing = GreenPinId::new("missing").unwrap();
    api_error(sdk.get(&missing).unwrap_err(), 404, ErrorCode::NotFound);
    let a = sdk
        .create(&simple("tx", "7000000001", "6292134471"))
        .unwrap();
    api_error(
        sdk.create(&simple("tx", "7000000003", "6292134473"))
            .unwrap_err(),
        409,
        ErrorCode::AllocationExists,
    );
    sdk.update(
        &a.greenpin_id,
        &UpdateSpec::new().a(PartySpec::new().pin("77")),
    )
    .unwrap();
    let clash = CreateSpec::new("tx2").a(PartySpec::new()
        .number("7000000004")
        .vn("6292134471")
        .pin("77"));
    let m = api_error(sdk.create(&clash).unwrap_err(), 409, ErrorCode::PinClash);
    assert!(m.starts_with("a.pin"), "{m}");
    sdk.delete(&a.greenpin_id).unwrap();
    api_error(
        sdk.update(&a.greenpin_id, &UpdateSpec::new().usage(Usage::Oneway))
            .unwrap_err(),
        410,
        ErrorCode::AlreadyDeleted,
    );
    api_error(
        sdk.delete(&a.greenpin_id).unwrap_err(),
        410,
        ErrorCode::AlreadyDeleted,
    );

    let wrong = make(
        &emu,
        &Opts {
            token: Some("wrong".into()),
            ..Opts::default()
        },
    );
    let e = wrong.settings().unwrap_err();
    api_error(e, 401, ErrorCode::AuthenticationFailed);
    let other = make(
        &emu,
        &Opts {
            account_sid: Some("someone-else".into()),
            ..Opts::default()
        },
    );
    api_error(other.settings().unwrap_err(), 403, ErrorCode::NotPermitted);

    // Refused before sending: nothing reaches the emulator.
    emu.clear_requests();
    let e = sdk
        .update(
            &missing,
            &UpdateSpec::new().a(PartySpec::new().vn("629XXXXX71")),
        )
        .unwrap_err();
    assert!(
        matches!(&e, Error::Validation(v) if v.field() == "a.vns[0]"),
        "{e:?}"
    );
    assert!(!e.may_have_been_sent());
    assert!(emu.requests().is_empty());
    greenpin_tests::assert_journal_clean(&emu);
}

fn count(emu: &BlockingEmulator, method: &str) -> usize {
    emu.requests().iter().filter(|r| r.method == method).count()
}

fn transient_answers_are_retried_as_the_service_asks(make: Make) {
    let emu = greenpin_tests::emulator();
    let sdk = make(&emu, &Opts::default());
    let settings_path = "/v1/tenants/*/settings";

    // 429 with Retry-After: 1, then 200: one retry, and the wait honoured.
    emu.add_fault(
        FaultRule::new(Fault::Status {
            status: 429,
            retry_after: Some("1".into()),
            body: None,
            content_type: None,
        })
        .path(settings_path),
    )
    .unwrap();
    let start = Instant::now();
    sdk.settings().unwrap();
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "Retry-After not honoured: {:?}",
        start.elapsed()
    );
    assert_eq!(count(&emu, "GET"), 2);

    // 503 twice then 200: success on the third attempt.
    emu.clear_requests();
    emu.add_fault(
        FaultRule::new(Fault::Status {
            status: 503,
            retry_after: None,
            body: None,
            content_type: None,
        })
        .times(2),
    )
    .unwrap();
    sdk.settings().unwrap();
    assert_eq!(count(&emu, "GET"), 3);

    // 503 three times: an error after exactly three attempts.
    emu.clear_requests();
    emu.add_fault(
        FaultRule::new(Fault::Status {
            status: 503,
            retry_after: None,
            body: None,
            content_type: None,
        })
        .times(3),
    )
    .unwrap();
    let e = sdk.settings().unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(503));
    assert!(e.is_retryable());
    assert_eq!(count(&emu, "GET"), 3);
    emu.clear_faults();

    // Connection closed without an answer on a GET, then 200: success.
    emu.clear_requests();
    emu.add_fault(FaultRule::new(Fault::Close).method("GET"))
        .unwrap();
    sdk.settings().unwrap();
    assert_eq!(count(&emu, "GET"), 2);
    greenpin_tests::assert_journal_clean(&emu);
}

fn a_create_that_may_have_landed_is_not_sent_again(make: Make) {
    let emu = greenpin_tests::emulator();
    let sdk = make(&emu, &Opts::default());
    // 500 on create: not retried.
    emu.clear_requests();
    emu.add_fault(
        FaultRule::new(Fault::Status {
            status: 500,
            retry_after: None,
            body: None,
            content_type: None,
        })
        .method("POST")
        .times(3),
    )
    .unwrap();
    let e = sdk
        .create(&simple("t500", "7000000001", "6292134471"))
        .unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(count(&emu, "POST"), 1);
    emu.clear_faults();

    // 503 on create: not retried either (it may have been applied).
    emu.clear_requests();
    emu.add_fault(
        FaultRule::new(Fault::Status {
            status: 503,
            retry_after: None,
            body: None,
            content_type: None,
        })
        .method("POST"),
    )
    .unwrap();
    sdk.create(&simple("t503", "7000000001", "6292134471"))
        .unwrap_err();
    assert_eq!(count(&emu, "POST"), 1);
    greenpin_tests::assert_journal_clean(&emu);
}

fn broken_answers_are_typed_errors_not_panics(make: Make) {
    let emu = greenpin_tests::emulator();
    let sdk = make(&emu, &Opts::default());
    // 502 with an HTML body: a typed error with status and snippet.
    emu.add_fault(
        FaultRule::new(Fault::Status {
            status: 502,
            retry_after: None,
            body: Some("<html><h1>502 Bad Gateway</h1></html>".into()),
            content_type: None,
        })
        .times(3),
    )
    .unwrap();
    let e = sdk.settings().unwrap_err();
    let Error::Api(api) = &e else { panic!("{e:?}") };
    assert_eq!(api.status.as_u16(), 502);
    assert!(
        api.body_snippet
            .as_deref()
            .unwrap()
            .contains("502 Bad Gateway")
    );
    emu.clear_faults();

    // A truncated JSON body: a decode error, no panic, no retry.
    emu.clear_requests();
    emu.add_fault(FaultRule::new(Fault::Truncate).method("GET"))
        .unwrap();
    let e = sdk.settings().unwrap_err();
    assert!(
        matches!(e, Error::Decode(ref d) if d.status.as_u16() == 200),
        "{e:?}"
    );
    assert_eq!(count(&emu, "GET"), 1);
    greenpin_tests::assert_journal_clean(&emu);
}

fn a_service_that_does_not_answer_is_cut_off_at_the_timeout(make: Make) {
    let emu = greenpin_tests::emulator();
    let sdk = make(
        &emu,
        &Opts {
            attempt_timeout: Some(Duration::from_millis(300)),
            retry: Some(RetryPolicy::none()),
            ..Opts::default()
        },
    );
    emu.add_fault(FaultRule::new(Fault::Delay { ms: 5_000 }))
        .unwrap();
    let start = Instant::now();
    let e = sdk.settings().unwrap_err();
    assert!(e.is_timeout(), "{e:?}");
    assert!(e.may_have_been_sent());
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "took {:?}",
        start.elapsed()
    );
    // Which limit fired, and its value, in the error and in its message.
    assert_eq!(
        e.timeout(),
        Some(TimeoutKind::Attempt(Duration::from_millis(300)))
    );
    assert_eq!(
        e.to_string(),
        "GreenPin did not answer in time: no answer within the attempt timeout (300ms)"
    );

    // The whole call's deadline cutting an attempt short is the call's timeout.
    let short_call = make(
        &emu,
        &Opts {
            timeout: Some(Duration::from_millis(400)),
            retry: Some(RetryPolicy::none()),
            ..Opts::default()
        },
    );
    emu.add_fault(FaultRule::new(Fault::Delay { ms: 5_000 }))
        .unwrap();
    let e = short_call.settings().unwrap_err();
    assert_eq!(
        e.timeout(),
        Some(TimeoutKind::Call(Duration::from_millis(400))),
        "{e}"
    );
    assert!(
        e.to_string()
            .contains("the call's whole timeout passed (400ms)"),
        "{e}"
    );

    // With retries on, a GET that times out is tried again.
    let retrying = make(
        &emu,
        &Opts {
            attempt_timeout: Some(Duration::from_millis(300)),
            ..Opts::default()
        },
    );
    emu.clear_requests();
    emu.add_fault(FaultRule::new(Fault::Delay { ms: 2_000 }))
        .unwrap();
    retrying.settings().unwrap();
    assert_eq!(count(&emu, "GET"), 2);
    greenpin_tests::assert_journal_clean(&emu);
}

fn a_refused_connection_is_a_transport_error_never_sent(make: Make) {
    // An emulator that is gone: connect fails, nothing was sent.
    let emu = greenpin_tests::emulator();
    let sdk = make(
        &emu,
        &Opts {
            retry: Some(RetryPolicy::none()),
            ..Opts::default()
        },
    );
    emu.shutdown();
    std::thread::sleep(Duration::from_millis(50));
    let e = sdk.settings().unwrap_err();
    assert!(
        matches!(e, Error::Transport(ref t) if !t.may_have_been_sent),
        "{e:?}"
    );
    assert!(e.is_retryable());
    greenpin_tests::assert_journal_clean(&emu);
}

/// Exotel's vault and settings through the SDK: what the SDK refuses before sending, and
/// what the service answers for keys in a vault period and numbers already registered.
fn the_vault_and_the_settings_behave_as_documented(make: Make) {
    let emu = greenpin_tests::emulator();
    let sdk = make(&emu, &Opts::default());
    // Refused before anything is sent, naming the field.
    for (spec, field) in [
        (SettingsSpec::new().deletion_time(86_401), "deletion_time"),
        (
            SettingsSpec::new().max_deallocation_time(greenpin_core::MaxDeallocationTime::Cap(
                "1s".parse().unwrap(),
            )),
            "max_deallocation_time",
        ),
        (SettingsSpec::new().aparty_tag(" "), "aparty_tag"),
    ] {
        emu.clear_requests();
        let e = sdk.update_settings(&spec).unwrap_err();
        assert!(
            matches!(&e, Error::Validation(v) if v.field() == field),
            "{e:?}"
        );
        assert!(emu.requests().is_empty(), "nothing was sent");
    }
    let s = sdk
        .update_settings(
            &SettingsSpec::new()
                .deletion_time(1800)
                .tag_enabled(true)
                .aparty_tag("rider"),
        )
        .unwrap();
    assert_eq!(
        (
            s.deletion_time,
            s.tag_enabled,
            s.aparty_tag.as_deref(),
            s.bparty_tag.as_deref()
        ),
        (Some(1800), Some(true), Some("rider"), Some("bparty"))
    );
    let first = sdk
        .create(
            &CreateSpec::new("v-1")
                .a(PartySpec::new()
                    .number("7987686144")
                    .vn("6292134471")
                    .pin("123"))
                .b(PartySpec::new().number("9956555625")),
        )
        .unwrap();
    let deleted = sdk.delete(&first.greenpin_id).unwrap().unwrap();
    assert_eq!(deleted.state, State::Vault);
    let same_pin = CreateSpec::new("v-2").a(PartySpec::new()
        .number("7000000001")
        .vn("6292134471")
        .pin("123"));
    let m = api_error(sdk.create(&same_pin).unwrap_err(), 409, ErrorCode::PinClash);
    assert!(m.contains("vault period"), "{m}");
    let same_number = CreateSpec::new("v-3").a(PartySpec::new()
        .number("7987686144")
        .vn("6292134471")
        .pin("456"));
    let m = api_error(
        sdk.create(&same_number).unwrap_err(),
        409,
        ErrorCode::PinClash,
    );
    assert!(m.contains("with another PIN"), "{m}");
    emu.advance_clock(Duration::from_secs(1801)).unwrap();
    sdk.create(&same_pin).unwrap();
    sdk.create(&same_number).unwrap();
    greenpin_tests::assert_journal_clean(&emu);
}

/// Handing a delivery over to another rider. Changing the rider's number alone leaves the
/// old PIN working — and a PIN picks the allocation, the caller's number only the party — so
/// the old rider (or anyone who knows the PIN) still reaches the customer, as party A. The
/// documented recipe, a new number and a new PIN in one update, shuts them out.
fn an_order_handed_to_another_rider_reaches_only_them(make: Make) {
    let emu = greenpin_tests::emulator();
    let sdk = make(&emu, &Opts::default());
    let (old_rider, customer, vn) = ("7987686144", "9956555625", "6292134471");
    let order = sdk
        .create(
            &CreateSpec::new("order-7")
                .a(PartySpec::new()
                    .number(old_rider)
                    .vn(vn)
                    .pin_length(PinLength::of::<4>()))
                .b(PartySpec::new().number(customer)),
        )
        .unwrap();
    let old_pin = order.a.pin.clone().unwrap();
    let call = |from: &str, pin: &Pin| {
        emu.simulate_call(&CallSpec::new(from, vn).pin(pin.as_str()))
            .unwrap()
    };
    assert_eq!(
        call(old_rider, &old_pin).to.as_deref(),
        Some("+919956555625")
    );

    // The trap: the number alone. The old rider still gets through.
    let numbers_only = sdk
        .update(
            &order.greenpin_id,
            &UpdateSpec::new().a(PartySpec::new().number("7000000001")),
        )
        .unwrap();
    assert_eq!(numbers_only.a.pin.as_ref(), Some(&old_pin));
    let leak = call(old_rider, &old_pin);
    assert!(leak.connected, "the old PIN still works: {leak:?}");
    assert_eq!(leak.to.as_deref(), Some("+919956555625"));

    // The recipe: a new number and a new PIN together.
    let handed_over = sdk
        .update(
            &order.greenpin_id,
            &UpdateSpec::new().reassign_a("7000000002", PinLength::of::<4>()),
        )
        .unwrap();
    let new_pin = handed_over.a.pin.clone().unwrap();
    assert_ne!(new_pin, old_pin);
    assert_eq!(handed_over.a.numbers[0].as_str(), "+917000000002");
    for from in [old_rider, "7000000001", "7000000099"] {
        let refused = call(from, &old_pin);
        assert!(!refused.connected, "{from} with the old PIN: {refused:?}");
    }
    assert_eq!(
        call("7000000002", &new_pin).to.as_deref(),
        Some("+919956555625")
    );
    // The customer reaches the new rider.
    assert_eq!(
        call(customer, &new_pin).to.as_deref(),
        Some("+917000000002")
    );
    greenpin_tests::assert_journal_clean(&emu);
}

/// Every scenario above as a test of one flavour, in a module named after it.
macro_rules! tests {
    ($flavor:ident; ($($name:ident),+)) => {
        mod $flavor {
            $(#[test] fn $name() { super::$name(greenpin_tests::$flavor) })+
        }
    };
}

/// The scenarios, through each flavour.
macro_rules! suite {
    ([$($flavor:ident),+] $names:tt) => { $(tests!($flavor; $names);)+ };
}

suite!([blocking, asynchronous](
    create_read_change_and_delete_an_allocation,
    each_refusal_is_the_error_its_code_says,
    transient_answers_are_retried_as_the_service_asks,
    a_create_that_may_have_landed_is_not_sent_again,
    broken_answers_are_typed_errors_not_panics,
    a_service_that_does_not_answer_is_cut_off_at_the_timeout,
    a_refused_connection_is_a_transport_error_never_sent,
    the_vault_and_the_settings_behave_as_documented,
    an_order_handed_to_another_rider_reaches_only_them
));
