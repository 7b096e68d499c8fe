//! The accept loop and what happens to every request before the router sees it: the body
//! is read (at most 1 MiB kept), API requests are journaled and may be hit by a queued
//! fault, and `/__emulator` controls are refused to anyone but loopback.
//!
//! It is a plain hyper loop rather than `axum::serve` because two faults need the
//! connection itself: closing it without an answer, and truncating an answer's body.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use bytes::Bytes;
use greenpin_core::{AccountSid, Credentials, Envelope, ErrorCode};
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::callbacks;
use crate::failure::Failure;
use crate::faults::{Fault, Faults};
use crate::ids::Entropy;
use crate::journal::{IgnoredFields, Journal, RawEntry};
use crate::store::{Event, Store};

/// Largest request body handled; a larger one is answered 413.
pub const MAX_BODY: usize = 1 << 20;
/// Largest body read (and thrown away) before a 413, so the client can read the answer.
const MAX_DRAIN: usize = 64 << 20;

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) store: Mutex<Store>,
    pub(crate) journal: Mutex<Journal>,
    pub(crate) faults: Mutex<Faults>,
    pub(crate) account_sid: AccountSid,
    pub(crate) credentials: Credentials,
    pub(crate) runtime: tokio::runtime::Handle,
    pub(crate) entropy: Entropy,
    pub(crate) stats: Mutex<crate::stats::Stats>,
    pub(crate) limits: crate::Limits,
    pub(crate) callback_encoding: crate::CallbackEncoding,
}

/// Locks, shrugging off poisoning: a panic elsewhere must not take the emulator down, and
/// every store operation leaves the store consistent before it can panic.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    /// A fresh request id (no lock taken).
    pub(crate) fn request_id(&self) -> String {
        self.entropy.request_id()
    }

    /// Runs `f` on the store, then sends whatever callbacks it produced.
    pub(crate) fn with_store<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        let (out, events, endpoint) = {
            let mut store = lock(&self.store);
            let out = f(&mut store);
            let events = store.take_events();
            let endpoint = store
                .settings()
                .greenpin_call_complete_event_endpoint
                .clone()
                .filter(|u| !u.is_empty());
            let delivery = match endpoint.as_deref() {
                None => "not sent: no greenpin_call_complete_event_endpoint is set".to_owned(),
                Some(url) if callbacks::deliverable(url).is_none() => format!(
                    "not sent: the emulator delivers to loopback http URLs only, not {}",
                    crate::dashboard::shown_url(url)
                ),
                Some(url) => format!("sent to {}", crate::dashboard::shown_url(url)),
            };
            store.remember_events(&events, &delivery);
            (out, events, endpoint)
        };
        self.send(events, endpoint);
        out
    }

    fn send(&self, events: Vec<Event>, endpoint: Option<String>) {
        let Some(url) = endpoint.filter(|u| !u.is_empty()) else {
            return;
        };
        if events.is_empty() {
            return;
        }
        self.runtime
            .spawn(callbacks::deliver(url, events, self.callback_encoding));
    }
}

/// Closes the connection without an answer (the `close` fault, or a client gone away).
#[derive(Debug)]
pub(crate) struct Close;

impl std::fmt::Display for Close {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection closed on purpose")
    }
}

impl std::error::Error for Close {}

/// An envelope answer.
#[expect(
    clippy::expect_used,
    reason = "a status code and a static header always build a response"
)]
pub(crate) fn envelope<T: serde::Serialize>(
    status: StatusCode,
    method: &str,
    request_id: String,
    result: Result<T, Failure>,
) -> Response<Body> {
    let (status, env) = match result {
        Ok(data) => {
            let mut e = Envelope::success(status.as_u16(), data);
            e.request_id = Some(request_id);
            e.method = Some(method.to_owned());
            (status, serde_json::to_vec(&e))
        }
        Err(f) => {
            let mut e = Envelope::<()>::error(f.status.as_u16(), f.code, f.message);
            e.request_id = Some(request_id);
            e.method = Some(method.to_owned());
            (f.status, serde_json::to_vec(&e))
        }
    };
    let body = env.unwrap_or_else(|_| b"{\"success\":false,\"status\":500,\"code\":0,\"message\":\"serialisation failed\",\"data\":null}".to_vec());
    Response::builder()
        .status(status)
        .header(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )
        .body(Body::from(body))
        .expect("static parts")
}

