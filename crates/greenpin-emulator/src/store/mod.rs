//! The emulator's state and GreenPin's rules, with no HTTP in sight: allocations, the key
//! table (who reaches whom, which numbers are registered where), the virtual clock,
//! expiry, the vault period and purge, settings, and call routing. The HTTP layer parses
//! and validates with greenpin-core, then calls in here under one lock, so every invariant
//! holds under any interleaving of requests.
//!
//! An allocation's life: *active* (its keys held, its transaction id taken) → deallocated
//! by a delete or its expiry, into the *vault*: its transaction id is free at once, its
//! keys stay reserved for the account's `deletion_time` (0 to 86,400 s, default 0), and it
//! stays readable (`state: vault`) for the emulator's vault retention (7 days by default),
//! after which it is forgotten (404).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use greenpin_core::callbacks::{CallCompleted, CallType, DeallocationEvent, DeallocationReason};
use greenpin_core::wire::{self, check_parties_disjoint};
use greenpin_core::{
    Allocation, Country, CreateBody, DeallocationDuration, DeallocationPolicy, DeallocationTime,
    ErrorCode, GreenPinId, MaxDeallocationTime, Party, PhoneNumber, Pin, PinLength, Settings,
    SettingsBody, SettingsSpec, State, Timezone, TransactionId, UpdateBody, Usage,
    ValidationContext,
};
use serde::Serialize;

mod calls;
mod clock;
mod invariants;
mod record;
mod routing;
mod settings;
#[cfg(test)]
mod tests;

pub use calls::{CallAnswer, CallOutcome, CallRefusal, CallSpec};
pub(crate) use clock::{ms_since_epoch, parse_instant};
pub(crate) use record::{Id, Record};
pub(crate) use routing::{Holder, RouteKey, keys_of};
pub(crate) use settings::default_settings;

use crate::failure::Failure;
use crate::ids::Entropy;
use routing::digits;

/// PIN length generated when a party's PIN is enabled in settings but no length is given.
pub(crate) const DEFAULT_PIN_LENGTH: u8 = 4;
const PIN_ATTEMPTS: usize = 200;

/// Which party.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The A-party.
    A,
    /// The B-party.
    B,
}

impl Side {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Side::A => "a",
            Side::B => "b",
        }
    }

    fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
}

/// Something to tell the account's callback endpoint.
#[derive(Debug, Clone)]
pub(crate) enum Event {
    /// An allocation expired or was deleted.
    Deallocated(DeallocationEvent),
    /// A simulated call ended.
    CallCompleted(Box<CallCompleted>),
}

/// What the store holds at most, so that no client can grow it without bound.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Capacity {
    /// Active allocations; a create past it is refused.
    pub(crate) max_active: usize,
    /// Deallocated allocations kept readable; past it, the oldest are forgotten early.
    pub(crate) max_vault: usize,
    /// How long a deallocated allocation stays readable, in ms.
    pub(crate) vault_retention_ms: i64,
}

/// The whole emulated account.
#[derive(Debug)]
pub(crate) struct Store {
    records: HashMap<Id, Record>,
    by_transaction: HashMap<Box<str>, Id>,
    keys: BTreeMap<RouteKey, Holder>,
    /// Active allocations by expiry; `unending` those that never expire.
    expiries: BTreeSet<(i64, Id)>,
    unending: BTreeSet<Id>,
    /// Deallocated allocations by the end of their vault period, and by when they are
    /// forgotten.
    releases: BTreeSet<(i64, Id)>,
    purges: BTreeSet<(i64, Id)>,
    active: usize,
    settings: Settings,
    clock: clock::Clock,
    /// `settings.country`, parsed once per change.
    country: Country,
    entropy: Arc<Entropy>,
    events: Vec<Event>,
    capacity: Capacity,
}

impl Store {
    /// An empty account with default settings; its clock starts at `start` (ms since the
    /// epoch) and moves only when advanced, or follows real time when `None`.
    pub(crate) fn new(entropy: Arc<Entropy>, capacity: Capacity, start: Option<i64>) -> Self {
        Store {
            records: HashMap::new(),
            by_transaction: HashMap::new(),
            keys: BTreeMap::new(),
            expiries: BTreeSet::new(),
            unending: BTreeSet::new(),
            releases: BTreeSet::new(),
            purges: BTreeSet::new(),
            active: 0,
            settings: default_settings(),
            clock: clock::Clock::new(start),
            country: Country::IN,
            entropy,
            events: Vec::new(),
            capacity,
        }
    }

    // ----- allocations -------------------------------------------------------------

    pub(crate) fn render(&self, id: &str, rec: &Record) -> Allocation {
        let mut a = rec.allocation(id);
        a.deallocation_time = rec
            .deallocated_at
            .or(rec.expires_at)
            .map(|ms| self.time_text(ms));
        a
    }

    /// The allocation, active or in the vault (until forgotten).
    pub(crate) fn get(&mut self, id: &str) -> Result<Allocation, Failure> {
        self.sweep();
        let rec = self.records.get(id).ok_or_else(|| Failure::not_found(id))?;
        Ok(self.render(id, rec))
    }

