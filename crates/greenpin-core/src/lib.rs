//! # greenpin-core
//!
//! The sans-IO heart of greenpin-rs, the Rust SDK for Exotel's GreenPin number-masking API:
//! the model (allocations, parties, numbers, PINs, durations, settings, callbacks, error
//! codes), validation with field paths, and every operation as a pair of pure functions —
//! build an [`http::Request`], parse an [`http::Response`]. No sockets, no runtime, no HTTP
//! client: `greenpin-async` and `greenpin-blocking` do the I/O, and so can you.
//!
//! Exotel's documented Update example, built and checked without a network:
//!
//! ```
//! # use greenpin_core::PinLength;
//! use greenpin_core::ops::{Operation};
//! use greenpin_core::{AccountSid, ApiContext, Credentials, GreenPinId, PartySpec, UpdateSpec, Usage};
//! use greenpin_core::ops::UpdateAllocation;
//!
//! let ctx = ApiContext::new(AccountSid::new("acme").unwrap(), Credentials::new("key", "token"));
//! let update = UpdateAllocation::new(
//!     GreenPinId::new("d7ffd4b3-5c1e-4bda-a024-0b1d2a3b4c5d").unwrap(),
//!     UpdateSpec::new()
//!         .a(PartySpec::new().vns(["6292134471", "6292134464"]).number("7987686144").pin("123").pin_length(PinLength::of::<3>()))
//!         .b(PartySpec::new().vns(["6292134465", "6292134464"]).number("9956555625").pin("234").pin_length(PinLength::of::<3>()))
//!         .usage(Usage::Twoway)
//!         .deallocate_after("1200s"),
//! );
//! let request = update.build_request(&ctx).unwrap();
//! assert_eq!(request.method(), "PUT");
//! let body: serde_json::Value = serde_json::from_slice(request.body()).unwrap();
//! assert_eq!(body["a"]["numbers"][0], "+917987686144");
//!
//! // The documentation's masked placeholders are refused, naming the field:
//! let bad = UpdateAllocation::new(
//!     GreenPinId::new("g-1").unwrap(),
//!     UpdateSpec::new().a(PartySpec::new().vn("629XXXXX71")),
//! );
//! let err = bad.build_request(&ctx).unwrap_err();
//! assert!(err.to_string().contains("a.vns[0]"));
//! ```
//!
//! ## Numbers: the `international-numbers` feature
//!
//! Every number is checked with Google's libphonenumber metadata (the `phonenumber` crate),
//! behind the `international-numbers` feature, on by default. Indian numbers in their usual
//! forms — ten digits, alone or after `+91`, `91`, `0091` or `0` — take a fast path that
//! needs no metadata. `default-features = false` is the slim build: those Indian forms are
//! still checked, and every other form (numbers of other countries, Indian toll-free
//! numbers, an account whose `country` is not `IN`) is refused with
//! [`PhoneNumberError::Unchecked`], naming the feature: nothing unchecked is sent. A client
//! checks what its own crate's feature says ([`client::ClientBuilder::international_numbers`]),
//! whatever another crate in the build turns on here. GreenPin itself refuses international
//! numbers unless the account's `intl_num_sup` setting allows them.

// Feature badges on docs.rs (its nightly rustdoc); nothing changes for other builds.
#![cfg_attr(docsrs, feature(doc_cfg))]
// A link that does not resolve renders as plain text: an error, on every build of the docs.
#![deny(rustdoc::broken_intra_doc_links)]
// Library code states the invariant that makes a panic impossible (`#[expect]` with a
// reason) rather than unwrapping silently; tests unwrap freely.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
mod allocation;
mod api;
mod body;
pub mod callbacks;
pub mod client;
mod credentials;
mod duration;
mod envelope;
mod error;
mod error_code;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod ids;
mod lenient;
mod local_time;
pub mod ops;
mod outcome;
mod party;
mod phone;
mod pin;
pub mod retry;
#[cfg(feature = "schema")]
mod schema;
mod settings;
mod string_enum;
#[cfg(any(test, feature = "test-util"))]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod test_util;
mod text;
mod validation;
#[cfg(feature = "unstable-wire")]
#[cfg_attr(docsrs, doc(cfg(feature = "unstable-wire")))]
pub mod wire;

// Every type a user of a GreenPin client names, each named once, here: the model and the
// request bodies, the error and its parts (the modules above group operations, receiving
// callbacks, the retry policy and the clients' seam). Each transport crate re-exports
// exactly this list, generated from it by `cargo xtask codegen` (`src/sdk.rs` there), so
// a program depending on one of them can name everything its client's signatures use.
pub use allocation::{
    Allocation, DeallocationPolicy, DeallocationPolicySpec, DurationText, State, Usage,
};
pub use api::{ApiContext, DEFAULT_SERVICE_ROOT, ServiceRoot};
pub use body::{
    BulkBody, BulkItemBody, BulkItemSpec, BulkSpec, CreateBody, CreateSpec, MAX_BULK_ITEMS,
    SettingsBody, SettingsSpec, UpdateBody, UpdateSpec, ValidationContext,
};
pub use client::recover::CreateOutcome;
pub use client::tls::RootCertificate;
pub use credentials::{ApiKey, ApiToken, Credentials};
pub use duration::{DeallocationDuration, DurationError};
pub use envelope::Reply;
pub use error::{
    ApiError, ConfigError, DecodeError, Error, MAX_QUOTED_MESSAGE_CHARS, TimeoutKind,
    TransportError, TransportErrorKind, cut_message,
};
pub use error_code::{ERROR_CODES, ErrorCode, ErrorCodeInfo};
pub use ids::{AccountSid, GreenPinId, IdError, IdProblem, IntoGreenPinId, TransactionId};
pub use local_time::{DeallocationTime, DeallocationTimeError, Timezone};
pub use ops::bulk::{BulkItemResult, BulkUpdateResults};
pub use party::{MAX_NUMBERS_PER_LIST, Party, PartySpec};
pub use phone::{Country, PhoneNumber, PhoneNumberError, UnknownCountry};
pub use pin::{Pin, PinError, PinLength};
pub use settings::{MaxDeallocationTime, Settings};
pub use validation::{ValidationError, ValidationKind};

/// The `User-Agent` the clients send: `greenpin-rs/VERSION`.
pub const USER_AGENT: &str = concat!("greenpin-rs/", env!("CARGO_PKG_VERSION"));

/// The README's examples, compiled and run as doctests so they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
