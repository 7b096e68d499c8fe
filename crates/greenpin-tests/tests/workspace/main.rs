//! The workspace's shared tests, one binary with a module per concern (as octocrab keeps
//! its tests): every module runs against the emulator, most through both transports.
//!
//! | module | what it holds |
//! |---|---|
//! | `suite` | every operation through both transports, one scenario each |
//! | `parity` | the two transports and the emulator refuse the same bad bodies alike |
//! | `canary` | a distinctive key and token never appear in `Debug`, `Display` or traces |
//! | `hostile_server` | servers that lie, stall, redirect or flood |
//! | `retry_budget` | retries stop when the budget is spent |
//! | `https` | HTTPS through both transports, with a given root and the system store |
//! | `proxy` | proxy variables never reach a loopback service (in a child process) |
//! | `stress` | concurrent mixed operations against one emulator keep its invariants |
//! | `one_dependency` | a user of one transport crate names everything through it alone (one macro, both crates) |
//! | `fuzz_replay` | the fuzz corpora replayed on stable |
//! | `dashboard` | the emulator's dashboard in headless Chromium |
//!
//! `greenpin-core`'s `no_metadata` test stays a binary of its own: it needs a process in
//! which nothing has loaded phonenumber's metadata yet.

mod canary;
mod dashboard;
mod fuzz_replay;
mod hostile_server;
mod https;
mod one_dependency;
mod parity;
mod proxy;
mod retry_budget;
mod stress;
mod suite;
