//! What every request handler shares: the store, the journal, the faults, the callbacks
//! and the counts, each behind its own lock, so reading the journal never waits for the
//! store.

use std::sync::{Arc, Mutex};

use greenpin_core::{AccountSid, Credentials};

use crate::callbacks::Hub;
use crate::faults::Faults;
use crate::ids::Entropy;
use crate::journal::Journal;
pub(crate) use crate::locks::lock;
use crate::stats::Stats;
use crate::store::Store;

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) store: Mutex<Store>,
    pub(crate) journal: Mutex<Journal>,
    pub(crate) faults: Mutex<Faults>,
    pub(crate) callbacks: Arc<Hub>,
    pub(crate) account_sid: AccountSid,
    pub(crate) credentials: Credentials,
    pub(crate) request_ids: Entropy,
    pub(crate) stats: Mutex<Stats>,
    pub(crate) limits: crate::config::Limits,
    /// Host names this machine's clients may use besides loopback's (`allow_host`).
    pub(crate) hosts: Vec<String>,
    /// What a fresh store is made of: its ids and PINs, its capacity, and where its clock
    /// starts (for a reset).
    pub(crate) fresh: Fresh,
}

/// What [`Shared::reset`] makes a fresh store from.
#[derive(Debug)]
pub(crate) struct Fresh {
    pub(crate) entropy: Arc<Entropy>,
    pub(crate) capacity: crate::store::Capacity,
    /// The clock's fixed start (ms since the epoch, `--clock`), or real time.
    pub(crate) clock: Option<i64>,
}

impl Shared {
    /// A fresh request id (16 hex digits).
    pub(crate) fn request_id(&self) -> String {
        format!("{:016x}", self.request_ids.next_u64())
    }

    /// Runs `f` on the store, then hands whatever callbacks it produced to the dispatcher
    /// (after the store's lock is released: delivery never holds it).
    pub(crate) fn with_store<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        let (out, events, endpoint, at) = {
            let mut store = lock(&self.store);
            let out = f(&mut store);
            let events = store.take_events();
            if events.is_empty() {
                return out;
            }
            let endpoint = store
                .settings()
                .greenpin_call_complete_event_endpoint
                .clone()
                .filter(|u| !u.is_empty());
            (out, events, endpoint, store.now_text())
        };
        self.callbacks.publish(events, endpoint.as_deref(), &at);
        out
    }

    /// The counts now: what was answered, and what the journal and the store hold.
    pub(crate) fn stats_now(&self) -> Stats {
        let mut stats = lock(&self.stats).clone();
        stats.journal_bytes = lock(&self.journal).bytes();
        (stats.allocations_active, stats.allocations_kept) = lock(&self.store).counts();
        stats
    }

    /// Everything back as it was when the emulator started: allocations, vault, settings,
    /// the journal, callbacks (records, faults, deliveries still pending), API faults,
    /// counts and the clock (at `clock` instead of the start's, when given); ids and PINs
    /// start their sequence again (with a seed, the same ones follow).
    pub(crate) fn reset(&self, clock: Option<Option<i64>>) {
        let start = clock.unwrap_or(self.fresh.clock);
        {
            // The store's lock first, as every request takes it: no request sees half a
            // reset.
            let mut store = lock(&self.store);
            self.fresh.entropy.restart();
            self.request_ids.restart();
            *store = Store::new(self.fresh.entropy.clone(), self.fresh.capacity, start);
            lock(&self.journal).clear();
            lock(&self.faults).clear();
            *lock(&self.stats) = Stats::default();
        }
        self.callbacks.reset();
    }

    /// The account's callback endpoint now.
    pub(crate) fn endpoint(&self) -> Option<String> {
        lock(&self.store)
            .settings()
            .greenpin_call_complete_event_endpoint
            .clone()
            .filter(|u| !u.is_empty())
    }
}
