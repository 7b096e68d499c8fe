//! An API failure: an HTTP status, a GreenPin error code and a message naming the field.
//! Every refusal the emulator makes is one of these, answered in the API's own envelope.

use greenpin_core::{ErrorCode, ValidationError};
use http::StatusCode;

/// A refusal, answered as `{"success": false, "status", "code", "message", "data": null}`,
/// and the error of the emulator's own methods (a bad clock step, fault or call).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Failure {
    pub(crate) status: StatusCode,
    pub(crate) code: ErrorCode,
    pub(crate) message: String,
}

impl Failure {
    /// The HTTP status it is answered with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The GreenPin error code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The reason, naming the field when there is one.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// A failure with `code`'s documented HTTP status.
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
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
    pub(crate) fn with_status(
        status: StatusCode,
        code: ErrorCode,
        message: impl Into<String>,
    ) -> Self {
        Failure {
            status,
            code,
            message: message.into(),
        }
    }

    /// Unknown allocation (404, code 1).
    pub(crate) fn not_found(id: &str) -> Self {
        Failure::new(
            ErrorCode::NotFound,
            format!("no GreenPin allocation {id:?}"),
        )
    }

    /// Bad or missing parameters (400, code 5).
    pub(crate) fn bad(message: impl Into<String>) -> Self {
        Failure::new(ErrorCode::BadParameters, message)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "GreenPin emulator answered {}, code {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

/// So a test returning `Result<(), Box<dyn Error>>` can use `?` on the emulator's calls.
impl std::error::Error for Failure {}

impl From<ValidationError> for Failure {
    fn from(e: ValidationError) -> Self {
        Failure::new(e.kind().error_code(), e.to_string())
    }
}

/// Reads a control's JSON body into `T`, naming the field of a type error; the API's
/// bodies are read by greenpin-core (`greenpin_core::wire::from_json`), and so is this.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Failure> {
    Ok(greenpin_core::wire::from_json(body)?)
}
