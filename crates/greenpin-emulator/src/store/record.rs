//! How an allocation is stored: compactly (numbers as digits), since the emulator holds
//! 100,000 live allocations in under 1 KiB each.

use super::*;

/// An allocation id, shared by every index that refers to it.
pub(crate) type Id = Arc<str>;

/// A party as stored: numbers as E.164 digits in boxed slices — a fraction of the size of
/// a `Vec` of `String`s, which matters at 100,000 live allocations.
#[derive(Debug, Clone)]
pub(crate) struct StoredParty {
    pub(crate) vns: Box<[u64]>,
    pub(crate) numbers: Box<[u64]>,
    pub(crate) pin: Option<Pin>,
}

impl StoredParty {
    pub(super) fn new(p: &Party) -> Self {
        StoredParty {
            vns: p.vns.iter().map(digits).collect(),
            numbers: p.numbers.iter().map(digits).collect(),
            pin: p.pin.clone(),
        }
    }

    pub(super) fn party(&self) -> Party {
        let numbers = |list: &[u64]| {
            list.iter()
                .map(|d| wire::stored_number(format!("+{d}")))
                .collect()
        };
        let mut p = Party::default();
        p.vns = numbers(&self.vns);
        p.numbers = numbers(&self.numbers);
        p.pin = self.pin.clone();
        p
    }
}

/// An allocation as stored; its id is the key it is stored under. Times are milliseconds
/// on the emulator's clock.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub(crate) transaction_id: Option<TransactionId>,
    pub(crate) a: StoredParty,
    pub(crate) b: StoredParty,
    pub(crate) usage: Usage,
    pub(crate) state: State,
    /// When an active allocation expires (`None`: never).
    pub(crate) expires_at: Option<i64>,
    /// When it was deallocated (expiry or delete).
    pub(crate) deallocated_at: Option<i64>,
    /// When a deallocated allocation's keys are free again (the end of its vault period);
    /// `None` once they are.
    pub(crate) release_at: Option<i64>,
    /// When a deallocated allocation is forgotten (GET answers 404 from then on).
    pub(crate) purge_at: Option<i64>,
}

impl Record {
    pub(super) fn new(alloc: &Allocation, expires_at: Option<i64>) -> Self {
        Record {
            transaction_id: alloc.transaction_id.clone(),
            a: StoredParty::new(&alloc.a),
            b: StoredParty::new(&alloc.b),
            usage: alloc.usage.clone(),
            state: alloc.state.clone(),
            expires_at,
            deallocated_at: None,
            release_at: None,
            purge_at: None,
        }
    }

    /// Whether it is active.
    pub(crate) fn is_active(&self) -> bool {
        self.state == State::Active
    }

    /// Whether any of its numbers, VNs, PIN, id or transaction id contains `needle` (digits
    /// of a number match with or without their `+`).
    pub(crate) fn matches(&self, id: &str, needle: &str) -> bool {
        if needle.is_empty() {
            return true;
        }
        let digits_needle = needle.trim_start_matches('+').as_bytes();
        let searchable = !digits_needle.is_empty() && digits_needle.iter().all(u8::is_ascii_digit);
        let in_numbers =
            |list: &[u64]| searchable && list.iter().any(|&n| digits_contain(n, digits_needle));
        let party = |p: &StoredParty| {
            in_numbers(&p.vns)
                || in_numbers(&p.numbers)
                || p.pin.as_ref().is_some_and(|pin| pin.as_str() == needle)
        };
        id.contains(needle)
            || self
                .transaction_id
                .as_ref()
                .is_some_and(|t| t.as_str().contains(needle))
            || party(&self.a)
            || party(&self.b)
    }

    /// The allocation, without its deallocation time (see `Store::dated`).
    #[expect(
        clippy::expect_used,
        reason = "records are keyed by ids that were valid GreenPinIds when stored"
    )]
    pub(crate) fn allocation(&self, id: &str) -> Allocation {
        let greenpin_id = GreenPinId::new(id).expect("stored ids are valid");
        let mut a = wire::allocation(
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

/// Whether the decimal digits of `n` contain `needle`, without allocating (the dashboard's
/// filter tests every allocation).
fn digits_contain(mut n: u64, needle: &[u8]) -> bool {
    let mut buf = [0u8; 20];
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf[start..].windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    #[test]
    fn digits_contain_finds_runs_of_digits() {
        assert!(super::digits_contain(919956555625, b"99565"));
        assert!(super::digits_contain(919956555625, b"919956555625"));
        assert!(super::digits_contain(0, b"0"));
        assert!(!super::digits_contain(919956555625, b"123"));
        assert!(!super::digits_contain(12, b"1234"));
    }
}
