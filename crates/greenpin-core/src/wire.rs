//! The other side of the wire, for programs that *serve* GreenPin's API or take its bodies
//! from their users: the emulator and the `greenpin` command. Reading a body as a server
//! must (field paths, unknown fields noted, one bad bulk item not sinking the others),
//! writing the answers (the envelope, bulk results, callbacks), and the checks a server
//! makes beyond a body's own.
//!
//! **Not part of the SDK's promise.** It exists only with the `unstable-wire` feature, and
//! may change in any release. A client needs none of it: the clients build and check every
//! body themselves.

use crate::allocation::{Allocation, State, Usage};
use crate::callbacks::{CallCompleted, DeallocationEvent, DeallocationReason};
use crate::credentials::Credentials;
use crate::error_code::ErrorCode;
use crate::ids::GreenPinId;
use crate::ops::bulk::{BulkItemResult, BulkUpdateResults};
use crate::party::Party;
use crate::phone::PhoneNumber;
use crate::settings::Settings;
use crate::validation::ValidationError;

pub use crate::body::{NEWER_SHAPE_FIELDS, WireBulkItem, from_json, from_json_noting_unknown};
pub use crate::envelope::Envelope;

/// The settings this version models, by their names on the wire.
pub const SETTINGS_FIELDS: &[&str] = Settings::FIELDS;
/// A call-completed callback's documented fields (both spellings of the transaction id).
pub const CALL_COMPLETED_FIELDS: &[&str] = CallCompleted::FIELDS;
/// A deallocation callback's fields.
pub const DEALLOCATED_FIELDS: &[&str] = DeallocationEvent::FIELDS;

/// Reads a bulk body as a server must: the envelope and the count strictly, each item on
/// its own, so that one malformed item does not sink the others.
///
/// ```
/// let items = greenpin_core::wire::read_bulk_items(
///     br#"{"greenpins":[{"greenpin_id":"g-1","usage":"oneway"},{"usage":7}]}"#,
/// ).unwrap();
/// assert!(items[0].spec.is_ok());
/// assert_eq!(items[1].spec.as_ref().unwrap_err().field(), "greenpins[1].usage");
/// ```
pub fn read_bulk_items(body: &[u8]) -> Result<Vec<WireBulkItem>, ValidationError> {
    crate::body::BulkSpec::read_wire(body)
}

/// Checks a bulk update's number of items: present, not empty, at most
/// [`MAX_BULK_ITEMS`](crate::MAX_BULK_ITEMS).
pub fn check_bulk_count(count: Option<usize>) -> Result<(), ValidationError> {
    crate::body::BulkSpec::check_count(count)
}

/// The same error with `prefix.` put before its field (an item of a bulk request).
pub fn within(error: ValidationError, prefix: &str) -> ValidationError {
    error.within(prefix)
}

/// An applied bulk item.
pub fn bulk_item_applied(greenpin_id: impl Into<String>, allocation: Allocation) -> BulkItemResult {
    BulkItemResult::applied(greenpin_id, allocation)
}

/// A refused bulk item.
pub fn bulk_item_refused(
    greenpin_id: Option<String>,
    status: u16,
    code: ErrorCode,
    message: impl Into<String>,
) -> BulkItemResult {
    BulkItemResult::refused(greenpin_id, status, code, message)
}

/// A bulk answer's `data`.
pub fn bulk_results(greenpins: Vec<BulkItemResult>) -> BulkUpdateResults {
    BulkUpdateResults::new(greenpins)
}

/// A deallocation event for `greenpin_id`.
pub fn deallocated(greenpin_id: GreenPinId, reason: DeallocationReason) -> DeallocationEvent {
    DeallocationEvent::new(greenpin_id, reason)
}

/// An allocation as a server reports it.
pub fn allocation(
    greenpin_id: GreenPinId,
    a: Party,
    b: Party,
    usage: Usage,
    state: State,
) -> Allocation {
    Allocation::new(greenpin_id, a, b, usage, state)
}

/// A number as a server stored it (already checked when it was received).
pub fn stored_number(e164: impl Into<String>) -> PhoneNumber {
    PhoneNumber::from_server(e164)
}

/// Whether `header` (an `Authorization` value) carries exactly these credentials,
/// compared without early exit.
pub fn credentials_match(credentials: &Credentials, header: &[u8]) -> bool {
    credentials.matches_authorization(header)
}

/// Refuses a number present in both parties' `numbers`, naming it in `b` (API code 14).
/// Validation calls it on a body; a server also calls it on an allocation after merging an
/// update into it.
///
/// ```
/// # use greenpin_core::wire::check_parties_disjoint;
/// # use greenpin_core::{PartySpec, ValidationContext};
/// let ctx = ValidationContext::default();
/// let a = PartySpec::new().number("7987686144").validate("a", &ctx).unwrap();
/// let b = PartySpec::new().number("+917987686144").validate("b", &ctx).unwrap();
/// assert_eq!(check_parties_disjoint(&a, &b).unwrap_err().field(), "b.numbers[0]");
/// ```
pub fn check_parties_disjoint(a: &Party, b: &Party) -> Result<(), ValidationError> {
    crate::party::check_parties_disjoint(a, b)
}

/// A URL as it may be shown in a message: any `user:password@` part replaced, so a
/// credential carried in a URL never reaches an error, a log or a screen.
///
/// ```
/// # use greenpin_core::wire::redact_userinfo;
/// assert_eq!(redact_userinfo("https://key:tok@host/x"), "https://[redacted]@host/x");
/// assert_eq!(redact_userinfo("https://host/x?a=b@c"), "https://host/x?a=b@c");
/// ```
pub fn redact_userinfo(url: &str) -> String {
    crate::credentials::redact_userinfo(url)
}