    /// The shared id of a record.
    fn id_of(&self, id: &str) -> Option<Id> {
        self.records.get_key_value(id).map(|(k, _)| k.clone())
    }

    /// Creates an allocation from a validated create body.
    #[expect(clippy::expect_used, reason = "uuids are path-safe ids")]
    pub(crate) fn create(&mut self, body: CreateBody) -> Result<Allocation, Failure> {
        self.sweep();
        let tx = body.transaction_id;
        if self.by_transaction.contains_key(tx.as_str()) {
            return Err(Failure::new(
                ErrorCode::AllocationExists,
                format!(
                    "transaction_id: an active allocation already exists for {:?}",
                    tx.as_str()
                ),
            ));
        }
        if self.active >= self.capacity.max_active {
            return Err(Failure::new(
                ErrorCode::NotPermitted,
                format!(
                    "the emulator already holds its most active allocations, {} (its max_allocations limit): delete some, or start it with a higher limit",
                    self.capacity.max_active
                ),
            ));
        }
        let f = body.fields;
        let mut a = f.a.unwrap_or_default();
        let mut b = f.b.unwrap_or_default();
        // A party with no VNs uses the other party's.
        if a.vns.is_empty() {
            a.vns = b.vns.clone();
        } else if b.vns.is_empty() {
            b.vns = a.vns.clone();
        }
        let requested = (a.pin_length, b.pin_length);
        self.settle_pin(&mut a, Side::A, requested.0, None)?;
        self.settle_pin(&mut b, Side::B, requested.1, a.pin.as_ref())?;
        let expires_at = self.expiry_for(f.deallocation_policy);
        let id: Id = loop {
            let candidate = self.entropy.uuid();
            if !self.records.contains_key(candidate.as_str()) {
                break candidate.into();
            }
        };
        let greenpin_id = GreenPinId::new(id.to_string()).expect("uuids are path-safe");
        let mut alloc = wire::allocation(
            greenpin_id,
            a,
            b,
            f.usage.unwrap_or(Usage::Twoway),
            State::Active,
        );
        alloc.transaction_id = Some(tx.clone());
        let keys = self.check_keys(&alloc, &id)?;
        self.hold_keys(&id, keys);
        self.by_transaction.insert(tx.as_str().into(), id.clone());
        self.schedule(&id, expires_at);
        let rec = Record::new(&alloc, expires_at);
        let out = self.render(&id, &rec);
        self.records.insert(id, rec);
        self.active += 1;
        Ok(out)
    }

    /// Lists an active allocation by when it expires.
    fn schedule(&mut self, id: &Id, expires_at: Option<i64>) {
        match expires_at {
            Some(at) => self.expiries.insert((at, id.clone())),
            None => self.unending.insert(id.clone()),
        };
    }

    /// Takes an allocation off the expiry schedule.
    fn unschedule(&mut self, id: &Id, expires_at: Option<i64>) {
        match expires_at {
            Some(at) => self.expiries.remove(&(at, id.clone())),
            None => self.unending.remove(id),
        };
    }

