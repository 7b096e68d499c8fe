//! Callback faults: make the next callbacks arrive twice, late, out of order or not at all
//! — what Exotel warns can happen, and what a receiver must survive.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::record::CallbackKind;

/// What happens to a callback a fault hits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum CallbackFaultKind {
    /// Not delivered at all (recorded `dropped`).
    Drop,
    /// Delivered this many milliseconds late; callbacks after it are not held up, so they
    /// arrive first.
    Delay {
        /// Milliseconds (at most 600,000).
        ms: u64,
    },
    /// Delivered twice, the second time right after the first.
    Duplicate,
    /// Held back until the next callback has been delivered, then delivered: the two
    /// arrive in the opposite order (or after 10 s, when no other callback comes).
    Reorder,
}

/// A queued callback fault: which callbacks it hits, and how many.
///
/// ```
/// use greenpin_emulator::{CallbackFault, CallbackKind};
/// let fault = CallbackFault::duplicate().only(CallbackKind::CallCompleted).times(2);
/// assert_eq!(fault.times, 2);
/// let json = serde_json::to_string(&fault).unwrap();
/// assert_eq!(json, r#"{"callback":"call_completed","times":2,"fault":{"kind":"duplicate"}}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct CallbackFault {
    /// Only callbacks of this kind; any when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<CallbackKind>,
    /// How many callbacks it hits (default 1).
    #[serde(default = "one")]
    pub times: u32,
    /// What happens to them.
    pub fault: CallbackFaultKind,
}

fn one() -> u32 {
    1
}

impl CallbackFault {
    fn new(fault: CallbackFaultKind) -> Self {
        CallbackFault {
            callback: None,
            times: 1,
            fault,
        }
    }

    /// The next callback is not delivered.
    pub fn drop_next() -> Self {
        CallbackFault::new(CallbackFaultKind::Drop)
    }

    /// The next callback is delivered `by` late.
    pub fn delay(by: Duration) -> Self {
        CallbackFault::new(CallbackFaultKind::Delay {
            ms: u64::try_from(by.as_millis()).unwrap_or(u64::MAX),
        })
    }

    /// The next callback is delivered twice.
    pub fn duplicate() -> Self {
        CallbackFault::new(CallbackFaultKind::Duplicate)
    }

    /// The next callback arrives after the one that follows it.
    pub fn reorder() -> Self {
        CallbackFault::new(CallbackFaultKind::Reorder)
    }

    /// Only callbacks of `kind`.
    pub fn only(mut self, kind: CallbackKind) -> Self {
        self.callback = Some(kind);
        self
    }

    /// Hits this many callbacks.
    pub fn times(mut self, n: u32) -> Self {
        self.times = n;
        self
    }

    /// Refuses faults that cannot be carried out.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.times == 0 {
            return Err("times: must be at least 1".into());
        }
        if let CallbackFaultKind::Delay { ms } = self.fault
            && ms > 600_000
        {
            return Err("fault.ms: at most 600000 (10 minutes)".into());
        }
        Ok(())
    }
}

/// The queue of callback faults.
#[derive(Debug, Default)]
pub(crate) struct CallbackFaults {
    rules: Vec<CallbackFault>,
}

/// At most this many callback faults wait at once.
pub(crate) const MAX_QUEUED: usize = 100;

impl CallbackFaults {
    pub(crate) fn push(&mut self, fault: CallbackFault) -> Result<(), String> {
        fault.check()?;
        if self.rules.len() >= MAX_QUEUED {
            return Err(format!(
                "at most {MAX_QUEUED} callback faults may wait at once"
            ));
        }
        self.rules.push(fault);
        Ok(())
    }

    pub(crate) fn list(&self) -> Vec<CallbackFault> {
        self.rules.clone()
    }

    pub(crate) fn clear(&mut self) {
        self.rules.clear();
    }

    /// The fault for a callback of `kind`, spending one of its rule's hits.
    pub(crate) fn take(&mut self, kind: CallbackKind) -> Option<CallbackFaultKind> {
        let i = self
            .rules
            .iter()
            .position(|r| r.callback.is_none_or(|k| k == kind))?;
        let rule = &mut self.rules[i];
        rule.times -= 1;
        let fault = rule.fault.clone();
        if rule.times == 0 {
            self.rules.remove(i);
        }
        Some(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_spent_in_order_and_by_kind() {
        let mut f = CallbackFaults::default();
        f.push(CallbackFault::duplicate().only(CallbackKind::Deallocation))
            .unwrap();
        f.push(CallbackFault::drop_next().times(2)).unwrap();
        assert_eq!(
            f.take(CallbackKind::CallCompleted),
            Some(CallbackFaultKind::Drop)
        );
        assert_eq!(
            f.take(CallbackKind::Deallocation),
            Some(CallbackFaultKind::Duplicate)
        );
        assert_eq!(
            f.take(CallbackKind::Deallocation),
            Some(CallbackFaultKind::Drop)
        );
        assert_eq!(f.take(CallbackKind::Deallocation), None);
        assert!(f.push(CallbackFault::drop_next().times(0)).is_err());
    }
}
