//! The command line: every subcommand, flag and help text (clap derive).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::bulk;

/// Drive Exotel's GreenPin number-masking API from a shell.
#[derive(Parser, Debug)]
#[command(name = "greenpin", version, about, propagate_version = true)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options every command takes, listed under their own heading in each command's help.
#[derive(Args, Debug)]
#[command(next_help_heading = "Global options")]
pub(crate) struct Global {
    /// Service root, `https://leadassist.exotel.in` by default; plain http only to loopback.
    #[arg(long, env = "GREENPIN_BASE_URL", global = true)]
    pub(crate) base_url: Option<String>,
    /// Account (tenant) SID.
    #[arg(long, env = "EXOTEL_ACCOUNT_SID", global = true)]
    pub(crate) account_sid: Option<String>,
    /// API key.
    #[arg(long, env = "EXOTEL_API_KEY", global = true, hide_env_values = true)]
    pub(crate) api_key: Option<String>,
    /// API token (prefer --api-token-file or the environment variable: command lines are
    /// visible to others).
    #[arg(long, env = "EXOTEL_API_TOKEN", global = true, hide_env_values = true)]
    pub(crate) api_token: Option<String>,
    /// Read the API token from this file (its first line), or from standard input with `-`;
    /// it takes precedence over --api-token and EXOTEL_API_TOKEN.
    #[arg(long, global = true, value_name = "PATH")]
    pub(crate) api_token_file: Option<std::path::PathBuf>,
    /// Also trust the certificate authorities in this PEM file (a private gateway, a test
    /// server), beside the operating system's store, which is always trusted.
    #[arg(long, env = "GREENPIN_CA_CERT", global = true, value_name = "PATH")]
    pub(crate) ca_cert: Option<PathBuf>,
    /// Country local numbers are read in (ISO 3166-1 alpha-2).
    #[arg(long, global = true, default_value = "IN")]
    pub(crate) country: String,
    /// Time for the whole call, retries and waits included, e.g. 30s, 2m (60s by default).
    #[arg(long, global = true, value_parser = humantime::parse_duration)]
    pub(crate) timeout: Option<Duration>,
    /// Machine-readable output: the result, or the error, as JSON on stdout.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// Tracing on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub(crate) verbose: u8,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Create an allocation.
    Create(CreateArgs),
    /// Show an allocation.
    Get {
        /// The allocation's id.
        id: String,
    },
    /// Change an active allocation (PUT /greenpin/{greenpin_id}): what is left out keeps its value.
    Update(UpdateArgs),
    /// Deallocate: the allocation goes to the vault and its PINs are freed.
    Delete {
        /// The allocation's id.
        id: String,
    },
    /// Apply one update per row of a CSV or NDJSON file.
    #[command(
        after_help = "Exit: 0 every row applied · 2 some rows invalid (the valid ones were sent) · \
3 the API refused some rows, or some are unknown (they may have been applied) · 4 some requests \
got no answer · 5 the results could not be written (sending stopped; --resume continues) · \
130 interrupted (--resume finishes). --timeout bounds each row: its requests, and the waits \
the service asks for between them."
    )]
    BulkUpdate(bulk::BulkArgs),
    /// Read or change the account settings (`greenpin settings` alone shows them).
    Settings {
        #[command(subcommand)]
        action: Option<SettingsCommand>,
    },
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Receive GreenPin's callbacks locally and print each as it arrives.
    #[cfg(feature = "listen")]
    Listen(crate::listen::ListenArgs),
    /// Play one scenario against the account and an emulator (or --candidate), and report
    /// every field in which their answers differ.
    ///
    /// The reference is the account the global options name (--base-url, --account-sid,
    /// EXOTEL_API_KEY, EXOTEL_API_TOKEN), as for every other command. On a real account
    /// the run needs --allow-writes and the account's own numbers; it says how many
    /// allocations it creates before the first request (each with the shortest
    /// deallocation policy), deletes them at the end, also after Ctrl-C, and only reads
    /// the settings, unless --allow-settings. The allocations
    /// are ordinary ones: whatever your plan charges for an allocation applies. The report
    /// (Markdown) and a journal of every request go to --report.
    #[cfg(feature = "demo")]
    #[command(
        after_help = "Exit: 0 every step answered alike on both services, as greenpin-rs expects · \
2 refused before anything was sent (flags, numbers, an existing report) · 3 a service refused \
the credentials · 4 a service stopped answering · 5 the report could not be written, or the \
local emulator failed · 6 drift: the services answered differently, or not as greenpin-rs \
expects · 130 interrupted (Ctrl-C, SIGTERM, SIGHUP). Whatever the exit, the run deletes what \
it created, and names on stderr any allocation it could not delete."
    )]
    Drift(crate::drift::DriftArgs),
    /// Walk the whole lifecycle against an emulator started in-process.
    #[cfg(feature = "demo")]
    Demo {
        /// Leave the emulator and its dashboard running at the end, until Ctrl-C.
        #[arg(long)]
        keep: bool,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum SettingsCommand {
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
pub(crate) struct SpecFlags {
    /// A-party number (repeatable).
    #[arg(long = "a-number")]
    pub(crate) a_numbers: Vec<String>,
    /// A-party VN (repeatable).
    #[arg(long = "a-vn")]
    pub(crate) a_vns: Vec<String>,
    /// A-party PIN.
    #[arg(long)]
    pub(crate) a_pin: Option<String>,
    /// A-party PIN length (alone: the service generates a PIN).
    #[arg(long)]
    pub(crate) a_pin_length: Option<i64>,
    /// B-party number (repeatable).
    #[arg(long = "b-number")]
    pub(crate) b_numbers: Vec<String>,
    /// B-party VN (repeatable).
    #[arg(long = "b-vn")]
    pub(crate) b_vns: Vec<String>,
    /// B-party PIN.
    #[arg(long)]
    pub(crate) b_pin: Option<String>,
    /// B-party PIN length.
    #[arg(long)]
    pub(crate) b_pin_length: Option<i64>,
    /// oneway (only A calls B) or twoway.
    #[arg(long)]
    pub(crate) usage: Option<String>,
    /// Deallocation duration, e.g. 1200s, 20m, 2h, 3d.
    #[arg(long)]
    pub(crate) deallocate_after: Option<String>,
    /// JSON body in the API's shape instead of flags (`-` for stdin).
    #[arg(long)]
    pub(crate) body: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub(crate) struct CreateArgs {
    /// Your own id for the allocation (an order id, say); required unless in --body.
    #[arg(long)]
    pub(crate) transaction_id: Option<String>,
    #[command(flatten)]
    pub(crate) spec: SpecFlags,
}

#[derive(Args, Debug)]
pub(crate) struct UpdateArgs {
    /// The allocation's id.
    pub(crate) id: String,
    #[command(flatten)]
    pub(crate) spec: SpecFlags,
}
