//! `greenpin listen`: a local receiver for GreenPin's callbacks, for development. It checks
//! a shared secret carried in its URL (generated unless given), prints each event as it
//! arrives (marking repeated deliveries), optionally forwards it, and can register itself
//! as the account's `greenpin_call_complete_event_endpoint`.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use clap::Args;
use greenpin_core::callbacks::{
    Callback, CallbackEvent, CallbackReceiver, CallbackSecret, SecretPlacement,
};
use greenpin_core::{Country, SettingsSpec};

use crate::exit::{CommandError, Exit};

#[derive(Args, Debug)]
pub(crate) struct ListenArgs {
    /// Address to listen on (loopback by default; port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// The secret callbacks must carry (at least 16 of A-Z a-z 0-9 - _); one is generated
    /// when left out.
    #[arg(long, env = "GREENPIN_CALLBACK_SECRET", hide_env_values = true)]
    secret: Option<String>,
    /// Where the secret goes in the URL: path, query or basic (userinfo).
    #[arg(long, default_value = "path", value_parser = placement)]
    secret_in: SecretPlacement,
    /// Also POST each accepted callback, as received, to this URL.
    #[arg(long, value_name = "URL")]
    forward: Option<String>,
    /// Set the account's greenpin_call_complete_event_endpoint to this receiver first.
    #[arg(long)]
    register: bool,
    /// Stop after this many events (duplicates included).
    #[arg(long, value_name = "N")]
    count: Option<u64>,
}

fn placement(s: &str) -> Result<SecretPlacement, String> {
    match s {
        "path" => Ok(SecretPlacement::Path),
        "query" => Ok(SecretPlacement::Query),
        "basic" => Ok(SecretPlacement::BasicAuth),
        _ => Err(format!("{s:?} is not path, query or basic")),
    }
}

/// One line describing an event, for a terminal.
pub(crate) fn describe(cb: &Callback) -> String {
    let text = |v: Option<&str>| crate::output::printable(v.unwrap_or("-"));
    match &cb.event {
        CallbackEvent::CallCompleted(c) => format!(
            "call completed: {} from {} to {} via {} ({}, {}s connected) allocation {}",
            text(c.call_sid.as_deref()),
            text(c.from.as_ref().map(|n| n.as_str())),
            text(c.to.as_ref().map(|n| n.as_str())),
            text(c.vn.as_ref().map(|n| n.as_str())),
            text(c.call_type.as_ref().map(|t| t.as_str())),
            c.on_call_duration.unwrap_or(0),
            text(c.greenpin_id.as_ref().map(|g| g.as_str())),
        ),
        CallbackEvent::Deallocated(d) => format!(
            "deallocated: {} ({}) transaction {}",
            text(Some(d.greenpin_id.as_str())),
            d.reason.as_str(),
            text(d.transaction_id.as_ref().map(|t| t.as_str())),
        ),
        _ => format!(
            "unknown event: {}",
            serde_json::Value::Object(cb.fields.clone())
        ),
    }
}

/// The event as one JSON object: kind, key, whether seen before, the typed event's fields
/// and every field as received.
pub(crate) fn to_json(cb: &Callback, duplicate: bool) -> serde_json::Value {
    let event = match &cb.event {
        CallbackEvent::CallCompleted(c) => serde_json::to_value(c).unwrap_or_default(),
        CallbackEvent::Deallocated(d) => serde_json::to_value(d).unwrap_or_default(),
        _ => serde_json::Value::Null,
    };
    serde_json::json!({
        "kind": cb.event.kind(),
        "key": cb.key().map(|k| k.to_string()),
        "duplicate": duplicate,
        "event": event,
        "fields": cb.fields,
    })
}

