//! What the client may send twice: an update that asks the service to generate a PIN (a
//! `pin_length` without a `pin`) makes a new PIN each time it lands, so after an answer
//! that may mean it landed (a 502, a connection closed after sending) it is not sent again;
//! other updates are.

use std::sync::atomic::{AtomicU32, Ordering};

use greenpin_core::client::{AttemptLimits, BlockingClient, ClientBuilder};
use greenpin_core::ops::{BulkUpdate, Operation, UpdateAllocation, ValidatedBulkUpdate};
use greenpin_core::retry::Idempotency;
use greenpin_core::{
    BulkItemSpec, BulkSpec, GreenPinId, PartySpec, PinLength, UpdateSpec, Usage, ValidationContext,
};

fn id() -> GreenPinId {
    GreenPinId::new("g-1").unwrap()
}

#[test]
fn an_update_that_generates_a_pin_is_not_idempotent() {
    let generates = UpdateSpec::new().a(PartySpec::new().pin_length(PinLength::of::<4>()));
    let given = UpdateSpec::new().a(PartySpec::new()
        .pin("1234")
        .pin_length(PinLength::of::<4>()));
    let plain = UpdateSpec::new().usage(Usage::Oneway);
    assert_eq!(
        UpdateAllocation::new(id(), generates.clone()).idempotency(),
        Idempotency::NotIdempotent
    );
    assert_eq!(
        UpdateAllocation::new(id(), given).idempotency(),
        Idempotency::Idempotent
    );
    assert_eq!(
        UpdateAllocation::new(id(), plain).idempotency(),
        Idempotency::Idempotent
    );
    // In a bulk update, one such item makes the whole request so.
    let item = |spec: BulkItemSpec| {
        BulkSpec::new()
            .item(BulkItemSpec::new("g-2").usage(Usage::Twoway))
            .item(spec)
    };
    let b_generates = BulkItemSpec::new("g-1").b(PartySpec::new().pin_length(PinLength::of::<4>()));
    assert_eq!(
        BulkUpdate::new(item(b_generates.clone())).idempotency(),
        Idempotency::NotIdempotent
    );
    assert_eq!(
        BulkUpdate::new(item(BulkItemSpec::new("g-1").usage(Usage::Oneway))).idempotency(),
        Idempotency::Idempotent
    );
    let ctx = ValidationContext::default();
    let validated = ValidatedBulkUpdate::new(vec![b_generates.validate(&ctx).unwrap()]);
    assert_eq!(validated.idempotency(), Idempotency::NotIdempotent);
}

#[test]
fn after_a_502_an_update_that_generates_a_pin_is_sent_once_and_others_are_retried() {
    let sent = AtomicU32::new(0);
    let send = |_: http::Request<Vec<u8>>, _: AttemptLimits| {
        sent.fetch_add(1, Ordering::SeqCst);
        Ok(http::Response::builder()
            .status(502)
            .body(Vec::new())
            .unwrap())
    };
    let config = ClientBuilder::<()>::new()
        .account_sid("acme")
        .credentials("k", "t")
        .build_config()
        .unwrap();
    let client = BlockingClient::new(config, &send);
    let generates = UpdateSpec::new().a(PartySpec::new().pin_length(PinLength::of::<4>()));
    let e = client.update(id(), &generates).unwrap_err();
    assert!(
        e.outcome_unknown(),
        "a 502 after sending: it may have landed"
    );
    assert_eq!(sent.swap(0, Ordering::SeqCst), 1, "sent once");
    client
        .update(id(), &UpdateSpec::new().usage(Usage::Oneway))
        .unwrap_err();
    assert_eq!(
        sent.load(Ordering::SeqCst),
        3,
        "an idempotent update is retried"
    );
}
