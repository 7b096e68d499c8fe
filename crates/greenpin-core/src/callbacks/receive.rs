//! Reading a callback request into a typed event.

use std::fmt;

use http::{HeaderMap, Method, StatusCode, Uri, header};
use serde_json::{Map, Value};

use super::{CallCompleted, CallbackSecret, DeallocationEvent};
use crate::phone::{Country, PhoneNumber};
use crate::validation::{ValidationError, ValidationKind};

/// Largest callback body read (64 KiB); a call record is well under 2 KiB.
pub const MAX_CALLBACK_BYTES: usize = 64 * 1024;

/// What a callback was about.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CallbackEvent {
    /// A masked call ended.
    CallCompleted(Box<CallCompleted>),
    /// An allocation was deallocated (expired or deleted).
    Deallocated(DeallocationEvent),
    /// Neither: a kind this version does not know, kept whole in [`Callback::fields`].
    Unknown,
}

impl CallbackEvent {
    /// `call_completed`, `deallocation` or `unknown`.
    pub fn kind(&self) -> &'static str {
        match self {
            CallbackEvent::CallCompleted(_) => "call_completed",
            CallbackEvent::Deallocated(_) => "deallocation",
            CallbackEvent::Unknown => "unknown",
        }
    }
}

/// A key that is the same each time one event is delivered: `call_completed:<call_sid>`,
/// `deallocation:<greenpin_id>`, or `unknown:<call_sid>`. Exotel may deliver a callback
/// more than once; a receiver drops the events whose key it has seen.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventKey(String);

impl EventKey {
    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EventKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How the body was encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Encoding {
    /// `application/json`.
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
}

/// A callback, read.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Callback {
    /// What it was about.
    pub event: CallbackEvent,
    /// Every field as received (form values as strings), the documented ones and any
    /// passthru parameters alike.
    pub fields: Map<String, Value>,
    /// How the body was encoded.
    pub encoding: Encoding,
}

impl Callback {
    /// The key to drop duplicate deliveries by; `None` when the fields that identify the
    /// event (its `call_sid`, or a deallocation's `greenpin_id`) are missing.
    pub fn key(&self) -> Option<EventKey> {
        let text = |name: &str| {
            self.fields
                .get(name)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        };
        let (kind, id) = match &self.event {
            CallbackEvent::CallCompleted(c) => ("call_completed", c.call_sid.as_deref()),
            CallbackEvent::Deallocated(d) => ("deallocation", Some(d.greenpin_id.as_str())),
            CallbackEvent::Unknown => ("unknown", text("call_sid")),
        };
        id.map(|id| EventKey(format!("{kind}:{id}")))
    }

    /// The fields the event's type does not read: passthru parameters and fields newer
    /// than this version. All fields, for an unknown kind.
    pub fn extra(&self) -> impl Iterator<Item = (&str, &Value)> {
        let known: &[&str] = match &self.event {
            CallbackEvent::CallCompleted(_) => CallCompleted::FIELDS,
            CallbackEvent::Deallocated(_) => DeallocationEvent::FIELDS,
            CallbackEvent::Unknown => &[],
        };
        self.fields
            .iter()
            .filter(move |(k, _)| !known.contains(&k.as_str()))
            .map(|(k, v)| (k.as_str(), v))
    }
}

/// Why a callback request was not accepted. Its [`status`](Rejection::status) is what to
/// answer; its message never holds the secret.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// Not a POST.
    #[error("callbacks are POSTed; this request used {0}")]
    Method(Method),
    /// The shared secret was missing or wrong: a forgery, or a URL registered without it.
    #[error("the callback secret is missing or wrong")]
    Secret,
    /// The body is larger than [`MAX_CALLBACK_BYTES`].
    #[error("the body is {0} bytes; a callback is at most {MAX_CALLBACK_BYTES}")]
    TooLarge(usize),
    /// The body cannot be read: the field and what is wrong with it.
    #[error(transparent)]
    Unreadable(ValidationError),
}

