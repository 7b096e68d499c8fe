//! The dashboard: a page served by the emulator itself at [`DASHBOARD_PATH`], showing the
//! live allocations, the routing table, the callbacks fired, the request journal, the
//! clock, the faults and the settings, and driving calls, the clock and faults through
//! the `/__emulator` controls. Its HTML, CSS and script are compiled into the binary (no
//! network, no build step), served with a strict Content-Security-Policy, and obey the
//! controls' rules: loopback clients only, their own origin only.

mod view;

pub(crate) use view::StateQuery;
pub(crate) use view::state;

use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode, header};

/// Where the dashboard is served.
pub const DASHBOARD_PATH: &str = "/__emulator/dashboard";

const PAGE: &str = include_str!("index.html");
const SCRIPT: &str = include_str!("app.js");
const STYLE: &str = include_str!("app.css");
const ICON: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="#2e7d32"/><text x="8" y="12" font-size="10" text-anchor="middle" fill="white" font-family="sans-serif">G</text></svg>"##;

#[expect(
    clippy::expect_used,
    reason = "a static status and static headers always build"
)]
fn asset(content_type: &'static str, body: &'static str) -> Response<Body> {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, HeaderValue::from_static(content_type))
        .header(header::CACHE_CONTROL, "no-store")
        .header("x-content-type-options", "nosniff")
        .header("referrer-policy", "no-referrer")
        .header("x-frame-options", "DENY")
        // Only this page's own script and style; no inline code, no other origin, never
        // framed.
        .header(
            "content-security-policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
             img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        )
        .body(Body::from(body))
        .expect("static parts")
}

pub(crate) async fn page() -> Response<Body> {
    asset("text/html; charset=utf-8", PAGE)
}

pub(crate) async fn script() -> Response<Body> {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

pub(crate) async fn style() -> Response<Body> {
    asset("text/css; charset=utf-8", STYLE)
}

pub(crate) async fn icon() -> Response<Body> {
    asset("image/svg+xml", ICON)
}
