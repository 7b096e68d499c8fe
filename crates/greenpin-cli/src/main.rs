//! `greenpin`: drive Exotel's GreenPin from a shell — validated input, credentials never in
//! a URL or on screen, readable or `--json` output, and exit codes a script can trust:
//! 0 success · 2 usage or validation error (nothing was sent) · 3 the API answered with an
//! error · 4 transport failure or timeout.

mod args;
mod bulk;
#[cfg(feature = "demo")]
mod demo;
#[cfg(feature = "demo")]
mod drift;
mod exit;
#[cfg(feature = "listen")]
mod listen;
mod output;
mod specs;
mod words;

use std::process::ExitCode;

use crate::words::Words;
use clap::{CommandFactory, Parser};
use greenpin_blocking::Client;
use greenpin_core::{Country, CreateSpec, UpdateSpec, ValidationError, ValidationKind};

use crate::args::{Cli, Command, Global, SettingsCommand};
use crate::exit::{CommandError, Exit};
use crate::specs::{greenpin_id, parse_body, settings_from_pairs};

fn main() -> ExitCode {
    // clap's own messages echo what was typed: they go through the terminal-safe sink too.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let text = e.render().to_string();
            let text = text.trim_end();
            return if e.use_stderr() {
                output::say!("{text}");
                ExitCode::from(Exit::Usage.code())
            } else {
                output::out!("{text}");
                ExitCode::SUCCESS
            };
        }
    };
    if cli.global.verbose > 0 {
        let level = match cli.global.verbose {
            1 => tracing_subscriber::filter::LevelFilter::INFO,
            2 => tracing_subscriber::filter::LevelFilter::DEBUG,
            _ => tracing_subscriber::filter::LevelFilter::TRACE,
        };
        tracing_subscriber::fmt()
            .with_writer(|| output::TraceWriter)
            .with_max_level(level)
            .with_target(false)
            .init();
    }
    let (json, verbose) = (cli.global.json, cli.global.verbose > 0);
    match run(cli) {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(e) => failed(e, json, verbose),
    }
}

/// Says what stopped the command, on stderr (and as JSON on stdout with `--json`), and
/// answers its exit code.
fn failed(e: CommandError, json: bool, verbose: bool) -> ExitCode {
    let (kind, message, exit) = match e {
        CommandError::Usage(m) => ("usage", m, Exit::Usage),
        CommandError::Local(m) => ("local", m, Exit::Local),
        CommandError::Refused(m) => ("refused", m, Exit::Api),
        CommandError::Sdk(e) => return failed_sdk(&e, json, verbose),
    };
    crate::output::say!("greenpin: {}", output::printable(&message));
    if json {
        output::print_json(&serde_json::json!({"error": {"kind": kind, "message": message}}));
    }
    ExitCode::from(exit.code())
}

fn failed_sdk(e: &greenpin_core::Error, json: bool, verbose: bool) -> ExitCode {
    crate::output::say!("greenpin: {}", output::printable(&e.to_string()));
    // The cause (a refused connection, a TLS error), once, below the summary.
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        crate::output::say!("  caused by: {}", output::printable(&c.to_string()));
        cause = c.source();
    }
    // The line above quotes the service's message cut short; -v adds it whole
    // (bounded), on a line of its own.
    if verbose
        && let Some(full) = output::full_message(e)
        && full.len() > greenpin_core::cut_message(full).len()
    {
        crate::output::say!(
            "  the service's message in full: {}",
            output::printable(&output::bounded(full))
        );
    }
    if json {
        output::print_json(&output::error_json(e));
    }
    ExitCode::from(Exit::of(e).code())
}

fn run(cli: Cli) -> Result<Exit, CommandError> {
    let g = &cli.global;
    match cli.command {
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "greenpin", &mut script);
            output::out!("{}", String::from_utf8_lossy(&script).trim_end());
            Ok(Exit::Success)
        }
        #[cfg(feature = "demo")]
        Command::Demo { keep } => demo::run(g.json, keep),
        #[cfg(feature = "demo")]
        Command::Drift(args) => drift::run(builder(g)?, args, g.json),
        #[cfg(feature = "listen")]
        Command::Listen(args) => listen::run(|| client(g), country(g)?, args, g.json),
        Command::Get { id } => {
            let id = greenpin_id(&id)?;
            let a = client(g)?.get(&id)?;
            output::allocation(&a, g.json);
            Ok(Exit::Success)
        }
        Command::Delete { id } => {
            let id = greenpin_id(&id)?;
            let deleted = client(g)?.delete(&id)?;
            match deleted {
                Some(a) => output::allocation(&a, g.json),
                None if g.json => output::print_json(
                    &serde_json::json!({"greenpin_id": id.as_str(), "deleted": true}),
                ),
                None => crate::output::out!("deleted {id}"),
            }
            Ok(Exit::Success)
        }
        Command::Create(args) => create(g, args),
        Command::Update(args) => update(g, args),
        Command::BulkUpdate(args) => {
            let client = bulk::client(builder(g)?, g.timeout, usize::from(args.concurrency))?;
            bulk::run(&client, country(g)?, args, g.json)
        }
        Command::Settings {
            action: None | Some(SettingsCommand::Get),
        } => {
            let s = client(g)?.settings()?;
            output::settings(&s, g.json);
            Ok(Exit::Success)
        }
        Command::Settings {
            action: Some(SettingsCommand::Set { pairs }),
        } => {
            let change = settings_from_pairs(&pairs)?;
            let s = client(g)?.update_settings(&change)?;
            output::settings(&s, g.json);
            Ok(Exit::Success)
        }
    }
}

