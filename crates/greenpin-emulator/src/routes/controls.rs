//! The test controls under `/__emulator/…`: the clock, API faults, the request journal,
//! simulated calls, callbacks (their records, faults and redelivery), counts, the
//! dashboard's state, and the OpenAPI documents. They need no credentials and answer
//! loopback clients of their own origin only (see the server's guard). Every one is
//! described in `controls.openapi.json`, served here.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{Method, Response, StatusCode, header};
use axum::routing::{get, post};
use serde::Deserialize;

use super::{Answer, S};
use crate::callbacks::{CallbackFault, CallbackKind, CallbackRecord};
use crate::failure::{Failure, parse_json};
use crate::faults::FaultRule;
use crate::respond::envelope;
use crate::state::{Shared, lock};

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/__emulator/health", get(health))
        .route("/__emulator/clock", get(clock))
        .route("/__emulator/clock/advance", post(advance_clock))
        .route("/__emulator/reset", post(reset))
        .route(
            "/__emulator/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route(
            "/__emulator/requests",
            get(list_requests).delete(clear_requests),
        )
        .route("/__emulator/calls", post(simulate_call))
        .route(
            "/__emulator/callbacks",
            get(list_callbacks).delete(clear_callbacks),
        )
        .route(
            "/__emulator/callbacks/faults",
            get(list_callback_faults)
                .post(add_callback_fault)
                .delete(clear_callback_faults),
        )
        .route(
            "/__emulator/callbacks/{id}/redeliver",
            post(redeliver_callback),
        )
        .route("/__emulator/stats", get(stats))
        .route("/__emulator/state", get(state))
        .route("/__emulator/openapi.json", get(openapi))
        .route("/__emulator/controls.openapi.json", get(controls_openapi))
}

fn answer<T: serde::Serialize>(sh: &Shared, method: &Method, result: Result<T, Failure>) -> Answer {
    envelope(StatusCode::OK, method.as_str(), sh.request_id(), result)
}

async fn health(State(sh): S, method: Method) -> Answer {
    answer(&sh, &method, Ok("ok"))
}

/// The clock as its controls answer it: `now` as the API writes times (the account's
/// timezone, no offset), `iso` with its offset (what `--clock` and a reset take back), and
/// ms since the epoch.
#[derive(serde::Serialize)]
struct Clock {
    now: String,
    iso: String,
    now_ms: i64,
}

impl Clock {
    fn of(s: &crate::store::Store) -> Clock {
        let now_ms = s.now_ms();
        Clock {
            now: s.now_text(),
            iso: s.iso_at(now_ms),
            now_ms,
        }
    }
}

async fn clock(State(sh): S, method: Method) -> Answer {
    let c = sh.with_store(|s| Clock::of(s));
    answer(&sh, &method, Ok(c))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    #[serde(default, deserialize_with = "whole_count")]
    seconds: Option<u64>,
    #[serde(default, deserialize_with = "whole_count")]
    ms: Option<u64>,
}

/// A count as a JSON number: whole and not negative, said in those words (serde's own
/// message names a Rust type).
fn whole_count<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match Option::<serde_json::Number>::deserialize(d)? {
        None => Ok(None),
        Some(n) => n.as_u64().map(Some).ok_or_else(|| {
            serde::de::Error::custom(format!("{n} is not a whole number, 0 or more"))
        }),
    }
}

/// The longest single advance of the clock: ten years. More is refused (400), so the
/// clock cannot be wrapped past what a date can say.
pub(crate) const MAX_CLOCK_ADVANCE_SECS: u64 = 10 * 365 * 86_400;

async fn advance_clock(State(sh): S, method: Method, body: Bytes) -> Answer {
    let result = parse_json::<Advance>(&body).and_then(|a| {
        if a.seconds.is_none() && a.ms.is_none() {
            return Err(Failure::bad("seconds: give seconds, ms, or both"));
        }
        let ms = a
            .seconds
            .unwrap_or(0)
            .checked_mul(1000)
            .and_then(|s| s.checked_add(a.ms.unwrap_or(0)))
            .filter(|ms| *ms <= MAX_CLOCK_ADVANCE_SECS * 1000)
            .ok_or_else(|| {
                Failure::bad(format!(
                    "seconds: more than the longest advance, {MAX_CLOCK_ADVANCE_SECS} (ten years)"
                ))
            })?;
        sh.with_store(|s| {
            s.advance_ms(ms)?;
            Ok(Clock::of(s))
        })
    });
    answer(&sh, &method, result)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Reset {
    /// Where the clock starts again: an RFC 3339 instant (standing still until advanced),
    /// `null` for real time; absent, where it started.
    #[serde(default, deserialize_with = "some_instant")]
    clock: Option<Option<String>>,
}

/// `null` as `Some(None)`, so that "absent" and "real time" differ.
fn some_instant<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// `POST /__emulator/reset`: as if freshly started (allocations, vault, settings, journal,
/// callbacks, faults, counts, the clock; ids and PINs from the start of their sequence).
async fn reset(State(sh): S, method: Method, body: Bytes) -> Answer {
    let parsed = if body.iter().all(u8::is_ascii_whitespace) {
        Ok(Reset::default())
    } else {
        parse_json::<Reset>(&body)
    };
    let result = parsed.and_then(|r| {
        let clock = match r.clock {
            None => None,
            Some(None) => Some(None),
            Some(Some(text)) => Some(Some(crate::store::ms_since_epoch(
                crate::store::parse_instant(&text)
                    .map_err(|e| Failure::bad(format!("clock: {e}")))?,
            ))),
        };
        sh.reset(clock);
        Ok(sh.with_store(|s| Clock::of(s)))
    });
    answer(&sh, &method, result)
}

async fn list_faults(State(sh): S, method: Method) -> Answer {
    let list = lock(&sh.faults).list();
    answer(&sh, &method, Ok(list))
}

async fn add_fault(State(sh): S, method: Method, body: Bytes) -> Answer {
    let result = parse_json::<FaultRule>(&body).and_then(|rule| {
        rule.check().map_err(Failure::bad)?;
        let mut f = lock(&sh.faults);
        f.push(rule).map_err(Failure::bad)?;
        Ok(f.list())
    });
    answer(&sh, &method, result)
}

async fn clear_faults(State(sh): S, method: Method) -> Answer {
    lock(&sh.faults).clear();
    answer(&sh, &method, Ok(Vec::<FaultRule>::new()))
}

async fn list_requests(State(sh): S, method: Method) -> Answer {
    let list = lock(&sh.journal).list();
    answer(&sh, &method, Ok(list))
}

async fn clear_requests(State(sh): S, method: Method) -> Answer {
    lock(&sh.journal).clear();
    answer(&sh, &method, Ok(Vec::<()>::new()))
}

async fn simulate_call(State(sh): S, method: Method, body: Bytes) -> Answer {
    let result = sh.with_store(|s| crate::api::call(s, &body));
    answer(&sh, &method, result)
}

/// `GET /__emulator/callbacks`: the callbacks kept, oldest first, filtered; with `wait_ms`,
/// the answer waits (at most 30 s) until a settled one matches.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CallbackQuery {
    kind: Option<CallbackKind>,
    greenpin_id: Option<String>,
    call_sid: Option<String>,
    /// Only callbacks with a larger id.
    #[serde(default)]
    after: u64,
    #[serde(default)]
    wait_ms: u64,
}