/// Serves `listener` until `shutdown` fires (or its sender is dropped).
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: oneshot::Receiver<()>,
) {
    let router = crate::routes::router(shared.clone());
    let mut conns = JoinSet::new();
    // A connection holds a permit; past the cap, new connections wait in the listen
    // backlog instead of starving the ones being served.
    let permits = Arc::new(tokio::sync::Semaphore::new(
        shared.limits.max_connections.max(1),
    ));
    loop {
        let permit = tokio::select! {
            _ = &mut shutdown => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(x) => x,
                    Err(_) => {
                        // Out of descriptors, say: back off instead of spinning.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let router = router.clone();
                let shared = shared.clone();
                let header_timeout = shared.limits.header_timeout;
                conns.spawn(async move {
                    let _permit = permit;
                    let svc = service_fn(move |req| handle(req, peer, router.clone(), shared.clone()));
                    let _ = http1::Builder::new()
                        .timer(hyper_util::rt::TokioTimer::new())
                        .header_read_timeout(header_timeout)
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        }
        while conns.try_join_next().is_some() {}
    }
    conns.abort_all();
}

/// Whether a request names this machine by a loopback name (`localhost`, `127.0.0.1`,
/// `[::1]`, with any port), or names no host. A page of another site whose name was made
/// to resolve to 127.0.0.1 (DNS rebinding) sends its own name: from this machine, such a
/// request is refused — API and controls alike — so that no web page can use the
/// emulator's public default credentials or make it send callbacks. Clients on other
/// machines (a container network, say) may use any name.
fn names_loopback(parts: &http::request::Parts) -> bool {
    let Some(h) = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
    else {
        return true;
    };
    let name = match h.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => h,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

/// The controls change the emulator's state, so a web page must not drive them: a request
/// from another origin (a browser sends `Origin`), or a state-changing one whose body is
/// not declared JSON (what a page can send without a preflight), is refused (403, code 8).
fn refuse_cross_site(parts: &http::request::Parts) -> Option<Failure> {
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok());
    if let Some(origin) = parts.headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        let authority = origin.strip_prefix("http://").unwrap_or("");
        if host.is_none() || Some(authority) != host {
            return Some(Failure::new(
                ErrorCode::NotPermitted,
                format!("the /__emulator controls answer their own origin only, not {origin:?}"),
            ));
        }
    }
    let changes_state = !matches!(parts.method, http::Method::GET | http::Method::HEAD);
    let json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if changes_state && parts.method != http::Method::DELETE && !json {
        return Some(Failure::new(
            ErrorCode::NotPermitted,
            "a /__emulator control that changes state takes Content-Type: application/json",
        ));
    }
    None
}

/// Reads a body: `Ok(Some)` within the limit, `Ok(None)` too large (drained), `Err` broken.
async fn read_body(mut body: Incoming) -> Result<Option<Bytes>, Close> {
    let mut first: Option<Bytes> = None;
    let mut buf = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| Close)?;
        if let Ok(data) = frame.into_data() {
            seen += data.len();
            if seen > MAX_DRAIN {
                return Err(Close);
            }
            if seen > MAX_BODY {
                continue;
            }
            // Most bodies arrive in one frame: keep it as is, copy only when there are more.
            match first.take() {
                None if buf.is_empty() => first = Some(data),
                None => buf.extend_from_slice(&data),
                Some(f) => {
                    buf.extend_from_slice(&f);
                    buf.extend_from_slice(&data);
                }
            }
        }
    }
    if seen > MAX_BODY {
        return Ok(None);
    }
    Ok(Some(first.unwrap_or_else(|| Bytes::from(buf))))
}