struct Shared {
    receiver: CallbackReceiver,
    seen: Mutex<HashSet<String>>,
    /// How to print events as they arrive: `None` to leave it to the caller.
    print: Option<bool>,
    forward: Option<String>,
    events: tokio::sync::mpsc::UnboundedSender<Callback>,
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    match shared.receiver.receive(&method, &uri, &headers, &body) {
        Err(rejection) => {
            eprintln!("refused a request: {rejection}");
            (rejection.status(), rejection.to_string())
        }
        Ok(cb) => {
            let duplicate = match cb.key() {
                Some(k) => !shared
                    .seen
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(k.to_string()),
                None => false,
            };
            match shared.print {
                // One line per event (NDJSON), so a script can read them as they come.
                Some(true) => crate::output::out!(
                    "{}",
                    serde_json::to_string(&to_json(&cb, duplicate)).unwrap_or_default()
                ),
                Some(false) => crate::output::out!(
                    "{}{}",
                    describe(&cb),
                    if duplicate {
                        " (repeated delivery)"
                    } else {
                        ""
                    }
                ),
                None => {}
            }
            if let Some(url) = shared.forward.clone() {
                let content_type = headers
                    .get(axum::http::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("application/json")
                    .to_owned();
                let sent = tokio::task::spawn_blocking(move || {
                    greenpin_blocking::ureq::post(&url)
                        .header("content-type", &content_type)
                        .send(&body[..])
                        .map(|_| ())
                })
                .await;
                if let Ok(Err(e)) = sent {
                    eprintln!("forwarding failed: {e}");
                }
            }
            let _ = shared.events.send(cb);
            (StatusCode::OK, "ok".into())
        }
    }
}

/// A running receiver: its URL (with the secret) and a count of accepted events.
pub(crate) struct Running {
    pub(crate) url: String,
    pub(crate) events: tokio::sync::mpsc::UnboundedReceiver<Callback>,
    pub(crate) runtime: tokio::runtime::Runtime,
}

/// Starts a receiver on its own runtime thread; `print` as in [`Shared`].
pub(crate) fn start(
    addr: SocketAddr,
    secret: CallbackSecret,
    placement: SecretPlacement,
    country: Country,
    print: Option<bool>,
    forward: Option<String>,
) -> Result<Running, CommandError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| CommandError::Usage(format!("cannot start the receiver: {e}")))?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(addr))
        .map_err(|e| CommandError::Usage(format!("--listen: cannot listen on {addr}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| CommandError::Usage(format!("--listen: {e}")))?;
    let host = if local.ip().is_unspecified() {
        SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), local.port())
    } else {
        local
    };
    let url = secret
        .url(&format!("http://{host}/hooks/greenpin"), placement)
        .map_err(|e| CommandError::Usage(e.to_string()))?;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let shared = Arc::new(Shared {
        receiver: CallbackReceiver::new(secret).country(country),
        seen: Mutex::new(HashSet::new()),
        print,
        forward,
        events: tx,
    });
    let app = axum::Router::new().fallback(handle).with_state(shared);
    runtime.spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(Running {
        url,
        events: rx,
        runtime,
    })
}

pub(crate) fn run(
    client: impl FnOnce() -> Result<greenpin_blocking::Client, CommandError>,
    country: Country,
    args: ListenArgs,
    json: bool,
) -> Result<Exit, CommandError> {
    let secret = match args.secret {
        Some(s) => CallbackSecret::new(s).map_err(|e| CommandError::Usage(format!("--{e}")))?,
        None => CallbackSecret::generate(),
    };
    let mut running = start(
        args.listen,
        secret,
        args.secret_in,
        country,
        Some(json),
        args.forward,
    )?;
    if args.register {
        client()?.update_settings(&SettingsSpec::new().call_complete_endpoint(&running.url))?;
        eprintln!("registered as greenpin_call_complete_event_endpoint");
    }
    eprintln!("receiving callbacks at {}", running.url);
    let mut received = 0u64;
    while args.count.is_none_or(|n| received < n) {
        if running.runtime.block_on(running.events.recv()).is_none() {
            break;
        }
        received += 1;
    }
    Ok(Exit::Success)
}

impl Running {
    /// The next event, waiting at most `wait`.
    pub(crate) fn next(&mut self, wait: std::time::Duration) -> Option<Callback> {
        let events = &mut self.events;
        self.runtime.block_on(async {
            tokio::time::timeout(wait, events.recv())
                .await
                .ok()
                .flatten()
        })
    }
}
