//! The `greenpin` command as a process, against a live emulator: one test binary, a module
//! per concern, the helpers in `common`.

mod bulk;
mod commands;
mod common;
mod https;
#[cfg(target_os = "linux")]
mod memory;
mod real_account;
