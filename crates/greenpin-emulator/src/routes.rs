//! The routes: GreenPin's API under `/v1/tenants/{sid}/…`, and the test controls under
//! `/__emulator/…`. Handlers parse with serde (naming the field of a type error), validate
//! with greenpin-core — the same rules the SDK applies — and call the store.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{Method, Response, StatusCode, header};
use axum::routing::{get, post};
use greenpin_core::ops::{
    BulkItemResult, BulkUpdateItem, BulkUpdateResults, CreateAllocation, UpdateAllocation,
};
use greenpin_core::{AllocationSpec, ErrorCode, GreenPinId, Settings};
use serde::Deserialize;

use crate::failure::{Failure, from_value, parse_json};
use crate::faults::FaultRule;
use crate::server::{Shared, envelope, lock};
use crate::store::BULK_LIMIT;

type S = State<Arc<Shared>>;

/// The two request headers the handlers read; extracting them instead of the whole
/// `HeaderMap` saves cloning every header of every request.
#[derive(Debug, Default)]
struct Heads {
    authorization: Option<axum::http::HeaderValue>,
    content_type: Option<axum::http::HeaderValue>,
}

impl<St: Send + Sync> axum::extract::FromRequestParts<St> for Heads {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &St,
    ) -> Result<Self, Self::Rejection> {
        Ok(Heads {
            authorization: parts.headers.get(header::AUTHORIZATION).cloned(),
            content_type: parts.headers.get(header::CONTENT_TYPE).cloned(),
        })
    }
}
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
        .route("/__emulator/openapi.json", get(openapi))
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

/// Credentials, then tenant: 401 code 7 for missing or wrong Basic auth, 403 code 8 for
/// another tenant's sid.
fn authorize(shared: &Shared, headers: &Heads, sid: &str) -> Result<(), Failure> {
    let ok = headers
        .authorization
        .as_ref()
        .is_some_and(|v| shared.credentials.matches_authorization(v.as_bytes()));
    if !ok {
        return Err(Failure::new(
            ErrorCode::AuthenticationFailed,
            "authentication failed: send Authorization: Basic base64(api_key:api_token)",
        ));
    }
    if sid != shared.account_sid.as_str() {
        return Err(Failure::new(
            ErrorCode::NotPermitted,
            format!("these credentials are not permitted on tenant {sid:?}"),
        ));
    }
    Ok(())
}

/// A body with a `Content-Type` must say JSON.
fn json_content(headers: &Heads) -> Result<(), Failure> {
    match &headers.content_type {
        None => Ok(()),
        Some(v) => {
            let v = v.to_str().unwrap_or("");
            let essence = v.split(';').next().unwrap_or("").trim();
            if essence.eq_ignore_ascii_case("application/json") {
                Ok(())
            } else {
                Err(Failure::bad(format!(
                    "Content-Type: {v:?} is not application/json"
                )))
            }
        }
    }
}

fn path_id(id: &str) -> Result<GreenPinId, Failure> {
    // An id that could not have been issued cannot exist.
    GreenPinId::new(id).map_err(|_| Failure::not_found(id))
}

fn bad_path(e: PathRejection) -> Failure {
    Failure::bad(format!("path: {e}"))
}

