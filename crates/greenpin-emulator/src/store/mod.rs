//! The emulator's state and GreenPin's rules, with no HTTP in sight: allocations, the
//! (VN, PIN) routing table, the virtual clock, expiry and purge, settings, and call
//! routing. The HTTP layer parses and validates with greenpin-core, then calls in here
//! under one lock, so every invariant holds under any interleaving of requests.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use greenpin_core::{
    Allocation, CallCompleted, CallType, Country, CreateBody, DeallocationDuration,
    DeallocationEvent, DeallocationPolicy, DeallocationReason, DeallocationTime, ErrorCode,
    GreenPinId, MaxDeallocationTime, Party, PhoneNumber, Pin, PinLength, Settings, SettingsBody,
    SettingsSpec, State, Timezone, TransactionId, UpdateBody, Usage, ValidationContext,
    check_parties_disjoint,
};
use serde::Serialize;

mod calls;
mod clock;
mod dashboard;
mod record;
mod routing;
mod settings;

pub use calls::{CallOutcome, CallRefusal};
pub use dashboard::{AllocationView, EventView, RouteView, Snapshot};
pub use settings::default_settings;

use crate::failure::Failure;
use crate::ids::Entropy;
use record::{Id, Record};
use routing::{RouteKey, digits, routes_of};

/// Seconds a vault allocation is kept when the `deletion_time` setting is not changed.
pub const DEFAULT_DELETION_TIME: u64 = 7 * 86_400;
/// PIN length generated when a party's PIN is enabled in settings but no length is given.
pub const DEFAULT_PIN_LENGTH: u8 = 4;
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
    fn name(self) -> &'static str {
        match self {
            Side::A => "a",
            Side::B => "b",
        }
    }
}

/// Something to tell the account's callback endpoint.
#[derive(Debug, Clone)]
pub enum Event {
    /// An allocation expired or was deleted.
    Deallocated(DeallocationEvent),
    /// A simulated call ended.
    CallCompleted(Box<CallCompleted>),
}

/// The whole emulated account.
#[derive(Debug)]
pub struct Store {
    records: HashMap<Id, Record>,
    by_transaction: HashMap<String, Id>,
    routes: HashMap<RouteKey, (Id, Side)>,
    expiries: BTreeSet<(i64, Id)>,
    purges: BTreeSet<(i64, Id)>,
    settings: Settings,
    clock_offset_ms: i64,
    /// `settings.country`, parsed once per change.
    country: Country,
    entropy: Entropy,
    events: Vec<Event>,
    /// Callbacks fired lately, newest first, for the dashboard.
    recent_events: std::collections::VecDeque<dashboard::EventView>,
}

impl Default for Store {
    fn default() -> Self {
        Store::new()
    }
}

impl Store {
    /// An empty account with default settings.
    pub fn new() -> Self {
        Store {
            records: HashMap::new(),
            by_transaction: HashMap::new(),
            routes: HashMap::new(),
            expiries: BTreeSet::new(),
            purges: BTreeSet::new(),
            settings: default_settings(),
            clock_offset_ms: 0,
            country: Country::IN,
            entropy: Entropy::default(),
            events: Vec::new(),
            recent_events: std::collections::VecDeque::new(),
        }
    }

    // ----- allocations -------------------------------------------------------------

    fn render(&self, id: &str, rec: &Record) -> Allocation {
        self.dated(rec.allocation(id), rec)
    }

    /// `a` with the deallocation time of `rec`, in the settings' timezone.
    fn dated(&self, mut a: Allocation, rec: &Record) -> Allocation {
        a.deallocation_time = rec
            .deallocated_at
            .or(rec.expires_at)
            .map(|ms| self.time_text(ms));
        a
    }

    /// The allocation, active or in the vault (until purged).
    pub fn get(&mut self, id: &str) -> Result<Allocation, Failure> {
        self.sweep();
        let rec = self.records.get(id).ok_or_else(|| Failure::not_found(id))?;
        Ok(self.render(id, rec))
    }

