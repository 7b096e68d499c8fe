//! The receiver's HTTP side: an accept loop that bounds every connection (time to send its
//! headers, a whole-connection lifetime, a cap on open connections), the callback handler,
//! and forwarding in the background with its own timeout.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request as AxumRequest, State};
use axum::http::{Request, StatusCode};
use greenpin_core::Country;
use greenpin_core::callbacks::{
    Callback, CallbackReceiver, CallbackSecret, MAX_CALLBACK_BYTES, SecretPlacement,
};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tower::ServiceExt;

use super::{describe, to_json};
use crate::exit::CommandError;
use crate::output::{say, terminal_safe};

/// Time a client has to send a request's headers.
pub(crate) const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest a connection stays open, idle or not: a callback is one small POST.
pub(crate) const CONNECTION_LIFETIME: Duration = Duration::from_secs(30);
/// Connections served at once; more wait in the listen backlog.
pub(crate) const MAX_CONNECTIONS: usize = 64;
/// Time a request that carries the secret has to send its body.
pub(crate) const BODY_TIMEOUT: Duration = Duration::from_secs(5);
/// Callbacks waiting to be forwarded; past it, one is dropped (and said so).
pub(crate) const FORWARD_QUEUE: usize = 256;
/// Event keys remembered to mark repeated deliveries; past it, memory starts again.
const SEEN_KEYS: usize = 100_000;

/// What the receiver hears: a callback, or the reason it stopped serving.
pub(crate) enum Heard {
    Callback(Callback),
    Stopped(String),
}

struct Shared {
    receiver: CallbackReceiver,
    seen: Mutex<HashSet<String>>,
    /// How to print events as they arrive: `None` to leave it to the caller.
    print: Option<bool>,
    forward: Option<std::sync::mpsc::SyncSender<Forwarded>>,
    heard: tokio::sync::mpsc::UnboundedSender<Heard>,
}

/// A callback on its way to the forward target.
struct Forwarded {
    content_type: String,
    body: axum::body::Bytes,
}

/// Where accepted callbacks are also POSTed, and how long each try may take.
#[derive(Clone, Debug)]
pub(crate) struct Forward {
    pub(crate) url: String,
    pub(crate) timeout: Duration,
}

/// What `start` needs to know.
pub(crate) struct Options {
    pub(crate) addr: SocketAddr,
    pub(crate) secret: CallbackSecret,
    pub(crate) placement: SecretPlacement,
    pub(crate) country: Country,
    pub(crate) print: Option<bool>,
    pub(crate) forward: Option<Forward>,
}

/// A running receiver: the URL that reaches it (secret included), where it listens, and
/// what it hears.
pub(crate) struct Running {
    pub(crate) url: String,
    pub(crate) local: SocketAddr,
    pub(crate) heard: tokio::sync::mpsc::UnboundedReceiver<Heard>,
    pub(crate) stop: tokio::sync::mpsc::UnboundedSender<Heard>,
    pub(crate) runtime: tokio::runtime::Runtime,
    /// Told when the forwarder has sent everything it was given.
    forwarded: Option<std::sync::mpsc::Receiver<()>>,
}

impl Running {
    /// The next callback, waiting at most `wait`.
    pub(crate) fn next(&mut self, wait: Duration) -> Option<Callback> {
        let heard = &mut self.heard;
        self.runtime.block_on(async {
            match tokio::time::timeout(wait, heard.recv()).await {
                Ok(Some(Heard::Callback(cb))) => Some(cb),
                _ => None,
            }
        })
    }

    /// Stops serving and gives the forwarder at most `wait` to send what it holds.
    pub(crate) fn finish(self, wait: Duration) {
        let Running {
            runtime, forwarded, ..
        } = self;
        // The server's tasks, and with them the forward queue's sender, go.
        drop(runtime);
        if let Some(done) = forwarded
            && done.recv_timeout(wait).is_err()
        {
            say!("forwarding: gave up on the callbacks still waiting for the target");
        }
    }

