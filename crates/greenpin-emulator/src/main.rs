//! `greenpin-emulator`: the emulator as a program. Its first line on stdout is exactly
//! `listening on http://HOST:PORT`, so a script can read the port; its second is
//! `dashboard at http://HOST:PORT/__emulator/dashboard`, the page to open in a browser.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use greenpin_emulator::{
    CallbackEncoding, DEFAULT_ACCOUNT_SID, DEFAULT_API_KEY, DEFAULT_API_TOKEN, DEFAULT_LISTEN,
    Emulator, EmulatorConfig, Limits,
};

/// A faithful, stateful local GreenPin server.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    #[arg(long, default_value = DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// Account SID served.
    #[arg(long, env = "EXOTEL_ACCOUNT_SID", default_value = DEFAULT_ACCOUNT_SID)]
    account_sid: String,
    /// API key accepted.
    #[arg(long, env = "EXOTEL_API_KEY", default_value = DEFAULT_API_KEY)]
    api_key: String,
    /// API token accepted.
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
    /// Bytes of request bodies the request journal keeps in all.
    #[arg(long, default_value_t = Limits::default().journal_bytes)]
    journal_bytes: usize,
    /// How callbacks are encoded: json or form.
    #[arg(long, default_value = "json")]
    callback_encoding: CallbackEncoding,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let mut limits = Limits::default();
    limits.header_timeout = std::time::Duration::from_secs(args.header_timeout_secs.max(1));
    limits.body_timeout = std::time::Duration::from_secs(args.body_timeout_secs.max(1));
    limits.max_connections = args.max_connections.max(1);
    limits.journal_bytes = args.journal_bytes;
    let config = EmulatorConfig::new()
        .callback_encoding(args.callback_encoding)
        .limits(limits)
        .listen(args.listen)
        .account_sid(args.account_sid)
        .api_key(args.api_key)
        .api_token(args.api_token);
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
    let _ = out.flush();
    eprintln!(
        "account {}; API under {}/v1/tenants/{}/; controls under {}/__emulator/",
        emulator.account_sid(),
        emulator.base_url(),
        emulator.account_sid(),
        emulator.base_url()
    );
    wait_for_signal().await;
    emulator.shutdown();
    eprintln!("greenpin-emulator: stopped");
    ExitCode::SUCCESS
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).expect("install SIGTERM handler");
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
