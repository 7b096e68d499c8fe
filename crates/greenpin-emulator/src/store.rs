//! The emulator's state and GreenPin's rules, with no HTTP in sight: allocations, the
//! (VN, PIN) routing table, the virtual clock, expiry and purge, settings, and call
//! routing. The HTTP layer parses and validates with greenpin-core, then calls in here
//! under one lock, so every invariant holds under any interleaving of requests.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use greenpin_core::{
    Allocation, CallCompleted, CallType, Country, CreateBody, DeallocationEvent,
    DeallocationPolicy, DeallocationReason, DeallocationTime, ErrorCode, GreenPinId,
    MaxDeallocationTime, Party, PhoneNumber, Pin, PinLength, Settings, SettingsBody, State,
    Timezone, TransactionId, UpdateBody, Usage, ValidationContext, check_parties_disjoint,
};
use serde::Serialize;

use crate::failure::Failure;
use crate::ids::Entropy;

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

/// How a caller is told apart on a VN: by the PIN entered, or — for a party without a
/// PIN — by the caller's own number. Numbers are kept as their E.164 digits and PINs as
/// digits and length, so a key is 24 bytes and needs no heap: the routing table holds
/// several keys for every live allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct RouteKey {
    vn: u64,
    /// The PIN's digits, or the caller's number when `pin_len` is 0.
    who: u64,
    pin_len: u8,
}

/// The digits of a validated E.164 number (at most 15: they fit in a `u64`).
fn digits(n: &PhoneNumber) -> u64 {
    n.as_str()
        .trim_start_matches('+')
        .parse()
        .unwrap_or(u64::MAX)
}

impl RouteKey {
    fn pin(vn: &PhoneNumber, pin: &Pin) -> Self {
        RouteKey {
            vn: digits(vn),
            who: pin.as_str().parse().unwrap_or(u64::MAX),
            pin_len: pin.len() as u8,
        }
    }

    fn caller(vn: &PhoneNumber, number: &PhoneNumber) -> Self {
        RouteKey {
            vn: digits(vn),
            who: digits(number),
            pin_len: 0,
        }
    }

    fn is_pin(&self) -> bool {
        self.pin_len > 0
    }

    fn describe(&self, side: Side, whose: &str) -> String {
        if self.is_pin() {
            format!(
                "{}.pin: VN +{} with PIN {:0width$} is already used by {whose}",
                side.name(),
                self.vn,
                self.who,
                width = usize::from(self.pin_len)
            )
        } else {
            format!(
                "{}.numbers: +{} already reaches {whose} through VN +{} without a PIN",
                side.name(),
                self.who,
                self.vn
            )
        }
    }
}

/// An allocation id, shared by every index that refers to it.
type Id = Arc<str>;

/// A party as stored: numbers as E.164 digits in boxed slices — a fraction of the size of
/// a `Vec` of `String`s, which matters at 100,000 live allocations.
#[derive(Debug, Clone)]
struct StoredParty {
    vns: Box<[u64]>,
    numbers: Box<[u64]>,
    pin: Option<Pin>,
}

impl StoredParty {
    fn new(p: &Party) -> Self {
        StoredParty {
            vns: p.vns.iter().map(digits).collect(),
            numbers: p.numbers.iter().map(digits).collect(),
            pin: p.pin.clone(),
        }
    }

    fn party(&self) -> Party {
        let numbers = |list: &[u64]| {
            list.iter()
                .map(|d| PhoneNumber::from_server(format!("+{d}")))
                .collect()
        };
        let mut p = Party::default();
        p.vns = numbers(&self.vns);
        p.numbers = numbers(&self.numbers);
        p.pin = self.pin.clone();
        p
    }
}

/// An allocation as stored; its id is the key it is stored under.
#[derive(Debug, Clone)]
struct Record {
    transaction_id: Option<TransactionId>,
    a: StoredParty,
    b: StoredParty,
    usage: Usage,
    state: State,
    expires_at: Option<i64>,
    deallocated_at: Option<i64>,
}

