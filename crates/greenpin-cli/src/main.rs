//! `greenpin`: drive Exotel's GreenPin from a shell — validated input, credentials never in
//! a URL or on screen, readable or `--json` output, and exit codes a script can trust:
//! 0 success · 2 usage or validation error (nothing was sent) · 3 the API answered with an
//! error · 4 transport failure or timeout.

mod bulk;
mod demo;
mod output;

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand};
use greenpin_blocking::Client;
use greenpin_core::{
    Country, CreateSpec, Error, GreenPinId, PartySpec, SettingsSpec, UpdateSpec, Usage,
    ValidationError, ValidationKind,
};

/// Drive Exotel's GreenPin number-masking API from a shell.
#[derive(Parser, Debug)]
#[command(name = "greenpin", version, about, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug)]
struct Global {
    /// Service root, `https://leadassist.exotel.in` by default; plain http only to loopback.
    #[arg(long, env = "GREENPIN_BASE_URL", global = true)]
    base_url: Option<String>,
    /// Account (tenant) SID.
    #[arg(long, env = "EXOTEL_ACCOUNT_SID", global = true)]
    account_sid: Option<String>,
    /// API key.
    #[arg(long, env = "EXOTEL_API_KEY", global = true, hide_env_values = true)]
    api_key: Option<String>,
    /// API token (prefer the environment variable: command lines are visible to others).
    #[arg(long, env = "EXOTEL_API_TOKEN", global = true, hide_env_values = true)]
    api_token: Option<String>,
    /// Country local numbers are read in (ISO 3166-1 alpha-2).
    #[arg(long, global = true, default_value = "IN")]
    country: String,
    /// Whole-request timeout, e.g. 30s, 2m.
    #[arg(long, global = true, value_parser = humantime::parse_duration)]
    timeout: Option<Duration>,
    /// Machine-readable output: the result, or the error, as JSON on stdout.
    #[arg(long, global = true)]
    json: bool,
    /// Tracing on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create an allocation.
    Create(CreateArgs),
    /// Show an allocation.
    Get {
        /// The allocation's id.
        id: String,
    },
    /// Change an active allocation (the seed's Update).
    Update(UpdateArgs),
    /// Deallocate: the allocation goes to the vault and its PINs are freed.
    Delete {
        /// The allocation's id.
        id: String,
    },
    /// Apply one update per row of a CSV or NDJSON file.
    BulkUpdate(bulk::BulkArgs),
    /// Read or change the account settings.
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Walk the whole lifecycle against an emulator started in-process.
    Demo,
}

#[derive(Subcommand, Debug)]
enum SettingsCommand {
    /// Show every setting.
    Get,
    /// Change settings: `greenpin settings set timezone=UTC deletion_time=3600`.
    Set {
        /// KEY=VALUE pairs; a VALUE that is JSON (numbers, true, false) is sent as such.
        #[arg(required = true)]
        pairs: Vec<String>,
    },
}

/// The fields of an allocation, as flags.
#[derive(Args, Debug, Default)]
struct SpecFlags {
    /// A-party number (repeatable).
    #[arg(long = "a-number")]
    a_numbers: Vec<String>,
    /// A-party VN (repeatable).
    #[arg(long = "a-vn")]
    a_vns: Vec<String>,
    /// A-party PIN.
    #[arg(long)]
    a_pin: Option<String>,
    /// A-party PIN length (alone: the service generates a PIN).
    #[arg(long)]
    a_pin_length: Option<i64>,
    /// B-party number (repeatable).
    #[arg(long = "b-number")]
    b_numbers: Vec<String>,
    /// B-party VN (repeatable).
    #[arg(long = "b-vn")]
    b_vns: Vec<String>,
    /// B-party PIN.
    #[arg(long)]
    b_pin: Option<String>,
    /// B-party PIN length.
    #[arg(long)]
    b_pin_length: Option<i64>,
    /// oneway (only A calls B) or twoway.
    #[arg(long)]
    usage: Option<String>,
    /// Deallocation duration, e.g. 1200s, 20m, 2h, 3d.
    #[arg(long)]
    deallocate_after: Option<String>,
    /// JSON body in the API's shape instead of flags (`-` for stdin).
    #[arg(long)]
    body: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct CreateArgs {
    /// Your own id for the allocation (an order id, say); required unless in --body.
    #[arg(long)]
    transaction_id: Option<String>,
    #[command(flatten)]
    spec: SpecFlags,
}

#[derive(Args, Debug)]
struct UpdateArgs {
    /// The allocation's id.
    id: String,
    #[command(flatten)]
    spec: SpecFlags,
}

/// What went wrong, and the exit code it means.
pub(crate) enum Failure {
    /// Usage or validation: nothing was sent (2).
    Usage(String),
    /// An SDK error.
    Sdk(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Sdk(e)
    }
}

impl From<ValidationError> for Failure {
    fn from(e: ValidationError) -> Self {
        Failure::Sdk(Error::Validation(e))
    }
}

pub(crate) fn exit_code(e: &Error) -> u8 {
    match e {
        Error::Validation(_) => 2,
        Error::Transport(_) => 4,
        _ => 3,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.global.verbose > 0 {
        let level = match cli.global.verbose {
            1 => tracing_subscriber::filter::LevelFilter::INFO,
            2 => tracing_subscriber::filter::LevelFilter::DEBUG,
            _ => tracing_subscriber::filter::LevelFilter::TRACE,
        };
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_max_level(level)
            .with_target(false)
            .init();
    }
    let json = cli.global.json;
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(Failure::Usage(message)) => {
            eprintln!("greenpin: {message}");
            if json {
                output::print_json(
                    &serde_json::json!({"error": {"kind": "usage", "message": message}}),
                );
            }
            ExitCode::from(2)
        }
        Err(Failure::Sdk(e)) => {
            eprintln!("greenpin: {e}");
            if json {
                output::print_json(&output::error_json(&e));
            }
            ExitCode::from(exit_code(&e))
        }
    }
}

fn run(cli: Cli) -> Result<u8, Failure> {
    let g = &cli.global;
    match cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "greenpin",
                &mut std::io::stdout(),
            );
            Ok(0)
        }
        Command::Demo => demo::run(g.json),
        Command::Get { id } => {
            let id = greenpin_id(&id)?;
            let a = client(g)?.get(&id)?;
            output::allocation(&a, g.json);
            Ok(0)
        }
        Command::Delete { id } => {
            let id = greenpin_id(&id)?;
            let deleted = client(g)?.delete(&id)?;
            match deleted {
                Some(a) => output::allocation(&a, g.json),
                None if g.json => output::print_json(
                    &serde_json::json!({"greenpin_id": id.as_str(), "deleted": true}),
                ),
                None => println!("deleted {id}"),
            }
            Ok(0)
        }
        Command::Create(args) => {
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
            let a = client(g)?.create(&spec)?;
            output::allocation(&a, g.json);
            Ok(0)
        }
        Command::Update(args) => {
            let id = greenpin_id(&args.id)?;
            let spec: UpdateSpec = match &args.spec.body {
                Some(path) => {
                    args.spec.only_body()?;
                    parse_body(path)?
                }
                None => args.spec.to_spec(),
            };
            let a = client(g)?.update(&id, &spec)?;
            output::allocation(&a, g.json);
            Ok(0)
        }
        Command::BulkUpdate(args) => bulk::run(&client(g)?, country(g)?, args, g.json),
        Command::Settings(SettingsCommand::Get) => {
            let s = client(g)?.settings()?;
            output::settings(&s, g.json);
            Ok(0)
        }
        Command::Settings(SettingsCommand::Set { pairs }) => {
            let change = settings_from_pairs(&pairs)?;
            let s = client(g)?.update_settings(&change)?;
            output::settings(&s, g.json);
            Ok(0)
        }
    }
}

