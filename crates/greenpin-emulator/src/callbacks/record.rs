//! What the emulator remembers of each callback: what it sent, where, every delivery
//! attempt with the receiver's answer, and how it ended. Tests read these records (the
//! Rust API's `callbacks()` and `wait_for_callback`, or `GET /__emulator/callbacks`) instead
//! of polling a receiver blindly.

use std::collections::VecDeque;

use greenpin_core::callbacks::{CallCompleted, DeallocationEvent};
use serde::{Deserialize, Serialize};

/// Which callback it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CallbackKind {
    /// A call ended (`X-GreenPin-Event: call_completed`).
    CallCompleted,
    /// An allocation was deallocated by a delete or its expiry
    /// (`X-GreenPin-Event: deallocation`).
    Deallocation,
}

impl CallbackKind {
    /// The kind as the `X-GreenPin-Event` header names it.
    pub fn as_str(self) -> &'static str {
        match self {
            CallbackKind::CallCompleted => "call_completed",
            CallbackKind::Deallocation => "deallocation",
        }
    }
}

/// Where a callback is in its delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CallbackStatus {
    /// Queued or being delivered (a failed attempt may be retried).
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Every attempt failed, or the receiver refused it (4xx, not retried).
    Failed,
    /// Not sent: no endpoint is set, or the endpoint is one the emulator does not deliver
    /// to (`note` says why).
    NotSent,
    /// Dropped on purpose by a callback fault.
    Dropped,
}

/// What one delivery attempt got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AttemptResult {
    /// The receiver answered with this HTTP status.
    Answered {
        /// The status.
        status: u16,
    },
    /// No answer: the connection failed or timed out.
    NoAnswer {
        /// What went wrong.
        error: String,
    },
}

/// One delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DeliveryAttempt {
    /// When it was made, in real time (ms since the Unix epoch): delivery happens in real
    /// time, whatever the emulator's clock says.
    pub at_ms: u64,
    /// What it got.
    #[serde(flatten)]
    pub result: AttemptResult,
}

impl DeliveryAttempt {
    /// The receiver's status, when it answered.
    pub fn status(&self) -> Option<u16> {
        match self.result {
            AttemptResult::Answered { status } => Some(status),
            AttemptResult::NoAnswer { .. } => None,
        }
    }
}

/// A callback the emulator produced, and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct CallbackRecord {
    /// Its number, from 1, in the order the callbacks were produced.
    pub id: u64,
    /// Which callback.
    pub kind: CallbackKind,
    /// When it happened, on the emulator's clock, in the account's timezone.
    pub at: String,
    /// The body as sent (its JSON form, with the field names sent).
    pub payload: serde_json::Value,
    /// The endpoint it was (or would have been) sent to, userinfo and a `greenpin_secret`
    /// value hidden.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Where it is in its delivery.
    pub status: CallbackStatus,
    /// Why it was not sent or was dropped, or which callback fault changed its delivery.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Every delivery attempt, oldest first.
    pub attempts: Vec<DeliveryAttempt>,
    /// Redeliveries asked for so far (capped).
    #[serde(skip)]
    pub(crate) redeliveries: u32,
}

impl CallbackRecord {
    /// Whether its delivery is over (delivered, failed, not sent or dropped). A callback
    /// delivered twice by a fault is settled after its second delivery.
    pub fn is_settled(&self) -> bool {
        self.status != CallbackStatus::Pending
    }

    /// The allocation it is about.
    pub fn greenpin_id(&self) -> Option<&str> {
        self.payload.get("greenpin_id").and_then(|v| v.as_str())
    }

    /// The call it is about (call records only).
    pub fn call_sid(&self) -> Option<&str> {
        self.payload.get("call_sid").and_then(|v| v.as_str())
    }

    /// The payload as a call record, for a call-completed callback.
    pub fn call_completed(&self) -> Option<CallCompleted> {
        (self.kind == CallbackKind::CallCompleted)
            .then(|| serde_json::from_value(self.payload.clone()).ok())
            .flatten()
    }

    /// The payload as a deallocation, for a deallocation callback.
    pub fn deallocation(&self) -> Option<DeallocationEvent> {
        (self.kind == CallbackKind::Deallocation)
            .then(|| serde_json::from_value(self.payload.clone()).ok())
            .flatten()
    }

    /// How many times the receiver answered 2xx.
    pub fn deliveries(&self) -> usize {
        self.attempts
            .iter()
            .filter(|a| a.status().is_some_and(|s| (200..300).contains(&s)))
            .count()
    }
}

/// Callbacks kept; the oldest go first.
pub(crate) const KEPT: usize = 1_000;

/// The callbacks produced lately.
#[derive(Debug, Default)]
pub(crate) struct CallbackLog {
    records: VecDeque<CallbackRecord>,
    next_id: u64,
}

impl CallbackLog {
    /// Adds a record; returns its id.
    pub(crate) fn push(
        &mut self,
        kind: CallbackKind,
        at: String,
        payload: serde_json::Value,
        target: Option<String>,
        status: CallbackStatus,
        note: Option<String>,
    ) -> u64 {
        self.next_id += 1;
        if self.records.len() == KEPT {
            self.records.pop_front();
        }
        self.records.push_back(CallbackRecord {
            id: self.next_id,
            kind,
            at,
            payload,
            target,
            status,
            note,
            attempts: Vec::new(),
            redeliveries: 0,
        });
        self.next_id
    }

