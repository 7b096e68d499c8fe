//! How an allocation is stored: compactly (numbers as digits), since the emulator holds
//! 100,000 live allocations in under 1 KiB each.

use super::*;

/// An allocation id, shared by every index that refers to it.
pub(super) type Id = Arc<str>;

/// A party as stored: numbers as E.164 digits in boxed slices — a fraction of the size of
/// a `Vec` of `String`s, which matters at 100,000 live allocations.
#[derive(Debug, Clone)]
pub(super) struct StoredParty {
    pub(super) vns: Box<[u64]>,
    pub(super) numbers: Box<[u64]>,
    pub(super) pin: Option<Pin>,
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
pub(super) struct Record {
    pub(super) transaction_id: Option<TransactionId>,
    pub(super) a: StoredParty,
    pub(super) b: StoredParty,
    pub(super) usage: Usage,
    pub(super) state: State,
    pub(super) expires_at: Option<i64>,
    pub(super) deallocated_at: Option<i64>,
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
        }
    }

    /// The allocation, without its deallocation time (see `Store::dated`).
    #[expect(
        clippy::expect_used,
        reason = "records are keyed by ids that were valid GreenPinIds when stored"
    )]
    pub(super) fn allocation(&self, id: &str) -> Allocation {
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
