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
#[cfg(feature = "unstable-wire")]
mod json;
mod settings;

pub use allocation::{CreateBody, CreateSpec, UpdateBody, UpdateSpec};
#[cfg(feature = "unstable-wire")]
pub use bulk::WireBulkItem;
pub use bulk::{BulkBody, BulkItemBody, BulkItemSpec, BulkSpec, MAX_BULK_ITEMS};
#[cfg(feature = "unstable-wire")]
pub use json::{NEWER_SHAPE_FIELDS, from_json, from_json_noting_unknown};
pub use settings::{SettingsBody, SettingsSpec};

use crate::phone::Country;

/// What validation needs to know beyond the body itself.
///
/// The SDK validates with its client's country and lets international numbers through (the
/// account's `intl_num_sup` setting is the service's to apply). A server validates with the
/// account's settings.
///
/// ```
/// # use greenpin_core::{Country, ValidationContext};
/// let sdk = ValidationContext::new(Country::IN);
/// assert!(sdk.intl_num_sup);
/// let account = ValidationContext::new(Country::IN).intl_num_sup(false);
/// assert!(!account.intl_num_sup);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValidationContext {
    /// The country local numbers are read in (the account's `country` setting).
    pub country: Country,
    /// Whether numbers outside `country` are allowed (the account's `intl_num_sup`
    /// setting).
    pub intl_num_sup: bool,
    /// Whether numbers that need libphonenumber's metadata are checked (and so may be
    /// sent): the `international-numbers` feature of the crate that made the client, not
    /// of whichever crate turned greenpin-core's on. See `ClientBuilder::international_numbers`.
    pub(crate) checks_international: bool,
}

impl ValidationContext {
    /// Local numbers read in `country`; international numbers allowed.
    pub fn new(country: Country) -> Self {
        ValidationContext {
            country,
            intl_num_sup: true,
            checks_international: cfg!(feature = "international-numbers"),
        }
    }

    /// Whether numbers outside the country are allowed (the account's `intl_num_sup`).
    pub fn intl_num_sup(mut self, allowed: bool) -> Self {
        self.intl_num_sup = allowed;
        self
    }

    /// Whether numbers that need the metadata are checked; never more than this build can.
    pub(crate) fn checking_international(mut self, on: bool) -> Self {
        self.checks_international = on && cfg!(feature = "international-numbers");
        self
    }
}

impl Default for ValidationContext {
    fn default() -> Self {
        ValidationContext::new(Country::IN)
    }
}
