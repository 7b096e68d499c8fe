//! Parsing answers: API errors, non-JSON bodies, truncated bodies, unknown values.

use greenpin_core::ops::Operation;
use greenpin_core::ops::{BulkUpdate, DeleteAllocation, GetAllocation, GetSettings};
use greenpin_core::{Error, ErrorCode, GreenPinId, MaxDeallocationTime, State, Timezone, Usage};

fn respond(status: u16, headers: &[(&str, &str)], body: &str) -> http::Response<Vec<u8>> {
    let mut b = http::Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(body.as_bytes().to_vec()).unwrap()
}

fn get() -> GetAllocation {
    GetAllocation::new(GreenPinId::new("g-1").unwrap())
}

#[test]
fn documented_error_envelope_becomes_a_typed_error() {
    let r = respond(
        409,
        &[],
        r#"{"success":false,"status":409,"code":18,"message":"Allocation exists for this connection id.","data":null}"#,
    );
    let err = get().parse_response(&r).unwrap_err();
    assert_eq!(err.status().unwrap(), 409);
    assert_eq!(err.code(), Some(ErrorCode::AllocationExists));
    assert!(!err.is_retryable());
    assert_eq!(
        err.to_string(),
        "GreenPin answered 409, code 18 (allocation already exists for this id): Allocation exists for this connection id."
    );
}

#[test]
fn unknown_code_and_request_id_are_kept() {
    let r = respond(
        400,
        &[],
        r#"{"request_id":"r-9","success":false,"status":400,"code":777,"message":"new thing","data":null}"#,
    );
    let err = get().parse_response(&r).unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Unknown(777)));
    assert_eq!(err.request_id(), Some("r-9"));
}

#[test]
fn html_502_is_a_status_error_with_a_snippet() {
    let r = respond(
        502,
        &[],
        "<html><body><h1>502 Bad Gateway</h1></body></html>",
    );
    let err = get().parse_response(&r).unwrap_err();
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.status, 502);
    assert_eq!(api.code, None);
    assert!(
        api.body_snippet
            .as_deref()
            .unwrap()
            .contains("502 Bad Gateway")
    );
    assert!(err.is_retryable());
}

#[test]
fn retry_after_is_read() {
    let r = respond(429, &[("retry-after", "1")], "");
    let Error::Api(api) = get().parse_response(&r).unwrap_err() else {
        panic!()
    };
    assert_eq!(api.retry_after, Some(std::time::Duration::from_secs(1)));
}

#[test]
fn truncated_and_empty_bodies_are_decode_errors() {
    let full = include_str!("../fixtures/seed_update_response.json");
    for body in [
        &full[..full.len() / 2],
        "",
        "not json",
        "[]",
        "{\"success\":true}",
    ] {
        let err = get().parse_response(&respond(200, &[], body)).unwrap_err();
        let Error::Decode(d) = &err else {
            panic!("{body:?}: {err:?}")
        };
        assert_eq!(d.status, 200);
        assert!(d.body_snippet.len() <= 204 * 4);
        assert!(
            err.to_string()
                .starts_with("could not read GreenPin's 200 answer")
        );
    }
}

#[test]
fn success_false_on_200_is_an_api_error() {
    let r = respond(
        200,
        &[],
        r#"{"success":false,"status":200,"code":0,"message":"oops","data":null}"#,
    );
    let err = get().parse_response(&r).unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Internal));
}

#[test]
fn unknown_fields_and_values_parse() {
    let body = r#"{"success":true,"status":200,"code":null,"message":null,"extra":1,
        "data":{"greenpin_id":"g-1","a":{"vns":["+916292134471"],"numbers":["+917987686144"],"pin_length":"4"},
        "b":{"numbers":["+919956555625"]},"usage":"threeway","state":"frozen","new_field":{"x":1}}}"#;
    let a = get().parse_response(&respond(200, &[], body)).unwrap().data;
    assert_eq!(a.usage, Usage::Unknown("threeway".into()));
    assert_eq!(a.state, State::Unknown("frozen".into()));
    assert_eq!(a.a.pin_length.unwrap().get(), 4);
    assert_eq!(a.deallocation_time, None);
}

