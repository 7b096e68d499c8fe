//! `greenpin-emulator`: the emulator as a program. Its first line on stdout is exactly
//! `listening on http://HOST:PORT`, so a script can read the port; its second is
//! `dashboard at http://HOST:PORT/__emulator/dashboard`, the page to open in a browser.
//! The lines after say which account and credentials it accepts.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use greenpin_emulator::{
    CallbackEncoding, DEFAULT_ACCOUNT_SID, DEFAULT_API_KEY, DEFAULT_API_TOKEN, DEFAULT_LISTEN,
    Emulator, EmulatorConfig, Limits, TransactionIdSpelling,
};

const CONTROLS: &str = "\
The API is served under /v1/tenants/{account_sid}/ as Exotel's GreenPin serves it
(create, get, update, bulk update, delete, settings), with HTTP Basic credentials.

Test controls, under /__emulator/ (no credentials; loopback clients only; a request that
changes state sends Content-Type: application/json):
  GET    /__emulator/health                     is it up
  GET    /__emulator/clock                      the emulator's clock
  POST   /__emulator/clock/advance              {\"seconds\": 3600} moves it; expiries happen
  POST   /__emulator/reset                      as freshly started (allocations, settings,
                                                journal, callbacks, faults, clock); optional
                                                {\"clock\": \"2026-01-01T00:00:00Z\"} restarts
                                                the clock there, null for real time
  GET    /__emulator/faults                     queued API faults
  POST   /__emulator/faults                     {\"fault\": {\"kind\": \"status\", \"status\": 503}, \"times\": 1}
  DELETE /__emulator/faults                     drops them
  GET    /__emulator/requests                   the request journal (credentials redacted)
  DELETE /__emulator/requests                   forgets it
  POST   /__emulator/calls                      {\"from\", \"vn\", \"pin\"?, \"answer\"?, \"talk_secs\"?}
  GET    /__emulator/callbacks                  callbacks with every delivery attempt;
                                                ?wait_ms=5000&call_sid=… waits for one
  DELETE /__emulator/callbacks                  forgets them
  POST   /__emulator/callbacks/{id}/redeliver   sends one again
  GET    /__emulator/callbacks/faults           queued callback faults
  POST   /__emulator/callbacks/faults           {\"fault\": {\"kind\": \"duplicate\"}} (or drop,
                                                delay with \"ms\", reorder)
  DELETE /__emulator/callbacks/faults           drops them
  GET    /__emulator/stats                      what was answered; what is held
  GET    /__emulator/state                      what the dashboard shows (?q=&state=&limit=)
  GET    /__emulator/openapi.json               OpenAPI description of the API
  GET    /__emulator/controls.openapi.json      OpenAPI description of these controls
  GET    /__emulator/dashboard                  the dashboard, in a browser

Callbacks go to the account's greenpin_call_complete_event_endpoint over plain http, after
the request that fired them has been answered. The emulator never sends one to itself;
listening beyond loopback, it sends them only to targets allowed with
--allow-callback-target.";

/// A faithful, stateful local GreenPin server.
#[derive(Parser, Debug)]
#[command(version, about, after_long_help = CONTROLS)]
struct Args {
    /// Address to listen on (`127.0.0.1:0` picks a free port). Beyond loopback (`0.0.0.0`),
    /// anyone who can reach it can use the API with its credentials.
    #[arg(long, default_value = DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// Account SID served.
    #[arg(long, env = "EXOTEL_ACCOUNT_SID", default_value = DEFAULT_ACCOUNT_SID)]
    account_sid: String,
    /// API key accepted.
    #[arg(long, env = "EXOTEL_API_KEY", default_value = DEFAULT_API_KEY)]
    api_key: String,
    /// API token accepted (default: the public `demo-token`).
    #[arg(long, env = "EXOTEL_API_TOKEN", default_value = DEFAULT_API_TOKEN, hide_env_values = true, hide_default_value = true)]
    api_token: String,
    /// Seconds a client has to send a request's headers (and an idle connection to start
    /// its next request).
    #[arg(long, default_value_t = Limits::default().header_timeout.as_secs())]
    header_timeout_secs: u64,
    /// Seconds a client has to send a request's body.
    #[arg(long, default_value_t = Limits::default().body_timeout.as_secs())]
    body_timeout_secs: u64,
    /// Connections served at once; more wait to be accepted.
    #[arg(long, default_value_t = Limits::default().max_connections)]
    max_connections: usize,
    /// Bytes the request journal keeps in all (headers, paths and bodies).
    #[arg(long, default_value_t = Limits::default().journal_bytes)]
    journal_bytes: usize,
    /// Active allocations held at most; a create past it is refused (403, code 8).
    #[arg(long, default_value_t = Limits::default().max_allocations)]
    max_allocations: usize,
    /// Seconds a deallocated allocation stays readable (state `vault`) before a GET
    /// answers 404.
    #[arg(long, default_value_t = Limits::default().vault_retention.as_secs())]
    vault_retention_secs: u64,
    /// How callbacks are encoded: json or form.
    #[arg(long, default_value = "json")]
    callback_encoding: CallbackEncoding,
    /// How a call record's transaction id is spelt: transation_id (as Exotel's callback
    /// table spells it), transaction_id (as its JSON sample does), or both.
    #[arg(long, default_value = "transation_id")]
    callback_transaction_id: TransactionIdSpelling,
    /// A HOST:PORT callbacks may go to (repeatable). Without any, an emulator on loopback
    /// sends callbacks to loopback addresses only, and one listening beyond loopback sends
    /// none.
    #[arg(long, value_name = "HOST:PORT")]
    allow_callback_target: Vec<SocketAddr>,
    /// A host name this machine's clients may call the emulator by, besides 127.0.0.1,
    /// localhost and [::1] (a local reverse proxy's or TLS front's name; repeatable). Others
    /// are refused, so that no web page can reach the emulator by DNS rebinding.
    #[arg(long, value_name = "NAME")]
    allow_host: Vec<String>,
    /// Makes generated ids and PINs repeat from run to run (the same requests in the same
    /// order get the same answers).
    #[arg(long)]
    seed: Option<u64>,
    /// Starts the clock at this instant (RFC 3339 with its offset, e.g.
    /// 2026-01-01T00:00:00Z), standing still until advanced; with --seed every id, PIN and
    /// time repeats from run to run. Without it the clock follows real time.
    #[arg(long, value_parser = parse_instant)]
    clock: Option<std::time::SystemTime>,
}

/// `--clock`: an RFC 3339 instant with its offset.
fn parse_instant(text: &str) -> Result<std::time::SystemTime, String> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(Into::into)
        .map_err(|e| {
            format!("not an RFC 3339 instant with its offset, such as 2026-01-01T00:00:00Z ({e})")
        })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let mut limits = Limits::default();
    limits.header_timeout = std::time::Duration::from_secs(args.header_timeout_secs.max(1));
    limits.body_timeout = std::time::Duration::from_secs(args.body_timeout_secs.max(1));
    limits.max_connections = args.max_connections.max(1);
    limits.journal_bytes = args.journal_bytes;
    limits.max_allocations = args.max_allocations.max(1);
    limits.vault_retention = std::time::Duration::from_secs(args.vault_retention_secs);
    let mut config = EmulatorConfig::new()
        .callback_encoding(args.callback_encoding)
        .transaction_id_spelling(args.callback_transaction_id)
        .limits(limits)
        .listen(args.listen)
        .account_sid(args.account_sid)
        .api_key(args.api_key)
        .api_token(args.api_token);
    for host in args.allow_host {
        config = config.allow_host(host);
    }
    for target in args.allow_callback_target {
        config = config.allow_callback_target(target);
    }
    if let Some(seed) = args.seed {
        config = config.seed(seed);
    }
    if let Some(at) = args.clock {
        config = config.clock(at);
    }
    let default_token = config.uses_default_token();
    let emulator = match Emulator::try_start(config).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("greenpin-emulator: cannot start on {}: {e}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout();
    let _ = writeln!(out, "listening on {}", emulator.base_url());
    let _ = writeln!(out, "dashboard at {}", emulator.dashboard_url());
    let key = emulator.credentials().key().expose();
    let credentials = if default_token {
        format!(
            "key {key}, token {DEFAULT_API_TOKEN} (the public default token: anyone who can reach it can use the API)"
        )
    } else {
        format!("key {key}, and the token you gave (not shown)")
    };
    let _ = writeln!(
        out,
        "account {}, {credentials}; API under {}/v1/tenants/{}/; controls under {}/__emulator/ (--help lists them)",
        emulator.account_sid(),
        emulator.base_url(),
        emulator.account_sid(),
        emulator.base_url()
    );
    if !emulator.addr().ip().to_canonical().is_loopback() {
        let _ = writeln!(
            out,
            "warning: listening beyond loopback on {}; callbacks go only to --allow-callback-target targets",
            emulator.addr()
        );
    }
    let _ = out.flush();
    wait_for_signal().await;
    emulator.shutdown();
    eprintln!("greenpin-emulator: stopped");
    ExitCode::SUCCESS
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
