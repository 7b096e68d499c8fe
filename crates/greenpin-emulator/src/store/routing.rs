//! The key table: who reaches whom through which VN, and which numbers are registered
//! where. A call to a VN resolves by the PIN entered or, for a party without a PIN, by the
//! caller's own number; every number of a party is registered on each of its VNs.
//!
//! Among live allocations — active ones, and deallocated ones still in their vault period
//! (`deletion_time`) — each key belongs to one allocation: a (VN, PIN) pair picks exactly
//! one allocation, and a number is registered on a VN under one PIN at most (Exotel's code
//! 19, "number already registered with another pin").

use super::*;

/// A key of the table: a (VN, PIN) pair, or a (VN, number) pair. Numbers are kept as their
/// E.164 digits and PINs as digits and length, so a key is 24 bytes and needs no heap: the
/// table holds several keys for every live allocation.
///
/// Ordered by VN, then PINs after numbers, so "does this VN take PINs?" is one range query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct RouteKey {
    pub(crate) vn: u64,
    /// The PIN's length, or 0 for a (VN, number) key.
    pub(crate) pin_len: u8,
    /// The PIN's digits, or the number's when `pin_len` is 0.
    pub(crate) who: u64,
}

/// Who holds a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Holder {
    pub(crate) id: Id,
    pub(crate) side: Side,
    /// For a (VN, number) key: whether the party has a PIN, so the key only registers the
    /// number (the caller still enters the PIN) instead of routing by it.
    pub(crate) pinned: bool,
}

/// The digits of a validated E.164 number (at most 15: they fit in a `u64`).
pub(crate) fn digits(n: &PhoneNumber) -> u64 {
    n.as_str()
        .trim_start_matches('+')
        .parse()
        .unwrap_or(u64::MAX)
}

impl RouteKey {
    pub(crate) fn pin(vn: &PhoneNumber, pin: &Pin) -> Self {
        RouteKey {
            vn: digits(vn),
            pin_len: pin.len() as u8,
            who: pin.as_str().parse().unwrap_or(u64::MAX),
        }
    }

    pub(crate) fn caller(vn: &PhoneNumber, number: &PhoneNumber) -> Self {
        RouteKey {
            vn: digits(vn),
            pin_len: 0,
            who: digits(number),
        }
    }

    pub(crate) fn is_pin(&self) -> bool {
        self.pin_len > 0
    }

    /// The PIN's text, for a PIN key.
    pub(crate) fn pin_text(&self) -> Option<String> {
        self.is_pin()
            .then(|| format!("{:0width$}", self.who, width = usize::from(self.pin_len)))
    }

    /// Every key on `vn` that is a PIN.
    pub(crate) fn pins_on(vn: u64) -> std::ops::RangeInclusive<RouteKey> {
        RouteKey {
            vn,
            pin_len: 1,
            who: 0,
        }..=RouteKey {
            vn,
            pin_len: u8::MAX,
            who: u64::MAX,
        }
    }
}

/// A key an allocation needs, with whose it is.
pub(crate) type Needed = (RouteKey, Side, bool);

/// Every key of `alloc`: each party's (VN, PIN) when it has a PIN, and (VN, number) for each
/// of its numbers on each of its VNs. A (VN, PIN) both parties share (the common PIN) is
/// listed once: who is calling is then told by the caller's number.
pub(crate) fn keys_of(alloc: &Allocation) -> Vec<Needed> {
    let mut out: Vec<Needed> = Vec::new();
    for (side, p) in [(Side::A, &alloc.a), (Side::B, &alloc.b)] {
        for vn in &p.vns {
            if let Some(pin) = &p.pin {
                let key = RouteKey::pin(vn, pin);
                if !out.iter().any(|(k, _, _)| *k == key) {
                    out.push((key, side, true));
                }
            }
            for n in &p.numbers {
                out.push((RouteKey::caller(vn, n), side, p.pin.is_some()));
            }
        }
    }
    out
}

