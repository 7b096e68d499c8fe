//! Receiving GreenPin's callbacks: the only way call records reach a business.
//!
//! GreenPin has no call-record endpoint. What happened on a masked call reaches the
//! account as a POST to its `greenpin_call_complete_event_endpoint`, and so do
//! deallocations. This module reads those requests, sans-IO:
//!
//! - [`CallbackReceiver::receive`] takes a request (method, URI, headers, body) and returns
//!   the typed [`Callback`] — [`CallbackEvent::CallCompleted`],
//!   [`CallbackEvent::Deallocated`], or an unknown kind kept whole — reading JSON and
//!   form-encoded bodies, both spellings of the transaction id (`transaction_id`, and
//!   `transation_id` as Exotel's callback table spells it), numbers normalised to E.164
//!   where they can be, and every other field (passthru parameters) kept in
//!   [`Callback::fields`]. What cannot be read is a [`Rejection`] naming the field.
//! - Exotel does not sign callbacks: whoever learns the URL can forge call records. A
//!   [`CallbackSecret`] carried in the URL you register (a path segment, a query
//!   parameter, or Basic userinfo) and checked in constant time on every request keeps
//!   forgeries out; [`CallbackSecret::url`] builds the URL to register.
//! - Exotel warns that delivery may be delayed or repeated: [`Callback::key`] is a stable
//!   key (kind and call SID, or kind and allocation) to drop duplicates by.
//!
//! ```
//! # use greenpin_core::callbacks::{CallbackEvent, CallbackReceiver, CallbackSecret, SecretPlacement};
//!
//! let secret = CallbackSecret::new("s3cr3t-0123456789abcdef").unwrap();
//! // Register this as greenpin_call_complete_event_endpoint:
//! let url = secret.url("https://example.com/hooks/greenpin", SecretPlacement::Path).unwrap();
//! assert_eq!(url, "https://example.com/hooks/greenpin/s3cr3t-0123456789abcdef");
//!
//! let receiver = CallbackReceiver::new(secret);
//! let request = http::Request::post("/hooks/greenpin/s3cr3t-0123456789abcdef")
//!     .header("content-type", "application/x-www-form-urlencoded")
//!     .body("call_sid=c-1&greenpin_id=g-1&call_type=completed&from=09876543210&order=42")
//!     .unwrap();
//! let callback = receiver.receive_request(&request).unwrap();
//! let CallbackEvent::CallCompleted(call) = &callback.event else { panic!() };
//! assert_eq!(call.from.as_ref().unwrap().as_str(), "+919876543210");
//! assert_eq!(callback.key().unwrap().as_str(), "call_completed:c-1");
//! assert_eq!(callback.extra().collect::<Vec<_>>(), [("order", &serde_json::json!("42"))]);
//!
//! // A forged request, without the secret, is refused.
//! let forged = http::Request::post("/hooks/greenpin/guess").body("call_sid=c-2").unwrap();
//! assert_eq!(receiver.receive_request(&forged).unwrap_err().status(), 403);
//! ```

mod receive;
mod secret;

pub use receive::{
    Callback, CallbackEvent, CallbackReceiver, Encoding, EventKey, MAX_CALLBACK_BYTES, Rejection,
    read_callback_unverified,
};
pub use secret::{CallbackSecret, SECRET_PARAMETER, SECRET_USER, SecretError, SecretPlacement};

use serde::{Deserialize, Serialize};

use crate::allocation::State;
use crate::ids::{GreenPinId, TransactionId};
use crate::local_time::DeallocationTime;
use crate::phone::PhoneNumber;
use crate::string_enum::string_enum;

string_enum!(
    /// How a call ended.
    CallType {
        /// Both sides talked.
        Completed => "completed",
        /// Did not connect.
        Incomplete => "incomplete",
        /// The caller reached the VN but did not get through (wrong PIN, say).
        CallAttempt => "call-attempt",
        /// The caller hung up first.
        ClientHangup => "client-hangup",
    }
);

