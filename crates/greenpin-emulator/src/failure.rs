//! An API failure: an HTTP status, a GreenPin error code and a message naming the field.
//! Every refusal the emulator makes is one of these, answered in the API's own envelope.

use greenpin_core::{ErrorCode, ValidationError};
use http::StatusCode;

/// A refusal, answered as `{"success": false, "status", "code", "message", "data": null}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// HTTP status.
    pub status: StatusCode,
    /// GreenPin code.
    pub code: ErrorCode,
    /// Human-readable reason, naming the field when there is one.
    pub message: String,
}

impl Failure {
    /// A failure with `code`'s documented HTTP status.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        let status = code
            .http_status()
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::BAD_REQUEST);
        Failure {
            status,
            code,
            message: message.into(),
        }
    }

    /// A failure with an explicit status.
    pub fn with_status(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Failure {
            status,
            code,
            message: message.into(),
        }
    }

    /// Unknown allocation (404, code 1).
    pub fn not_found(id: &str) -> Self {
        Failure::new(
            ErrorCode::NotFound,
            format!("no GreenPin allocation {id:?}"),
        )
    }

    /// Bad or missing parameters (400, code 5).
    pub fn bad(message: impl Into<String>) -> Self {
        Failure::new(ErrorCode::BadParameters, message)
    }
}

impl From<ValidationError> for Failure {
    fn from(e: ValidationError) -> Self {
        Failure::new(e.kind().error_code(), e.to_string())
    }
}

/// Reads a JSON body into `T`, naming the field of a type error (`a.pin_length: …`).
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Failure> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Failure::new(
            ErrorCode::MandatoryParametersMissing,
            "the request body is empty; a JSON object is required",
        ));
    }
    // Derived structs also read JSON arrays (as tuples); the API takes objects only.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(
            if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok() {
                Failure::bad("body: expected a JSON object")
            } else {
                Failure::bad("malformed JSON: the body is not a JSON object")
            },
        );
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            Failure::bad(format!("malformed JSON: {inner}"))
        } else if path == "." {
            Failure::bad(format!("body: {inner}"))
        } else {
            Failure::bad(format!("{path}: {inner}"))
        }
    })
}

/// Reads a JSON value into `T`, naming fields under `prefix`.
pub(crate) fn from_value<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
    prefix: &str,
) -> Result<T, Failure> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." {
            prefix.to_owned()
        } else {
            format!("{prefix}.{path}")
        };
        Failure::bad(format!("{field}: {}", e.into_inner()))
    })
}
