//! The routes: GreenPin's API under `/v1/tenants/{sid}/…`, and the test controls under
//! `/__emulator/…`. Handlers parse with serde (naming the field of a type error), validate
//! with greenpin-core — the same rules the SDK applies — and call the store.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, Response, StatusCode, header};
use axum::routing::{get, post};
use greenpin_core::body::from_json_noting_unknown;
use greenpin_core::{
    BulkItemResult, BulkSpec, BulkUpdateResults, CreateSpec, ErrorCode, GreenPinId, SettingsSpec,
    UpdateSpec, WireBulkItem,
};
use serde::Deserialize;

use crate::failure::{Failure, parse_json};
use crate::faults::FaultRule;
use crate::server::{Shared, envelope, lock};

type S = State<Arc<Shared>>;

type Reply = Response<Body>;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/tenants/{sid}/greenpin", post(create).put(bulk_update))
        .route(
            "/v1/tenants/{sid}/greenpin/{id}",
            get(get_allocation).put(update).delete(delete),
        )
        .route(
            "/v1/tenants/{sid}/settings",
            get(get_settings).put(put_settings),
        )
        .route("/__emulator/clock", get(clock))
        .route("/__emulator/clock/advance", post(advance_clock))
        .route(
            "/__emulator/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route(
            "/__emulator/requests",
            get(list_requests).delete(clear_requests),
        )
        .route("/__emulator/calls", post(simulate_call))
        .route("/__emulator/health", get(health))
        .route("/__emulator/stats", get(stats))
        .route("/__emulator/openapi.json", get(openapi))
        .route("/__emulator/state", get(state))
        .route("/__emulator/dashboard", get(crate::dashboard::page))
        .route(
            "/__emulator/dashboard/app.js",
            get(crate::dashboard::script),
        )
        .route(
            "/__emulator/dashboard/app.css",
            get(crate::dashboard::style),
        )
        .route(
            "/__emulator/dashboard/icon.svg",
            get(crate::dashboard::icon),
        )
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method)
        .with_state(shared)
}

fn answer<T: serde::Serialize>(
    shared: &Shared,
    method: &Method,
    result: Result<T, Failure>,
) -> Reply {
    let rid = shared.request_id();
    envelope(StatusCode::OK, method.as_str(), rid, result)
}

/// An API request whose credentials and tenant have been checked: 401 code 7 for missing
/// or wrong Basic auth, then 403 code 8 for another tenant's sid. Every API handler takes
/// one, so the checks are written once; a refusal is already the envelope answer.
struct Authorized {
    method: Method,
    /// Where the body's ignored fields are noted for the journal.
    ignored: Option<crate::journal::IgnoredFields>,
    /// The `{id}` path segment, on the routes that have one.
    id: Option<String>,
    content_type: Option<HeaderValue>,
}

impl FromRequestParts<Arc<Shared>> for Authorized {
    type Rejection = Reply;

    async fn from_request_parts(parts: &mut Parts, sh: &Arc<Shared>) -> Result<Self, Reply> {
        let method = parts.method.clone();
        let refuse = |f: Failure| answer::<()>(sh, &method, Err(f));
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, sh)
            .await
            .map_err(|e| refuse(Failure::bad(format!("path: {e}"))))?;
        let authenticated = parts
            .headers
            .get(header::AUTHORIZATION)
            .is_some_and(|v| sh.credentials.matches_authorization(v.as_bytes()));
        if !authenticated {
            return Err(refuse(Failure::new(
                ErrorCode::AuthenticationFailed,
                "authentication failed: send Authorization: Basic base64(api_key:api_token)",
            )));
        }
        let sid = params.get("sid").map(String::as_str).unwrap_or("");
        if sid != sh.account_sid.as_str() {
            return Err(refuse(Failure::new(
                ErrorCode::NotPermitted,
                format!("these credentials are not permitted on tenant {sid:?}"),
            )));
        }
        Ok(Authorized {
            method,
            ignored: parts
                .extensions
                .get::<crate::journal::IgnoredFields>()
                .cloned(),
            id: params.get("id").cloned(),
            content_type: parts.headers.get(header::CONTENT_TYPE).cloned(),
        })
    }
}

impl Authorized {
    /// The allocation id of the path. An id that could not have been issued cannot exist.
    fn id(&self) -> Result<GreenPinId, Failure> {
        let id = self.id.as_deref().unwrap_or("");
        GreenPinId::new(id).map_err(|_| Failure::not_found(id))
    }

    /// A `Content-Type`, when given, must say JSON.
    fn json_content(&self) -> Result<(), Failure> {
        if let Some(v) = &self.content_type {
            let v = v.to_str().unwrap_or("");
            let essence = v.split(';').next().unwrap_or("").trim();
            if !essence.eq_ignore_ascii_case("application/json") {
                return Err(Failure::bad(format!(
                    "Content-Type: {v:?} is not application/json"
                )));
            }
        }
        Ok(())
    }