async fn handle(
    req: Request<Incoming>,
    peer: SocketAddr,
    router: Router,
    shared: Arc<Shared>,
) -> Result<Response<Body>, Close> {
    let (mut parts, body) = req.into_parts();
    let method = parts.method.as_str().to_owned();
    let ignored = IgnoredFields::default();
    parts.extensions.insert(ignored.clone());
    let is_control = parts.uri.path().starts_with("/__emulator");
    // `::ffff:127.0.0.1` (a dual-stack listener's view of an IPv4 client) is loopback too.
    if is_control && !peer.ip().to_canonical().is_loopback() {
        let rid = shared.request_id();
        let f = Failure::new(
            ErrorCode::NotPermitted,
            "the /__emulator controls answer loopback clients only",
        );
        return Ok(envelope::<()>(StatusCode::FORBIDDEN, &method, rid, Err(f)));
    }
    if peer.ip().to_canonical().is_loopback() && !names_loopback(&parts) {
        let rid = shared.request_id();
        let f = Failure::new(
            ErrorCode::NotPermitted,
            "from this machine, name the emulator by a loopback host (127.0.0.1, localhost or [::1])",
        );
        return Ok(envelope::<()>(StatusCode::FORBIDDEN, &method, rid, Err(f)));
    }
    if is_control && let Some(f) = refuse_cross_site(&parts) {
        let rid = shared.request_id();
        return Ok(envelope::<()>(f.status, &method, rid, Err(f)));
    }
    let body = tokio::time::timeout(shared.limits.body_timeout, read_body(body))
        .await
        .map_err(|_| Close)??;
    let authenticated = parts
        .headers
        .get(header::AUTHORIZATION)
        .is_some_and(|v| shared.credentials.matches_authorization(v.as_bytes()));

    let fault = if is_control {
        None
    } else {
        let fault = lock(&shared.faults).take(&method, parts.uri.path());
        let label = fault
            .as_ref()
            .map(|f| serde_json::to_string(f).unwrap_or_default());
        lock(&shared.journal).push(RawEntry {
            method: parts.method.clone(),
            uri: parts.uri.clone(),
            headers: parts.headers.clone(),
            body: if authenticated { body.clone() } else { None },
            fault: label,
            ignored,
            truncated_from: None,
            authenticated,
        });
        fault
    };
    let Some(body) = body else {
        let rid = shared.request_id();
        let f = Failure::with_status(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::BadParameters,
            format!("body: larger than {MAX_BODY} bytes"),
        );
        return Ok(envelope::<()>(f.status, &method, rid, Err(f)));
    };

    match &fault {
        Some(Fault::Close) => return Err(Close),
        Some(Fault::Delay { ms }) => tokio::time::sleep(Duration::from_millis(*ms)).await,
        Some(Fault::Status {
            status,
            retry_after,
            body,
            content_type,
        }) => {
            return Ok(fault_response(
                &shared,
                &method,
                *status,
                retry_after,
                body,
                content_type,
            ));
        }
        _ => {}
    }

    let api = (!is_control).then(|| (parts.method.clone(), parts.uri.path().to_owned()));
    let req = Request::from_parts(parts, Body::from(body));
    let resp = match router.oneshot(req).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    if let Some((method, path)) = api {
        lock(&shared.stats).count(&method, &path, resp.status());
    }
    if matches!(fault, Some(Fault::Truncate)) {
        let (mut parts, body) = resp.into_parts();
        let bytes = body
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        let cut = bytes.slice(..bytes.len() / 2);
        parts
            .headers
            .insert(header::CONTENT_LENGTH, HeaderValue::from(cut.len()));
        return Ok(Response::from_parts(parts, Body::from(cut)));
    }
    Ok(resp)
}

fn fault_response(
    shared: &Shared,
    method: &str,
    status: u16,
    retry_after: &Option<String>,
    body: &Option<String>,
    content_type: &Option<String>,
) -> Response<Body> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = match body {
        None => {
            let rid = shared.request_id();
            let code = greenpin_core::ERROR_CODES
                .iter()
                .find(|c| c.http_status == status.as_u16())
                .map(|c| c.variant)
                .unwrap_or(ErrorCode::Internal);
            let reason = status.canonical_reason().unwrap_or("injected fault");
            envelope::<()>(
                status,
                method,
                rid,
                Err(Failure::with_status(status, code, reason)),
            )
        }
        Some(text) => {
            let ct = content_type.clone().unwrap_or_else(|| {
                if text.trim_start().starts_with('<') {
                    "text/html"
                } else {
                    "application/json"
                }
                .to_owned()
            });
            let mut r = Response::new(Body::from(text.clone()));
            *r.status_mut() = status;
            if let Ok(v) = HeaderValue::from_str(&ct) {
                r.headers_mut().insert(header::CONTENT_TYPE, v);
            }
            r
        }
    };
    if let Some(v) = retry_after
        .as_deref()
        .and_then(|v| HeaderValue::from_str(v).ok())
    {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}