impl Rejection {
    /// The HTTP status to answer with: 405, 403, 413 or 400.
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::Method(_) => StatusCode::METHOD_NOT_ALLOWED,
            Rejection::Secret => StatusCode::FORBIDDEN,
            Rejection::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::Unreadable(_) => StatusCode::BAD_REQUEST,
        }
    }
}

/// Reads callbacks, checking the shared secret of the callback URL on every request.
///
/// [`CallbackReceiver::new`] takes the secret: a request without it is refused before its
/// body is read. [`CallbackReceiver::unprotected`] accepts every well-formed request —
/// anyone who learns the URL can then forge call records — and says so where it is
/// called.
///
/// ```
/// # use greenpin_core::callbacks::{CallbackEvent, CallbackReceiver, CallbackSecret, SecretPlacement};
/// let secret = CallbackSecret::generate();
/// let url = secret.url("https://example.com/hook", SecretPlacement::Query)?;
/// let receiver = CallbackReceiver::new(secret);
/// let request = http::Request::post(url.as_str())
///     .header("content-type", "application/json")
///     .body(r#"{"greenpin_id":"g-1","reason":"expired","state":"vault"}"#)?;
/// let callback = receiver.receive_request(&request)?;
/// assert!(matches!(callback.event, CallbackEvent::Deallocated(_)));
/// assert_eq!(callback.key().unwrap().as_str(), "deallocation:g-1");
///
/// let forged = http::Request::post("https://example.com/hook")
///     .header("content-type", "application/json")
///     .body(r#"{"greenpin_id":"g-1","reason":"expired","state":"vault"}"#)?;
/// assert!(receiver.receive_request(&forged).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct CallbackReceiver {
    secret: Option<CallbackSecret>,
    country: Country,
}

impl CallbackReceiver {
    /// A receiver requiring `secret` on every request, reading local numbers as Indian
    /// (`IN`).
    pub fn new(secret: CallbackSecret) -> Self {
        CallbackReceiver {
            secret: Some(secret),
            country: Country::IN,
        }
    }

    /// A receiver that checks no secret: every well-formed request is accepted, so anyone
    /// who learns the URL can forge callbacks. For a receiver behind its own
    /// authentication, or a local test.
    pub fn unprotected() -> Self {
        CallbackReceiver {
            secret: None,
            country: Country::IN,
        }
    }

    /// The country local numbers in callbacks are read in.
    pub fn country(mut self, country: Country) -> Self {
        self.country = country;
        self
    }

    /// Whether a secret is required.
    pub fn is_protected(&self) -> bool {
        self.secret.is_some()
    }

    /// Checks what arrives before a request's body: the method and the secret. A server
    /// calls it before reading the body, so a request without the secret costs nothing
    /// more; [`receive`](Self::receive) checks the same again.
    pub fn check(&self, method: &Method, uri: &Uri, headers: &HeaderMap) -> Result<(), Rejection> {
        if method != Method::POST {
            return Err(Rejection::Method(method.clone()));
        }
        if let Some(secret) = &self.secret
            && !secret.verify(uri, headers)
        {
            return Err(Rejection::Secret);
        }
        Ok(())
    }