/// A refusal before sending, in the words the user wrote (flags or JSON).
fn in_words(e: greenpin_core::Error, words: Words) -> greenpin_core::Error {
    match e {
        greenpin_core::Error::Validation(v) => {
            greenpin_core::Error::Validation(words::rename(v, words))
        }
        other => other,
    }
}

/// `greenpin create`: from flags, or a body file.
fn create(g: &Global, args: crate::args::CreateArgs) -> Result<Exit, CommandError> {
    let words = if args.spec.body.is_some() {
        Words::Json
    } else {
        Words::Flags
    };
    let mut spec: CreateSpec = match &args.spec.body {
        Some(path) => {
            args.spec.only_body()?;
            parse_body(path)?
        }
        None => {
            let fields = args.spec.to_spec();
            let mut spec = CreateSpec::default();
            spec.a = fields.a;
            spec.b = fields.b;
            spec.usage = fields.usage;
            spec.deallocation_policy = fields.deallocation_policy;
            spec
        }
    };
    if let Some(tx) = args.transaction_id {
        spec.transaction_id = Some(tx);
    }
    let a = client(g)?.create(&spec).map_err(|e| in_words(e, words))?;
    output::allocation(&a, g.json);
    Ok(Exit::Success)
}

/// `greenpin update ID`: from flags, or a body file.
fn update(g: &Global, args: crate::args::UpdateArgs) -> Result<Exit, CommandError> {
    let id = greenpin_id(&args.id)?;
    let words = if args.spec.body.is_some() {
        Words::Json
    } else {
        Words::Flags
    };
    let spec: UpdateSpec = match &args.spec.body {
        Some(path) => {
            args.spec.only_body()?;
            parse_body(path)?
        }
        None => args.spec.to_spec(),
    };
    let a = client(g)?
        .update(&id, &spec)
        .map_err(|e| in_words(e, words))?;
    output::allocation(&a, g.json);
    Ok(Exit::Success)
}

fn country(g: &Global) -> Result<Country, CommandError> {
    g.country
        .parse()
        .map_err(|e: greenpin_core::UnknownCountry| {
            ValidationError::new("--country", ValidationKind::Invalid, e.to_string()).into()
        })
}

/// The token from a file's first line, or standard input's for `-`.
fn read_token(path: &std::path::Path) -> Result<String, CommandError> {
    let text = if path.as_os_str() == "-" {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map_err(|e| {
            CommandError::Usage(format!("--api-token-file: cannot read stdin: {e}"))
        })?;
        line
    } else {
        std::fs::read_to_string(path).map_err(|e| {
            CommandError::Usage(format!(
                "--api-token-file: cannot read {}: {e}",
                path.display()
            ))
        })?
    };
    let token = text.lines().next().unwrap_or("").trim().to_owned();
    if token.is_empty() {
        return Err(CommandError::Usage(
            "--api-token-file: the token is empty".into(),
        ));
    }
    Ok(token)
}

/// The client, from flags and environment. Building it loads no number metadata, starts
/// no runtime and sets up no TLS until an https request needs it.
fn client(g: &Global) -> Result<Client, CommandError> {
    Ok(builder(g)?.build()?)
}

fn builder(
    g: &Global,
) -> Result<greenpin_core::client::ClientBuilder<greenpin_blocking::Ureq>, CommandError> {
    let missing = |field: &str, flag: &str, env: &str| -> CommandError {
        ValidationError::new(
            field,
            ValidationKind::Missing,
            format!("is required ({flag} or {env})"),
        )
        .into()
    };
    let sid = g
        .account_sid
        .clone()
        .ok_or_else(|| missing("account_sid", "--account-sid", "EXOTEL_ACCOUNT_SID"))?;
    let key = g
        .api_key
        .clone()
        .ok_or_else(|| missing("api_key", "--api-key", "EXOTEL_API_KEY"))?;
    let token = match &g.api_token_file {
        Some(path) => read_token(path)?,
        None => g.api_token.clone().ok_or_else(|| {
            missing(
                "api_token",
                "--api-token-file, --api-token",
                "EXOTEL_API_TOKEN",
            )
        })?,
    };
    let mut b = Client::builder()
        .account_sid(sid)
        .credentials(key, token)
        .country(country(g)?);
    if let Some(url) = &g.base_url {
        b = b.base_url(url.clone());
    }
    if let Some(t) = g.timeout {
        b = b.timeout(t);
    }
    if let Some(path) = &g.ca_cert {
        let pem = std::fs::read(path)
            .map_err(|e| CommandError::Usage(format!("--ca-cert {}: {e}", path.display())))?;
        let certs = greenpin_core::RootCertificate::from_pem(&pem).map_err(|e| {
            CommandError::Usage(format!("--ca-cert {}: {}", path.display(), e.problem()))
        })?;
        for ca in certs {
            b = b.add_root_certificate(ca);
        }
    }
    Ok(b)
}
