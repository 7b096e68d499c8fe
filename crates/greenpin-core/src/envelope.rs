//! The response envelope every GreenPin answer comes in, and the one function that turns
//! an HTTP answer into data or an [`Error`].

use std::time::{Duration, SystemTime};

use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, DecodeError, Error, snippet};
use crate::error_code::ErrorCode;

const SNIPPET_CHARS: usize = 200;

/// Named once: looked up by a `&str`, the name is parsed again on every answer.
const X_REQUEST_ID: http::HeaderName = http::HeaderName::from_static("x-request-id");

/// `{"request_id"?, "method"?, "success", "status", "code", "message", "data"}`.
///
/// ```
/// # use greenpin_core::wire::Envelope;
/// let e: Envelope<serde_json::Value> = serde_json::from_str(
///     r#"{"success":false,"status":409,"code":18,"message":"Allocation exists for this connection id.","data":null}"#,
/// ).unwrap();
/// assert_eq!(e.code.unwrap().code(), 18);
/// assert!(e.request_id.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(bound(deserialize = "T: serde::Deserialize<'de>"))]
#[cfg_attr(feature = "schema", schemars(rename = "{T}Envelope"))]
#[non_exhaustive]
#[cfg(feature = "unstable-wire")]
pub struct Envelope<T> {
    /// The call's id, for support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The HTTP method, echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Whether the call succeeded.
    pub success: bool,
    /// The HTTP status, echoed.
    pub status: u16,
    /// The error code, or null.
    #[serde(default)]
    pub code: Option<ErrorCode>,
    /// The error message, or null.
    #[serde(default)]
    pub message: Option<String>,
    /// The payload, or null.
    #[serde(default)]
    pub data: Option<T>,
}

#[cfg(feature = "unstable-wire")]
impl<T> Envelope<T> {
    /// A success envelope around `data`.
    pub fn success(status: u16, data: T) -> Self {
        Envelope {
            request_id: None,
            method: None,
            success: true,
            status,
            code: None,
            message: None,
            data: Some(data),
        }
    }

    /// An error envelope.
    pub fn error(status: u16, code: ErrorCode, message: impl Into<String>) -> Self {
        Envelope {
            request_id: None,
            method: None,
            success: false,
            status,
            code: Some(code),
            message: Some(message.into()),
            data: None,
        }
    }
}

/// The envelope as every answer is read: the data boxed (an allocation is about 300 bytes,
/// and serde moves a value through each layer it is built in, which cost an update more
/// time than the box does; docs/BENCHMARKS.md), and without the echoed `method`, which
/// nothing reads: whatever it holds, a success gives its data and a refusal its code,
/// message and request id (docs/DECISIONS.md).
#[derive(Deserialize)]
#[serde(bound(deserialize = "T: serde::Deserialize<'de>"))]
struct Answer<T> {
    #[serde(default)]
    request_id: Option<String>,
    success: bool,
    /// Required, as the API documents it; the HTTP status is the one used.
    #[serde(rename = "status")]
    _status: u16,
    #[serde(default)]
    code: Option<ErrorCode>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    data: Option<Box<T>>,
}

/// Successful data and the id the service gave the call.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Reply<T> {
    /// The payload.
    pub data: T,
    /// The envelope's `request_id`.
    pub request_id: Option<String>,
    /// The HTTP status.
    pub status: StatusCode,
}

/// Reads an answer: 2xx with `"success": true` gives the data; anything else an error —
/// the API's own when the body is an envelope, a plain status error otherwise.
/// `require_data` refuses a success whose `data` is null.
/// The data comes boxed ([`Answer`]).
pub(crate) fn read<T: DeserializeOwned>(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Reply<Option<Box<T>>>, Error> {
    let retry_after = headers
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, SystemTime::now()));
    let header_request_id = headers
        .get(X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);

    if status.is_redirection() {
        // Redirects are never followed: credentials and bodies go to the configured root
        // only. Say where it pointed (its origin alone: a path or query may carry data).
        let mut err = ApiError::new(status);
        err.request_id = header_request_id;
        let origin = headers
            .get(http::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<http::Uri>().ok())
            .and_then(|u| Some(format!("{}://{}", u.scheme_str()?, u.authority()?)));
        err.message = Some(match origin {
            Some(o) => format!("redirect to {o} not followed; check the base URL"),
            None => "redirect not followed; check the base URL".to_owned(),
        });
        return Err(err.into());
    }
    if !status.is_success() {
        let mut err = ApiError::new(status);
        err.retry_after = retry_after;
        err.request_id = header_request_id;
        match serde_json::from_slice::<Answer<serde::de::IgnoredAny>>(body) {
            Ok(env) => {
                err.code = env.code;
                err.request_id = env.request_id.or(err.request_id);
                err = err.with_message(env.message);
            }
            Err(_) => err.body_snippet = Some(snippet(body, SNIPPET_CHARS)),
        }
        return Err(err.into());
    }

    let env: Answer<T> = serde_json::from_slice(body).map_err(|e| {
        // Try to keep the request id even when the data did not parse.
        let request_id = serde_json::from_slice::<Answer<serde::de::IgnoredAny>>(body)
            .ok()
            .and_then(|e| e.request_id)
            .or_else(|| header_request_id.clone());
        Error::Decode(DecodeError {
            status,
            reason: e.to_string(),
            body_snippet: snippet(body, SNIPPET_CHARS),
            request_id,
        })
    })?;
    let request_id = env.request_id.or(header_request_id);
    if !env.success {
        let mut err = ApiError::new(status).with_message(env.message);
        err.code = env.code;
        err.request_id = request_id;
        err.retry_after = retry_after;
        return Err(err.into());
    }
    Ok(Reply {
        data: env.data,
        request_id,
        status,
    })
}

/// Like [`read`], for an operation's output: a null or absent `data` is read as `T` from
/// JSON null — `None` for an optional output (a delete), a decode error otherwise.
pub(crate) fn read_reply<T: DeserializeOwned>(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Reply<T>, Error> {
    let reply = read::<T>(status, headers, body)?;
    let data = match reply.data {
        Some(data) => *data,
        None => serde_json::from_value(serde_json::Value::Null).map_err(|_| {
            Error::Decode(DecodeError {
                status,
                reason: "success without data".to_owned(),
                body_snippet: snippet(body, SNIPPET_CHARS),
                request_id: reply.request_id.clone(),
            })
        })?,
    };
    Ok(Reply {
        data,
        request_id: reply.request_id,
        status: reply.status,
    })
}

/// Reads a `Retry-After` value: delta-seconds, or an HTTP date (relative to `now`).
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc2822).ok()?;
    let at = SystemTime::from(at);
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod retry_after_tests {
    use std::time::{Duration, SystemTime};

    use super::parse_retry_after;

    #[test]
    fn retry_after_reads_seconds_and_refuses_words() {
        assert_eq!(
            parse_retry_after("1", SystemTime::now()),
            Some(Duration::from_secs(1))
        );
        assert_eq!(parse_retry_after("soon", SystemTime::now()), None);
    }
}
