//! Tests of [`super`]: the receive module's own, kept apart so its file holds the code.

use super::*;

fn form(body: &str) -> Result<Callback, Rejection> {
    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_TYPE,
        "application/x-www-form-urlencoded".parse().unwrap(),
    );
    read(&h, body.as_bytes(), Country::IN)
}

fn json(body: &str) -> Result<Callback, Rejection> {
    let mut h = HeaderMap::new();
    h.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
    read(&h, body.as_bytes(), Country::IN)
}

#[test]
fn both_encodings_and_both_spellings_read_the_same_call() {
    let f = form("transation_id=t-1&call_sid=c-1&vn=06292134471&greenpin_id=g-1&from=%2B919876543210&to=09956555625&call_type=completed&dial_call_duration=42&on_call_duration=40.0&recording_url=&cf_order=77").unwrap();
    let j = json(r#"{"transaction_id":"t-1","call_sid":"c-1","vn":"+916292134471","greenpin_id":"g-1","from":"+919876543210","to":"+919956555625","call_type":"completed","dial_call_duration":42,"on_call_duration":40,"cf_order":"77"}"#).unwrap();
    assert_eq!(f.event, j.event);
    assert_eq!((f.encoding, j.encoding), (Encoding::Form, Encoding::Json));
    let CallbackEvent::CallCompleted(c) = &f.event else {
        panic!("{f:?}")
    };
    assert_eq!(c.to.as_ref().unwrap().as_str(), "+919956555625");
    assert_eq!(c.on_call_duration, Some(40));
    assert_eq!(c.recording_url, None);
    assert_eq!(f.key(), j.key());
    assert_eq!(f.extra().map(|(k, _)| k).collect::<Vec<_>>(), ["cf_order"]);
}

#[test]
fn what_cannot_be_read_is_named() {
    let e = form("call_sid=c-1&call_type=completed&dial_call_duration=forty").unwrap_err();
    assert_eq!(e.status(), StatusCode::BAD_REQUEST);
    assert!(e.to_string().starts_with("dial_call_duration:"), "{e}");
    let e = json(r#"{"greenpin_id":"g","reason":"expired","state":5}"#).unwrap_err();
    assert!(e.to_string().starts_with("state:"), "{e}");
    let e = json("[1]").unwrap_err();
    assert!(e.to_string().contains("expected a JSON object"), "{e}");
    let mut h = HeaderMap::new();
    h.insert(header::CONTENT_TYPE, "application/xml".parse().unwrap());
    let e = read(&h, b"<x/>", Country::IN).unwrap_err();
    assert!(e.to_string().starts_with("content-type:"), "{e}");
    let big = vec![b'a'; MAX_CALLBACK_BYTES + 1];
    assert_eq!(
        read(&HeaderMap::new(), &big, Country::IN)
            .unwrap_err()
            .status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
}

#[test]
fn unknown_kinds_are_kept_whole_and_masked_numbers_as_sent() {
    let u = json(r#"{"event":"recording_ready","call_sid":"c-5","url":"x"}"#).unwrap();
    assert_eq!(u.event, CallbackEvent::Unknown);
    assert_eq!(u.key().unwrap().as_str(), "unknown:c-5");
    assert_eq!(u.extra().count(), 3);
    // An id alone does not make a deallocation: it needs its reason or state.
    let id_only = json(r#"{"greenpin_id":"g-1","event":"sms"}"#).unwrap();
    assert_eq!(id_only.event, CallbackEvent::Unknown);
    // An id and a reason make one, and a missing state is named.
    let e = json(r#"{"greenpin_id":"g-1","reason":"expired"}"#).unwrap_err();
    assert!(e.to_string().starts_with("state: missing field"), "{e}");
    let m = form("call_sid=c-6&from=%2B9162XXXXX471").unwrap();
    let CallbackEvent::CallCompleted(c) = m.event else {
        panic!()
    };
    assert_eq!(c.from.unwrap().as_str(), "+9162XXXXX471");
}

#[test]
fn a_body_up_to_64_kib_is_read() {
    assert_eq!(MAX_CALLBACK_BYTES, 65_536);
    let at_cap = vec![b'a'; MAX_CALLBACK_BYTES];
    let cb = read(&HeaderMap::new(), &at_cap, Country::IN).unwrap();
    assert_eq!(
        (cb.event, cb.encoding),
        (CallbackEvent::Unknown, Encoding::Form)
    );
}

#[test]
fn without_a_content_type_a_body_opening_with_a_brace_is_json() {
    let cb = read(
        &HeaderMap::new(),
        b" \n\t{\"greenpin_id\":\"g-1\",\"reason\":\"expired\",\"state\":\"deallocated\"}",
        Country::IN,
    )
    .unwrap();
    assert_eq!(cb.encoding, Encoding::Json);
    assert_eq!(cb.event.kind(), "deallocation");
    assert_eq!(cb.key().unwrap().to_string(), "deallocation:g-1");
    let call = form("call_sid=c-1&call_type=completed").unwrap();
    assert_eq!(call.event.kind(), "call_completed");
    let other = json(r#"{"event":"sms"}"#).unwrap();
    assert_eq!(other.event.kind(), "unknown");
}

#[test]
fn a_receiver_with_a_secret_is_protected() {
    assert!(CallbackReceiver::new(CallbackSecret::generate()).is_protected());
    assert!(!CallbackReceiver::unprotected().is_protected());
}

#[test]
fn only_post_is_read() {
    let r = CallbackReceiver::unprotected();
    let e = r
        .receive(&Method::GET, &Uri::from_static("/"), &HeaderMap::new(), b"")
        .unwrap_err();
    assert_eq!(e.status(), StatusCode::METHOD_NOT_ALLOWED);
}
