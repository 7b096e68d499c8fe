//! What earlier runs did with each row, as a resume reads it from the results file: applied,
//! or perhaps applied (`unknown`), by content key, with the intents not yet settled.

use std::collections::{HashMap, HashSet};

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
/// A row edited between runs is a new row: its key is new. A row edited and then edited
/// back has its old key again, and that key's record is *stale* when a later run settled a
/// different row on the same line: the row applied in run 1 (pin 4441), changed and applied
/// in run 2 (4442), then changed back, is sent again in run 3. Staleness goes by line, not
/// by allocation: two rows of one allocation on two lines are two rows, each settled on its
/// own (by allocation, a resume that sent one of them made the other stale, and the next
/// resume sent it again, without end).
#[derive(Debug, Default)]
pub(crate) struct Settled {
    keys: HashMap<RowKey, Counts>,
    /// The latest run that settled a row on each line, and that row's key.
    lines: HashMap<u64, (u32, RowKey)>,
    /// The allocations with a settled row (32-bit hashes of their ids: a collision only
    /// makes a row be sent again to keep the file's order).
    allocations: HashSet<u32>,
}

/// One key's rows in the latest run that settled it, and the line it was on.
#[derive(Debug, Clone, Copy)]
struct Counts {
    applied: u32,
    unknown: u32,
    run: u32,
    line: u64,
}

pub(super) fn id_hash(id: Option<&str>) -> u32 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(id) as u32
}

impl Settled {
    /// Notes a row of allocation `id` ([`id_hash`]) settled in run `run` on line `line`.
    pub(super) fn record(&mut self, key: RowKey, id: u32, line: u64, run: u32, what: Earlier) {
        self.allocations.insert(id);
        let latest = self.lines.entry(line).or_insert((run, key));
        if run >= latest.0 {
            *latest = (run, key);
        }
        let fresh = Counts {
            applied: 0,
            unknown: 0,
            run,
            line,
        };
        let entry = self.keys.entry(key).or_insert(fresh);
        if run > entry.run {
            *entry = fresh;
        } else if run < entry.run {
            return;
        }
        entry.line = line;
        match what {
            Earlier::Applied => entry.applied += 1,
            Earlier::Unknown => entry.unknown += 1,
        }
    }

    /// What an earlier run did with a row of this key, when it settled one that no later
    /// run superseded; each recorded row answers once.
    pub(crate) fn take(&mut self, key: RowKey) -> Option<Earlier> {
        let c = self.keys.get_mut(&key)?;
        let superseded = self
            .lines
            .get(&c.line)
            .is_some_and(|(run, other)| *run > c.run && *other != key);
        if superseded {
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

    /// Whether an earlier run settled a row of allocation `id` (a row of it sent now may
    /// have to be followed by its later rows again, to keep the file's order).
    pub(crate) fn knows(&self, id: &str) -> bool {
        !self.allocations.is_empty() && self.allocations.contains(&id_hash(Some(id)))
    }
}

/// Intents not yet followed by their rows' outcomes, by (key, run): what is left at the end
/// of the file was sent and never recorded.
#[derive(Default)]
pub(super) struct Open(HashMap<(RowKey, u32), (u32, u64, u32)>);

impl Open {
    pub(super) fn sent(&mut self, key: RowKey, run: u32, line: u64, id: &str) {
        self.0
            .entry((key, run))
            .or_insert((0, line, id_hash(Some(id))))
            .0 += 1;
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
        for ((key, run), (n, line, id)) in self.0 {
            for _ in 0..n {
                settled.record(key, id, line, run, Earlier::Unknown);
                rows += 1;
            }
        }
        rows
    }
}
