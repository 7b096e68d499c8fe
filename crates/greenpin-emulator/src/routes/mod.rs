//! The router: GreenPin's API under `/v1/tenants/{sid}/…` ([`api`]) and the test controls
//! and dashboard under `/__emulator/…` ([`controls`]). Anything else is a 404 in the API's
//! envelope, and a wrong method a 405.

mod api;
mod controls;

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::routing::get;
use greenpin_core::ErrorCode;

use crate::failure::Failure;
use crate::respond::refusal;
use crate::state::Shared;

type S = State<Arc<Shared>>;
type Answer = axum::http::Response<axum::body::Body>;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .merge(api::routes())
        .merge(controls::routes())
        .route(
            crate::dashboard::DASHBOARD_PATH,
            get(crate::dashboard::page),
        )
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

async fn no_route(State(sh): S, method: Method) -> Answer {
    refusal(
        &sh,
        method.as_str(),
        Failure::new(ErrorCode::NotFound, "no such endpoint"),
    )
}

async fn wrong_method(State(sh): S, method: Method) -> Answer {
    let f = Failure::with_status(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::BadParameters,
        format!("method {method} is not allowed here"),
    );
    refusal(&sh, method.as_str(), f)
}
