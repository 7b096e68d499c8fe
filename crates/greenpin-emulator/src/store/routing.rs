//! The routing table: who reaches whom through which VN. A call to a VN resolves by the
//! PIN entered or, for a party without a PIN, by the caller's own number; among active
//! allocations each such key belongs to exactly one party.

use super::*;

/// How a caller is told apart on a VN: by the PIN entered, or — for a party without a
/// PIN — by the caller's own number. Numbers are kept as their E.164 digits and PINs as
/// digits and length, so a key is 24 bytes and needs no heap: the routing table holds
/// several keys for every live allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct RouteKey {
    pub(super) vn: u64,
    /// The PIN's digits, or the caller's number when `pin_len` is 0.
    pub(super) who: u64,
    pub(super) pin_len: u8,
}

/// The digits of a validated E.164 number (at most 15: they fit in a `u64`).
pub(super) fn digits(n: &PhoneNumber) -> u64 {
    n.as_str()
        .trim_start_matches('+')
        .parse()
        .unwrap_or(u64::MAX)
}

impl RouteKey {
    pub(super) fn pin(vn: &PhoneNumber, pin: &Pin) -> Self {
        RouteKey {
            vn: digits(vn),
            who: pin.as_str().parse().unwrap_or(u64::MAX),
            pin_len: pin.len() as u8,
        }
    }

    pub(super) fn caller(vn: &PhoneNumber, number: &PhoneNumber) -> Self {
        RouteKey {
            vn: digits(vn),
            who: digits(number),
            pin_len: 0,
        }
    }

    pub(super) fn is_pin(&self) -> bool {
        self.pin_len > 0
    }

    pub(super) fn describe(&self, side: Side, whose: &str) -> String {
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

impl Store {
    /// Settles a party's PIN by the account's settings. Documented: PINs exist per party
    /// only when that party's PIN (or the common PIN) is enabled; the service's own Update
    /// example answers without `b.pin` although the request sent one. So a PIN of a party
    /// whose PIN is off is dropped; an enabled party without one gets one generated (at
    /// `pin_length` when the request gave it, else the setting's length), unique on the
    /// party's VNs. With the common PIN on, the B-party shares the A-party's PIN.
    /// `pin_length` is never kept (answers carry the PIN).
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
                .all(|vn| !self.routes.contains_key(&RouteKey::pin(vn, &candidate)));
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

    /// The routes `alloc` needs, refused (409, code 19) when another active allocation
    /// holds one: a call to a VN with a PIN must resolve to exactly one allocation.
    pub(super) fn check_routes(
        &self,
        alloc: &Allocation,
        id: &str,
    ) -> Result<Vec<(RouteKey, Side)>, Failure> {
        let routes = routes_of(alloc);
        for (key, side) in &routes {
            if self
                .routes
                .get(key)
                .is_some_and(|(owner, _)| &**owner != id)
            {
                return Err(Failure::new(
                    ErrorCode::PinClash,
                    key.describe(*side, "another active allocation"),
                ));
            }
        }
        Ok(routes)
    }
}

/// Every key that reaches `alloc`. A key both parties share (the same PIN on the same VN,
/// as with the common PIN) is listed once: who is calling is then told by the caller's
/// number, not by the key.
pub(super) fn routes_of(alloc: &Allocation) -> Vec<(RouteKey, Side)> {
    let mut out: Vec<(RouteKey, Side)> = Vec::new();
    for (side, p) in [(Side::A, &alloc.a), (Side::B, &alloc.b)] {
        for vn in &p.vns {
            let keys: Vec<RouteKey> = match &p.pin {
                Some(pin) => vec![RouteKey::pin(vn, pin)],
                None => p.numbers.iter().map(|n| RouteKey::caller(vn, n)).collect(),
            };
            for key in keys {
                if !out.iter().any(|(k, _)| *k == key) {
                    out.push((key, side));
                }
            }
        }
    }
    out
}

/// The PIN length generated when a party's PIN is enabled in settings without a length.
#[expect(
    clippy::expect_used,
    reason = "DEFAULT_PIN_LENGTH is within PinLength's range"
)]
pub(super) fn default_pin_length() -> PinLength {
    PinLength::new(i64::from(DEFAULT_PIN_LENGTH)).expect("4 is a PIN length")
}