    /// The body as JSON, read by the core (fields named in errors). Fields the API does
    /// not know are ignored, as the service does, and noted in the journal.
    fn body<T: serde::de::DeserializeOwned>(&self, body: &[u8]) -> Result<T, Failure> {
        self.json_content()?;
        let (value, unknown) = from_json_noting_unknown(body)?;
        if !unknown.is_empty()
            && let Some(slot) = &self.ignored
        {
            let _ = slot.0.set(unknown);
        }
        Ok(value)
    }

    fn answer<T: serde::Serialize>(&self, sh: &Shared, result: Result<T, Failure>) -> Reply {
        let mut reply = answer(sh, &self.method, result);
        if let Some(fields) = self.ignored.as_ref().and_then(|s| s.0.get())
            && let Ok(v) = HeaderValue::from_str(&fields.join(", "))
        {
            reply.headers_mut().insert("x-greenpin-ignored-fields", v);
        }
        reply
    }
}

async fn create(State(sh): S, call: Authorized, body: Bytes) -> Reply {
    let result = call.body::<CreateSpec>(&body).and_then(|spec| {
        sh.with_store(|store| {
            let valid = spec.validate(&store.validation())?;
            store.create(valid)
        })
    });
    call.answer(&sh, result)
}

async fn get_allocation(State(sh): S, call: Authorized) -> Reply {
    let result = call
        .id()
        .and_then(|id| sh.with_store(|store| store.get(id.as_str())));
    call.answer(&sh, result)
}

async fn update(State(sh): S, call: Authorized, body: Bytes) -> Reply {
    let result = (|| {
        let id = call.id()?;
        let spec: UpdateSpec = call.body(&body)?;
        sh.with_store(|store| {
            let valid = spec.validate(&store.validation())?;
            store.update(id.as_str(), valid)
        })
    })();
    call.answer(&sh, result)
}

async fn delete(State(sh): S, call: Authorized) -> Reply {
    let result = call
        .id()
        .and_then(|id| sh.with_store(|store| store.delete(id.as_str())));
    call.answer(&sh, result)
}

/// Bulk update: the body's shape and size are checked whole; each item is read, checked
/// and applied on its own (partial success, as documented), with a result of its own.
async fn bulk_update(State(sh): S, call: Authorized, body: Bytes) -> Reply {
    let result = call
        .json_content()
        .and_then(|()| Ok(BulkSpec::read_wire(&body)?))
        .map(|items| {
            let applied = std::sync::atomic::AtomicU64::new(0);
            let results = sh.with_store(|store| {
                let results = items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| bulk_item(store, i, item, &applied))
                    .collect();
                BulkUpdateResults::new(results)
            });
            lock(&sh.stats).bulk_items_applied += applied.into_inner();
            results
        });
    call.answer(&sh, result)
}

fn bulk_item(
    store: &mut crate::store::Store,
    i: usize,
    item: WireBulkItem,
    applied: &std::sync::atomic::AtomicU64,
) -> BulkItemResult {
    let prefix = format!("greenpins[{i}]");
    let outcome = item.spec.map_err(Failure::from).and_then(|spec| {
        let valid = spec
            .validate(&store.validation())
            .map_err(|e| Failure::from(e.within(&prefix)))?;
        store.update(valid.greenpin_id.as_str(), valid.fields)
    });
    match outcome {
        Ok(a) => {
            applied.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            BulkItemResult::applied(a.greenpin_id.to_string(), a)
        }
        Err(f) => BulkItemResult::refused(item.greenpin_id, f.status.as_u16(), f.code, f.message),
    }
}

async fn get_settings(State(sh): S, call: Authorized) -> Reply {
    let result = Ok(sh.with_store(|store| store.settings().clone()));
    call.answer(&sh, result)
}

async fn put_settings(State(sh): S, call: Authorized, body: Bytes) -> Reply {
    let result = call.body::<SettingsSpec>(&body).and_then(|spec| {
        sh.with_store(|store| {
            let valid = spec.validate(&store.validation())?;
            Ok(store.update_settings(valid))
        })
    });
    call.answer(&sh, result)
}

async fn no_route(State(sh): S, method: Method) -> Reply {
    let rid = sh.request_id();
    envelope::<()>(
        StatusCode::NOT_FOUND,
        method.as_str(),
        rid,
        Err(Failure::new(ErrorCode::NotFound, "no such endpoint")),
    )
}

async fn wrong_method(State(sh): S, method: Method) -> Reply {
    let rid = sh.request_id();
    let f = Failure::with_status(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::BadParameters,
        format!("method {method} is not allowed here"),
    );
    envelope::<()>(f.status, method.as_str(), rid, Err(f))
}

