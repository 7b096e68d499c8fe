//! The service's refusal: [`ApiError`], with the message it quoted cut to one line by the
//! one function that bounds a service's text ([`cut_message`]).

use std::fmt;
use std::time::Duration;

use http::StatusCode;

use crate::error_code::ErrorCode;

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
    /// The request field the refusal is about, when the message names one the way the
    /// SDK's own refusals do (`a.numbers[0]: …`) and it is a field of a GreenPin body:
    /// map it to your own form's field.
    pub field: Option<String>,
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
            field: None,
        }
    }

    /// Sets the message, and the field it names, if any (see [`ApiError::field`]).
    pub(crate) fn with_message(mut self, message: Option<String>) -> Self {
        self.field = message.as_deref().and_then(field_named);
        self.message = message;
        self
    }
}

/// The fields a GreenPin request body can hold at its top level (a party's fields sit
/// under `a` and `b`, an item's under `greenpins[i]`).
const BODY_FIELDS: &[&str] = &[
    "transaction_id",
    "greenpin_id",
    "a",
    "b",
    "usage",
    "deallocation_policy",
    "greenpins",
];

/// The field a message starts with, `path: problem`, when the path is a GreenPin body's:
/// a top-level field (or setting) followed by `.name` and `[index]` steps only.
fn field_named(message: &str) -> Option<String> {
    let (path, _) = message.split_once(": ")?;
    let root = path.split(['.', '[']).next()?;
    let known = BODY_FIELDS.contains(&root) || crate::Settings::FIELDS.contains(&root);
    let shaped = path
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.[]".contains(&b));
    (known && shaped && path.len() <= 64).then(|| path.to_owned())
}

/// The most of a message from the service that the SDK's own text quotes: a service can
/// answer with a megabyte of message, and an error's `Display` ends up in logs and on
/// terminals. The whole message stays in [`ApiError::message`].
pub const MAX_QUOTED_MESSAGE_CHARS: usize = 240;

/// `text`, cut to [`MAX_QUOTED_MESSAGE_CHARS`] characters, saying how much was left out:
/// the one function that bounds a service's text wherever the SDK (or the `greenpin`
/// command) quotes it.
///
/// ```
/// let long = "x".repeat(1_000_000);
/// let cut = greenpin_core::cut_message(&long);
/// assert!(cut.chars().count() < 300);
/// assert!(cut.ends_with("… (999760 more characters)"));
/// assert_eq!(greenpin_core::cut_message("short"), "short");
/// ```
pub fn cut_message(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(MAX_QUOTED_MESSAGE_CHARS) {
        None => std::borrow::Cow::Borrowed(text),
        Some((at, _)) => {
            let more = text[at..].chars().count();
            std::borrow::Cow::Owned(format!("{}… ({more} more characters)", &text[..at]))
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
            write!(f, ": {}", cut_message(m))?;
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
