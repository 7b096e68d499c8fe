//! The one error type of the SDK. Both transports return it; callers ask it questions
//! (`status()`, `code()`, `request_id()`, `is_retryable()`, `is_timeout()`,
//! `may_have_been_sent()`) instead of matching a soup of variants.

use std::fmt;
use std::time::Duration;

use http::StatusCode;

use crate::error_code::ErrorCode;
use crate::ids::IdError;
use crate::outcome::Outcome;
pub use crate::outcome::TransportErrorKind;
use crate::retry::is_transient;
use crate::validation::ValidationError;

mod api;

pub use api::{ApiError, MAX_QUOTED_MESSAGE_CHARS, cut_message};

/// Anything that can go wrong with a GreenPin call.
///
/// Match on the kind, or ask the predicates. Every message is one line of the SDK's own
/// words; an underlying cause (an I/O error, say) is reachable through
/// [`source()`](std::error::Error::source) only, so error reporters never print it twice.
///
/// ```
/// # use greenpin_core::{Error, GreenPinId};
///
/// fn id(text: &str) -> Result<GreenPinId, Error> {
///     Ok(GreenPinId::new(text)?) // an id error is a validation error of `greenpin_id`
/// }
/// match id("a/b") {
///     Err(Error::Validation(e)) => assert_eq!(e.field(), "greenpin_id"),
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client is configured wrongly (a missing credential, a bad base URL, an absurd
    /// timeout). Nothing was sent.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The request was refused before it was sent: the message names the field.
    #[error(transparent)]
    Validation(ValidationError),
    /// A number this client cannot check, refused before anything was sent. Not the
    /// caller's bad input: the number may well be valid, but the client was built without
    /// the `international-numbers` feature (see
    /// [`ClientBuilder::international_numbers`](crate::client::ClientBuilder::international_numbers)).
    /// The error names the field; its kind is [`ValidationKind::UncheckedNumber`](crate::ValidationKind::UncheckedNumber).
    #[error(transparent)]
    Unchecked(ValidationError),
    /// The service answered with an error (boxed: an error answer carries text, and the
    /// `Ok` path should not pay for its size).
    #[error(transparent)]
    Api(Box<ApiError>),
    /// The service answered, but not with anything we could read.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// No answer: connecting, sending or receiving failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
}

/// A refusal of a number this build cannot check becomes [`Error::Unchecked`]; every other
/// refusal [`Error::Validation`].
impl From<ValidationError> for Error {
    fn from(e: ValidationError) -> Self {
        if e.kind() == crate::ValidationKind::UncheckedNumber {
            Error::Unchecked(e)
        } else {
            Error::Validation(e)
        }
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(Box::new(e))
    }
}

impl From<IdError> for Error {
    fn from(e: IdError) -> Self {
        Error::Validation(e.into())
    }
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

    /// What this error says about the attempt, as far as retrying cares; `None` for errors
    /// no retry can help (configuration, validation, decoding).
    pub fn outcome(&self) -> Option<Outcome> {
        match self {
            Error::Api(e) => Some(Outcome::Status {
                status: e.status,
                retry_after: e.retry_after,
            }),
            Error::Transport(e) => Some(Outcome::Transport {
                kind: e.kind,
                may_have_been_sent: e.may_have_been_sent,
            }),
            _ => None,
        }
    }

    /// Whether the same request may succeed if tried again: [`crate::retry::is_transient`]
    /// of what happened (429, 502, 503, 504, a timeout, a broken connection).
    ///
    /// It says nothing about whether trying again is *safe*. A create is not idempotent:
    /// a create's 503 or timeout is retryable here, yet sending it again may make a second
    /// allocation if the first landed — see [`Error::outcome_unknown`]. The clients' own
    /// retries ask both questions.
    pub fn is_retryable(&self) -> bool {
        self.outcome().is_some_and(|o| is_transient(&o))
    }

    /// Which of the client's time limits fired, for a timeout of the client's.
    pub fn timeout(&self) -> Option<TimeoutKind> {
        match self {
            Error::Transport(e) => e.timeout,
            _ => None,
        }
    }