async fn create(
    State(sh): S,
    method: Method,
    headers: Heads,
    path: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Reply {
    let result = (|| {
        let Path(sid) = path.map_err(bad_path)?;
        authorize(&sh, &headers, &sid)?;
        json_content(&headers)?;
        let op: CreateAllocation = parse_json(&body)?;
        sh.with_store(|store| {
            let valid = op.validate(store.country())?;
            store.create(valid)
        })
    })();
    answer(&sh, &method, result)
}

async fn get_allocation(
    State(sh): S,
    method: Method,
    headers: Heads,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Reply {
    let result = (|| {
        let Path((sid, id)) = path.map_err(bad_path)?;
        authorize(&sh, &headers, &sid)?;
        let id = path_id(&id)?;
        sh.with_store(|store| store.get(id.as_str()))
    })();
    answer(&sh, &method, result)
}

async fn update(
    State(sh): S,
    method: Method,
    headers: Heads,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Bytes,
) -> Reply {
    let result = (|| {
        let Path((sid, id)) = path.map_err(bad_path)?;
        authorize(&sh, &headers, &sid)?;
        json_content(&headers)?;
        let id = path_id(&id)?;
        let spec: AllocationSpec = parse_json(&body)?;
        sh.with_store(|store| {
            let fields = UpdateAllocation::new(id.clone(), spec).validate(store.country())?;
            store.update(id.as_str(), fields)
        })
    })();
    answer(&sh, &method, result)
}

async fn delete(
    State(sh): S,
    method: Method,
    headers: Heads,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Reply {
    let result = (|| {
        let Path((sid, id)) = path.map_err(bad_path)?;
        authorize(&sh, &headers, &sid)?;
        let id = path_id(&id)?;
        sh.with_store(|store| store.delete(id.as_str()))
    })();
    answer(&sh, &method, result)
}

#[derive(Deserialize)]
struct BulkBody {
    greenpins: Option<Vec<serde_json::Value>>,
}

async fn bulk_update(
    State(sh): S,
    method: Method,
    headers: Heads,
    path: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Reply {
    let result = (|| {
        let Path(sid) = path.map_err(bad_path)?;
        authorize(&sh, &headers, &sid)?;
        json_content(&headers)?;
        let BulkBody { greenpins } = parse_json(&body)?;
        let items = greenpins.ok_or_else(|| {
            Failure::new(
                ErrorCode::MandatoryParametersMissing,
                "greenpins: is required",
            )
        })?;
        if items.is_empty() {
            return Err(Failure::new(
                ErrorCode::MandatoryParametersMissing,
                "greenpins: must not be empty",
            ));
        }
        if items.len() > BULK_LIMIT {
            return Err(Failure::new(
                ErrorCode::TooManyInBulk,
                format!(
                    "greenpins: {} items; at most {BULK_LIMIT} in one bulk update",
                    items.len()
                ),
            ));
        }
        // Shape first: an item that is not a well-formed update (not an object, a wrong
        // type, no greenpin_id) makes the request malformed, as in any other body. Items
        // that are well-formed but invalid or refused get results of their own.
        let items = items
            .into_iter()
            .enumerate()
                        .map(|(i, item)| {
                let item = from_value::<BulkUpdateItem>(item, &format!("greenpins[{i}]"))?;
                if item.spec.deallocation_policy.as_ref().is_some_and(|p| p.duration.is_none()) {
                    return Err(Failure::new(
                        ErrorCode::MandatoryParametersMissing,
                        format!("greenpins[{i}].deallocation_policy.duration: is required when deallocation_policy is given"),
                    ));
                }
                Ok(item)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(sh.with_store(|store| {
            let results = items
                .into_iter()
                .enumerate()
                .map(|(i, item)| bulk_item(store, i, item))
                .collect();
            BulkUpdateResults::new(results)
        }))
    })();
    answer(&sh, &method, result)
}

fn bulk_item(store: &mut crate::store::Store, i: usize, item: BulkUpdateItem) -> BulkItemResult {
    let prefix = format!("greenpins[{i}]");
    let id = item.greenpin_id.clone();
    let outcome = UpdateAllocation::new(id.clone(), item.spec)
        .validate(store.country())
        .map_err(|e| Failure::from(e.within(&prefix)))
        .and_then(|valid| store.update(id.as_str(), valid));
    match outcome {
        Ok(a) => BulkItemResult::applied(a.greenpin_id.to_string(), a),
        Err(f) => {
            BulkItemResult::refused(Some(id.to_string()), f.status.as_u16(), f.code, f.message)
        }
    }
}

async fn get_settings(
    State(sh): S,
    method: Method,
    headers: Heads,
    path: Result<Path<String>, PathRejection>,
) -> Reply {
    let result = (|| {
        let Path(sid) = path.map_err(bad_path)?;
        authorize(&sh, &headers, &sid)?;
        Ok(sh.with_store(|store| store.settings().clone()))
    })();
    answer(&sh, &method, result)
}

async fn put_settings(
    State(sh): S,
    method: Method,
    headers: Heads,
    path: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Reply {
    let result = (|| {
        let Path(sid) = path.map_err(bad_path)?;
        authorize(&sh, &headers, &sid)?;
        json_content(&headers)?;
        let change: Settings = parse_json(&body)?;
        sh.with_store(|store| store.update_settings(change))
    })();
    answer(&sh, &method, result)
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

async fn advance_clock(State(sh): S, method: Method, body: Bytes) -> Reply {
    let result = parse_json::<Advance>(&body).map(|a| {
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

async fn openapi() -> Reply {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(OPENAPI_JSON))
        .expect("static parts")
}

async fn health(State(sh): S, method: Method) -> Reply {
    answer(&sh, &method, Ok("ok"))
}
