//! `greenpin bulk-update FILE`: one update per row of a CSV or NDJSON file, streamed.
//!
//! The file is read twice and never held: a first pass checks its structure, counts its
//! rows and fingerprints it; the second feeds rows, a batch at a time, to a pool of
//! workers that validate them (through the core, as every command does) and send them in
//! bulk requests. Every row ends with an outcome — `applied`, `invalid` (refused before
//! sending, with the reason), `failed` (the API or the network refused it) or `unknown`
//! (the answer did not account for it) — written to `--results` as soon as it is known.
//! `--resume` skips the rows that file records as applied, matched by content.
//!
//! Concurrency adapts to the service ([`pace`]); the first Ctrl-C stops sending, waits for
//! the requests in flight, records them and prints the summary (exit 130); a second one
//! exits at once.
//!
//! The rooms, in the order a row passes through them: [`input`] (the file, by format),
//! [`reader`] (rows into batches, one queue a worker), [`worker`] (validate, send, match
//! the answer), [`recorder`] (the results file and the terminal), [`summary`] (the counts
//! and the exit code); [`outcome`] is what a row comes to, [`results`] the file a resume
//! reads, [`pace`] the shared slowdown, [`signal`] Ctrl-C.

mod input;
mod outcome;
mod pace;
mod reader;
mod recorder;
mod results;
mod signal;
mod summary;
mod worker;

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use greenpin_blocking::Ureq;
use greenpin_blocking::transport::BlockingClient;
use greenpin_core::{Country, MAX_BULK_ITEMS, ValidationContext};

use crate::exit::{CommandError, Exit};
use crate::words::Words;
use input::Row;
use outcome::RowOutcome;
use results::Mode;
use summary::Summary;

/// Most items the service takes in one bulk request.
const MAX_BATCH: usize = MAX_BULK_ITEMS;

#[derive(Args, Debug)]
pub(crate) struct BulkArgs {
    /// CSV (header: greenpin_id, a_numbers, a_vns, a_pin, a_pin_length, b_numbers, b_vns,
    /// b_pin, b_pin_length, usage, deallocate_after; lists separated by `;`) or NDJSON
    /// (one update object with `greenpin_id` per line).
    file: PathBuf,
    /// The file's format (default: from its extension, `.csv` or else NDJSON).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Most bulk requests in flight at once; fewer while the service asks to slow down.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub(crate) concurrency: u16,
    /// Rows per bulk request (at most 100, the service's limit).
    #[arg(long, default_value_t = MAX_BATCH as u16, value_parser = clap::value_parser!(u16).range(1..=MAX_BATCH as i64))]
    batch_size: u16,
    /// Where to write each row's outcome (NDJSON).
    #[arg(long)]
    results: Option<PathBuf>,
    /// Continue the run --results records: skip the rows it records as applied (matched
    /// by content, so an edited row is sent again) and append to it.
    #[arg(long, requires = "results")]
    resume: bool,
    /// Replace an existing --results file (without this, or --resume, it is refused).
    #[arg(long, requires = "results", conflicts_with = "resume")]
    overwrite: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Csv,
    Ndjson,
}

impl Format {
    /// The format `args` asks for, or the file's extension says (`.csv`, else NDJSON).
    fn of(args: &BulkArgs) -> Format {
        args.format.unwrap_or_else(|| {
            let csv = args
                .file
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
            if csv { Format::Csv } else { Format::Ndjson }
        })
    }

    /// How a refusal names a field: by the CSV column the user filled, or the JSON field
    /// the user wrote.
    fn words(self) -> Words {
        match self {
            Format::Csv => Words::Columns,
            Format::Ndjson => Words::Json,
        }
    }
}

/// What the reader and the workers tell the recorder.
enum Msg {
    /// Outcomes to record.
    Outcomes(Vec<RowOutcome>),
    /// Rows an earlier run applied.
    AlreadyDone(u64),
    /// The service asked to slow down.
    Slowdown {
        why: String,
        wait: Duration,
        change: Option<pace::Slowdown>,
    },
    /// The input cannot be read on.
    Fatal(CommandError),
    /// Nothing more can succeed (the credentials were refused): stop sending.
    Halt(String),
}

/// A progress bar on a terminal: rows done, rows a second, the time left, the concurrency.
fn progress_bar(rows: u64) -> Option<indicatif::ProgressBar> {
    (crate::output::stderr_is_terminal() && rows > 0).then(|| {
        let bar = indicatif::ProgressBar::new(rows);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:32} {pos}/{len} rows  {per_sec}  eta {eta}  {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    })
}