    /// Applies a validated update to an active allocation.
    #[expect(
        clippy::expect_used,
        reason = "the record was looked up at the start, under the same lock"
    )]
    pub(crate) fn update(&mut self, id: &str, f: UpdateBody) -> Result<Allocation, Failure> {
        self.sweep();
        let id: Id = self.id_of(id).ok_or_else(|| Failure::not_found(id))?;
        let rec = &self.records[&id];
        if !rec.is_active() {
            return Err(Failure::new(
                ErrorCode::AlreadyDeleted,
                format!(
                    "greenpin_id: {id} is in the vault; only active allocations can be updated"
                ),
            ));
        }
        let old = rec.allocation(&id);
        let old_expiry = rec.expires_at;
        let mut next = old.clone();
        let mut regenerate = (None, None);
        let rekey = f.a.is_some() || f.b.is_some();
        if let Some(pa) = f.a {
            regenerate.0 = merge(&mut next.a, pa);
        }
        if let Some(pb) = f.b {
            regenerate.1 = merge(&mut next.b, pb);
        }
        // The body was checked on its own; merged into the allocation, a number may now
        // be on both sides.
        check_parties_disjoint(&next.a, &next.b)?;
        if let Some(u) = f.usage {
            next.usage = u;
        }
        // An update without a policy keeps the countdown running.
        let expires_at = match f.deallocation_policy {
            Some(p) => self.expiry_for(Some(p)),
            None => old_expiry,
        };

        // Re-key when a party changed: take this allocation's keys out, settle PINs, check,
        // put back (the old ones, when the new ones are refused).
        if rekey {
            let old_keys = keys_of(&old);
            self.release_keys(&id, &old_keys);
            let result = (|| {
                self.settle_pin(&mut next.a, Side::A, regenerate.0, None)?;
                let a_pin = next.a.pin.clone();
                self.settle_pin(&mut next.b, Side::B, regenerate.1, a_pin.as_ref())?;
                self.check_keys(&next, &id)
            })();
            match result {
                Ok(new_keys) => self.hold_keys(&id, new_keys),
                Err(e) => {
                    self.hold_keys(&id, old_keys);
                    return Err(e);
                }
            }
        }
        if expires_at != old_expiry {
            self.unschedule(&id, old_expiry);
            self.schedule(&id, expires_at);
        }
        let updated = Record::new(&next, expires_at);
        let out = self.render(&id, &updated);
        *self.records.get_mut(&id).expect("checked above") = updated;
        Ok(out)
    }

    /// Deallocates now: the allocation goes to the vault. Answers it as it now is, whatever
    /// `deletion_time` is.
    pub(crate) fn delete(&mut self, id: &str) -> Result<Allocation, Failure> {
        self.sweep();
        let id: Id = self.id_of(id).ok_or_else(|| Failure::not_found(id))?;
        let rec = &self.records[&id];
        if !rec.is_active() {
            return Err(Failure::new(
                ErrorCode::AlreadyDeleted,
                format!("greenpin_id: {id} was already deallocated"),
            ));
        }
        let now = self.now_ms();
        self.deallocate(&id, now, DeallocationReason::Deleted);
        let rec = &self.records[&id];
        Ok(self.render(&id, rec))
    }

    /// Moves an active allocation into the vault at `at`: its transaction id is free, its
    /// keys stay reserved for `deletion_time` (freed at once when it is 0), and it is
    /// forgotten after the vault retention.
    fn deallocate(&mut self, id: &Id, at: i64, reason: DeallocationReason) {
        // Settings cap deletion_time at a day; saturating keeps any value safe anyway.
        let deletion_ms = i64::try_from(self.settings.deletion_time.unwrap_or(0))
            .unwrap_or(i64::MAX)
            .saturating_mul(1000);
        let retention = self.capacity.vault_retention_ms;
        let Some(rec) = self.records.get_mut(id) else {
            return;
        };
        if !rec.is_active() {
            return;
        }
        let old_expiry = rec.expires_at;
        rec.state = State::Vault;
        rec.deallocated_at = Some(at);
        let release_at = at.saturating_add(deletion_ms);
        let purge_at = at.saturating_add(retention).max(release_at);
        rec.release_at = (deletion_ms > 0).then_some(release_at);
        rec.purge_at = Some(purge_at);
        let alloc = rec.allocation(id);
        self.active -= 1;
        self.unschedule(id, old_expiry);
        if deletion_ms > 0 {
            self.releases.insert((release_at, id.clone()));
        } else {
            self.release_keys(id, &keys_of(&alloc));
        }
        self.purges.insert((purge_at, id.clone()));
        if let Some(tx) = &alloc.transaction_id {
            self.by_transaction.remove(tx.as_str());
        }
        let mut event = wire::deallocated(alloc.greenpin_id.clone(), reason);
        event.transaction_id = alloc.transaction_id.clone();
        event.deallocation_time = Some(self.time_text(at));
        self.events.push(Event::Deallocated(event));
        // The vault is bounded too: past its capacity the oldest are forgotten early.
        while self.purges.len() > self.capacity.max_vault {
            let Some((_, oldest)) = self.purges.pop_first() else {
                break;
            };
            self.forget(&oldest);
        }
    }

    /// Ends a deallocated allocation's vault period: its keys are free.
    fn release(&mut self, id: &Id) {
        let Some(rec) = self.records.get_mut(id) else {
            return;
        };
        let Some(at) = rec.release_at.take() else {
            return;
        };
        self.releases.remove(&(at, id.clone()));
        let alloc = rec.allocation(id);
        self.release_keys(id, &keys_of(&alloc));
    }

    /// Forgets a deallocated allocation (releasing its keys if still reserved).
    fn forget(&mut self, id: &Id) {
        self.release(id);
        if let Some(rec) = self.records.remove(id)
            && let Some(at) = rec.purge_at
        {
            self.purges.remove(&(at, id.clone()));
        }
    }

    /// Every allocation kept, in the dashboard's order: active ones by when they expire,
    /// then those that never expire, then deallocated ones by when they are forgotten. No
    /// sort: each index is already in order.
    pub(crate) fn in_order(&self) -> impl Iterator<Item = (&Id, &Record)> + '_ {
        self.expiries
            .iter()
            .map(|(_, id)| id)
            .chain(self.unending.iter())
            .chain(self.purges.iter().map(|(_, id)| id))
            .filter_map(|id| self.records.get_key_value(id))
    }

    /// How many allocations are active, and how many deallocated ones are kept.
    pub(crate) fn counts(&self) -> (usize, usize) {
        (self.active, self.records.len() - self.active)
    }
}

/// Merges an update of a party into it; returns the requested PIN length when the update
/// asks for a fresh PIN (a `pin_length` without a `pin`).
fn merge(p: &mut Party, change: Party) -> Option<PinLength> {
    if !change.vns.is_empty() {
        p.vns = change.vns;
    }
    if !change.numbers.is_empty() {
        p.numbers = change.numbers;
    }
    match (change.pin, change.pin_length) {
        (Some(pin), _) => {
            p.pin = Some(pin);
            None
        }
        (None, Some(len)) => {
            p.pin = None;
            Some(len)
        }
        (None, None) => None,
    }
}