/// The longest a `GET /__emulator/callbacks?wait_ms=` waits.
const MAX_WAIT_MS: u64 = 30_000;

impl CallbackQuery {
    fn matches(&self, r: &CallbackRecord) -> bool {
        r.id > self.after
            && self.kind.is_none_or(|k| k == r.kind)
            && self
                .greenpin_id
                .as_deref()
                .is_none_or(|g| r.greenpin_id() == Some(g))
            && self
                .call_sid
                .as_deref()
                .is_none_or(|c| r.call_sid() == Some(c))
    }
}

async fn list_callbacks(
    State(sh): S,
    method: Method,
    query: Result<Query<CallbackQuery>, axum::extract::rejection::QueryRejection>,
) -> Answer {
    let Query(q) = match query {
        Ok(q) => q,
        Err(e) => return answer::<()>(&sh, &method, Err(Failure::bad(format!("query: {e}")))),
    };
    if q.wait_ms > MAX_WAIT_MS {
        return answer::<()>(
            &sh,
            &method,
            Err(Failure::bad(format!("wait_ms: at most {MAX_WAIT_MS}"))),
        );
    }
    if q.wait_ms > 0 {
        sh.callbacks
            .wait(&|r| q.matches(r), Duration::from_millis(q.wait_ms))
            .await;
    }
    let list: Vec<CallbackRecord> = sh
        .callbacks
        .list()
        .into_iter()
        .filter(|r| q.matches(r))
        .collect();
    answer(&sh, &method, Ok(list))
}

async fn clear_callbacks(State(sh): S, method: Method) -> Answer {
    sh.callbacks.clear();
    answer(&sh, &method, Ok(Vec::<()>::new()))
}

async fn list_callback_faults(State(sh): S, method: Method) -> Answer {
    answer(&sh, &method, Ok(sh.callbacks.faults()))
}

async fn add_callback_fault(State(sh): S, method: Method, body: Bytes) -> Answer {
    let result = parse_json::<CallbackFault>(&body)
        .and_then(|f| sh.callbacks.add_fault(f).map_err(Failure::bad));
    answer(&sh, &method, result)
}

async fn clear_callback_faults(State(sh): S, method: Method) -> Answer {
    sh.callbacks.clear_faults();
    answer(&sh, &method, Ok(Vec::<()>::new()))
}

async fn redeliver_callback(State(sh): S, method: Method, Path(id): Path<String>) -> Answer {
    let result = id
        .parse::<u64>()
        .map_err(|_| {
            Failure::new(
                greenpin_core::ErrorCode::NotFound,
                format!("no callback {id:?} is kept; callbacks are numbered from 1"),
            )
        })
        .and_then(|id| {
            sh.callbacks
                .redeliver(id, sh.endpoint().as_deref())
                .map(|()| id)
        });
    answer(&sh, &method, result)
}

async fn stats(State(sh): S, method: Method) -> Answer {
    answer(&sh, &method, Ok(sh.stats_now()))
}

async fn state(
    State(sh): S,
    method: Method,
    query: Result<Query<crate::dashboard::StateQuery>, axum::extract::rejection::QueryRejection>,
) -> Answer {
    let result = query
        .map_err(|e| Failure::bad(format!("query: {e}")))
        .and_then(|Query(q)| crate::dashboard::state(&sh, &q));
    answer(&sh, &method, result)
}

/// The OpenAPI document of the API this emulator serves (generated from greenpin-core's
/// types by `cargo xtask codegen`).
pub(crate) const OPENAPI_JSON: &str = include_str!("../../openapi.json");

/// The OpenAPI document of the `/__emulator` controls.
pub(crate) const OPENAPI_CONTROLS_JSON: &str = include_str!("../../controls.openapi.json");

#[expect(
    clippy::expect_used,
    reason = "static status, header and body always build"
)]
fn json_document(text: &'static str) -> Answer {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(text))
        .expect("static parts")
}

async fn openapi() -> Answer {
    json_document(OPENAPI_JSON)
}

async fn controls_openapi() -> Answer {
    json_document(OPENAPI_CONTROLS_JSON)
}