    /// The next thing heard: a callback, or why serving stopped.
    pub(crate) fn wait(&mut self) -> Heard {
        let heard = &mut self.heard;
        self.runtime
            .block_on(heard.recv())
            .unwrap_or_else(|| Heard::Stopped("the receiver stopped".into()))
    }
}

/// The URL that reaches a listener on `local` from this machine: an unspecified address
/// (`0.0.0.0`, `[::]`) is reached through the loopback of its family.
pub(crate) fn reachable(local: SocketAddr) -> SocketAddr {
    match local.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), local.port())
        }
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(std::net::Ipv6Addr::LOCALHOST.into(), local.port())
        }
        _ => local,
    }
}

/// Starts a receiver on its own runtime thread.
pub(crate) fn start(options: Options) -> Result<Running, CommandError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| CommandError::Usage(format!("cannot start the receiver: {e}")))?;
    let addr = options.addr;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(addr))
        .map_err(|e| CommandError::Usage(format!("--listen: cannot listen on {addr}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| CommandError::Usage(format!("--listen: {e}")))?;
    let url = options
        .secret
        .url(
            &format!("http://{}/hooks/greenpin", reachable(local)),
            options.placement,
        )
        .map_err(|e| CommandError::Usage(e.to_string()))?;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let (forward, forwarded) = options.forward.map(forwarder).unzip();
    let shared = Arc::new(Shared {
        receiver: CallbackReceiver::new(options.secret).country(options.country),
        seen: Mutex::new(HashSet::new()),
        print: options.print,
        forward,
        heard: tx.clone(),
    });
    let app = axum::Router::new().fallback(handle).with_state(shared);
    let stopped = tx.clone();
    runtime.spawn(async move {
        let why = serve(listener, app).await;
        let _ = stopped.send(Heard::Stopped(why));
    });
    Ok(Running {
        url,
        local,
        heard: rx,
        stop: tx,
        runtime,
        forwarded,
    })
}

/// Serves connections until accepting fails for good, each bounded: its headers within
/// [`HEADER_TIMEOUT`], its whole life within [`CONNECTION_LIFETIME`], at most
/// [`MAX_CONNECTIONS`] at once. At capacity the connection idle longest is closed to make
/// room (`slots`, as in the emulator), so idle connections cannot keep a callback out.
async fn serve(listener: tokio::net::TcpListener, app: axum::Router) -> String {
    let slots = super::slots::Slots::new(MAX_CONNECTIONS);
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) if is_transient(&e) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
            Err(e) => return format!("the receiver stopped accepting connections: {e}"),
        };
        let Some(slot) = slots.admit().await else {
            return "the receiver stopped".into();
        };
        let app = app.clone();
        let slots = slots.clone();
        tokio::spawn(async move {
            let conn = slot.conn.clone();
            let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let busy = conn.request(&slots);
                let answer = app.clone().oneshot(req.map(Body::new));
                async move {
                    let answer = answer.await;
                    drop(busy);
                    answer
                }
            });
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            let bounded = async {
                tokio::select! {
                    _ = connection.as_mut() => {}
                    () = slot.conn.asked_to_close() => {
                        connection.as_mut().graceful_shutdown();
                        let _ = connection.as_mut().await;
                    }
                }
            };
            let _ = tokio::time::timeout(CONNECTION_LIFETIME, bounded).await;
            drop(slot);
        });
    }
}

/// Accept errors that pass (out of descriptors, a connection reset before it was taken).
fn is_transient(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | Interrupted | WouldBlock | OutOfMemory
    ) || e.raw_os_error().is_some_and(|c| c == 23 || c == 24)
}

impl Shared {
    /// Whether an event with this callback's key was heard already (a repeated delivery).
    fn seen_before(&self, cb: &Callback) -> bool {
        let Some(k) = cb.key() else { return false };
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() >= SEEN_KEYS {
            seen.clear();
        }
        !seen.insert(k.to_string())
    }