impl Store {
    /// Settles a party's PIN by the account's settings. Documented: PINs exist per party
    /// only when that party's PIN (or the common PIN) is enabled; the service's own Update
    /// example answers without `b.pin` although the request sent one. So a PIN of a party
    /// whose PIN is off is dropped; an enabled party without one gets one generated (at
    /// `pin_length` when the request gave it, else the setting's length), free on the
    /// party's VNs (vault periods included). With the common PIN on, the B-party shares the
    /// A-party's PIN. `pin_length` is never kept (answers carry the PIN).
    #[expect(
        clippy::expect_used,
        reason = "a PIN of a valid PinLength of digits is always a valid Pin"
    )]
    pub(super) fn settle_pin(
        &self,
        p: &mut Party,
        side: Side,
        requested: Option<PinLength>,
        a_pin: Option<&Pin>,
    ) -> Result<(), Failure> {
        p.pin_length = None;
        let s = &self.settings;
        let common = s.common_pin_enabled == Some(true);
        let own = match side {
            Side::A => s.aparty_pin_enabled,
            Side::B => s.bparty_pin_enabled,
        } == Some(true);
        if !(common || own) {
            p.pin = None;
            return Ok(());
        }
        if common
            && side == Side::B
            && let Some(pin) = a_pin
        {
            p.pin = Some(pin.clone());
            return Ok(());
        }
        let setting_len = if common {
            s.common_pin_length
        } else {
            match side {
                Side::A => s.aparty_pin_length,
                Side::B => s.bparty_pin_length,
            }
        };
        let len = match (&p.pin, requested) {
            (Some(_), _) => return Ok(()),
            (None, Some(len)) => len,
            (None, None) => setting_len.unwrap_or(default_pin_length()),
        };
        for _ in 0..PIN_ATTEMPTS {
            let candidate =
                Pin::new(self.entropy.digits(len.get())).expect("digits of a valid length");
            let free = p
                .vns
                .iter()
                .all(|vn| !self.keys.contains_key(&RouteKey::pin(vn, &candidate)));
            if free {
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

    /// The keys `alloc` needs, refused (409) when another live allocation holds one:
    ///
    /// - a (VN, PIN) another allocation holds: code 19;
    /// - a number registered on the VN by another allocation, where either has a PIN: code
    ///   19, "number already registered with another pin";
    /// - where neither has a PIN (both are routed by the caller's number), code 13, "all
    ///   numbers are duplicates", when every number the party gives is registered there
    ///   already, and code 19 when only some are.
    ///
    /// A key held by a deallocated allocation in its vault period clashes the same way, and
    /// the message says until when.
    pub(super) fn check_keys(&self, alloc: &Allocation, id: &str) -> Result<Vec<Needed>, Failure> {
        let keys = keys_of(alloc);
        let held = |key: &RouteKey| self.keys.get(key).filter(|h| &*h.id != id);
        let whose = |h: &Holder| match self.records.get(&*h.id) {
            Some(r) if !r.is_active() => match r.release_at {
                Some(at) => format!(
                    "a deallocated allocation in its vault period (until {})",
                    self.time_text(at)
                ),
                None => "a deallocated allocation".to_owned(),
            },
            _ => "another active allocation".to_owned(),
        };
        for (key, side, _) in keys.iter().filter(|(k, _, _)| k.is_pin()) {
            if let Some(h) = held(key) {
                return Err(Failure::new(
                    ErrorCode::PinClash,
                    format!(
                        "{}.pin: VN +{} with PIN {} is already used by {}",
                        side.name(),
                        key.vn,
                        key.pin_text().unwrap_or_default(),
                        whose(h)
                    ),
                ));
            }
        }
        for (side, party) in [(Side::A, &alloc.a), (Side::B, &alloc.b)] {
            let mut clashes = Vec::new();
            for (i, n) in party.numbers.iter().enumerate() {
                for vn in &party.vns {
                    if let Some(h) = held(&RouteKey::caller(vn, n)) {
                        clashes.push((i, n, vn, h));
                        break;
                    }
                }
            }
            let Some(&(i, n, vn, h)) = clashes.first() else {
                continue;
            };
            let with_pins = party.pin.is_some() || clashes.iter().any(|c| c.3.pinned);
            let field = format!("{}.numbers[{i}]", side.name());
            if !with_pins && clashes.len() == party.numbers.len() {
                return Err(Failure::new(
                    ErrorCode::AllNumbersDuplicate,
                    format!(
                        "{}.numbers: all numbers are duplicates: each is already registered on these VNs by {}",
                        side.name(),
                        whose(h)
                    ),
                ));
            }
            let how = if with_pins {
                "with another PIN"
            } else {
                "without a PIN"
            };
            return Err(Failure::new(
                ErrorCode::PinClash,
                format!(
                    "{field}: {n} is already registered on VN {vn} {how}, by {}",
                    whose(h)
                ),
            ));
        }
        Ok(keys)
    }

    /// Takes `id`'s keys out of the table (those it holds).
    pub(super) fn release_keys(&mut self, id: &Id, keys: &[Needed]) {
        for (key, _, _) in keys {
            if self.keys.get(key).is_some_and(|h| &h.id == id) {
                self.keys.remove(key);
            }
        }
    }

    /// Puts `keys` in the table for `id`.
    pub(super) fn hold_keys(&mut self, id: &Id, keys: Vec<Needed>) {
        for (key, side, pinned) in keys {
            self.keys.insert(
                key,
                Holder {
                    id: id.clone(),
                    side,
                    pinned,
                },
            );
        }
    }
}

/// The PIN length generated when a party's PIN is enabled in settings without a length.
#[expect(
    clippy::expect_used,
    reason = "DEFAULT_PIN_LENGTH is within PinLength's range"
)]
pub(super) fn default_pin_length() -> PinLength {
    PinLength::new(i64::from(DEFAULT_PIN_LENGTH)).expect("4 is a PIN length")
}