    /// Reads a callback request: its method, the URI it was sent to (for the secret), its
    /// headers and body.
    pub fn receive(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Callback, Rejection> {
        self.check(method, uri, headers)?;
        read(headers, body, self.country)
    }

    /// [`receive`](Self::receive) for an [`http::Request`].
    pub fn receive_request<B: AsRef<[u8]>>(
        &self,
        request: &http::Request<B>,
    ) -> Result<Callback, Rejection> {
        self.receive(
            request.method(),
            request.uri(),
            request.headers(),
            request.body().as_ref(),
        )
    }
}

/// Reads a callback request **with no secret check** and numbers read as Indian: the
/// sans-IO entry point, for a receiver that authenticates requests its own way. Prefer
/// [`CallbackReceiver::new`], which checks the callback URL's secret.
///
/// ```
/// # use greenpin_core::callbacks::{CallbackEvent, read_callback_unverified};
/// let headers = http::HeaderMap::new();
/// let cb = read_callback_unverified(&http::Method::POST, &headers,
///     b"transation_id=order-7&call_sid=c-9&call_type=call-attempt&dial_call_duration=0").unwrap();
/// let CallbackEvent::CallCompleted(call) = cb.event else { panic!() };
/// assert_eq!(call.transaction_id.unwrap().as_str(), "order-7");
/// ```
pub fn read_callback_unverified(
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Callback, Rejection> {
    CallbackReceiver::unprotected().receive(method, &Uri::from_static("/"), headers, body)
}

fn unreadable(field: &str, problem: impl Into<String>) -> Rejection {
    Rejection::Unreadable(ValidationError::new(
        field,
        ValidationKind::Invalid,
        problem.into(),
    ))
}

fn read(headers: &HeaderMap, body: &[u8], country: Country) -> Result<Callback, Rejection> {
    if body.len() > MAX_CALLBACK_BYTES {
        return Err(Rejection::TooLarge(body.len()));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    // The declared type decides; without one, a body starting with `{` is JSON.
    let json = if content_type.contains("json") {
        true
    } else if content_type.contains("x-www-form-urlencoded") {
        false
    } else if content_type.is_empty() || content_type.starts_with("text/plain") {
        first == Some(&b'{')
    } else {
        return Err(unreadable(
            "content-type",
            format!("{content_type:?} is neither JSON nor a form"),
        ));
    };
    let (fields, encoding) = if json {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => (map, Encoding::Json),
            Ok(_) => return Err(unreadable("body", "expected a JSON object")),
            Err(e) => return Err(unreadable("body", format!("is not well-formed JSON ({e})"))),
        }
    } else {
        if std::str::from_utf8(body).is_err() {
            return Err(unreadable("body", "is not UTF-8 text"));
        }
        let mut map = Map::new();
        for (k, v) in form_urlencoded::parse(body) {
            // A repeated field keeps its first value, as most form readers do.
            map.entry(k.into_owned())
                .or_insert_with(|| Value::String(v.into_owned()));
        }
        (map, Encoding::Form)
    };
    let has = |name: &str| fields.contains_key(name);
    let hinted = headers
        .get("x-greenpin-event")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let event = if hinted == "call_completed"
        || (hinted.is_empty()
            && has("call_sid")
            && ["call_type", "dial_call_status", "greenpin_id", "vn", "from"]
                .iter()
                .any(|f| has(f)))
    {
        let mut call: CallCompleted = typed(&fields)?;
        for n in [&mut call.from, &mut call.to, &mut call.vn]
            .into_iter()
            .flatten()
        {
            // Numbers the SDK can read are normalised (`09876543210` → `+919876543210`);
            // masked or unusual ones are kept as sent.
            if let Ok(parsed) = PhoneNumber::parse(n.as_str(), country) {
                *n = parsed;
            }
        }
        CallbackEvent::CallCompleted(Box::new(call))
    } else if hinted == "deallocation"
        || (hinted.is_empty() && has("greenpin_id") && (has("reason") || has("state")))
    {
        CallbackEvent::Deallocated(typed(&fields)?)
    } else {
        CallbackEvent::Unknown
    };
    Ok(Callback {
        event,
        fields,
        encoding,
    })
}

/// The fields as `T`, a field that cannot be read named by its path.
fn typed<T: serde::de::DeserializeOwned>(fields: &Map<String, Value>) -> Result<T, Rejection> {
    // Empty form values mean "not given" (`recording_url=` on an unrecorded call).
    let cleaned: Map<String, Value> = fields
        .iter()
        .filter(|(_, v)| v.as_str() != Some(""))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    serde_path_to_error::deserialize(Value::Object(cleaned)).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let field = if path == "." || path.is_empty() {
            // A missing field: serde names it in the message.
            inner.split('`').nth(1).unwrap_or("body").to_owned()
        } else {
            path
        };
        unreadable(&field, inner)
    })
}

#[cfg(test)]
mod tests;