    /// Whether this is a timeout: connecting, an attempt, the whole call
    /// ([`Error::timeout`] says which), or the service's own (504, 499).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Transport(e) if e.kind == TransportErrorKind::Timeout)
            || matches!(self, Error::Api(e) if e.status == StatusCode::GATEWAY_TIMEOUT || e.status.as_u16() == 499)
    }

    /// Whether the request may have reached the service. True for every answer, including
    /// definitive refusals (a 400 reached it and changed nothing); for whether it may have
    /// *taken effect* without your learning so, ask [`Error::outcome_unknown`].
    pub fn may_have_been_sent(&self) -> bool {
        match self {
            Error::Config(_) | Error::Validation(_) | Error::Unchecked(_) => false,
            Error::Api(_) | Error::Decode(_) => true,
            Error::Transport(e) => e.may_have_been_sent,
        }
    }

    /// Whether the request may have taken effect although you were not told so: it may
    /// have been sent and no definitive answer came back — a timeout or broken connection
    /// after sending, a 5xx (the service, or something before it, failed part-way), or an
    /// answer that could not be read. A 4xx is definitive (nothing changed), and so is an
    /// error before sending.
    ///
    /// For an update, a delete or a settings change this only means "send it again": they
    /// are idempotent, and the clients already retried what they could. For a create it
    /// means the allocation may exist. A create is never retried once it may have left
    /// (a second one would be a second allocation), and GreenPin can neither look an
    /// allocation up by `transaction_id` nor says its `greenpin_id` in a refusal.
    ///
    /// # Recovering a create whose outcome is unknown
    ///
    /// Send the same create again, with the same `transaction_id`, and read the answer:
    ///
    /// | answer | what it means | what to do |
    /// |---|---|---|
    /// | success | the first never landed, or it landed and has already ended (a `transaction_id` is free again once its allocation is deallocated) | use this allocation |
    /// | [`ErrorCode::AllocationExists`] (409, 18) | the first landed and is live; its id is unknown to you | serve the order from another VN with a new `transaction_id`; the orphan ends by its own deallocation policy |
    /// | [`ErrorCode::PinClash`] (19) or [`ErrorCode::AllNumbersDuplicate`] (13) | a live or cooling-off allocation (the first, ended, in its vault period; or another) holds these numbers or this PIN on the VN | serve the order from another VN with a new `transaction_id` |
    /// | another unknown outcome | nothing learnt | try again later |
    ///
    /// An orphan's id can still reach you: a call through it ends in a call-completed
    /// callback carrying `greenpin_id` and `transaction_id` (Exotel documents that one), so
    /// keep callbacks and match them by `transaction_id`. Do not count on a deallocation
    /// callback: Exotel does not document one (the emulator sends one), so an orphan nobody
    /// calls may never tell you its id. Creating with a short deallocation policy and
    /// lengthening it with an update once the id is known bounds how long an orphan lives.
    ///
    /// ```no_run
    /// # use greenpin_core::{CreateSpec, Error, ErrorCode};
    /// # fn create(spec: &CreateSpec) -> Result<greenpin_core::Allocation, Error> { unimplemented!() }
    /// # fn serve_elsewhere(spec: &CreateSpec) {}
    /// # let spec = CreateSpec::new("order-42");
    /// match create(&spec) {
    ///     Ok(allocation) => { /* use it */ }
    ///     Err(e) if e.outcome_unknown() => match create(&spec) {
    ///         Ok(allocation) => { /* the first never landed, or has already ended */ }
    ///         Err(e) if matches!(
    ///             e.code(),
    ///             Some(ErrorCode::AllocationExists | ErrorCode::PinClash | ErrorCode::AllNumbersDuplicate)
    ///         ) => serve_elsewhere(&spec),
    ///         Err(e) => return Err(e),
    ///     },
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok::<(), Error>(())
    /// ```
    pub fn outcome_unknown(&self) -> bool {
        match self {
            Error::Config(_) | Error::Validation(_) | Error::Unchecked(_) => false,
            Error::Api(e) => status_outcome_unknown(e.status.as_u16()),
            Error::Decode(_) => true,
            Error::Transport(e) => e.may_have_been_sent,
        }
    }
}

/// Whether an answer of `status` leaves the request's effect unknown: a 5xx (the service,
/// or something before it, failed part-way) or 499 (the service gave up waiting). The one
/// rule, for a whole request and for a bulk item's own result.
pub(crate) fn status_outcome_unknown(status: u16) -> bool {
    (500..600).contains(&status) || status == 499
}

