//! `greenpin bulk-update FILE`: one update per row of a CSV or NDJSON file, streamed.
//!
//! The file is read twice and never held: a first pass checks its structure, counts its
//! rows and fingerprints it; the second feeds rows, a batch at a time, to a pool of
//! workers that validate them (through the core, as every command does) and send them in
//! bulk requests. Before a batch leaves, `--results` records its rows as sent, on the disk
//! ([`journal`]). Every row ends with an outcome — `applied`, `invalid` (refused before
//! sending, with the reason), `failed` (the API or the network refused it) or `unknown`
//! (it may or may not have been applied) — written to `--results` as soon as it is known.
//! `--resume` skips the rows that file records as applied, and those it records as unknown
//! or as sent with no outcome (`--retry-unknown` sends those again), matched by content.
//! When the results cannot be written, sending stops at once (exit 5).
//!
//! Concurrency adapts to the service ([`pace`]); the first Ctrl-C stops sending, waits for
//! the requests in flight, records them and prints the summary (exit 130); a second one
//! exits at once.
//!
//! The rooms, in the order a row passes through them: [`input`] (the file, by format),
//! [`reader`] (rows into batches, one queue a worker), [`worker`] (validate, send, match
//! the answer), [`recorder`] (the results file and the terminal), [`summary`] (the counts
//! and the exit code); [`outcome`] is what a row comes to, [`journal`] the results file as
//! a run writes it, [`results`] the file as a resume reads it, [`settled`] what earlier
//! runs did with each row, [`pace`] the shared slowdown, [`signal`] Ctrl-C and the file
//! size limit.

mod input;
mod journal;
mod outcome;
mod pace;
mod reader;
mod recorder;
mod results;
mod settled;
mod signal;
mod summary;
mod worker;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
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
    /// With --resume, send again the rows an earlier run may have applied: recorded
    /// unknown, or sent with no outcome recorded. Rows that ask for a new PIN (pin_length
    /// without pin) are still held back: each that had landed would change the PIN again.
    #[arg(long, requires = "resume")]
    retry_unknown: bool,
    /// With --retry-unknown, send again the unknown rows that ask for a new PIN as well
    /// (check them first: `greenpin get ID` shows whether the earlier run's change landed).
    #[arg(long, requires = "retry_unknown")]
    also_new_pins: bool,
}

/// Which rows an earlier run may have applied are sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryUnknown {
    /// None (without `--retry-unknown`).
    No,
    /// Those safe to apply twice (`--retry-unknown`).
    Safe,
    /// All of them, new PINs too (`--retry-unknown --also-new-pins`).
    All,
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
    /// Rows earlier runs applied, rows they may have applied that are not sent again, and
    /// applied rows sent again after an earlier row of their allocation.
    Earlier {
        applied: u64,
        unknown: u64,
        resent: u64,
        /// The unknown rows, the first [`summary::LISTED`] of them.
        unknown_rows: Vec<summary::UnknownRow>,
    },
    /// The service asked to slow down.
    Slowdown {
        why: String,
        wait: Duration,
        change: Option<pace::Slowdown>,
    },
    /// The input cannot be read on, or the results cannot be written.
    Fatal(CommandError),
    /// Lines of rows an intent declared that were not sent, and whose withdrawal could not
    /// be written (a resume reads them as unknown).
    Unwithdrawn(Vec<u64>),
    /// Nothing more can succeed (the credentials were refused): stop sending.
    Halt(String),
}

/// A progress bar on a terminal: rows done, rows a second, the time left, the concurrency.
fn progress_bar(rows: u64) -> Option<indicatif::ProgressBar> {
    (crate::output::stderr_is_terminal() && rows > 0).then(|| {
        let bar = indicatif::ProgressBar::new(rows);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:32} {pos}/{len} rows  {rate}  eta {eta}  {msg}",
            )
            .map(|style| {
                // Rows a second, whole: indicatif's own {per_sec} shows 244,565.1487/s.
                style.with_key(
                    "rate",
                    |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{}/s", rate(state.per_sec()));
                    },
                )
            })
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    })
}

/// A rate of rows as people read it: whole, with thousands separated (`244,565`).
fn rate(per_sec: f64) -> String {
    let whole = if per_sec.is_finite() && per_sec > 0.0 {
        per_sec.round() as u64
    } else {
        0
    };
    let digits = whole.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(d);
    }
    out
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
    // Before the results file is written at all: a file size limit must fail a write
    // (SIGXFSZ caught), not kill the command mid-header.
    let stop = signal::stop_on_signal(args.results.is_some());
    let (journal, mut settled) = open_results(&args, &survey)?;
    let rows = input::rows(&args.file, format)?;
    let progress = progress_bar(survey.rows);
    let concurrency = usize::from(args.concurrency);
    let pace = pace::Pace::new(concurrency);
    let run = Run {
        client,
        context: ValidationContext::new(country),
        format,
        batch: usize::from(args.batch_size).min(MAX_BATCH),
        retry_unknown: match (args.retry_unknown, args.also_new_pins) {
            (false, _) => RetryUnknown::No,
            (true, false) => RetryUnknown::Safe,
            (true, true) => RetryUnknown::All,
        },
        pace: &pace,
        journal: journal.as_ref(),
        stop: &stop,
    };
    let summary = Summary {
        rows: survey.rows,
        lowest_concurrency: concurrency,
        ..Summary::default()
    };
    let mut record = run.go(rows, &mut settled, concurrency, progress.as_ref(), summary);
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let summary = &mut record.summary;
    (summary.lowest_concurrency, summary.slowed_down) = pace.report();
    summary.interrupted = stop.load(Ordering::Relaxed) && !record.halted && record.fatal.is_none();
    summary.settle();
    finish(record, args.results.is_some(), json)
}

