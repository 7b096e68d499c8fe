//! What the dashboard shows of the account: every allocation with the time it has left on
//! the virtual clock, the routing table, and the callbacks fired lately.

use std::collections::VecDeque;

use serde::Serialize;

use super::*;

/// Callbacks kept for the dashboard.
pub(super) const RECENT_EVENTS: usize = 50;

/// An allocation as the dashboard lists it.
#[derive(Debug, Clone, Serialize)]
pub struct AllocationView {
    /// The allocation, as the API would answer for it.
    #[serde(flatten)]
    pub allocation: Allocation,
    /// Milliseconds until it deallocates (active) or is purged from the vault, on the
    /// emulator's clock; `None` when it never expires.
    pub ms_left: Option<i64>,
}

/// One row of the routing table: a caller who dials `vn` and enters `pin` (or calls from
/// `caller`) is the `party` of `greenpin_id`, and is put through to the other party.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct RouteView {
    /// The VN dialled.
    pub vn: String,
    /// The PIN entered, for a party with a PIN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
    /// The caller's number, for a party without a PIN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller: Option<String>,
    /// The allocation.
    pub greenpin_id: String,
    /// Which party the caller is: `a` or `b`.
    pub party: &'static str,
}

/// A callback fired, with when (emulator clock, ms) and its payload.
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    /// `call_completed` or `deallocation`.
    pub kind: &'static str,
    /// When it fired, on the emulator's clock.
    pub at: String,
    /// Its payload, as sent (JSON form).
    pub payload: serde_json::Value,
}

/// The account at one moment.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    /// The emulator's clock, in the account's timezone.
    pub now: String,
    /// The same, in ms since the epoch.
    pub now_ms: i64,
    /// Every allocation held (active, then the vault), newest deallocation time last.
    pub allocations: Vec<AllocationView>,
    /// Who reaches whom, among active allocations.
    pub routes: Vec<RouteView>,
    /// Callbacks fired lately, newest first.
    pub events: Vec<EventView>,
}

impl EventView {
    pub(super) fn new(event: &Event, at: String) -> Self {
        let (kind, payload) = match event {
            Event::CallCompleted(c) => ("call_completed", serde_json::to_value(c)),
            Event::Deallocated(d) => ("deallocation", serde_json::to_value(d)),
        };
        EventView {
            kind,
            at,
            payload: payload.unwrap_or_default(),
        }
    }
}

impl Store {
    /// Notes events for the dashboard as they are taken for delivery.
    pub(super) fn remember(recent: &mut VecDeque<EventView>, events: &[Event], at: &str) {
        for e in events {
            if recent.len() == RECENT_EVENTS {
                recent.pop_back();
            }
            recent.push_front(EventView::new(e, at.to_owned()));
        }
    }

    /// The account as the dashboard shows it.
    pub fn snapshot(&mut self) -> Snapshot {
        self.sweep();
        let now = self.now_ms();
        let purge_at: std::collections::HashMap<&str, i64> =
            self.purges.iter().map(|(at, id)| (&**id, *at)).collect();
        let mut allocations: Vec<AllocationView> = self
            .records
            .iter()
            .map(|(id, rec)| AllocationView {
                allocation: self.render(id, rec),
                ms_left: rec
                    .expires_at
                    .filter(|_| rec.state == State::Active)
                    .or_else(|| purge_at.get(&**id).copied())
                    .map(|at| (at - now).max(0)),
            })
            .collect();
        allocations.sort_by(|x, y| {
            (
                x.allocation.state != State::Active,
                x.ms_left.unwrap_or(i64::MAX),
            )
                .cmp(&(
                    y.allocation.state != State::Active,
                    y.ms_left.unwrap_or(i64::MAX),
                ))
        });
        let mut routes: Vec<RouteView> = self
            .routes
            .iter()
            .map(|(key, (id, side))| RouteView {
                vn: format!("+{}", key.vn),
                pin: key
                    .is_pin()
                    .then(|| format!("{:0width$}", key.who, width = usize::from(key.pin_len))),
                caller: (!key.is_pin()).then(|| format!("+{}", key.who)),
                greenpin_id: id.to_string(),
                party: side.name(),
            })
            .collect();
        routes.sort();
        Snapshot {
            now: self.now_text(),
            now_ms: now,
            allocations,
            routes,
            events: self.recent_events.iter().cloned().collect(),
        }
    }
}
