//! What `GET /__emulator/state` answers: one page of what the dashboard draws, filtered on
//! the server, so a poll costs the page and not the store. Allocations come in the store's
//! own order (active by time left, then those that never expire, then the vault by when it
//! is forgotten), so no poll sorts the store; with a filter, each allocation is tested
//! once, cheaply, under the lock, and only the page is rendered.

use serde::{Deserialize, Serialize};

use crate::failure::Failure;
use crate::state::{Shared, lock};
use crate::store::{RouteKey, Store};

/// Rows of allocations a page holds by default, and at most.
const PAGE: usize = 200;
const MAX_PAGE: usize = 500;
/// Routes shown at most (of the allocations on the page).
const MAX_ROUTES: usize = 1_000;
/// Requests and callbacks shown, newest first.
const RECENT: usize = 50;
/// Bytes of a request body shown.
const BODY_SHOWN: usize = 2_048;

/// The page asked for.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StateQuery {
    /// Text a number, VN, PIN, id or transaction id must contain.
    #[serde(default)]
    q: String,
    /// Only allocations in this state.
    #[serde(default)]
    state: Option<StateFilter>,
    #[serde(default)]
    offset: usize,
    #[serde(default)]
    limit: Option<usize>,
}

/// `state=active` or `state=vault`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum StateFilter {
    Active,
    Vault,
}

/// An allocation as the dashboard lists it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AllocationView {
    /// The allocation, as the API would answer for it.
    #[serde(flatten)]
    allocation: greenpin_core::Allocation,
    /// Milliseconds until it deallocates (active) or is forgotten (vault), on the
    /// emulator's clock; `None` when it never expires.
    ms_left: Option<i64>,
    /// Milliseconds left of its vault period, while its keys are still reserved.
    #[serde(skip_serializing_if = "Option::is_none")]
    reserved_ms_left: Option<i64>,
}

/// One route: a caller who dials `vn` and enters `pin` reaches `greenpin_id` (the PIN is
/// `pin_of`'s; which party the caller *is* depends on the caller's own number, as
/// documented). A caller from `caller`, with no PIN, is `party` of `greenpin_id`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct RouteView {
    vn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pin: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pin_of: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    caller: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    party: Option<&'static str>,
    greenpin_id: String,
    /// Whether the allocation is deallocated and the key only reserved.
    reserved: bool,
}

/// The page of allocations, and the routes of those on it.
fn page(store: &mut Store, q: &StateQuery) -> (serde_json::Value, Vec<RouteView>) {
    store.sweep();
    let now = store.now_ms();
    let limit = q.limit.unwrap_or(PAGE);
    let needle = q.q.trim();
    let want_active = q.state.map(|s| s == StateFilter::Active);
    let (active, kept) = store.counts();
    // Without a text to search, the counts are known: read only up to the page's end.
    // With one, every allocation is tested (cheaply) to count the matches.
    let known = needle.is_empty().then(|| match want_active {
        Some(true) => active,
        Some(false) => kept,
        None => active + kept,
    });
    let mut matching = 0usize;
    let mut rows = Vec::new();
    let mut routes = Vec::new();
    for (id, rec) in store.in_order() {
        if want_active.is_some_and(|a| a != rec.is_active()) || !rec.matches(id, needle) {
            continue;
        }
        matching += 1;
        if matching <= q.offset {
            continue;
        }
        if rows.len() == limit {
            if known.is_some() {
                break;
            }
            continue;
        }
        let allocation = store.render(id, rec);
        let left = |at: Option<i64>| at.map(|at| (at - now).max(0));
        if rec.is_active() || rec.release_at.is_some() {
            for (key, side, pinned) in crate::store::keys_of(&allocation) {
                if routes.len() < MAX_ROUTES && (key.is_pin() || !pinned) {
                    routes.push(route(&key, side.name(), id, !rec.is_active()));
                }
            }
        }
        rows.push(AllocationView {
            allocation,
            ms_left: left(if rec.is_active() {
                rec.expires_at
            } else {
                rec.purge_at
            }),
            reserved_ms_left: left(rec.release_at),
        });
    }
    routes.sort();
    let listing = serde_json::json!({
        "total": active + kept,
        "active": active,
        "matching": known.unwrap_or(matching),
        "offset": q.offset,
        "items": rows,
    });
    (listing, routes)
}

fn route(key: &RouteKey, side: &'static str, id: &str, reserved: bool) -> RouteView {
    RouteView {
        vn: format!("+{}", key.vn),
        pin: key.pin_text(),
        pin_of: key.is_pin().then_some(side),
        caller: (!key.is_pin()).then(|| format!("+{}", key.who)),
        party: (!key.is_pin()).then_some(side),
        greenpin_id: id.to_owned(),
        reserved,
    }
}

/// Everything the dashboard shows, one page of it: the account (allocations, routes,
/// clock), the callbacks, the settings, the queued faults, the newest requests and the
/// counts.
pub(crate) fn state(sh: &Shared, q: &StateQuery) -> Result<serde_json::Value, Failure> {
    if q.limit.is_some_and(|l| l > MAX_PAGE) {
        return Err(Failure::bad(format!("limit: at most {MAX_PAGE}")));
    }
    let (allocations, routes, clock, mut settings) = {
        let mut store = lock(&sh.store);
        let (allocations, routes) = page(&mut store, q);
        let now_ms = store.now_ms();
        // As GET /__emulator/clock answers it.
        let clock = serde_json::json!({
            "now": store.now_text(),
            "iso": store.iso_at(now_ms),
            "now_ms": now_ms,
        });
        (allocations, routes, clock, store.settings().clone())
    };
    if let Some(url) = settings.greenpin_call_complete_event_endpoint.as_mut() {
        *url = crate::callbacks::target::shown_url(url);
    }
    Ok(serde_json::json!({
        "account": sh.account_sid.as_str(),
        "clock": clock,
        "allocations": allocations,
        "routes": routes,
        "callbacks": sh.callbacks.recent(RECENT),
        "settings": settings,
        "faults": lock(&sh.faults).list(),
        "callback_faults": sh.callbacks.faults(),
        "requests": lock(&sh.journal).recent(RECENT, BODY_SHOWN),
        "stats": sh.stats_now(),
    }))
}
