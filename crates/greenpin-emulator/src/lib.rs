//! # greenpin-emulator
//!
//! A faithful, stateful local GreenPin server for tests, examples and demos. Exotel ships no
//! sandbox, and stateless mock servers cannot tell you that a PIN clashes, that an
//! allocation expired, or where a call would be routed; this can.
//!
//! - The API under `/v1/tenants/{sid}/…` as GreenPin serves it, answered in its envelope
//!   with its error codes, validated by the same rules as the SDK (greenpin-core).
//! - State: allocations, a (VN, PIN) routing table that stays unique among active
//!   allocations, expiry on a virtual clock, a vault kept for `deletion_time`, settings.
//! - Test controls under `/__emulator/…` (loopback only), mirrored as methods here: move
//!   the clock, queue faults, read the request journal, simulate a call.
//! - Numbers of every country, as the service reads them. Your client checks what its own
//!   crate's features say, so having the emulator as a dev-dependency changes nothing your
//!   client accepts: a test build and a release build send the same numbers.
//!
//! One line in an async test:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let emulator = greenpin_emulator::Emulator::start().await;
//! assert!(emulator.base_url().starts_with("http://127.0.0.1:"));
//! # }
//! ```
//!
//! And in blocking code, with no runtime of your own:
//!
//! ```
//! let emulator = greenpin_emulator::BlockingEmulator::start();
//! let url = format!("{}/v1/tenants/{}/settings", emulator.base_url(), emulator.account_sid());
//! assert!(url.ends_with("/v1/tenants/demo/settings"));
//! ```

// Feature badges on docs.rs (its nightly rustdoc); nothing changes for other builds.
#![cfg_attr(docsrs, feature(doc_cfg))]
// A link that does not resolve renders as plain text: an error, on every build of the docs.
#![deny(rustdoc::broken_intra_doc_links)]
// Library code states the invariant that makes a panic impossible (`#[expect]` with a
// reason) rather than unwrapping silently; tests unwrap freely.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod api;
mod callbacks;
mod config;
mod dashboard;
mod failure;
mod faults;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod handle;
mod ids;
mod ignored;
mod journal;
mod locks;
mod respond;
mod routes;
mod server;
mod state;
mod stats;
mod store;

pub use callbacks::{
    ATTEMPTS as CALLBACK_ATTEMPTS, AttemptResult, CallbackFault, CallbackFaultKind, CallbackKind,
    CallbackRecord, CallbackStatus, DeliveryAttempt,
};
pub use config::{
    CallbackEncoding, DEFAULT_ACCOUNT_SID, DEFAULT_API_KEY, DEFAULT_API_TOKEN, DEFAULT_LISTEN,
    EmulatorConfig, Limits, MAX_BODY, TransactionIdSpelling,
};
pub use dashboard::DASHBOARD_PATH;
pub use failure::Failure;
pub use faults::{Fault, FaultRule};
pub use handle::{BlockingEmulator, Emulator};
pub use journal::{JOURNAL_LIMIT, JournalEntry};
pub use stats::{OperationStats, Stats};
pub use store::{CallAnswer, CallOutcome, CallRefusal, CallSpec, Side};

/// The README's examples, compiled and run as doctests so they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