impl Record {
    fn new(alloc: &Allocation, expires_at: Option<i64>) -> Self {
        Record {
            transaction_id: alloc.transaction_id.clone(),
            a: StoredParty::new(&alloc.a),
            b: StoredParty::new(&alloc.b),
            usage: alloc.usage.clone(),
            state: alloc.state.clone(),
            expires_at,
            deallocated_at: None,
        }
    }

    /// The allocation, without its deallocation time (see `Store::dated`).
    fn allocation(&self, id: &str) -> Allocation {
        let greenpin_id = GreenPinId::new(id).expect("stored ids are valid");
        let mut a = Allocation::new(
            greenpin_id,
            self.a.party(),
            self.b.party(),
            self.usage.clone(),
            self.state.clone(),
        );
        a.transaction_id = self.transaction_id.clone();
        a
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

/// Where a simulated call went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallOutcome {
    /// Whether the call was put through.
    pub connected: bool,
    /// The allocation it reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub greenpin_id: Option<String>,
    /// The caller's party in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party: Option<Side>,
    /// The number it connects to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Why not: `no_match`, `wrong_pin`, `oneway`, `not_active`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
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
}

impl Default for Store {
    fn default() -> Self {
        Store::new()
    }
}

/// The documented defaults of every setting the emulator models.
pub fn default_settings() -> Settings {
    let mut s = Settings::new()
        .country("IN")
        .intl_num_sup(false)
        .max_deallocation_time(MaxDeallocationTime::Secs(170 * 86_400))
        .timezone(Timezone::Ist)
        .deletion_time(DEFAULT_DELETION_TIME);
    let four = PinLength::new(i64::from(DEFAULT_PIN_LENGTH)).expect("4 is a PIN length");
    s.aparty_pin_length = Some(four);
    s.bparty_pin_length = Some(four);
    s.common_pin_length = Some(four);
    s.aparty_pin_enabled = Some(false);
    s.bparty_pin_enabled = Some(false);
    s.common_pin_enabled = Some(false);
    s
}

fn real_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
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
        }
    }

    // ----- clock -------------------------------------------------------------------

    /// The emulator's now, in milliseconds since the epoch: real time plus every advance.
    pub fn now_ms(&self) -> i64 {
        real_now_ms() + self.clock_offset_ms
    }

    /// Moves the clock forward; expiries and purges happen as it passes them.
    pub fn advance(&mut self, secs: u64) {
        let ms = i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX / 4);
        self.clock_offset_ms = self.clock_offset_ms.saturating_add(ms);
        self.sweep();
    }

    /// Now, written in the settings' timezone.
    pub fn now_text(&self) -> String {
        self.time_text(self.now_ms()).to_string()
    }

    fn timezone(&self) -> &Timezone {
        // Settings only ever hold a known zone: the core refuses others.
        self.settings.timezone.as_ref().unwrap_or(&Timezone::Ist)
    }

    fn time_text(&self, ms: i64) -> DeallocationTime {
        let secs = ms.div_euclid(1000);
        self.timezone()
            .deallocation_time(secs)
            .or_else(|| Timezone::Utc.deallocation_time(0))
            .unwrap_or_else(|| DeallocationTime::new(time::PrimitiveDateTime::MIN))
    }

    fn iso_now(&self) -> String {
        self.timezone()
            .iso8601(self.now_ms().div_euclid(1000))
            .unwrap_or_default()
    }

    /// Expires and purges whatever the clock has passed.
    pub fn sweep(&mut self) {
        let now = self.now_ms();
        while let Some((at, id)) = self.expiries.first().cloned() {
            if at > now {
                break;
            }
            self.expiries.pop_first();
            self.deallocate(&id, at, DeallocationReason::Expired);
        }
        while let Some((at, id)) = self.purges.first().cloned() {
            if at > now {
                break;
            }
            self.purges.pop_first();
            self.records.remove(&*id);
        }
    }

    /// Takes the events produced since the last call.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    // ----- settings ----------------------------------------------------------------

    /// The country local numbers are read in.
    pub fn country(&self) -> Country {
        self.country
    }

    /// What the core's validation needs from the account's settings.
    pub fn validation(&self) -> ValidationContext {
        ValidationContext::new(self.country)
            .international_numbers(self.settings.intl_num_sup == Some(true))
    }

    /// Every setting.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Applies a validated settings change; what it omits keeps its value.
    pub fn update_settings(&mut self, change: SettingsBody) -> Settings {
        let change = change.into_settings();
        let s = &mut self.settings;
        macro_rules! take {
            ($($f:ident),+) => { $( if change.$f.is_some() { s.$f = change.$f; } )+ };
        }
        take!(
            country,
            intl_num_sup,
            max_deallocation_time,
            timezone,
            deletion_time,
            greenpin_call_complete_event_endpoint,
            aparty_pin_length,
            bparty_pin_length,
            aparty_pin_enabled,
            bparty_pin_enabled,
            common_pin_length,
            common_pin_enabled
        );
        s.other.extend(change.other);
        self.country = self
            .settings
            .country
            .as_deref()
            .and_then(|c| c.parse().ok())
            .unwrap_or(Country::IN);
        self.settings.clone()
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
                // duration in the deallocation_policy is greater than this value".
                let secs = match max {
                    Some(MaxDeallocationTime::Secs(m)) => p.duration.as_secs().min(m),
                    _ => p.duration.as_secs(),
                };
                Ok(Some(now + secs as i64 * 1000))
            }
            None if current.is_some() => Ok(current),
            None => Ok(match max {
                Some(MaxDeallocationTime::Secs(m)) => {
                    Some(now.saturating_add((m as i64).saturating_mul(1000)))
                }
                _ => None,
            }),
        }
    }

    /// Gives the party a PIN when one is asked for (`pin_length` without `pin`, or PINs
    /// enabled in settings), unique on the party's VNs; `pin_length` is not kept.
    fn settle_pin(
        &self,
        p: &mut Party,
        side: Side,
        requested: Option<PinLength>,
        avoid: Option<&Pin>,
    ) -> Result<(), Failure> {
        p.pin_length = None;
        let enabled = match side {
            Side::A => self.settings.aparty_pin_enabled,
            Side::B => self.settings.bparty_pin_enabled,
        } == Some(true);
        let setting_len = match side {
            Side::A => self.settings.aparty_pin_length,
            Side::B => self.settings.bparty_pin_length,
        };
        let len = match (&p.pin, requested) {
            (Some(_), _) => return Ok(()),
            (None, Some(len)) => len,
            (None, None) if enabled => setting_len.unwrap_or(
                PinLength::new(i64::from(DEFAULT_PIN_LENGTH)).expect("4 is a PIN length"),
            ),
            (None, None) => return Ok(()),
        };
        for _ in 0..PIN_ATTEMPTS {
            let candidate =
                Pin::new(self.entropy.digits(len.get())).expect("digits of a valid length");
            let free = p
                .vns
                .iter()
                .all(|vn| !self.routes.contains_key(&RouteKey::pin(vn, &candidate)));
            if free && avoid != Some(&candidate) {
                p.pin = Some(candidate);
                return Ok(());
            }
        }
        Err(Failure::new(
            ErrorCode::PinClash,
            format!(
                "{}.pin_length: no free PIN of length {len} on these VNs",
                side.name()
            ),
        ))
    }

    /// The routes `alloc` needs, refused when another active allocation holds one, or
    /// when the allocation would route one call two ways itself.
    fn check_routes(&self, alloc: &Allocation, id: &str) -> Result<Vec<(RouteKey, Side)>, Failure> {
        let routes = routes_of(alloc);
        for (i, (key, side)) in routes.iter().enumerate() {
            let taken = self
                .routes
                .get(key)
                .is_some_and(|(owner, _)| &**owner != id);
            let twice = routes[..i].iter().any(|(k, _)| k == key);
            if taken || twice {
                let whose = if taken {
                    "another active allocation"
                } else {
                    "the other party"
                };
                return Err(Failure::new(
                    ErrorCode::PinClash,
                    key.describe(*side, whose),
                ));
            }
        }
        Ok(routes)
    }

    // ----- calls -------------------------------------------------------------------

    /// A caller dials `vn` from `from`, entering `pin` when asked.
    pub fn call(
        &mut self,
        from: &str,
        vn: &str,
        pin: Option<&str>,
    ) -> Result<CallOutcome, Failure> {
        let country = self.country();
        let from = PhoneNumber::parse(from, country).map_err(|e| {
            Failure::new(
                ErrorCode::InvalidNumber,
                format!("from: {from:?} is not a valid phone number: {e}"),
            )
        })?;
        let vn = PhoneNumber::parse(vn, country).map_err(|e| {
            Failure::new(
                ErrorCode::InvalidNumber,
                format!("vn: {vn:?} is not a valid phone number: {e}"),
            )
        })?;
        let pin = pin
            .map(|p| Pin::new(p).map_err(|e| Failure::bad(format!("pin: {e}"))))
            .transpose()?;
        self.sweep();
        let key = match &pin {
            Some(p) => RouteKey::pin(&vn, p),
            None => RouteKey::caller(&vn, &from),
        };
        let refused = |reason| CallOutcome {
            connected: false,
            greenpin_id: None,
            party: None,
            to: None,
            reason: Some(reason),
        };
        let Some((id, side)) = self.routes.get(&key).cloned() else {
            let vn_digits = digits(&vn);
            let vn_has_pins = self.routes.keys().any(|k| k.is_pin() && k.vn == vn_digits);
            let in_vault = self.records.iter().any(|(id, r)| {
                r.state != State::Active
                    && routes_of(&r.allocation(id)).iter().any(|(k, _)| k == &key)
            });
            let reason = if in_vault {
                "not_active"
            } else if vn_has_pins {
                "wrong_pin"
            } else {
                "no_match"
            };
            return Ok(refused(reason));
        };
        let alloc = self.records[&*id].allocation(&id);
        let mut event = CallCompleted::default();
        event.transaction_id = alloc.transaction_id.clone();
        event.call_sid = Some(self.entropy.uuid());
        event.vn = Some(vn);
        event.greenpin_id = Some(alloc.greenpin_id.clone());
        event.from = Some(from);
        event.direction = Some("incoming".into());
        event.source = Some("exotel".into());
        event.start_time = Some(self.iso_now());
        event.current_time = Some(self.iso_now());
        event.dial_call_duration = Some(0);
        event.on_call_duration = Some(0);
        if side == Side::B && alloc.usage == Usage::Oneway {
            event.call_type = Some(CallType::CallAttempt);
            self.events.push(Event::CallCompleted(Box::new(event)));
            let mut out = refused("oneway");
            out.greenpin_id = Some(id.to_string());
            out.party = Some(side);
            return Ok(out);
        }
        let other = match side {
            Side::A => &alloc.b,
            Side::B => &alloc.a,
        };
        let to = other.numbers.first().cloned();
        event.to = to.clone();
        event.call_type = Some(if to.is_some() {
            CallType::Completed
        } else {
            CallType::Incomplete
        });
        event.dial_call_status = Some(if to.is_some() { "completed" } else { "failed" }.into());
        self.events.push(Event::CallCompleted(Box::new(event)));
        Ok(CallOutcome {
            connected: to.is_some(),
            greenpin_id: Some(id.to_string()),
            party: Some(side),
            to: to.map(|n| n.to_string()),
            reason: None,
        })
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

fn routes_of(alloc: &Allocation) -> Vec<(RouteKey, Side)> {
    let mut out = Vec::new();
    for (side, p) in [(Side::A, &alloc.a), (Side::B, &alloc.b)] {
        for vn in &p.vns {
            match &p.pin {
                Some(pin) => out.push((RouteKey::pin(vn, pin), side)),
                None => {
                    for n in &p.numbers {
                        out.push((RouteKey::caller(vn, n), side));
                    }
                }
            }
        }
    }
    out
}
