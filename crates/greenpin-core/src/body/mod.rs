//! Request bodies: what a caller (or a request on the wire) says, and what validation makes
//! of it. One naming scheme, one rule set:
//!
//! | body | caller input (deserializes from the wire) | validated (what is sent) |
//! |---|---|---|
//! | create | [`CreateSpec`] | [`CreateBody`] |
//! | update | [`UpdateSpec`] | [`UpdateBody`] |
//! | bulk update item | [`BulkItemSpec`] | [`BulkItemBody`] |
//! | bulk update | [`BulkSpec`] | [`BulkBody`] |
//! | settings update | [`SettingsSpec`] | [`SettingsBody`] |
//! | a party (part of a body) | [`PartySpec`](crate::PartySpec) | [`Party`](crate::Party) |
//!
//! Every `*Spec` has one `validate(&ValidationContext)`, and everything that checks a body
//! calls it: the SDK before sending, the emulator on receipt, the CLI before a run. A rule
//! therefore lives in exactly one place, and a refusal names the same field with the same
//! [`ValidationKind`](crate::ValidationKind) (and so the same API error code) everywhere.
//!
//! ```
//! # use greenpin_core::{CreateSpec, PartySpec, ValidationContext};
//! let spec = CreateSpec::new("order-42")
//!     .a(PartySpec::new().number("7987686144").vn("6292134471"))
//!     .b(PartySpec::new().number("9956555625"))
//!     .deallocate_after("1h");
//! let body = spec.validate(&ValidationContext::default()).unwrap();
//! assert_eq!(body.transaction_id.as_str(), "order-42");
//!
//! // The wire form reads into the same type, and is checked by the same function:
//! let wire: CreateSpec = serde_json::from_str(r#"{"a":{"numbers":["7987686144"]}}"#).unwrap();
//! let err = wire.validate(&ValidationContext::default()).unwrap_err();
//! assert_eq!(err.field(), "transaction_id");
//! ```

mod allocation;
mod bulk;
mod json;
mod settings;

pub use allocation::{CreateBody, CreateSpec, UpdateBody, UpdateSpec};
pub use bulk::{BulkBody, BulkItemBody, BulkItemSpec, BulkSpec, MAX_BULK_ITEMS, WireBulkItem};
pub use json::{NEWER_SHAPE_FIELDS, from_json, from_json_noting_unknown};
pub use settings::{SettingsBody, SettingsSpec};

use crate::phone::Country;

/// The body of Exotel's documented Update example (`PUT /greenpin/{greenpin_id}`), with
/// real numbers in place of the documentation's masked placeholders (`629XXXXX71`). Note
/// `pin_length` written once as a number and once as a string, as the documentation does.
///
/// ```
/// # use greenpin_core::{UpdateSpec, ValidationContext, wire::DOCUMENTED_UPDATE};
/// let spec: UpdateSpec = serde_json::from_str(DOCUMENTED_UPDATE).unwrap();
/// assert!(spec.validate(&ValidationContext::default()).is_ok());
/// ```
pub const DOCUMENTED_UPDATE: &str = r#"{
  "a": {"vns": ["6292134471", "6292134464"], "numbers": ["7987686144"], "pin": "123", "pin_length": 3},
  "b": {"vns": ["6292134465", "6292134464"], "numbers": ["9956555625"], "pin": "234", "pin_length": "3"},
  "usage": "twoway",
  "deallocation_policy": {"duration": "1200s"}
}"#;

/// What validation needs to know beyond the body itself.
///
/// The SDK validates with its client's country and lets international numbers through (the
/// account's `intl_num_sup` setting is the service's to apply) when it is built with the
/// `international-numbers` feature; without it, it refuses every number but Indian ones in
/// their usual forms (see [`PhoneNumber::parse`](crate::PhoneNumber::parse)). A server
/// validates with the account's settings.
///
/// ```
/// # use greenpin_core::{Country, ValidationContext};
/// let sdk = ValidationContext::new(Country::IN);
/// assert!(sdk.international_numbers);
/// let account = ValidationContext::new(Country::IN).international_numbers(false);
/// assert!(!account.international_numbers);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValidationContext {
    /// The country local numbers are read in (the `country` setting).
    pub country: Country,
    /// Whether numbers outside `country` are allowed (the `intl_num_sup` setting).
    pub international_numbers: bool,
}

impl ValidationContext {
    /// Local numbers read in `country`; international numbers allowed.
    pub fn new(country: Country) -> Self {
        ValidationContext {
            country,
            international_numbers: true,
        }
    }

    /// Whether numbers outside the country are allowed.
    pub fn international_numbers(mut self, allowed: bool) -> Self {
        self.international_numbers = allowed;
        self
    }
}

impl Default for ValidationContext {
    fn default() -> Self {
        ValidationContext::new(Country::IN)
    }
}