impl SpecFlags {
    fn to_spec(&self) -> UpdateSpec {
        let party = |numbers: &[String], vns: &[String], pin: &Option<String>, len: Option<i64>| {
            if numbers.is_empty() && vns.is_empty() && pin.is_none() && len.is_none() {
                return None;
            }
            let mut p = PartySpec::new();
            if !numbers.is_empty() {
                p = p.numbers(numbers.iter().cloned());
            }
            if !vns.is_empty() {
                p = p.vns(vns.iter().cloned());
            }
            if let Some(pin) = pin {
                p = p.pin(pin.clone());
            }
            if let Some(len) = len {
                p = p.pin_length(len);
            }
            Some(p)
        };
        let mut spec = UpdateSpec::new();
        spec.a = party(&self.a_numbers, &self.a_vns, &self.a_pin, self.a_pin_length);
        spec.b = party(&self.b_numbers, &self.b_vns, &self.b_pin, self.b_pin_length);
        spec.usage = self.usage.as_deref().map(Usage::from);
        if let Some(d) = &self.deallocate_after {
            spec = spec.deallocate_after(d.as_str());
        }
        spec
    }

    fn only_body(&self) -> Result<(), Failure> {
        if self.to_spec() != UpdateSpec::new() {
            return Err(Failure::Usage(
                "--body cannot be combined with field flags (--a-number, --usage, …)".into(),
            ));
        }
        Ok(())
    }
}

fn parse_body<T: serde::de::DeserializeOwned>(path: &PathBuf) -> Result<T, Failure> {
    let text = if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Failure::Usage(format!("--body: cannot read stdin: {e}")))?;
        s
    } else {
        std::fs::read_to_string(path)
            .map_err(|e| Failure::Usage(format!("--body: cannot read {}: {e}", path.display())))?
    };
    serde_json::from_str(&text).map_err(|e| Failure::Usage(format!("--body: {e}")))
}

fn greenpin_id(id: &str) -> Result<GreenPinId, Failure> {
    GreenPinId::new(id).map_err(|e| {
        ValidationError::new(
            "greenpin_id",
            ValidationKind::Invalid,
            format!("{id:?} {e}"),
        )
        .into()
    })
}

fn country(g: &Global) -> Result<Country, Failure> {
    g.country
        .parse()
        .map_err(|e: greenpin_core::phone::UnknownCountry| {
            ValidationError::new("--country", ValidationKind::Invalid, e.to_string()).into()
        })
}

/// The client, from flags and environment. Building it loads no number metadata, starts
/// no runtime and sets up no TLS until an https request needs it.
fn client(g: &Global) -> Result<Client, Failure> {
    let missing = |field: &str, flag: &str, env: &str| -> Failure {
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
    let token = g
        .api_token
        .clone()
        .ok_or_else(|| missing("api_token", "--api-token", "EXOTEL_API_TOKEN"))?;
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
    Ok(b.build()?)
}

fn settings_from_pairs(pairs: &[String]) -> Result<SettingsSpec, Failure> {
    let mut map = serde_json::Map::new();
    for pair in pairs {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| Failure::Usage(format!("{pair:?} is not KEY=VALUE")))?;
        let k = k.trim();
        if k.is_empty() {
            return Err(Failure::Usage(format!("{pair:?} has no key")));
        }
        let value =
            serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::String(v.to_owned()));
        map.insert(k.to_owned(), value);
    }
    serde_json::from_value(serde_json::Value::Object(map))
        .map_err(|e| Failure::Usage(format!("settings: {e}")))
}