    /// Every allocation id the store still holds, with its state (for invariant checks).
    pub fn states(&self) -> Vec<(String, State)> {
        self.records
            .iter()
            .map(|(id, r)| (id.to_string(), r.state.clone()))
            .collect()
    }

    /// The shared id of a record.
    fn id_of(&self, id: &str) -> Option<Id> {
        self.records.get_key_value(id).map(|(k, _)| k.clone())
    }

    /// Creates an allocation from a validated create body.
    #[expect(clippy::expect_used, reason = "uuids are path-safe ids")]
    pub fn create(&mut self, body: CreateBody) -> Result<Allocation, Failure> {
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
        let expires_at = self.expiry_for(f.deallocation_policy, None)?;
        let id: Id = loop {
            let candidate = self.entropy.uuid();
            if !self.records.contains_key(candidate.as_str()) {
                break candidate.into();
            }
        };
        let greenpin_id = GreenPinId::new(id.to_string()).expect("uuids are path-safe");
        let mut alloc = Allocation::new(
            greenpin_id,
            a,
            b,
            f.usage.unwrap_or(Usage::Twoway),
            State::Active,
        );
        alloc.transaction_id = Some(tx.clone());
        let routes = self.check_routes(&alloc, &id)?;
        for (key, side) in routes {
            self.routes.insert(key, (id.clone(), side));
        }
        self.by_transaction
            .insert(tx.as_str().to_owned(), id.clone());
        if let Some(at) = expires_at {
            self.expiries.insert((at, id.clone()));
        }
        let rec = Record::new(&alloc, expires_at);
        let out = self.dated(alloc, &rec);
        self.records.insert(id, rec);
        Ok(out)
    }

