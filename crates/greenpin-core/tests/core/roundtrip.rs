//! Property tests: every model type survives a JSON round trip, and validation is a
//! fixpoint (validating what validation produced changes nothing).

use greenpin_core::BulkItemResult;
use greenpin_core::callbacks::{CallCompleted, CallType, DeallocationReason};
use greenpin_core::{
    Allocation, Country, DeallocationDuration, DeallocationPolicy, DeallocationTime, ErrorCode,
    GreenPinId, MaxDeallocationTime, Party, PartySpec, PhoneNumber, Pin, PinLength, Settings,
    State, Timezone, TransactionId, UpdateBody, UpdateSpec, Usage,
};
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
    v: &T,
) -> Result<(), TestCaseError> {
    let json = serde_json::to_string(v).unwrap();
    let back: T =
        serde_json::from_str(&json).map_err(|e| TestCaseError::fail(format!("{e}: {json}")))?;
    prop_assert_eq!(&back, v, "json {}", json);
    Ok(())
}

fn phone() -> impl Strategy<Value = PhoneNumber> {
    "[6-9][0-9]{9}".prop_filter_map("valid", |s| PhoneNumber::parse(&s, Country::IN).ok())
}

fn phones() -> impl Strategy<Value = Vec<PhoneNumber>> {
    prop::collection::vec(phone(), 0..4)
}

fn pin() -> impl Strategy<Value = Pin> {
    "[0-9]{1,10}".prop_map(|s| Pin::new(s).unwrap())
}

fn pin_length() -> impl Strategy<Value = PinLength> {
    (1i64..=10).prop_map(|n| PinLength::new(n).unwrap())
}

fn party() -> impl Strategy<Value = Party> {
    (
        phones(),
        phones(),
        prop::option::of(pin()),
        prop::option::of(pin_length()),
    )
        .prop_map(|(vns, numbers, pin, pin_length)| {
            let mut p = Party::default();
            p.vns = vns;
            p.numbers = numbers;
            p.pin = pin;
            p.pin_length = pin_length;
            p
        })
}

fn usage() -> impl Strategy<Value = Usage> {
    prop_oneof![
        Just(Usage::Oneway),
        Just(Usage::Twoway),
        "[a-z]{1,8}".prop_map(|s| Usage::from(s.as_str()))
    ]
}

fn state() -> impl Strategy<Value = State> {
    prop_oneof![
        Just(State::Active),
        Just(State::Vault),
        "[a-z]{1,8}".prop_map(|s| State::from(s.as_str()))
    ]
}

fn duration() -> impl Strategy<Value = DeallocationDuration> {
    (
        1u64..=9999,
        prop_oneof![Just('s'), Just('m'), Just('h'), Just('d')],
    )
        .prop_map(|(n, unit)| {
            format!("{n}{unit}")
                .parse::<DeallocationDuration>()
                .unwrap()
        })
}

fn time() -> impl Strategy<Value = DeallocationTime> {
    (2000i32..2100, 1u8..=12, 1u8..=28, 0u8..24, 0u8..60, 0u8..60).prop_map(
        |(y, mo, d, h, mi, s)| {
            format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
                .parse()
                .unwrap()
        },
    )
}

fn id() -> impl Strategy<Value = GreenPinId> {
    "[a-zA-Z0-9_.-]{1,40}".prop_filter_map("path-safe", |s| GreenPinId::new(s).ok())
}

fn tx() -> impl Strategy<Value = TransactionId> {
    "[^\\p{Cc}]{1,30}".prop_filter_map("non-blank", |s| TransactionId::new(s).ok())
}

fn allocation() -> impl Strategy<Value = Allocation> {
    (
        id(),
        prop::option::of(tx()),
        party(),
        party(),
        usage(),
        state(),
        prop::option::of(time()),
    )
        .prop_map(
            |(greenpin_id, transaction_id, a, b, usage, state, deallocation_time)| {
                let json = serde_json::json!({
                    "greenpin_id": greenpin_id, "transaction_id": transaction_id, "a": a, "b": b,
                    "usage": usage, "state": state, "deallocation_time": deallocation_time,
                });
                serde_json::from_value(json).unwrap()
            },
        )
}

