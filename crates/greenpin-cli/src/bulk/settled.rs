//! What earlier runs did with each row, as a resume reads it from the results file: applied,
//! or perhaps applied (`unknown`), by content key, with the intents not yet settled.

use std::collections::HashMap;

use super::input::RowKey;

/// What an earlier run did with a row, as far as the results file knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Earlier {
    /// Applied: not sent again.
    Applied,
    /// Perhaps applied (recorded `unknown`, or sent with no outcome recorded): not sent
    /// again unless `--retry-unknown`.
    Unknown,
}

/// Rows earlier runs applied or may have applied, by content key, with how many times each
/// (a file may hold the same row twice).
///
/// Only an allocation's *latest* rows count: a row applied in run 1 (pin 4441), changed and
/// applied in run 2 (4442), then changed back, is sent again in run 3 — its key is that of
/// run 1, which run 2 superseded. Allocations are told apart by a 32-bit hash of their id:
/// a collision can only make a row be sent again, never skipped.
#[derive(Debug, Default)]
pub(crate) struct Settled {
    keys: HashMap<RowKey, Counts>,
    latest: HashMap<u32, u32>,
}

/// One key's rows in the latest run that settled it.
#[derive(Debug, Clone, Copy)]
struct Counts {
    applied: u32,
    unknown: u32,
    run: u32,
    id: u32,
}

fn id_hash(id: Option<&str>) -> u32 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(id) as u32
}

impl Settled {
    pub(super) fn record(&mut self, key: RowKey, id: Option<&str>, run: u32, what: Earlier) {
        self.record_hashed(key, id_hash(id), run, what);
    }

    fn record_hashed(&mut self, key: RowKey, id: u32, run: u32, what: Earlier) {
        let latest = self.latest.entry(id).or_insert(run);
        *latest = (*latest).max(run);
        let fresh = Counts {
            applied: 0,
            unknown: 0,
            run,
            id,
        };
        let entry = self.keys.entry(key).or_insert(fresh);
        if run > entry.run {
            *entry = fresh;
        } else if run < entry.run {
            return;
        }
        match what {
            Earlier::Applied => entry.applied += 1,
            Earlier::Unknown => entry.unknown += 1,
        }
    }

    /// What an earlier run did with a row of this key, when it settled one and no later
    /// run superseded it; each recorded row answers once.
    pub(crate) fn take(&mut self, key: RowKey) -> Option<Earlier> {
        let c = self.keys.get_mut(&key)?;
        if self.latest.get(&c.id) != Some(&c.run) {
            return None;
        }
        if c.applied > 0 {
            c.applied -= 1;
            Some(Earlier::Applied)
        } else if c.unknown > 0 {
            c.unknown -= 1;
            Some(Earlier::Unknown)
        } else {
            None
        }
    }
}

/// Intents not yet followed by their rows' outcomes, by (key, run): what is left at the end
/// of the file was sent and never recorded.
#[derive(Default)]
pub(super) struct Open(HashMap<(RowKey, u32), (u32, u32)>);

impl Open {
    pub(super) fn sent(&mut self, key: RowKey, run: u32, id: &str) {
        self.0.entry((key, run)).or_insert((0, id_hash(Some(id)))).0 += 1;
    }

    pub(super) fn settled(&mut self, key: RowKey, run: u32) {
        if let Some(entry) = self.0.get_mut(&(key, run)) {
            entry.0 -= 1;
            if entry.0 == 0 {
                self.0.remove(&(key, run));
            }
        }
    }

    /// Every row sent and not settled: unknown.
    pub(super) fn into_unknown(self, settled: &mut Settled) -> u64 {
        let mut rows = 0;
        for ((key, run), (n, id)) in self.0 {
            for _ in 0..n {
                settled.record_hashed(key, id, run, Earlier::Unknown);
                rows += 1;
            }
        }
        rows
    }
}