#[test]
fn delete_answers_with_or_without_data() {
    let op = DeleteAllocation::new(GreenPinId::new("g-1").unwrap());
    let none = op
        .parse_response(&respond(
            200,
            &[],
            r#"{"success":true,"status":200,"code":null,"message":null,"data":null}"#,
        ))
        .unwrap();
    assert!(none.data.is_none());
    let body = r#"{"success":true,"status":200,"data":{"greenpin_id":"g-1","usage":"twoway","state":"vault"}}"#;
    assert_eq!(
        op.parse_response(&respond(200, &[], body))
            .unwrap()
            .data
            .unwrap()
            .state,
        State::Vault
    );
}

#[test]
fn settings_parse() {
    let body = r#"{"success":true,"status":200,"data":{"country":"IN","intl_num_sup":false,
        "max_deallocation_time":"170d","timezone":"IST","deletion_time":86400,"aparty_pin_length":"3",
        "greenvn_thing":true}}"#;
    let s = GetSettings::new()
        .parse_response(&respond(200, &[], body))
        .unwrap()
        .data;
    assert_eq!(
        s.max_deallocation_time,
        Some(MaxDeallocationTime::Cap("170d".parse().unwrap()))
    );
    assert_eq!(s.timezone, Some(Timezone::Ist));
    assert_eq!(s.aparty_pin_length.unwrap().get(), 3);
    assert_eq!(s.other["greenvn_thing"], true);
    let never: greenpin_core::Settings =
        serde_json::from_str(r#"{"max_deallocation_time":-1}"#).unwrap();
    assert_eq!(
        never.max_deallocation_time,
        Some(MaxDeallocationTime::Never)
    );
}

#[test]
fn bulk_results_parse_per_item() {
    let body = r#"{"success":true,"status":200,"data":{"greenpins":[
        {"greenpin_id":"g-1","success":true,"status":200,"data":{"greenpin_id":"g-1","usage":"oneway","state":"active"}},
        {"greenpin_id":"g-2","success":false,"status":404,"code":1,"message":"not found","data":null}]}}"#;
    let op = BulkUpdate::default();
    let results = op
        .parse_response(&respond(200, &[], body))
        .unwrap()
        .data
        .greenpins;
    assert_eq!(results.len(), 2);
    assert_eq!(
        results[0].clone().into_result().unwrap().usage,
        Usage::Oneway
    );
    let e = results[1].clone().into_result().unwrap_err();
    assert_eq!(
        (e.status().map(|s| s.as_u16()), e.code()),
        (Some(404), Some(ErrorCode::NotFound))
    );
}

#[test]
fn the_echoed_method_is_not_read_whatever_it_holds() {
    // A success gives its data with any `method`, even a number or a second one.
    for method in [r#""PUT""#, "5", r#""put","method":"GET""#] {
        let body = format!(
            r#"{{"request_id":"r-1","method":{method},"success":true,"status":200,"data":{{"greenpin_id":"g-1","a":{{}},"b":{{}},"usage":"oneway","state":"active"}}}}"#
        );
        let reply = get().parse_response(&respond(200, &[], &body)).unwrap();
        assert_eq!(reply.data.greenpin_id.as_str(), "g-1", "{method}");
        assert_eq!(reply.request_id.as_deref(), Some("r-1"));
    }
    // A refusal keeps its code, message and request id, on a 409 and on a 200 alike.
    for status in [409, 200] {
        let body = r#"{"request_id":"r-2","method":5,"success":false,"status":409,"code":18,"message":"exists","data":null}"#;
        let err = get()
            .parse_response(&respond(status, &[], body))
            .unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::AllocationExists), "{status}");
        assert_eq!(err.request_id(), Some("r-2"), "{status}");
        assert!(err.to_string().contains(": exists"), "{status}: {err}");
    }
}