fn error_code() -> impl Strategy<Value = ErrorCode> {
    (-5i64..100).prop_map(ErrorCode::from_code)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn scalars(p in phone(), pin in pin(), len in pin_length(), d in duration(), t in time(), u in usage(), s in state(), c in error_code()) {
        round_trip(&p)?; round_trip(&pin)?; round_trip(&len)?; round_trip(&d)?;
        round_trip(&t)?; round_trip(&u)?; round_trip(&s)?; round_trip(&c)?;
        round_trip(&DeallocationPolicy::after(d))?;
    }

    #[test]
    fn parties_and_allocations(p in party(), a in allocation()) {
        round_trip(&p)?;
        round_trip(&a)?;
        round_trip(&greenpin_core::wire::Envelope::success(200, a.clone()))?;
        let item: BulkItemResult = serde_json::from_value(serde_json::json!({
            "greenpin_id": a.greenpin_id, "success": true, "status": 200, "code": null, "message": null, "data": a,
        })).unwrap();
        round_trip(&greenpin_core::wire::bulk_results(vec![item]))?;
    }

    #[test]
    fn settings(country in prop::option::of(prop_oneof![Just("IN"), Just("SG"), Just("AE"), Just("US")].prop_map(|c| c.parse::<Country>().unwrap())), intl in prop::option::of(any::<bool>()),
                max in prop::option::of(prop_oneof![Just(MaxDeallocationTime::Never), duration().prop_map(MaxDeallocationTime::Cap)]),
                tz in prop::option::of(prop_oneof![Just(Timezone::Ist), Just(Timezone::Utc)]),
                deletion in prop::option::of(any::<u64>()), len in prop::option::of(pin_length())) {
        let mut s = Settings::default();
        s.country = country; s.intl_num_sup = intl; s.max_deallocation_time = max; s.timezone = tz;
        s.deletion_time = deletion; s.aparty_pin_length = len; s.common_pin_enabled = intl;
        s.other.insert("greenvn_extra".into(), serde_json::json!([1, "x"]));
        round_trip(&s)?;
    }

    #[test]
    fn callbacks(g in id(), t in prop::option::of(tx()), p in phone(), d in prop::option::of(any::<u64>()),
                 ct in prop_oneof![Just(CallType::Completed), Just(CallType::CallAttempt), "[a-z-]{1,12}".prop_map(|s| CallType::from(s.as_str()))],
                 when in prop::option::of(time()), expired in any::<bool>()) {
        let mut c = CallCompleted::default();
        c.greenpin_id = Some(g.clone()); c.transaction_id = t.clone(); c.vn = Some(p.clone());
        c.from = Some(p); c.call_type = Some(ct); c.dial_call_duration = d; c.start_time = Some("2026-11-27T10:00:00+05:30".into());
        round_trip(&c)?;
        let mut e = greenpin_core::wire::deallocated(g, if expired { DeallocationReason::Expired } else { DeallocationReason::Deleted });
        e.transaction_id = t; e.deallocation_time = when;
        round_trip(&e)?;
    }

    /// Validation is a fixpoint: a validated body, read back as a spec, validates to itself.
    #[test]
    fn validation_is_a_fixpoint(a in party(), d in prop::option::of(duration()), u in prop::option::of(prop_oneof![Just(Usage::Oneway), Just(Usage::Twoway)])) {
        let mut a = a;
        a.pin_length = a.pin.as_ref().map(Pin::pin_length).or(a.pin_length);
        let mut spec = UpdateSpec::new().a(serde_json::from_value::<PartySpec>(serde_json::to_value(&a).unwrap()).unwrap());
        if let Some(d) = d { spec = spec.deallocate_after(d); }
        if let Some(u) = u { spec = spec.usage(u); }
        let once = match spec.validate(&greenpin_core::ValidationContext::new(Country::IN)) { Ok(v) => v, Err(_) => return Ok(()) };
        let again: UpdateSpec = serde_json::from_value(serde_json::to_value(&once).unwrap()).unwrap();
        let twice: UpdateBody = again.validate(&greenpin_core::ValidationContext::new(Country::IN)).unwrap();
        prop_assert_eq!(once, twice);
    }
}