/// Attempts a batch gets in all: a bulk run keeps trying through the service's slowdowns
/// longer than a single call does (3), every worker waiting together ([`pace`]).
pub(crate) const BATCH_ATTEMPTS: u32 = 8;

/// How long a batch may take, waits and retries included, without `--timeout`.
pub(crate) const BATCH_TIMEOUT: Duration = Duration::from_secs(600);

/// The run's client: the command's settings, with a bulk run's retry policy (more attempts
/// than a single call, a budget sized for the workers) and deadline. Its loop is the core's,
/// like every call's; each wait between attempts is the run's ([`pace`]).
pub(crate) fn client(
    builder: greenpin_blocking::ClientBuilder,
    timeout: Option<Duration>,
    concurrency: usize,
) -> Result<BlockingClient<Ureq>, CommandError> {
    use greenpin_core::client::Transport;
    let policy = greenpin_core::retry::RetryPolicy::default()
        .with_max_attempts(BATCH_ATTEMPTS)
        .with_budget(
            500.max(
                u32::try_from(concurrency)
                    .unwrap_or(u32::MAX)
                    .saturating_mul(BATCH_ATTEMPTS * 10),
            ),
        );
    let config = builder
        .retry_policy(policy)
        .timeout(timeout.unwrap_or(BATCH_TIMEOUT))
        .build_config()?;
    let transport = Ureq::from_config(&config)?;
    Ok(BlockingClient::new(config, transport))
}

/// Runs `greenpin bulk-update`: reads, validates and sends every row, records each one's
/// outcome, and answers the exit code its rows mean. The client's deadline (`--timeout`)
/// bounds each batch, waits and retries included.
pub(crate) fn run(
    client: &BlockingClient<Ureq>,
    country: Country,
    args: BulkArgs,
    json: bool,
) -> Result<Exit, CommandError> {
    let format = Format::of(&args);
    let survey = input::survey(&args.file, format)?;
    let (results, mut applied) = match &args.results {
        Some(path) => {
            let mode = if args.resume {
                Mode::Resume
            } else if args.overwrite {
                Mode::Overwrite
            } else {
                Mode::Fresh
            };
            let (file, applied) = results::open(path, &args.file, &survey, mode)?;
            (Some(file), applied)
        }
        None => (None, results::Applied::default()),
    };
    let rows = input::rows(&args.file, format)?;
    let stop = signal::stop_on_signal(args.results.is_some());
    let progress = progress_bar(survey.rows);
    let concurrency = usize::from(args.concurrency);
    let batch = usize::from(args.batch_size).min(MAX_BATCH);
    let pace = pace::Pace::new(concurrency);
    let summary = Summary {
        rows: survey.rows,
        lowest_concurrency: concurrency,
        ..Summary::default()
    };
    let (queues, batches): (Vec<_>, Vec<_>) = (0..concurrency)
        .map(|_| mpsc::sync_channel::<Vec<Row>>(1))
        .unzip();
    let (tell, messages) = mpsc::sync_channel::<Msg>(4 * concurrency + 16);
    let record = std::thread::scope(|scope| {
        let reader_tell = tell.clone();
        let (stop, applied) = (&stop, &mut applied);
        scope.spawn(move || reader::read(rows, applied, batch, &queues, stop, &reader_tell));
        for batches in batches {
            let work = worker::Work {
                client,
                pace: &pace,
                stop,
                context: ValidationContext::new(country),
                words: format.words(),
                tell: tell.clone(),
            };
            scope.spawn(move || work.run(batches.into_iter()));
        }
        drop(tell);
        recorder::record(messages, results, progress.as_ref(), &pace, stop, summary)
    });
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    if let Some(failure) = record.fatal {
        return Err(failure);
    }
    let mut summary = record.summary;
    (summary.lowest_concurrency, summary.slowed_down) = pace.report();
    summary.interrupted = stop.load(Ordering::Relaxed) && !record.halted;
    summary.settle();
    summary.print(json);
    if summary.interrupted {
        crate::output::say!(
            "greenpin: interrupted: {} rows not sent{}",
            summary.not_sent,
            if args.results.is_some() {
                "; run again with --resume to send them"
            } else {
                ""
            }
        );
    }
    Ok(summary.exit(record.worst))
}