    /// Applies a validated update to an active allocation.
    #[expect(
        clippy::expect_used,
        reason = "the record was looked up at the start, under the same lock"
    )]
    pub fn update(&mut self, id: &str, f: UpdateBody) -> Result<Allocation, Failure> {
        self.sweep();
        let id: Id = self.id_of(id).ok_or_else(|| Failure::not_found(id))?;
        let rec = &self.records[&id];
        if rec.state != State::Active {
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
        let reroute = f.a.is_some() || f.b.is_some();
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
        let expires_at = match f.deallocation_policy {
            Some(p) => self.expiry_for(Some(p), old_expiry)?,
            None => old_expiry,
        };

        // Re-route when a party changed: take this allocation's routes out, settle PINs,
        // check, put back (the old ones, when the new ones are refused).
        if reroute {
            let old_routes = routes_of(&old);
            for (key, _) in &old_routes {
                self.routes.remove(key);
            }
            let result = (|| {
                self.settle_pin(&mut next.a, Side::A, regenerate.0, None)?;
                let a_pin = next.a.pin.clone();
                self.settle_pin(&mut next.b, Side::B, regenerate.1, a_pin.as_ref())?;
                self.check_routes(&next, &id)
            })();
            let new_routes = match result {
                Ok(r) => r,
                Err(e) => {
                    for (key, side) in old_routes {
                        self.routes.insert(key, (id.clone(), side));
                    }
                    return Err(e);
                }
            };
            for (key, side) in new_routes {
                self.routes.insert(key, (id.clone(), side));
            }
        }
        if expires_at != old_expiry {
            if let Some(at) = old_expiry {
                self.expiries.remove(&(at, id.clone()));
            }
            if let Some(at) = expires_at {
                self.expiries.insert((at, id.clone()));
            }
        }
        let rec = self.records.get_mut(&id).expect("checked above");
        let updated = Record::new(&next, expires_at);
        *rec = updated.clone();
        Ok(self.dated(next, &updated))
    }

    /// Deallocates now: the allocation goes to the vault and its routes are freed.
    pub fn delete(&mut self, id: &str) -> Result<Allocation, Failure> {
        self.sweep();
        let id: Id = self.id_of(id).ok_or_else(|| Failure::not_found(id))?;
        let rec = &self.records[&id];
        if rec.state != State::Active {
            return Err(Failure::new(
                ErrorCode::AlreadyDeleted,
                format!("greenpin_id: {id} was already deallocated"),
            ));
        }
        if let Some(at) = rec.expires_at {
            self.expiries.remove(&(at, id.clone()));
        }
        let now = self.now_ms();
        self.deallocate(&id, now, DeallocationReason::Deleted);
        self.get(&id)
    }

    fn deallocate(&mut self, id: &Id, at: i64, reason: DeallocationReason) {
        let deletion_ms = i64::try_from(
            self.settings
                .deletion_time
                .unwrap_or(DEFAULT_DELETION_TIME)
                .saturating_mul(1000),
        )
        .unwrap_or(i64::MAX / 4);
        let Some(rec) = self.records.get_mut(id) else {
            return;
        };
        rec.state = State::Vault;
        rec.deallocated_at = Some(at);
        let alloc = rec.allocation(id);
        for (key, _) in routes_of(&alloc) {
            if self.routes.get(&key).is_some_and(|(owner, _)| owner == id) {
                self.routes.remove(&key);
            }
        }
        if let Some(tx) = &alloc.transaction_id {
            self.by_transaction.remove(tx.as_str());
        }
        self.purges
            .insert((at.saturating_add(deletion_ms), id.clone()));
        let mut event = DeallocationEvent::new(alloc.greenpin_id.clone(), reason);
        event.transaction_id = alloc.transaction_id.clone();
        event.deallocation_time = Some(self.time_text(at));
        self.events.push(Event::Deallocated(event));
    }

    fn expiry_for(
        &self,
        policy: Option<DeallocationPolicy>,
        current: Option<i64>,
    ) -> Result<Option<i64>, Failure> {
        let max = self.settings.max_deallocation_time;
        let now = self.now_ms();
        match policy {
            Some(p) => {
                // Documented: the setting "will override the deallocation_policy if the
                // duration in the deallocation_policy is greater than this value"; and
                // allocations "can last from 5 minutes", so a shorter policy is raised.
                let cap = max.and_then(|m| m.secs()).unwrap_or(u64::MAX);
                let secs = p
                    .duration
                    .as_secs()
                    .max(DeallocationDuration::MIN_LIFE.as_secs())
                    .min(cap);
                Ok(Some(now.saturating_add((secs as i64).saturating_mul(1000))))
            }
            None if current.is_some() => Ok(current),
            None => Ok(max
                .and_then(|m| m.secs())
                .map(|m| now.saturating_add((m as i64).saturating_mul(1000)))),
        }
    }

    /// The transaction id of an allocation (for tests).
    pub fn transaction_of(&self, id: &str) -> Option<TransactionId> {
        self.records.get(id).and_then(|r| r.transaction_id.clone())
    }

    /// Checks the store's own invariants; `Err` says which one broke.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut seen = HashMap::new();
        for (id, rec) in &self.records {
            if rec.state != State::Active {
                if self.by_transaction.values().any(|v| v == id) {
                    return Err(format!(
                        "vault allocation {id} still holds its transaction id"
                    ));
                }
                continue;
            }
            for (key, side) in routes_of(&rec.allocation(id)) {
                if let Some(other) = seen.insert(key, id.clone()) {
                    return Err(format!("route {key:?} is held by {other} and {id}"));
                }
                if self.routes.get(&key) != Some(&(id.clone(), side)) {
                    return Err(format!("route {key:?} of {id} is missing from the table"));
                }
            }
        }
        if seen.len() != self.routes.len() {
            return Err(format!(
                "{} routes in the table, {} held by active allocations",
                self.routes.len(),
                seen.len()
            ));
        }
        Ok(())
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
