//! The one error type of the SDK. Both transports return it; callers ask it questions
//! (`status()`, `code()`, `request_id()`, `is_retryable()`, `is_timeout()`,
//! `may_have_been_sent()`) instead of matching a soup of variants.

use std::fmt;
use std::time::Duration;

use http::StatusCode;

use crate::error_code::ErrorCode;
use crate::validation::ValidationError;

/// Anything that can go wrong with a GreenPin call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request was refused before it was sent.
    #[error("invalid request: {0}")]
    Validation(#[from] ValidationError),
    /// The service answered with an error.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The service answered, but not with anything we could read.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// No answer: connecting, sending or receiving failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
}

impl Error {
    /// The HTTP status, when the service answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::Decode(e) => Some(e.status),
            _ => None,
        }
    }

    /// The API error code, when the answer carried one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Error::Api(e) => e.code,
            _ => None,
        }
    }

    /// The service's request id, when the answer carried one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.request_id.as_deref(),
            Error::Decode(e) => e.request_id.as_deref(),
            _ => None,
        }
    }

    /// Whether the same request may succeed if tried again (the retry policy also asks
    /// whether it is *safe* to: see [`crate::retry`]).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Validation(_) | Error::Decode(_) => false,
            Error::Api(e) => crate::retry::is_retryable_status(e.status),
            Error::Transport(e) => matches!(
                e.kind,
                TransportErrorKind::Connect | TransportErrorKind::Timeout | TransportErrorKind::Io
            ),
        }
    }

    /// Whether this is a timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Transport(e) if e.kind == TransportErrorKind::Timeout)
            || matches!(self, Error::Api(e) if e.status == StatusCode::GATEWAY_TIMEOUT || e.status.as_u16() == 499)
    }

    /// Whether the request may have reached the service (and so may have taken effect).
    pub fn may_have_been_sent(&self) -> bool {
        match self {
            Error::Validation(_) => false,
            Error::Api(_) | Error::Decode(_) => true,
            Error::Transport(e) => e.may_have_been_sent,
        }
    }
}

/// An error answer from the service: a non-2xx status, or `"success": false`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// The envelope's `code`, when there was an envelope with one.
    pub code: Option<ErrorCode>,
    /// The envelope's `message`.
    pub message: Option<String>,
    /// The envelope's `request_id`.
    pub request_id: Option<String>,
    /// The `Retry-After` header, when present and readable.
    pub retry_after: Option<Duration>,
    /// The start of the body, when it was not an envelope (an HTML error page, say).
    pub body_snippet: Option<String>,
}

impl ApiError {
    /// An error of `status` with nothing else known.
    pub fn new(status: StatusCode) -> Self {
        ApiError {
            status,
            code: None,
            message: None,
            request_id: None,
            retry_after: None,
            body_snippet: None,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GreenPin answered {}", self.status.as_u16())?;
        if let Some(code) = self.code {
            write!(f, ", code {code}")?;
        }
        if let Some(m) = &self.message {
            write!(f, ": {m}")?;
        } else if let Some(s) = &self.body_snippet {
            write!(f, ": {s:?}")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request_id {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// An answer that could not be read: not JSON, truncated, or not the expected shape.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeError {
    /// HTTP status of the answer.
    pub status: StatusCode,
    /// What was wrong.
    pub reason: String,
    /// The start of the body.
    pub body_snippet: String,
    /// The request id, when it could be read.
    pub request_id: Option<String>,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "could not read GreenPin's {} answer: {}; body starts {:?}",
            self.status.as_u16(),
            self.reason,
            self.body_snippet
        )
    }
}

impl std::error::Error for DecodeError {}

/// What kind of transport failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// Could not connect (refused, DNS, TLS handshake). The request never left.
    Connect,
    /// Timed out.
    Timeout,
    /// The connection broke while sending or receiving.
    Io,
    /// Anything else.
    Other,
}

/// A failure below HTTP: the transports fill this in from their client's error.
#[derive(Debug, thiserror::Error)]
#[error("{kind:?} error talking to GreenPin: {message}")]
#[non_exhaustive]
pub struct TransportError {
    /// What kind.
    pub kind: TransportErrorKind,
    /// Whether the request may have reached the service.
    pub may_have_been_sent: bool,
    /// A description (never containing credentials: they travel in a header only).
    pub message: String,
    /// The underlying error.
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl TransportError {
    /// A transport error.
    pub fn new(
        kind: TransportErrorKind,
        may_have_been_sent: bool,
        message: impl Into<String>,
    ) -> Self {
        TransportError {
            kind,
            may_have_been_sent,
            message: message.into(),
            source: None,
        }
    }

    /// Attaches the underlying error.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }
}

/// The first `max` characters of a body, lossily decoded, for error messages.
pub(crate) fn snippet(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(max * 4)]);
    let mut s: String = text.chars().take(max).collect();
    if text.chars().count() > max || body.len() > max * 4 {
        s.push('…');
    }
    s
}
