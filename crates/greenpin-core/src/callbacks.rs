//! Payloads GreenPin POSTs to the account's endpoints: call completed, and deallocation.

use serde::{Deserialize, Serialize};

use crate::allocation::{DeallocationTime, State};
use crate::ids::{GreenPinId, TransactionId};
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
/// use greenpin_core::{CallCompleted, CallType};
/// let c: CallCompleted = serde_json::from_str(r#"{"call_sid":"c1","greenpin_id":"g1",
///   "call_type":"completed","dial_call_duration":"42"}"#).unwrap();
/// assert_eq!(c.call_type, Some(CallType::Completed));
/// assert_eq!(c.dial_call_duration, Some(42));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct CallCompleted {
    /// The allocation's transaction id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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

/// The deallocation callback, fired on expiry and on delete. GreenPin does not publish its
/// fields; this shape is this project's decision (`docs/DECISIONS.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct DeallocationEvent {
    /// The allocation.
    pub greenpin_id: GreenPinId,
    /// Its transaction id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<TransactionId>,
    /// Expired or deleted.
    pub reason: DeallocationReason,
    /// The state now (`vault`).
    pub state: State,
    /// When it was deallocated, in the account's timezone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deallocation_time: Option<DeallocationTime>,
}

impl DeallocationEvent {
    /// An event for `greenpin_id`.
    pub fn new(greenpin_id: GreenPinId, reason: DeallocationReason) -> Self {
        DeallocationEvent {
            greenpin_id,
            transaction_id: None,
            reason,
            state: State::Vault,
            deallocation_time: None,
        }
    }
}
