//! `greenpin listen`: a local receiver for GreenPin's callbacks, for development. It checks
//! a shared secret carried in its URL (generated unless given), prints each event as it
//! arrives (marking repeated deliveries), optionally forwards it, and can point the
//! account's `greenpin_call_complete_event_endpoint` at itself for as long as it runs.
//!
//! `server` serves the HTTP side, each connection bounded (`slots` share the connections
//! fairly, as the emulator's do); `register` changes the account's
//! endpoint and puts the old one back.

mod register;
mod server;
mod slots;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::Args;
use greenpin_core::Country;
use greenpin_core::callbacks::{Callback, CallbackEvent, CallbackSecret, SecretPlacement};

pub(crate) use server::{Forward, Heard, Options, Running, start};

use crate::exit::{CommandError, Exit};
use crate::output::say;

#[derive(Args, Debug)]
pub(crate) struct ListenArgs {
    /// Address to listen on (loopback by default; port 0 picks a free one). Another
    /// address is served with a warning: anyone who reaches it may try the secret.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// The secret callbacks must carry (at least 16 of A-Z a-z 0-9 - _); one is generated
    /// when left out.
    #[arg(long, env = "GREENPIN_CALLBACK_SECRET", hide_env_values = true)]
    secret: Option<String>,
    /// Where the secret goes in the URL: path, query or basic (userinfo).
    #[arg(long, default_value = "path", value_parser = placement)]
    secret_in: SecretPlacement,
    /// Also POST each accepted callback, as received, to this URL (in the background: the
    /// callback is answered at once).
    #[arg(long, value_name = "URL")]
    forward: Option<String>,
    /// How long one forward may take before it is given up.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = humantime::parse_duration)]
    forward_timeout: Duration,
    /// Point the account's greenpin_call_complete_event_endpoint at this receiver while it
    /// runs; the previous endpoint is put back when it stops (Ctrl-C, SIGTERM, an error).
    #[arg(long)]
    register: bool,
    /// Allow --register against a service that is not on this machine: while listen runs,
    /// the live account's callbacks (real call records) are sent to this receiver, at
    /// --public-url.
    #[arg(long, requires = "register")]
    redirect_live_callbacks: bool,
    /// The address the service reaches this receiver at (a tunnel to it, say), registered
    /// with the secret added; needed with --redirect-live-callbacks, since the service
    /// cannot reach this machine's loopback.
    #[arg(long, value_name = "URL", requires = "register")]
    public_url: Option<String>,
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
    let text = |v: Option<&str>| crate::output::printable(v.unwrap_or("-")).into_owned();
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
            text(Some(d.reason.as_str())),
            text(d.transaction_id.as_ref().map(|t| t.as_str())),
        ),
        _ => format!(
            "unknown event: {}",
            text(Some(
                &serde_json::Value::Object(cb.fields.clone()).to_string()
            ))
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

pub(crate) fn run(
    client: impl FnOnce() -> Result<greenpin_blocking::Client, CommandError>,
    country: Country,
    args: ListenArgs,
    json: bool,
) -> Result<Exit, CommandError> {
    let secret = match args.secret.clone() {
        Some(s) => CallbackSecret::new(s).map_err(|e| CommandError::Usage(format!("--{e}")))?,
        None => CallbackSecret::generate(),
    };
    // The account is checked before anything listens or changes.
    let client = if args.register {
        let client = client()?;
        if !client.config().is_loopback() {
            live_registration_allowed(&client, &args)?;
        }
        Some(client)
    } else {
        None
    };
    let placement = args.secret_in;
    let public = args
        .public_url
        .as_deref()
        .map(|url| secret.url(url, placement))
        .transpose()
        .map_err(|e| CommandError::Usage(format!("--public-url: {e}")))?;
    let mut running = start(Options {
        addr: args.listen,
        secret,
        placement,
        country,
        print: Some(json),
        forward: args.forward.map(|url| Forward {
            url,
            timeout: args.forward_timeout,
        }),
    })?;
    if !running.local.ip().is_loopback() {
        say!(
            "warning: listening on {} — not loopback: anyone who can reach this machine on port {} can send requests (only those carrying the secret are accepted)",
            running.local,
            running.local.port()
        );
    }
    let pending = Arc::new(AtomicBool::new(false));
    stop_on_signals(&running, pending.clone())?;
    let stop = running.stop.clone();
    crate::output::on_closed_stdout(move || {
        let _ = stop.send(Heard::Stopped(CLOSED.into()));
    });
    let registered_url = public.clone().unwrap_or_else(|| running.url.clone());
    let mut registration = client
        .map(|client| register::Registration::register(client, &registered_url, pending))
        .transpose()?;
    say!("receiving callbacks at {}", running.url);
    if let Some(public) = &public {
        say!("registered as {public}");
    }
    let ended = Ok(serve_until_done(&mut running, args.count));
    if let Some(registration) = registration.as_mut() {
        registration.restore()?;
    }
    running.finish(args.forward_timeout + Duration::from_secs(1));
    ended
}

/// Against a service that is not on this machine, --register needs the user to say so
/// (--redirect-live-callbacks) and an address the service can reach (--public-url): a
/// loopback or private address would send the account's real call records nowhere.
/// Waits for callbacks until `count` of them (if given) or until serving stops; the exit
/// that means.
fn serve_until_done(running: &mut Running, count: Option<u64>) -> Exit {
    let mut received = 0u64;
    while count.is_none_or(|n| received < n) {
        match running.wait() {
            Heard::Callback(_) => received += 1,
            Heard::Stopped(why) => {
                say!("greenpin: {}", crate::output::printable(&why));
                return match why.as_str() {
                    INTERRUPTED => Exit::Interrupted,
                    CLOSED => Exit::Success,
                    _ => Exit::Transport,
                };
            }
        }
    }
    Exit::Success
}

fn live_registration_allowed(
    client: &greenpin_blocking::Client,
    args: &ListenArgs,
) -> Result<(), CommandError> {
    let root = crate::output::printable(client.config().context().root().as_str()).into_owned();
    if !args.redirect_live_callbacks {
        return Err(CommandError::Usage(format!(
            "--register would point the live account's greenpin_call_complete_event_endpoint at this receiver ({root} is not on this machine); add --redirect-live-callbacks if that is what you want"
        )));
    }
    let Some(public) = &args.public_url else {
        return Err(CommandError::Usage(format!(
            "--redirect-live-callbacks needs --public-url: {root} cannot reach this machine's loopback, so the account's callbacks would be lost while listen runs"
        )));
    };
    let host = public
        .parse::<greenpin_blocking::http::Uri>()
        .ok()
        .and_then(|u| u.host().map(str::to_owned))
        .unwrap_or_default();
    let ip = host
        .trim_matches(['[', ']'])
        .parse::<std::net::IpAddr>()
        .ok();
    let unreachable = host.is_empty()
        || host == "localhost"
        || ip.is_some_and(|ip| match ip {
            std::net::IpAddr::V4(v4) => {
                v4.is_loopback() || v4.is_private() || v4.is_link_local() || v4.is_unspecified()
            }
            std::net::IpAddr::V6(v6) => v6.is_loopback() || v6.is_unspecified(),
        });
    if unreachable {
        return Err(CommandError::Usage(format!(
            "--public-url: {} is not an address {root} can reach",
            crate::output::printable(public)
        )));
    }
    Ok(())
}

const INTERRUPTED: &str = "interrupted: stopping";
const CLOSED: &str = "standard output was closed: stopping";

/// Ctrl-C, SIGTERM, SIGHUP (a closed terminal or SSH session) and SIGQUIT stop the loop
/// (the registration is then restored); a second one exits at once.
fn stop_on_signals(running: &Running, pending: Arc<AtomicBool>) -> Result<(), CommandError> {
    #[cfg(unix)]
    let signals = [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
        signal_hook::consts::SIGQUIT,
    ];
    #[cfg(not(unix))]
    let signals = [signal_hook::consts::SIGINT];
    let mut incoming = signal_hook::iterator::Signals::new(signals)
        .map_err(|e| CommandError::Usage(format!("cannot wait for Ctrl-C: {e}")))?;
    let stop = running.stop.clone();
    std::thread::spawn(move || {
        let mut seen = 0;
        for _ in incoming.forever() {
            seen += 1;
            if seen > 1 {
                if pending.load(Ordering::SeqCst) {
                    say!(
                        "greenpin: exiting now: the account's greenpin_call_complete_event_endpoint still points at this receiver; check it with `greenpin settings`"
                    );
                }
                std::process::exit(i32::from(Exit::Interrupted.code()));
            }
            let _ = stop.send(Heard::Stopped(INTERRUPTED.into()));
        }
    });
    Ok(())
}
