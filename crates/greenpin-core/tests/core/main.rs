//! The core's sans-IO tests, one binary: requests built, responses parsed, bodies that
//! survive a round trip, Exotel's own Update example, and bodies read as a server reads them.
//!
//! `no_metadata` is a binary of its own: it needs a process in which nothing has loaded
//! phonenumber's metadata yet.

mod idempotency;
mod requests;
mod responses;
mod roundtrip;
mod seed;
mod settings;
mod wire;