    pub(crate) fn get_mut(&mut self, id: u64) -> Option<&mut CallbackRecord> {
        // Ids are consecutive: the record's place is its distance from the newest.
        let newest = self.records.back()?.id;
        let back = usize::try_from(newest.checked_sub(id)?).ok()?;
        let index = self.records.len().checked_sub(back + 1)?;
        self.records.get_mut(index).filter(|r| r.id == id)
    }

    pub(crate) fn get(&self, id: u64) -> Option<&CallbackRecord> {
        self.records.iter().rev().find(|r| r.id == id)
    }

    /// Every record kept, oldest first.
    pub(crate) fn list(&self) -> Vec<CallbackRecord> {
        self.records.iter().cloned().collect()
    }

    /// The newest `n`, newest first.
    pub(crate) fn recent(&self, n: usize) -> Vec<CallbackRecord> {
        self.records.iter().rev().take(n).cloned().collect()
    }

    /// The first settled record (oldest first) that `matches`.
    pub(crate) fn find_settled(
        &self,
        matches: &dyn Fn(&CallbackRecord) -> bool,
    ) -> Option<CallbackRecord> {
        self.records
            .iter()
            .find(|r| r.is_settled() && matches(r))
            .cloned()
    }

    pub(crate) fn clear(&mut self) {
        self.records.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn push(log: &mut CallbackLog, n: u64, status: CallbackStatus) -> u64 {
        log.push(
            CallbackKind::CallCompleted,
            String::new(),
            json!({"call_sid": format!("c{n}")}),
            None,
            status,
            None,
        )
    }

    fn sids(records: &[CallbackRecord]) -> Vec<&str> {
        records.iter().filter_map(|r| r.call_sid()).collect()
    }

    #[test]
    fn the_log_numbers_from_1_and_keeps_the_newest_thousand() {
        let mut log = CallbackLog::default();
        assert_eq!(push(&mut log, 1, CallbackStatus::Pending), 1);
        assert_eq!(push(&mut log, 2, CallbackStatus::Delivered), 2);
        assert_eq!(log.get(1).and_then(|r| r.call_sid()), Some("c1"));
        assert!(log.get(3).is_none());
        for n in 3..=KEPT as u64 + 5 {
            assert_eq!(push(&mut log, n, CallbackStatus::Pending), n);
        }
        let list = log.list();
        assert_eq!(list.len(), KEPT);
        // The oldest five went first; the rest are in order, each findable by its id.
        assert_eq!(list[0].id, 6);
        assert_eq!(list[KEPT - 1].id, KEPT as u64 + 5);
        assert!(log.get(5).is_none() && log.get_mut(5).is_none());
        for id in [6, 500, KEPT as u64 + 5] {
            assert_eq!(log.get_mut(id).map(|r| r.id), Some(id));
            assert_eq!(log.get(id).map(|r| r.id), Some(id));
        }
        assert!(log.get_mut(KEPT as u64 + 6).is_none());
        assert_eq!(sids(&log.recent(2)), ["c1005", "c1004"]);
        log.clear();
        assert!(log.list().is_empty() && log.get_mut(6).is_none());
    }

    #[test]
    fn a_waiter_finds_the_oldest_settled_match() {
        let mut log = CallbackLog::default();
        push(&mut log, 1, CallbackStatus::Pending);
        push(&mut log, 2, CallbackStatus::Failed);
        push(&mut log, 3, CallbackStatus::Delivered);
        let any = |_: &CallbackRecord| true;
        assert_eq!(log.find_settled(&any).map(|r| r.id), Some(2));
        let third = |r: &CallbackRecord| r.call_sid() == Some("c3");
        assert_eq!(log.find_settled(&third).map(|r| r.id), Some(3));
        let first = |r: &CallbackRecord| r.call_sid() == Some("c1");
        assert!(log.find_settled(&first).is_none());
        if let Some(r) = log.get_mut(1) {
            r.status = CallbackStatus::Dropped;
        }
        assert_eq!(log.find_settled(&first).map(|r| r.id), Some(1));
    }

    #[test]
    fn a_record_reads_as_its_kind_only() {
        let mut log = CallbackLog::default();
        let id = log.push(
            CallbackKind::Deallocation,
            String::new(),
            json!({"greenpin_id": "g-1", "reason": "deleted", "state": "vault"}),
            None,
            CallbackStatus::Delivered,
            None,
        );
        let r = log.get(id).unwrap().clone();
        assert_eq!(r.greenpin_id(), Some("g-1"));
        assert_eq!(r.call_sid(), None);
        let d = r.deallocation().expect("a deallocation");
        assert_eq!(d.greenpin_id.as_str(), "g-1");
        assert_eq!(
            d.reason,
            greenpin_core::callbacks::DeallocationReason::Deleted
        );
        assert!(r.call_completed().is_none());
        let sid = push(&mut log, 1, CallbackStatus::Pending);
        let call = log.get(sid).unwrap();
        assert!(call.deallocation().is_none());
        assert!(call.call_completed().is_some());
        assert!(!call.is_settled());
    }
}
