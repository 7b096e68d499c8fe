//! What the dashboard shows of the account: every allocation with the time it has left on
//! the virtual clock, the routing table, and the callbacks fired lately.

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

/// One row of the routing table. A caller who dials `vn` and enters `pin` reaches
/// `greenpin_id` (the PIN is `pin_of`'s); which party the caller *is* depends on the
/// caller's own number, as documented — one of B's numbers is party B, any other number
/// party A. A caller from `caller`, with no PIN, is `party` of `greenpin_id`. Either way
/// the call goes to the other party (for party B of a `oneway` allocation: refused).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct RouteView {
    /// The VN dialled.
    pub vn: String,
    /// The PIN entered, for a party with a PIN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
    /// Whose PIN it is: `a` or `b`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pin_of: Option<&'static str>,
    /// The caller's number, for a party without a PIN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller: Option<String>,
    /// Which party that caller is: `a` or `b`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party: Option<&'static str>,
    /// The allocation.
    pub greenpin_id: String,
}

/// A callback, with when it happened (emulator clock), whether it was sent, and its
/// payload.
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    /// `call_completed` or `deallocation`.
    pub kind: &'static str,
    /// When it happened, on the emulator's clock.
    pub at: String,
    /// `sent to <endpoint>` (delivery is best effort), or why it was not sent.
    pub delivery: String,
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
    pub(super) fn new(event: &Event, at: String, delivery: String) -> Self {
        let (kind, payload) = match event {
            Event::CallCompleted(c) => ("call_completed", serde_json::to_value(c)),
            Event::Deallocated(d) => ("deallocation", serde_json::to_value(d)),
        };
        EventView {
            kind,
            at,
            delivery,
            payload: payload.unwrap_or_default(),
        }
    }
}

impl Store {
    /// Notes events for the dashboard as they are taken for delivery, with what became of
    /// them (`delivery`).
    pub fn remember_events(&mut self, events: &[Event], delivery: &str) {
        if events.is_empty() {
            return;
        }
        let at = self.now_text();
        for e in events {
            if self.recent_events.len() == RECENT_EVENTS {
                self.recent_events.pop_back();
            }
            self.recent_events
                .push_front(EventView::new(e, at.clone(), delivery.to_owned()));
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
                pin_of: key.is_pin().then(|| side.name()),
                caller: (!key.is_pin()).then(|| format!("+{}", key.who)),
                party: (!key.is_pin()).then(|| side.name()),
                greenpin_id: id.to_string(),
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