// ----- controls ------------------------------------------------------------------------

#[derive(serde::Serialize)]
struct Clock {
    now: String,
    now_ms: i64,
}

async fn clock(State(sh): S, method: Method) -> Reply {
    let c = sh.with_store(|s| Clock {
        now: s.now_text(),
        now_ms: s.now_ms(),
    });
    answer(&sh, &method, Ok(c))
}

#[derive(Deserialize)]
struct Advance {
    seconds: u64,
}

/// The longest single advance of the clock: ten years. More is refused (400), so the
/// clock cannot be wrapped past what a date can say.
pub const MAX_CLOCK_ADVANCE_SECS: u64 = 10 * 365 * 86_400;

async fn advance_clock(State(sh): S, method: Method, body: Bytes) -> Reply {
    let result = parse_json::<Advance>(&body)
        .and_then(|a| {
            if a.seconds > MAX_CLOCK_ADVANCE_SECS {
                Err(Failure::bad(format!(
                    "seconds: {} is more than the longest advance, {MAX_CLOCK_ADVANCE_SECS} (ten years)",
                    a.seconds
                )))
            } else {
                Ok(a)
            }
        })
        .map(|a| {
        sh.with_store(|s| {
            s.advance(a.seconds);
            Clock {
                now: s.now_text(),
                now_ms: s.now_ms(),
            }
        })
    });
    answer(&sh, &method, result)
}

async fn list_faults(State(sh): S, method: Method) -> Reply {
    let list = lock(&sh.faults).list();
    answer(&sh, &method, Ok(list))
}

async fn add_fault(State(sh): S, method: Method, body: Bytes) -> Reply {
    let result = parse_json::<FaultRule>(&body).and_then(|rule| {
        rule.check().map_err(Failure::bad)?;
        let mut f = lock(&sh.faults);
        f.push(rule);
        Ok(f.list())
    });
    answer(&sh, &method, result)
}

async fn clear_faults(State(sh): S, method: Method) -> Reply {
    lock(&sh.faults).clear();
    answer(&sh, &method, Ok(Vec::<FaultRule>::new()))
}

async fn list_requests(State(sh): S, method: Method) -> Reply {
    let list = lock(&sh.journal).list();
    answer(&sh, &method, Ok(list))
}

async fn clear_requests(State(sh): S, method: Method) -> Reply {
    lock(&sh.journal).clear();
    answer(&sh, &method, Ok(Vec::<()>::new()))
}

#[derive(Deserialize)]
struct Call {
    from: String,
    vn: String,
    #[serde(default)]
    pin: Option<String>,
}

async fn simulate_call(State(sh): S, method: Method, body: Bytes) -> Reply {
    let result = parse_json::<Call>(&body)
        .and_then(|c| sh.with_store(|s| s.call(&c.from, &c.vn, c.pin.as_deref())));
    answer(&sh, &method, result)
}

/// The OpenAPI document of the API this emulator serves (generated from greenpin-core's
/// types by `cargo xtask codegen`).
pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

#[expect(
    clippy::expect_used,
    reason = "static status, header and body always build"
)]
async fn openapi() -> Reply {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(OPENAPI_JSON))
        .expect("static parts")
}

async fn stats(State(sh): S, method: Method) -> Reply {
    let mut stats = lock(&sh.stats).clone();
    stats.journal_bytes = lock(&sh.journal).bytes();
    answer(&sh, &method, Ok(stats))
}

/// Everything the dashboard shows, in one answer: the account (allocations, routes,
/// callbacks fired, clock), its settings, the queued faults, the newest requests and the
/// counts.
async fn state(State(sh): S, method: Method) -> Reply {
    let (snapshot, mut settings) = sh.with_store(|s| (s.snapshot(), s.settings().clone()));
    if let Some(url) = settings.greenpin_call_complete_event_endpoint.as_mut() {
        *url = crate::dashboard::shown_url(url);
    }
    let faults = lock(&sh.faults).list();
    let requests = lock(&sh.journal).recent(crate::dashboard::JOURNAL_SHOWN);
    let mut stats = lock(&sh.stats).clone();
    stats.journal_bytes = lock(&sh.journal).bytes();
    answer(
        &sh,
        &method,
        Ok(serde_json::json!({
            "account": sh.account_sid.as_str(),
            "clock": {"now": snapshot.now, "now_ms": snapshot.now_ms},
            "allocations": snapshot.allocations,
            "routes": snapshot.routes,
            "callbacks": snapshot.events,
            "settings": settings,
            "faults": faults,
            "requests": requests,
            "stats": stats,
        })),
    )
}

async fn health(State(sh): S, method: Method) -> Reply {
    answer(&sh, &method, Ok("ok"))
}
