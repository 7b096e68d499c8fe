//! Connection slots shared fairly: at most `max` connections at once, and when every slot
//! is taken, the connection idle longest (no request in progress: a keep-alive waiting for
//! its next request, or one that never sent a whole request) is asked to close, so that a
//! client holding hundreds of idle connections cannot make a new one wait for the header
//! timeout. A connection in the middle of a request is never closed for another.
//!
//! Every client of an emulator on loopback shares one address, so a cap per address would
//! only cut everyone's share; closing the idle ones is what keeps a slot free.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

/// A lock, whatever a panicking holder left. (Its own, not the crate's: `greenpin listen`
/// builds this file too, copied by `cargo xtask codegen`.)
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One connection as the slots see it.
#[derive(Debug)]
pub(crate) struct Conn {
    /// Requests in progress on it.
    busy: AtomicUsize,
    /// When it last started or ended a request (ms since the slots were made).
    active_ms: AtomicU64,
    /// Asks it to close once it is idle.
    close: Notify,
}

impl Conn {
    /// Marks a request in progress until the guard is dropped.
    pub(crate) fn request(self: &Arc<Self>, slots: &Slots) -> Busy {
        self.busy.fetch_add(1, Ordering::AcqRel);
        self.active_ms.store(slots.now_ms(), Ordering::Relaxed);
        Busy {
            conn: self.clone(),
            started: slots.started,
        }
    }

    /// Resolves when the connection is asked to close.
    pub(crate) async fn asked_to_close(&self) {
        self.close.notified().await;
    }
}

/// A request in progress; ends it when dropped.
pub(crate) struct Busy {
    conn: Arc<Conn>,
    started: Instant,
}

impl Drop for Busy {
    fn drop(&mut self) {
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.conn.active_ms.store(now, Ordering::Relaxed);
        self.conn.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The slots of one server.
#[derive(Debug)]
pub(crate) struct Slots {
    permits: Arc<Semaphore>,
    live: Mutex<HashMap<u64, Arc<Conn>>>,
    next: AtomicU64,
    started: Instant,
}

/// A connection's slot; frees it when dropped.
pub(crate) struct Slot {
    _permit: OwnedSemaphorePermit,
    id: u64,
    slots: Arc<Slots>,
    pub(crate) conn: Arc<Conn>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        lock(&self.slots.live).remove(&self.id);
    }
}

impl Slots {
    pub(crate) fn new(max: usize) -> Arc<Slots> {
        Arc::new(Slots {
            permits: Arc::new(Semaphore::new(max.max(1))),
            live: Mutex::default(),
            next: AtomicU64::new(0),
            started: Instant::now(),
        })
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// A slot for a connection just accepted: at once when one is free; otherwise the
    /// idle connection that has waited longest is asked to close and its slot taken. With
    /// every connection busy, waits for one to end.
    pub(crate) async fn admit(self: &Arc<Self>) -> Option<Slot> {
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                self.close_longest_idle();
                self.permits.clone().acquire_owned().await.ok()?
            }
        };
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Conn {
            busy: AtomicUsize::new(0),
            active_ms: AtomicU64::new(self.now_ms()),
            close: Notify::new(),
        });
        lock(&self.live).insert(id, conn.clone());
        Some(Slot {
            _permit: permit,
            id,
            slots: self.clone(),
            conn,
        })
    }

    /// Asks the connection idle longest to close; `false` when none is idle.
    pub(crate) fn close_longest_idle(&self) -> bool {
        let idle = lock(&self.live)
            .values()
            .filter(|c| c.busy.load(Ordering::Acquire) == 0)
            .min_by_key(|c| c.active_ms.load(Ordering::Relaxed))
            .cloned();
        match idle {
            Some(conn) => {
                conn.close.notify_one();
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn at_capacity_the_longest_idle_connection_is_asked_to_close_never_a_busy_one() {
        let slots = Slots::new(2);
        let first = slots.admit().await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let second = slots.admit().await.unwrap();
        // The first is busy: the second, though newer, is the one asked to go.
        let busy = first.conn.request(&slots);
        assert!(slots.close_longest_idle());
        tokio::time::timeout(
            std::time::Duration::from_secs(1),
            second.conn.asked_to_close(),
        )
        .await
        .expect("the idle connection was asked to close");
        drop(second);
        // Its slot is free again: a third connection is admitted at once.
        let third = tokio::time::timeout(std::time::Duration::from_secs(1), slots.admit())
            .await
            .expect("admitted")
            .unwrap();
        // Both busy now: nobody is asked to close.
        let _busy3 = third.conn.request(&slots);
        assert!(!slots.close_longest_idle());
        drop(busy);
        assert!(
            slots.close_longest_idle(),
            "the first is idle once its request ends"
        );
    }
}
