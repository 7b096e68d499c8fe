//! One way to take a lock, everywhere in the emulator.

use std::sync::{Mutex, MutexGuard};

/// Locks, shrugging off poisoning: a panic elsewhere must not take the emulator down, and
/// every store operation leaves the store consistent before it can panic.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
