//! Entry points for the fuzz targets (`crates/fuzz`) and for the tests that replay their
//! corpora on the stable toolchain: each takes arbitrary bytes and must never panic, hang
//! or leak. Not part of the API.
#![expect(
    clippy::expect_used,
    reason = "fuzz harness: constants that are valid by inspection"
)]

use http::{HeaderMap, HeaderValue, StatusCode};

use crate::ops::{
    BulkUpdate, CreateAllocation, DeleteAllocation, GetAllocation, GetSettings, Operation,
    UpdateAllocation, UpdateSettings,
};
use crate::{
    AccountSid, ApiContext, BulkSpec, Country, CreateSpec, Credentials, DeallocationDuration,
    GreenPinId, PhoneNumber, Pin, SettingsSpec, UpdateSpec,
};

fn context() -> ApiContext {
    ApiContext::new(
        AccountSid::new("fuzz").expect("valid"),
        Credentials::new("k", "t"),
    )
}

/// Response parsing for every operation: arbitrary status, a header line and body bytes.
/// Layout: two bytes of status, one byte choosing the operation, then `header\nbody`.
pub fn parse_response(data: &[u8]) {
    if data.len() < 3 {
        return;
    }
    let status =
        StatusCode::from_u16(100 + u16::from_le_bytes([data[0], data[1]]) % 500).expect("in range");
    let rest = &data[3..];
    let (header, body) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (&[][..], rest),
    };
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_bytes(header) {
        headers.insert(http::header::RETRY_AFTER, v.clone());
        headers.insert("x-request-id", v);
    }
    let id = GreenPinId::new("g-1").expect("valid");
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    let r = &response;
    let shown = match data[2] % 7 {
        0 => GetAllocation::new(id).parse_response(r).err(),
        1 => CreateAllocation::new(CreateSpec::new("t"))
            .parse_response(r)
            .err(),
        2 => UpdateAllocation::new(id, UpdateSpec::new())
            .parse_response(r)
            .err(),
        3 => BulkUpdate::new(BulkSpec::default()).parse_response(r).err(),
        4 => DeleteAllocation::new(id).parse_response(r).err(),
        5 => GetSettings::new().parse_response(r).err(),
        _ => UpdateSettings::new(SettingsSpec::new())
            .parse_response(r)
            .err(),
    };
    // Errors are shown to people: displaying them must not panic either.
    if let Some(e) = shown {
        let _ = (
            e.to_string(),
            format!("{e:?}"),
            e.is_retryable(),
            e.is_timeout(),
            e.may_have_been_sent(),
        );
    }
}

/// Request building and validation from arbitrary JSON and strings: numbers, PINs,
/// durations, and whole bodies of every operation.
pub fn build_request(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(n) = PhoneNumber::parse(&text, Country::IN) {
        // A normalised number normalises to itself.
        assert_eq!(PhoneNumber::parse(n.as_str(), Country::IN).as_ref(), Ok(&n));
    }
    let _ = text.parse::<DeallocationDuration>();
    let _ = Pin::new(text.to_string());
    let ctx = context();
    let id = GreenPinId::new("g-1").expect("valid");
    let built = |req: Result<http::Request<Vec<u8>>, crate::Error>| {
        if let Ok(req) = req {
            // Whatever is built is JSON, and never carries the token in the URL.
            assert!(
                req.body().is_empty()
                    || serde_json::from_slice::<serde_json::Value>(req.body()).is_ok()
            );
            assert!(!req.uri().to_string().contains('@'));
        }
    };
    if let Ok(spec) = serde_json::from_slice::<UpdateSpec>(data) {
        built(UpdateAllocation::new(id.clone(), spec).build_request(&ctx));
    }
    if let Ok(spec) = serde_json::from_slice::<CreateSpec>(data) {
        built(CreateAllocation::new(spec).build_request(&ctx));
    }
    if let Ok(spec) = serde_json::from_slice::<BulkSpec>(data) {
        built(BulkUpdate::new(spec).build_request(&ctx));
    }
    let _ = BulkSpec::read_wire(data);
    if let Ok(spec) = serde_json::from_slice::<SettingsSpec>(data) {
        built(UpdateSettings::new(spec).build_request(&ctx));
    }
}

/// The callback receiver: arbitrary bytes as the request's path and query, one header and
/// the body, read by a receiver with a secret and one without. Layout: one byte choosing
/// the content type and where the secret is, then `target\nheader\nbody`.
pub fn receive_callback(data: &[u8]) {
    use crate::callbacks::{CallbackReceiver, CallbackSecret, SecretPlacement};
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let mut parts = rest.splitn(3, |&b| b == b'\n');
    let target = parts.next().unwrap_or_default();
    let header = parts.next().unwrap_or_default();
    let body = parts.next().unwrap_or_default();
    let secret = CallbackSecret::new("fuzz-secret-0123456789").expect("valid secret");
    let placement = match choice % 3 {
        0 => SecretPlacement::Path,
        1 => SecretPlacement::Query,
        _ => SecretPlacement::BasicAuth,
    };
    // Half the cases carry the secret where it belongs, half whatever the bytes say.
    let uri: http::Uri = if choice & 0x10 != 0 {
        let url = secret
            .url("http://127.0.0.1/hook", placement)
            .expect("a valid endpoint");
        url.replace("http://127.0.0.1", "")
            .parse()
            .unwrap_or_else(|_| http::Uri::from_static("/"))
    } else {
        match std::str::from_utf8(target)
            .ok()
            .and_then(|t| t.parse().ok())
        {
            Some(u) => u,
            None => return,
        }
    };
    let mut headers = HeaderMap::new();
    let content_type = match choice % 4 {
        0 => "application/json",
        1 => "application/x-www-form-urlencoded",
        2 => "text/plain",
        _ => "",
    };
    if !content_type.is_empty() {
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static(content_type),
        );
    }
    if let Ok(v) = HeaderValue::from_bytes(header) {
        headers.insert(http::header::AUTHORIZATION, v.clone());
        headers.insert("x-greenpin-event", v);
    }
    let method = if choice & 0x20 != 0 {
        http::Method::GET
    } else {
        http::Method::POST
    };
    for receiver in [
        CallbackReceiver::new(secret.clone()),
        CallbackReceiver::unprotected(),
    ] {
        match receiver.receive(&method, &uri, &headers, body) {
            Ok(cb) => {
                // Accepted by the protected receiver only with the secret somewhere.
                if receiver.is_protected() {
                    assert!(secret.verify(&uri, &headers), "accepted without the secret");
                }
                let _ = cb.key().map(|k| k.to_string());
                let _ = cb.extra().count();
                let _ = format!("{:?}", cb.event);
            }
            Err(rejection) => {
                let _ = rejection.to_string();
                assert!(rejection.status().is_client_error());
            }
        }
    }
}
