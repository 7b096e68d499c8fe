//! The emulator's tests, in one binary (a module per area, as octocrab lays its tests out):
//! the API as GreenPin serves it, Exotel's documented behaviour and vault, callbacks you can
//! test against, the controls, the emulator under slow, hostile and abusive clients (its
//! binary in a child process where memory or CPU is measured), and the binary driven with
//! nothing but plain HTTP, as a test in any language would.

mod any_language;
mod api;
mod attacks;
mod audit;
mod callbacks;
mod common;
mod controls;
mod fidelity;
mod hardening;
mod hostile;
mod reset;
mod test_api;
mod vault;
mod ways_in;
