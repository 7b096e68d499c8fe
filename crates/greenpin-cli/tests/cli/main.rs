//! The `greenpin` command as a process, against a live emulator: one test binary, a module
//! per concern, the helpers in `common`.

mod bulk;
mod commands;
mod common;
#[cfg(feature = "demo")]
mod drift;
#[cfg(target_os = "linux")]
mod durable;
mod https;
#[cfg(target_os = "linux")]
mod memory;
mod messages;
mod real_account;
