//! Answers in the API's envelope: `{"success", "status", "code", "message", "data",
//! "request_id", "method"}`, for the API, the controls and the faults alike.

use axum::body::Body;
use greenpin_core::ErrorCode;
use greenpin_core::wire::Envelope;
use http::{HeaderValue, Response, StatusCode, header};

use crate::failure::Failure;
use crate::state::Shared;

/// An envelope answer.
#[expect(
    clippy::expect_used,
    reason = "a status code and a static header always build a response"
)]
pub(crate) fn envelope<T: serde::Serialize>(
    status: StatusCode,
    method: &str,
    request_id: String,
    result: Result<T, Failure>,
) -> Response<Body> {
    let (status, env) = match result {
        Ok(data) => {
            let mut e = Envelope::success(status.as_u16(), data);
            e.request_id = Some(request_id);
            e.method = Some(method.to_owned());
            (status, serde_json::to_vec(&e))
        }
        Err(f) => {
            let mut e = Envelope::<()>::error(f.status.as_u16(), f.code, f.message);
            e.request_id = Some(request_id);
            e.method = Some(method.to_owned());
            (f.status, serde_json::to_vec(&e))
        }
    };
    let body = env.unwrap_or_else(|_| b"{\"success\":false,\"status\":500,\"code\":0,\"message\":\"serialisation failed\",\"data\":null}".to_vec());
    Response::builder()
        .status(status)
        .header(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )
        .body(Body::from(body))
        .expect("static parts")
}

/// A refusal in the envelope, with a fresh request id.
pub(crate) fn refusal(shared: &Shared, method: &str, f: Failure) -> Response<Body> {
    envelope::<()>(f.status, method, shared.request_id(), Err(f))
}

/// The answer of a `status` fault: the envelope of that status (with the documented code
/// it comes with), or the body the fault gives.
pub(crate) fn fault_response(
    shared: &Shared,
    method: &str,
    status: u16,
    retry_after: &Option<String>,
    body: &Option<String>,
    content_type: &Option<String>,
) -> Response<Body> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = match body {
        None => {
            let code = greenpin_core::ERROR_CODES
                .iter()
                .find(|c| c.http_status == status.as_u16())
                .map(|c| c.variant)
                .unwrap_or(ErrorCode::Internal);
            let reason = status.canonical_reason().unwrap_or("injected fault");
            refusal(shared, method, Failure::with_status(status, code, reason))
        }
        Some(text) => {
            let ct = content_type.clone().unwrap_or_else(|| {
                if text.trim_start().starts_with('<') {
                    "text/html"
                } else {
                    "application/json"
                }
                .to_owned()
            });
            let mut r = Response::new(Body::from(text.clone()));
            *r.status_mut() = status;
            if let Ok(v) = HeaderValue::from_str(&ct) {
                r.headers_mut().insert(header::CONTENT_TYPE, v);
            }
            r
        }
    };
    if let Some(v) = retry_after
        .as_deref()
        .and_then(|v| HeaderValue::from_str(v).ok())
    {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}