/// The results file of `--results` (opened as `--resume` or `--overwrite` say) and what
/// earlier runs settled; nothing without `--results`.
fn open_results(
    args: &BulkArgs,
    survey: &input::Survey,
) -> Result<(Option<journal::Journal>, results::Settled), CommandError> {
    let Some(path) = &args.results else {
        return Ok((None, results::Settled::default()));
    };
    let mode = if args.resume {
        Mode::Resume
    } else if args.overwrite {
        Mode::Overwrite
    } else {
        Mode::Fresh
    };
    let (journal, settled) = results::open(path, &args.file, survey, mode)?;
    Ok((Some(journal), settled))
}

/// What the reader, the workers and the recorder of one run share.
struct Run<'a> {
    client: &'a BlockingClient<Ureq>,
    context: ValidationContext,
    format: Format,
    batch: usize,
    retry_unknown: RetryUnknown,
    pace: &'a pace::Pace,
    journal: Option<&'a journal::Journal>,
    stop: &'a AtomicBool,
}

impl Run<'_> {
    /// The reader, one worker for each of `concurrency`, and the recorder, until every row
    /// has an outcome or the run stops.
    fn go(
        &self,
        rows: impl Iterator<Item = Result<Row, CommandError>> + Send,
        settled: &mut results::Settled,
        concurrency: usize,
        progress: Option<&indicatif::ProgressBar>,
        summary: Summary,
    ) -> recorder::Record {
        let (queues, batches): (Vec<_>, Vec<_>) = (0..concurrency)
            // Three batches a worker: the next ones are ready to be declared with the one
            // it sends (worker::DECLARED_AHEAD).
            .map(|_| mpsc::sync_channel::<Vec<Row>>(3))
            .unzip();
        let (tell, messages) = mpsc::sync_channel::<Msg>(4 * concurrency + 16);
        std::thread::scope(|scope| {
            let reader_tell = tell.clone();
            let (batch, retry_unknown, stop) = (self.batch, self.retry_unknown, self.stop);
            scope.spawn(move || {
                reader::read(
                    rows,
                    settled,
                    retry_unknown,
                    batch,
                    &queues,
                    stop,
                    &reader_tell,
                )
            });
            for batches in batches {
                let work = worker::Work {
                    client: self.client,
                    pace: self.pace,
                    journal: self.journal,
                    stop: self.stop,
                    context: self.context,
                    words: self.format.words(),
                    tell: tell.clone(),
                };
                scope.spawn(move || work.run(&batches));
            }
            drop(tell);
            recorder::record(
                messages,
                self.journal,
                progress,
                self.pace,
                self.stop,
                summary,
            )
        })
    }
}

/// Prints the summary (a local failure in it), says what an early stop leaves, and answers
/// the exit code.
fn finish(record: recorder::Record, recording: bool, json: bool) -> Result<Exit, CommandError> {
    let summary = &record.summary;
    // What was sent is summed up even when the run broke off: the user needs it most then.
    // A local failure is part of the summary (one JSON document under --json).
    let local = match record.fatal {
        Some(CommandError::Local(why)) => Some(why),
        Some(other) => {
            summary.print(json, None);
            return Err(other);
        }
        None => None,
    };
    summary.print(json, local.as_deref());
    if let Some(why) = local {
        crate::output::say!("greenpin: {}", crate::output::printable(&why));
        crate::output::say!(
            "greenpin: sending stopped: the results could not be recorded. {} rows not sent; rows sent whose outcome is not in the results file are reported unknown by --resume, and not sent again",
            summary.not_sent
        );
        record.unrecorded.say();
        return Ok(Exit::Local);
    }
    if summary.interrupted {
        crate::output::say!(
            "greenpin: interrupted: {} rows not sent{}",
            summary.not_sent,
            if recording {
                "; run again with --resume to send them"
            } else {
                ""
            }
        );
    }
    Ok(summary.exit(record.worst))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_rate_of_rows_is_whole_and_grouped() {
        assert_eq!(super::rate(244_565.148_7), "244,565");
        assert_eq!(super::rate(999.5), "1,000");
        assert_eq!(super::rate(12.0), "12");
        assert_eq!(super::rate(1_234_567.0), "1,234,567");
        assert_eq!(super::rate(f64::NAN), "0");
        assert_eq!(super::rate(-3.0), "0");
    }
}
