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
