//! GreenPin's API over HTTP: each handler checks what only HTTP has (credentials, tenant,
//! `Content-Type`), then calls the plain function of [`crate::api`] under the store's lock
//! and answers in the envelope, naming the body fields it ignored in
//! `X-GreenPin-Ignored-Fields`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::routing::{get, post};
use greenpin_core::ErrorCode;

use super::{Answer, S};
use crate::failure::Failure;
use crate::respond::envelope;
use crate::state::{Shared, lock};

pub(super) fn routes() -> Router<Arc<Shared>> {
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
}

/// An API request whose credentials and tenant have been checked: 401 code 7 for missing
/// or wrong Basic auth, then 403 code 8 for another tenant's sid. Every API handler takes
/// one, so the checks are written once; a refusal is already the envelope answer.
struct Authorized {
    method: Method,
    /// Where the body's ignored fields are noted for the journal.
    journal_note: Option<crate::journal::IgnoredFields>,
    /// The `{id}` path segment, on the routes that have one.
    id: String,
    content_type: Option<HeaderValue>,
}

impl FromRequestParts<Arc<Shared>> for Authorized {
    type Rejection = Answer;

    async fn from_request_parts(parts: &mut Parts, sh: &Arc<Shared>) -> Result<Self, Answer> {
        let method = parts.method.clone();
        let refuse =
            |f: Failure| envelope::<()>(f.status, method.as_str(), sh.request_id(), Err(f));
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, sh)
            .await
            .map_err(|e| refuse(Failure::bad(format!("path: {e}"))))?;
        let authenticated = parts
            .headers
            .get(header::AUTHORIZATION)
            .is_some_and(|v| greenpin_core::wire::credentials_match(&sh.credentials, v.as_bytes()));
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
            journal_note: parts
                .extensions
                .get::<crate::journal::IgnoredFields>()
                .cloned(),
            id: params.get("id").cloned().unwrap_or_default(),
            content_type: parts.headers.get(header::CONTENT_TYPE).cloned(),
        })
    }
}

impl Authorized {
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

    /// Answers `result`; fields of the body the API ignored are named in the journal and in
    /// the answer's `X-GreenPin-Ignored-Fields`, as GreenPin ignores them without a word.
    fn answer<T: serde::Serialize>(
        &self,
        sh: &Shared,
        result: Result<T, Failure>,
        ignored: crate::ignored::Ignored,
    ) -> Answer {
        let mut reply = envelope(
            StatusCode::OK,
            self.method.as_str(),
            sh.request_id(),
            result,
        );
        if !ignored.is_empty() {
            let ignored = ignored.into_list();
            if let Ok(v) = HeaderValue::from_str(&ignored.join(", ")) {
                reply.headers_mut().insert("x-greenpin-ignored-fields", v);
            }
            if let Some(slot) = &self.journal_note {
                let _ = slot.0.set(ignored);
                lock(&sh.journal).count_ignored(slot);
            }
        }
        reply
    }

    /// Runs a body-reading operation under the store's lock and answers it.
    fn with_body<T: serde::Serialize>(
        &self,
        sh: &Shared,
        body: &[u8],
        op: impl FnOnce(
            &mut crate::store::Store,
            &[u8],
            &mut crate::ignored::Ignored,
        ) -> Result<T, Failure>,
    ) -> Answer {
        let mut ignored = crate::ignored::Ignored::default();
        let result = self
            .json_content()
            .and_then(|()| sh.with_store(|store| op(store, body, &mut ignored)));
        self.answer(sh, result, ignored)
    }
}

async fn create(State(sh): S, call: Authorized, body: Bytes) -> Answer {
    call.with_body(&sh, &body, crate::api::create)
}

async fn get_allocation(State(sh): S, call: Authorized) -> Answer {
    let result = sh.with_store(|store| crate::api::get(store, &call.id));
    call.answer(&sh, result, crate::ignored::Ignored::default())
}

async fn update(State(sh): S, call: Authorized, body: Bytes) -> Answer {
    let id = call.id.clone();
    call.with_body(&sh, &body, |store, body, ignored| {
        crate::api::update(store, &id, body, ignored)
    })
}

async fn delete(State(sh): S, call: Authorized) -> Answer {
    let result = sh.with_store(|store| crate::api::delete(store, &call.id));
    call.answer(&sh, result, crate::ignored::Ignored::default())
}

async fn bulk_update(State(sh): S, call: Authorized, body: Bytes) -> Answer {
    let result = call.json_content().and_then(|()| {
        let (results, applied) = sh.with_store(|store| crate::api::bulk_update(store, &body))?;
        lock(&sh.stats).bulk_items_applied += applied;
        Ok(results)
    });
    call.answer(&sh, result, crate::ignored::Ignored::default())
}

async fn get_settings(State(sh): S, call: Authorized) -> Answer {
    let result = Ok(sh.with_store(|store| crate::api::get_settings(store)));
    call.answer(&sh, result, crate::ignored::Ignored::default())
}

async fn put_settings(State(sh): S, call: Authorized, body: Bytes) -> Answer {
    call.with_body(&sh, &body, crate::api::put_settings)
}
