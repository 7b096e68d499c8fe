//! The accept loop and what happens to every request before the router sees it: the guard
//! ([`guard`]: loopback, origin, rebinding, callbacks), the body read (at most 1 MiB kept,
//! in a bounded time), the journal and a queued fault for API requests, then the router.
//!
//! It is a plain hyper loop rather than `axum::serve` because two faults need the
//! connection itself: closing it without an answer, and truncating an answer's body.

mod guard;
mod slots;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use bytes::Bytes;
use greenpin_core::ErrorCode;
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

use crate::config::MAX_BODY;
use crate::failure::Failure;
use crate::faults::Fault;
use crate::journal::{IgnoredFields, Received};
use crate::respond::{fault_response, refusal};
use crate::state::{Shared, lock};

/// Largest body read (and thrown away) before a 413, so the client can read the answer.
const MAX_DRAIN: usize = 64 << 20;

/// Closes the connection without an answer (the `close` fault, or a client gone away).
#[derive(Debug)]
pub(crate) struct Close;

impl std::fmt::Display for Close {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection closed on purpose")
    }
}

impl std::error::Error for Close {}

/// Serves `listener` until `shutdown` fires (or its sender is dropped).
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: oneshot::Receiver<()>,
) {
    let router = crate::routes::router(shared.clone());
    let mut conns = JoinSet::new();
    // At most `max_connections` at once; at capacity the longest idle connection makes
    // room for a new one (`slots`), so idle connections cannot starve new clients.
    let slots = slots::Slots::new(shared.limits.max_connections);
    loop {
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
                let admitted = tokio::select! {
                    _ = &mut shutdown => break,
                    slot = slots.admit() => slot,
                };
                let Some(slot) = admitted else { break };
                let _ = stream.set_nodelay(true);
                let router = router.clone();
                let shared = shared.clone();
                let header_timeout = shared.limits.header_timeout;
                let slots = slots.clone();
                conns.spawn(async move {
                    let conn = slot.conn.clone();
                    let svc = service_fn(move |req| {
                        let busy = conn.request(&slots);
                        let response = handle(req, peer, router.clone(), shared.clone());
                        async move {
                            let response = response.await;
                            drop(busy);
                            response
                        }
                    });
                    let serving = http1::Builder::new()
                        .timer(hyper_util::rt::TokioTimer::new())
                        .header_read_timeout(header_timeout)
                        .serve_connection(TokioIo::new(stream), svc);
                    tokio::pin!(serving);
                    tokio::select! {
                        _ = serving.as_mut() => {}
                        () = slot.conn.asked_to_close() => {
                            // Idle, and its slot wanted: close once any answer is out.
                            serving.as_mut().graceful_shutdown();
                            let _ = serving.await;
                        }
                    }
                    drop(slot);
                });
            }
        }
        while conns.try_join_next().is_some() {}
    }
    conns.abort_all();
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
    if let Some(f) = guard::check(&parts, peer, is_control, &shared.hosts) {
        return Ok(refusal(&shared, &method, f));
    }
    let body = tokio::time::timeout(shared.limits.body_timeout, read_body(body))
        .await
        .map_err(|_| Close)??;
    let fault = if is_control {
        None
    } else {
        journal_and_fault(&shared, &parts, body.as_deref(), ignored)
    };
    let Some(body) = body else {
        let f = Failure::with_status(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::BadParameters,
            format!("body: larger than {MAX_BODY} bytes"),
        );
        return Ok(refusal(&shared, &method, f));
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
        return Ok(truncated(resp).await);
    }
    Ok(resp)
}

/// Journals an API request, and takes the fault queued for it, if one is.
fn journal_and_fault(
    shared: &Shared,
    parts: &http::request::Parts,
    body: Option<&[u8]>,
    ignored: IgnoredFields,
) -> Option<Fault> {
    let authenticated = parts
        .headers
        .get(header::AUTHORIZATION)
        .is_some_and(|v| greenpin_core::wire::credentials_match(&shared.credentials, v.as_bytes()));
    let fault = lock(&shared.faults).take(parts.method.as_str(), parts.uri.path());
    lock(&shared.journal).push(Received {
        parts,
        body,
        authenticated,
        fault: fault
            .as_ref()
            .map(|f| serde_json::to_string(f).unwrap_or_default()),
        ignored,
    });
    fault
}

/// The answer with only the first half of its body (a `truncate` fault): the request was
/// handled, the client cannot read what it did.
async fn truncated(resp: Response<Body>) -> Response<Body> {
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
    Response::from_parts(parts, Body::from(cut))
}