/// The call-completed callback. Times are ISO 8601 text as sent.
///
/// ```
/// # use greenpin_core::callbacks::{CallCompleted, CallType};
/// let c: CallCompleted = serde_json::from_str(r#"{"call_sid":"c1","greenpin_id":"g1",
///   "call_type":"completed","dial_call_duration":"42"}"#).unwrap();
/// assert_eq!(c.call_type, Some(CallType::Completed));
/// assert_eq!(c.dial_call_duration, Some(42));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct CallCompleted {
    /// The allocation's transaction id (read from `transaction_id` or, as Exotel's callback
    /// table spells it, `transation_id`).
    #[serde(
        default,
        alias = "transation_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub transaction_id: Option<TransactionId>,
    /// The call's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_sid: Option<String>,
    /// The VN dialled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vn: Option<PhoneNumber>,
    /// The allocation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greenpin_id: Option<GreenPinId>,
    /// The caller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<PhoneNumber>,
    /// The number connected to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<PhoneNumber>,
    /// How the call ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_type: Option<CallType>,
    /// When the call started (ISO 8601).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// When the callback was made (ISO 8601).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_time: Option<String>,
    /// Seconds from dialling to hang-up.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::lenient::count"
    )]
    #[cfg_attr(feature = "schema", schemars(schema_with = "crate::schema::count"))]
    pub dial_call_duration: Option<u64>,
    /// Seconds connected.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::lenient::count"
    )]
    #[cfg_attr(feature = "schema", schemars(schema_with = "crate::schema::count"))]
    pub on_call_duration: Option<u64>,
    /// Always `incoming` so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    /// Recording, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_url: Option<String>,
    /// Status of the leg to the other party.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dial_call_status: Option<String>,
    /// What produced the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The caller's party tag (the account's `aparty_tag` or `bparty_tag`), sent when the
    /// `tag_enabled` setting is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_tag: Option<String>,
    /// The tag of the party called, sent when `tag_enabled` is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_tag: Option<String>,
}

string_enum!(
    /// Why an allocation was deallocated.
    DeallocationReason {
        /// Its deallocation time passed.
        Expired => "expired",
        /// It was deleted.
        Deleted => "deleted",
    }
);

/// The deallocation callback, fired on expiry and on delete, as the emulator sends it.
/// Exotel does not document a deallocation callback: the real service may send none, or
/// another shape. This shape is this project's decision ([decisions](https://github.com/greenpin-rs/greenpin-rs/blob/main/docs/DECISIONS.md)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct DeallocationEvent {
    /// The allocation.
    pub greenpin_id: GreenPinId,
    /// Its transaction id (also read as `transation_id`).
    #[serde(
        default,
        alias = "transation_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub transaction_id: Option<TransactionId>,
    /// Expired or deleted.
    pub reason: DeallocationReason,
    /// The state now (`vault`).
    pub state: State,
    /// When it was deallocated, in the account's timezone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deallocation_time: Option<DeallocationTime>,
}

impl CallCompleted {
    /// The documented field names (with both spellings of the transaction id): what is not
    /// among them is a passthru or unknown field, kept in [`Callback::fields`].
    pub(crate) const FIELDS: &'static [&'static str] = &[
        "transaction_id",
        "transation_id",
        "call_sid",
        "vn",
        "greenpin_id",
        "from",
        "to",
        "call_type",
        "start_time",
        "current_time",
        "dial_call_duration",
        "on_call_duration",
        "direction",
        "recording_url",
        "dial_call_status",
        "source",
        "from_tag",
        "to_tag",
    ];
}

impl DeallocationEvent {
    /// The field names read (see [`CallCompleted::FIELDS`]).
    pub(crate) const FIELDS: &'static [&'static str] = &[
        "greenpin_id",
        "transaction_id",
        "transation_id",
        "reason",
        "state",
        "deallocation_time",
        "source",
    ];

    /// An event for `greenpin_id`.
    #[cfg(feature = "unstable-wire")]
    pub(crate) fn new(greenpin_id: GreenPinId, reason: DeallocationReason) -> Self {
        DeallocationEvent {
            greenpin_id,
            transaction_id: None,
            reason,
            state: State::Vault,
            deallocation_time: None,
        }
    }
}