/// A client configuration that cannot work, naming the setting.
///
/// ```
/// # use greenpin_core::ConfigError;
/// let e = ConfigError::new("timeout", "must be more than zero");
/// assert_eq!(e.to_string(), "invalid client configuration: timeout: must be more than zero");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid client configuration: {setting}: {problem}")]
pub struct ConfigError {
    setting: String,
    problem: String,
}

impl ConfigError {
    /// A refusal of `setting` for `problem`.
    pub fn new(setting: impl Into<String>, problem: impl Into<String>) -> Self {
        ConfigError {
            setting: setting.into(),
            problem: problem.into(),
        }
    }

    /// The setting: `account_sid`, `api_key`, `base_url`, `timeout`, …
    pub fn setting(&self) -> &str {
        &self.setting
    }

    /// What is wrong, without the setting.
    pub fn problem(&self) -> &str {
        &self.problem
    }
}

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

impl TransportErrorKind {
    fn summary(self) -> &'static str {
        match self {
            TransportErrorKind::Connect => "could not connect to GreenPin",
            TransportErrorKind::Tls => {
                "could not establish a secure connection to GreenPin (its certificate was not trusted, or TLS could not be agreed); nothing was sent"
            }
            TransportErrorKind::Timeout => "GreenPin did not answer in time",
            TransportErrorKind::Io => "the connection to GreenPin broke",
            TransportErrorKind::ResponseTooLarge => {
                "GreenPin's answer is larger than the client's max_response_bytes"
            }
            TransportErrorKind::Other => "could not exchange a request with GreenPin",
        }
    }
}

/// Which time limit a timeout ran into, with its value: a message that says "timed out"
/// cannot tell a slow service from a too-tight setting.
///
/// ```
/// use std::time::Duration;
/// # use greenpin_core::TimeoutKind;
/// assert_eq!(
///     TimeoutKind::Attempt(Duration::from_secs(30)).to_string(),
///     "no answer within the attempt timeout (30s)"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// Connecting took longer than the connect timeout (`connect_timeout`, 5 s by default).
    /// Nothing was sent.
    Connect(Duration),
    /// One attempt took longer than the attempt timeout (`attempt_timeout`, 30 s).
    Attempt(Duration),
    /// The whole call — attempts, backoff and `Retry-After` waits together — reached its
    /// deadline (`timeout`, 60 s); the last attempt was cut short by it.
    Call(Duration),
}

impl TimeoutKind {
    /// The limit's value.
    pub fn limit(&self) -> Duration {
        match *self {
            TimeoutKind::Connect(d) | TimeoutKind::Attempt(d) | TimeoutKind::Call(d) => d,
        }
    }
}

impl fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (what, limit) = match self {
            TimeoutKind::Connect(d) => ("could not connect within the connect timeout", d),
            TimeoutKind::Attempt(d) => ("no answer within the attempt timeout", d),
            TimeoutKind::Call(d) => ("the call's whole timeout passed", d),
        };
        write!(f, "{what} ({})", humantime::format_duration(*limit))
    }
}

/// A failure below HTTP. Its message is the same on every transport (it depends on the
/// kind, and for a timeout on which limit fired); the HTTP client's own error is the
/// [`source`](std::error::Error::source).
///
/// ```
/// # use greenpin_core::{TransportError, TransportErrorKind};
/// let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
/// let e = TransportError::new(TransportErrorKind::Connect, false).with_source(io);
/// assert_eq!(e.to_string(), "could not connect to GreenPin");
/// assert_eq!(std::error::Error::source(&e).unwrap().to_string(), "refused");
/// ```
#[derive(Debug, thiserror::Error)]
#[error("{}{}", kind.summary(), timeout.map(|t| format!(": {t}")).unwrap_or_default())]
#[non_exhaustive]
pub struct TransportError {
    /// What kind.
    pub kind: TransportErrorKind,
    /// Whether the request may have reached the service.
    pub may_have_been_sent: bool,
    /// For a timeout, which limit fired (filled in by the client's call loop).
    pub timeout: Option<TimeoutKind>,
    /// The HTTP client's own error, when there is one.
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl TransportError {
    /// A transport failure of `kind`.
    pub fn new(kind: TransportErrorKind, may_have_been_sent: bool) -> Self {
        TransportError {
            kind,
            may_have_been_sent,
            timeout: None,
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