    /// Prints the event as `--json` or people read it (or not at all).
    fn print(&self, cb: &Callback, duplicate: bool) {
        match self.print {
            // One line per event (NDJSON), so a script can read them as they come.
            Some(true) => crate::output::out!(
                "{}",
                serde_json::to_string(&to_json(cb, duplicate)).unwrap_or_default()
            ),
            Some(false) => crate::output::out!(
                "{}{}",
                describe(cb),
                if duplicate {
                    " (repeated delivery)"
                } else {
                    ""
                }
            ),
            None => {}
        }
    }
}

async fn handle(State(shared): State<Arc<Shared>>, request: AxumRequest) -> (StatusCode, String) {
    let (parts, body) = request.into_parts();
    let refuse = |rejection: greenpin_core::callbacks::Rejection| {
        say!(
            "refused a request: {}",
            crate::output::printable(&rejection.to_string())
        );
        (rejection.status(), rejection.to_string())
    };
    // The method and the secret first: a request without the secret is refused before
    // its body is read.
    if let Err(rejection) = shared
        .receiver
        .check(&parts.method, &parts.uri, &parts.headers)
    {
        return refuse(rejection);
    }
    let body = match tokio::time::timeout(
        BODY_TIMEOUT,
        axum::body::to_bytes(body, MAX_CALLBACK_BYTES + 1),
    )
    .await
    {
        Ok(Ok(body)) => body,
        Ok(Err(_)) => {
            return refuse(greenpin_core::callbacks::Rejection::TooLarge(
                MAX_CALLBACK_BYTES + 1,
            ));
        }
        Err(_) => {
            say!("refused a request: its body took longer than {BODY_TIMEOUT:?}");
            return (StatusCode::REQUEST_TIMEOUT, "body too slow".into());
        }
    };
    let cb = match shared
        .receiver
        .receive(&parts.method, &parts.uri, &parts.headers, &body)
    {
        Err(rejection) => return refuse(rejection),
        Ok(cb) => cb,
    };
    let duplicate = shared.seen_before(&cb);
    shared.print(&cb, duplicate);
    if let Some(queue) = &shared.forward {
        let content_type = parts
            .headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/json")
            .to_owned();
        // Forwarded in the background, one at a time: the callback is answered now,
        // whatever the target does, and a stuck target holds one thread, not one a request.
        if queue.try_send(Forwarded { content_type, body }).is_err() {
            say!(
                "forwarding: {FORWARD_QUEUE} callbacks are waiting for the target; this one is not forwarded"
            );
        }
    }
    let _ = shared.heard.send(Heard::Callback(cb));
    (StatusCode::OK, "ok".into())
}

/// The thread that forwards callbacks, in order, from a bounded queue; it says when the
/// queue is closed and empty.
fn forwarder(
    forward: Forward,
) -> (
    std::sync::mpsc::SyncSender<Forwarded>,
    std::sync::mpsc::Receiver<()>,
) {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Forwarded>(FORWARD_QUEUE);
    let (done_tx, done) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for item in rx {
            forward_one(&forward, &item.content_type, &item.body);
        }
        let _ = done_tx.send(());
    });
    (tx, done)
}

/// POSTs one callback to the forward target, within its timeout; says so when it fails.
fn forward_one(forward: &Forward, content_type: &str, body: &[u8]) {
    let agent: greenpin_blocking::ureq::Agent = greenpin_blocking::ureq::Agent::config_builder()
        .timeout_global(Some(forward.timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    match agent
        .post(&forward.url)
        .header("content-type", content_type)
        .send(body)
    {
        Ok(answer) if answer.status().is_success() => {}
        Ok(answer) => say!(
            "forwarding failed: {} answered {}",
            terminal_safe(&forward.url),
            answer.status()
        ),
        Err(e) => say!(
            "forwarding failed: {}: {}",
            terminal_safe(&forward.url),
            crate::output::printable(&e.to_string())
        ),
    }
}
