//! The store's invariants, checked on request (fuzzing and the tests call it after every
//! step): what must hold between the records, the key table and the expiry schedule.

use super::{Holder, Store, keys_of};

impl Store {
    /// Checks the store's own invariants; `Err` says which one broke.
    pub(crate) fn check_invariants(&self) -> Result<(), String> {
        let mut seen = std::collections::HashSet::new();
        let mut active = 0;
        for (id, rec) in &self.records {
            let holds_keys = rec.is_active() || rec.release_at.is_some();
            if rec.is_active() {
                active += 1;
                let listed = match rec.expires_at {
                    Some(at) => self.expiries.contains(&(at, id.clone())),
                    None => self.unending.contains(id),
                };
                if !listed {
                    return Err(format!("active allocation {id} is not scheduled"));
                }
            } else if self.by_transaction.values().any(|v| v == id) {
                return Err(format!(
                    "vault allocation {id} still holds its transaction id"
                ));
            }
            if !holds_keys {
                continue;
            }
            for (key, side, pinned) in keys_of(&rec.allocation(id)) {
                // Two live allocations needing one key: the table names one holder, so the
                // other is told below as missing from it.
                seen.insert(key);
                let expected = Holder {
                    id: id.clone(),
                    side,
                    pinned,
                };
                if self.keys.get(&key) != Some(&expected) {
                    return Err(format!("key {key:?} of {id} is missing from the table"));
                }
            }
        }
        if seen.len() != self.keys.len() {
            return Err(format!(
                "{} keys in the table, {} held by live allocations",
                self.keys.len(),
                seen.len()
            ));
        }
        if active != self.active {
            return Err(format!(
                "{active} active allocations, counted {}",
                self.active
            ));
        }
        if self.expiries.len() + self.unending.len() != active {
            return Err("the expiry schedule lists allocations that are not active".into());
        }
        Ok(())
    }
}
