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

mod input;
mod pace;
mod results;

use std::collections::{HashMap, VecDeque};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use clap::{Args, ValueEnum};
use greenpin_blocking::Client;
use greenpin_core::ops::OperationKind;
use greenpin_core::retry::{Decision, Outcome, RetryPolicy, is_transient, jitter};
use greenpin_core::{BulkSpec, Country, Error, MAX_BULK_ITEMS, ValidationContext};
use serde::Serialize;

use crate::exit::Failure;
use crate::words::Words;
use input::{Row, Survey};
use results::{Mode, RowOutcome};

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
    concurrency: u16,
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

/// What workers and the reader tell the recording thread.
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
    Fatal(Failure),
    /// Nothing more can succeed (the credentials were refused): stop sending.
    Halt(String),
}

#[derive(Default, Serialize)]
struct Summary {
    rows: u64,
    applied: u64,
    invalid: u64,
    failed: u64,
    /// Rows the service's answer did not account for: not known to be applied.
    unknown: u64,
    already_done: u64,
    /// Rows not sent because the run was interrupted.
    not_sent: u64,
    /// Answers that asked the run to slow down (429, 503, ...).
    slowed_down: u64,
    /// Lowest concurrency the run went down to.
    lowest_concurrency: usize,
    interrupted: bool,
}

/// The first Ctrl-C (or SIGTERM) sets the flag and says what happens next; a second exits
/// at once with 130, saying what that leaves. A thread reads the signals, so nothing runs
/// in a signal handler but signal-hook's own.
fn stop_on_signal(recording: bool) -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    #[cfg(unix)]
    let signals = [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM];
    #[cfg(not(unix))]
    let signals = [signal_hook::consts::SIGINT];
    let Ok(mut incoming) = signal_hook::iterator::Signals::new(signals) else {
        return stop;
    };
    let flag = stop.clone();
    std::thread::spawn(move || {
        for _ in incoming.forever() {
            if !flag.swap(true, Ordering::SeqCst) {
                eprintln!(
                    "greenpin: stopping: no more requests; waiting for those in flight (Ctrl-C again to exit now)"
                );
            } else {
                eprintln!(
                    "greenpin: exiting now: requests in flight are not recorded{}",
                    if recording {
                        "; a resume will send them again"
                    } else {
                        ""
                    }
                );
                std::process::exit(130);
            }
        }
    });
    stop
}

pub(crate) fn run(
    client: &Client,
    country: Country,
    args: BulkArgs,
    json: bool,
) -> Result<u8, Failure> {
    let format = args.format.unwrap_or_else(|| {
        if args
            .file
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        {
            Format::Csv
        } else {
            Format::Ndjson
        }
    });
    let survey: Survey = input::survey(&args.file, format)?;
    // Refusals name the CSV column the user filled, or the JSON field the user wrote.
    let words = match format {
        Format::Csv => Words::Columns,
        Format::Ndjson => Words::Json,
    };
    let (mut results_file, mut applied) = match &args.results {
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
    let stop = stop_on_signal(args.results.is_some());

    let progress = (std::io::stderr().is_terminal() && survey.rows > 0).then(|| {
        let bar = indicatif::ProgressBar::new(survey.rows);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:32} {pos}/{len} rows  {per_sec}  eta {eta}  {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let say = |line: String| match &progress {
        Some(bar) => bar.println(line),
        None => eprintln!("{line}"),
    };

    let concurrency = usize::from(args.concurrency);
    let batch = usize::from(args.batch_size).min(MAX_BATCH);
    let pace = pace::Pace::new(concurrency);
    let context = ValidationContext::new(country);
    let mut summary = Summary {
        rows: survey.rows,
        lowest_concurrency: concurrency,
        ..Summary::default()
    };
    let mut worst_failure: u8 = 0;
    let mut fatal: Option<Failure> = None;
    let mut halted = false;

    // One queue per worker, and every row of one allocation goes to the same worker, in
    // file order: two rows for one id are applied in the order the file gives them, never
    // raced. Queues are bounded (one batch waiting each), so memory does not grow with the
    // file.
    let (batch_txs, batch_rxs): (Vec<_>, Vec<_>) = (0..concurrency)
        .map(|_| mpsc::sync_channel::<Vec<Row>>(1))
        .unzip();
    let (msg_tx, msg_rx) = mpsc::sync_channel::<Msg>(4 * concurrency + 16);
    std::thread::scope(|scope| -> Result<(), Failure> {
        // The reader.
        {
            let msg_tx = msg_tx.clone();
            let stop = &stop;
            let applied = &mut applied;
            scope.spawn(move || {
                let mut chunks: Vec<Vec<Row>> = (0..concurrency)
                    .map(|_| Vec::with_capacity(batch))
                    .collect();
                let mut skipped = 0u64;
                for row in rows {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let row = match row {
                        Ok(row) => row,
                        Err(failure) => {
                            let _ = msg_tx.send(Msg::Fatal(failure));
                            return;
                        }
                    };
                    if applied.take(row.key) {
                        skipped += 1;
                        continue;
                    }
                    let shard = shard_of(&row, concurrency);
                    let chunk = &mut chunks[shard];
                    chunk.push(row);
                    if chunk.len() == batch {
                        let full = std::mem::replace(chunk, Vec::with_capacity(batch));
                        if batch_txs[shard].send(full).is_err() {
                            break;
                        }
                    }
                }
                for (chunk, tx) in chunks.into_iter().zip(&batch_txs) {
                    if !chunk.is_empty() && !stop.load(Ordering::Relaxed) {
                        let _ = tx.send(chunk);
                    }
                }
                let _ = msg_tx.send(Msg::AlreadyDone(skipped));
            });
        }
        // The workers.
        for batch_rx in batch_rxs {
            let msg_tx = msg_tx.clone();
            let (stop, pace, context) = (&stop, &pace, &context);
            scope.spawn(move || {
                for rows in batch_rx {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let (valid, invalid) = validate(rows, context, words);
                    if !invalid.is_empty() && msg_tx.send(Msg::Outcomes(invalid)).is_err() {
                        break;
                    }
                    if valid.is_empty() {
                        continue;
                    }
                    if let Some(outcomes) = send_batch(client, pace, stop, valid, &msg_tx)
                        && msg_tx.send(Msg::Outcomes(outcomes)).is_err()
                    {
                        break;
                    }
                }
            });
        }
        drop(msg_tx);

        // Recording, here: the only writer of the results file and the terminal.
        for msg in msg_rx {
            match msg {
                Msg::Outcomes(mut outcomes) => {
                    for o in &outcomes {
                        match o.outcome.as_str() {
                            "applied" => summary.applied += 1,
                            "invalid" => summary.invalid += 1,
                            "unknown" => summary.unknown += 1,
                            _ => summary.failed += 1,
                        }
                        if let Some(code) = o.exit {
                            worst_failure = worst_failure.max(code);
                        }
                        if o.outcome != "applied" {
                            say(format!(
                                "line {}: {}: {}",
                                o.line,
                                o.outcome,
                                crate::output::printable(o.message.as_deref().unwrap_or(""))
                            ));
                        }
                    }
                    if let Some(bar) = &progress {
                        bar.inc(outcomes.len() as u64);
                    }
                    if let Some(f) = results_file.as_mut()
                        && let Err(e) = f.write(&mut outcomes)
                    {
                        // Nothing more may be sent that could not be recorded.
                        stop.store(true, Ordering::Relaxed);
                        fatal.get_or_insert(e);
                    }
                }
                Msg::AlreadyDone(n) => {
                    summary.already_done += n;
                    if let Some(bar) = &progress {
                        bar.inc(n);
                    }
                }
                Msg::Slowdown { why, wait, change } => {
                    let change = change
                        .map(|c| format!("; concurrency {} → {}", c.from, c.to))
                        .unwrap_or_default();
                    say(format!(
                        "{why}: waiting {}{change}",
                        humantime::format_duration(Duration::from_millis(wait.as_millis() as u64))
                    ));
                    if let Some(bar) = &progress {
                        bar.set_message(format!("concurrency {}", pace.limit()));
                    }
                }
                Msg::Halt(why) => {
                    if !halted {
                        say(format!("greenpin: {why}"));
                    }
                    halted = true;
                    stop.store(true, Ordering::Relaxed);
                }
                Msg::Fatal(failure) => {
                    stop.store(true, Ordering::Relaxed);
                    fatal.get_or_insert(failure);
                }
            }
        }
        Ok(())
    })?;
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    if let Some(failure) = fatal {
        return Err(failure);
    }
    (summary.lowest_concurrency, summary.slowed_down) = pace.report();
    summary.interrupted = stop.load(Ordering::Relaxed) && !halted;
    summary.not_sent = summary.rows.saturating_sub(
        summary.applied + summary.invalid + summary.failed + summary.unknown + summary.already_done,
    );

    if json {
        crate::output::print_json(&serde_json::to_value(&summary).unwrap_or_default());
    } else {
        crate::output::out!(
            "{} rows: {} applied, {} invalid, {} failed, {} unknown, {} already done{}",
            summary.rows,
            summary.applied,
            summary.invalid,
            summary.failed,
            summary.unknown,
            summary.already_done,
            if summary.not_sent > 0 {
                format!(", {} not sent", summary.not_sent)
            } else {
                String::new()
            }
        );
        if summary.slowed_down > 0 {
            crate::output::out!(
                "the service asked to slow down or could not be reached {} times; concurrency went down to {}",
                summary.slowed_down,
                summary.lowest_concurrency
            );
        }
    }
    if summary.interrupted {
        eprintln!(
            "greenpin: interrupted: {} rows not sent{}",
            summary.not_sent,
            if args.results.is_some() {
                "; run again with --resume to send them"
            } else {
                ""
            }
        );
        return Ok(130);
    }
    Ok(if worst_failure > 0 {
        worst_failure
    } else if summary.invalid > 0 {
        2
    } else {
        0
    })
}

/// The worker a row goes to: by its allocation id, so one id's rows keep their order.
fn shard_of(row: &Row, shards: usize) -> usize {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    let id = match &row.item {
        Ok(item) => item.greenpin_id.as_deref(),
        Err(refusal) => refusal.greenpin_id.as_deref(),
    };
    let h = BuildHasherDefault::<DefaultHasher>::default().hash_one(id);
    (h % shards as u64) as usize
}

fn outcome(row_line: u64, key: input::RowKey, id: Option<String>, what: &str) -> RowOutcome {
    RowOutcome {
        line: row_line,
        key: key.to_string(),
        greenpin_id: id,
        outcome: what.into(),
        status: None,
        code: None,
        message: None,
        exit: None,
        run: 0,
    }
}

/// A message cut to 500 characters: a row's bad value can be megabytes long, and the
/// terminal and the results file need only enough to find it.
fn brief(mut message: String) -> String {
    const MAX: usize = 500;
    if let Some((cut, _)) = message.char_indices().nth(MAX) {
        message.truncate(cut);
        message.push_str("… (cut)");
    }
    message
}

/// Splits a batch into the rows to send and the outcomes of those refused before sending.
fn validate(
    rows: Vec<Row>,
    context: &ValidationContext,
    words: Words,
) -> (Vec<Row>, Vec<RowOutcome>) {
    let mut valid = Vec::with_capacity(rows.len());
    let mut invalid = Vec::new();
    for row in rows {
        let refusal = match &row.item {
            Err(refusal) => Some(refusal.clone()),
            Ok(item) => item.validate(context).err().map(|e| input::Refusal {
                greenpin_id: item.greenpin_id.clone(),
                message: crate::words::message(&e, words),
            }),
        };
        match refusal {
            Some(r) => invalid.push(RowOutcome {
                message: Some(brief(r.message)),
                ..outcome(row.line, row.key, r.greenpin_id, "invalid")
            }),
            None => valid.push(row),
        }
    }
    (valid, invalid)
}

/// Sends one batch, waiting and retrying while the service asks to slow down. `None` when
/// the run was stopped before the batch was taken (it is then not recorded, and a resume
/// sends it).
fn send_batch(
    client: &Client,
    pace: &pace::Pace,
    stop: &AtomicBool,
    rows: Vec<Row>,
    say: &mpsc::SyncSender<Msg>,
) -> Option<Vec<RowOutcome>> {
    // The client itself does not retry (see `main`): waiting is done here, so that every
    // worker waits and the run slows down, not just the request that was refused.
    let policy = RetryPolicy::default().with_max_attempts(8);
    let mut spec = BulkSpec::new();
    let mut lines = Vec::with_capacity(rows.len());
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        if let Ok(item) = row.item {
            lines.push((
                row.line,
                row.key,
                item.greenpin_id.clone().unwrap_or_default(),
            ));
            items.push(item);
        }
    }
    spec.greenpins = Some(items);
    let mut attempt = 1;
    let mut last_may_have_applied = false;
    loop {
        if !pace.acquire(stop) {
            // Stopped while waiting to retry: an answer that may have applied the rows
            // leaves them unknown; a refusal leaves them for a resume.
            return last_may_have_applied.then(|| {
                unknown(
                    &lines,
                    "the run was interrupted after a request that may have reached the service",
                )
            });
        }
        match client.bulk_update(&spec) {
            Ok(answer) => {
                pace.succeeded();
                return Some(match_results(lines, answer.greenpins));
            }
            Err(e) => {
                let decision = Outcome::of(&e).filter(is_transient).map(|o| {
                    policy.decide(
                        attempt,
                        &o,
                        OperationKind::BulkUpdate.is_idempotent(),
                        jitter(),
                    )
                });
                match decision {
                    Some(Decision::Retry(wait)) => {
                        last_may_have_applied =
                            matches!(&e, Error::Transport(t) if t.may_have_been_sent);
                        let change = pace.throttled(wait);
                        let why = match e.status() {
                            Some(s) => format!("the service asked to slow down ({s})"),
                            None => format!("the service could not be reached ({e})"),
                        };
                        let _ = say.send(Msg::Slowdown { why, wait, change });
                        attempt += 1;
                    }
                    _ => {
                        pace.finished();
                        if matches!(e.status().map(|s| s.as_u16()), Some(401 | 403)) {
                            // Every other batch would be refused the same way.
                            stop.store(true, Ordering::SeqCst);
                            let _ = say.send(Msg::Halt(format!(
                                "the service refused the credentials ({e}); nothing more is sent"
                            )));
                        }
                        return Some(failed(&lines, &e));
                    }
                }
            }
        }
    }
}

type Sent = (u64, input::RowKey, String);

fn unknown(lines: &[Sent], why: &str) -> Vec<RowOutcome> {
    lines
        .iter()
        .map(|(line, key, id)| RowOutcome {
            exit: Some(3),
            message: Some(why.into()),
            ..outcome(*line, *key, Some(id.clone()), "unknown")
        })
        .collect()
}

/// Rows whose request ended in `e`: failed, or unknown when the request may have reached
/// the service (a timeout after sending), so that they are never taken as not applied.
fn failed(lines: &[Sent], e: &Error) -> Vec<RowOutcome> {
    let what = match e {
        Error::Transport(t) if t.may_have_been_sent => "unknown",
        _ => "failed",
    };
    lines
        .iter()
        .map(|(line, key, id)| RowOutcome {
            status: e.status().map(|s| s.as_u16()),
            code: e.code().map(|c| c.code()),
            message: Some(e.to_string()),
            exit: Some(crate::exit::exit_code(e)),
            ..outcome(*line, *key, Some(id.clone()), what)
        })
        .collect()
}

/// The documented contract does not promise the order of item results: each carries its
/// greenpin_id, so rows are matched by id (in order, for an id sent twice). A row the
/// answer does not account for is unknown, never applied.
fn match_results(
    lines: Vec<Sent>,
    answer: Vec<greenpin_core::ops::BulkItemResult>,
) -> Vec<RowOutcome> {
    let mut by_id: HashMap<String, VecDeque<greenpin_core::ops::BulkItemResult>> = HashMap::new();
    for r in answer {
        if let Some(id) = r.greenpin_id.clone() {
            by_id.entry(id).or_default().push_back(r);
        }
    }
    lines
        .into_iter()
        .map(|(line, key, id)| {
            let base = outcome(line, key, Some(id.clone()), "applied");
            match by_id.get_mut(&id).and_then(VecDeque::pop_front) {
                Some(r) if r.success => RowOutcome {
                    status: Some(r.status),
                    ..base
                },
                Some(r) => RowOutcome {
                    outcome: "failed".into(),
                    status: Some(r.status),
                    code: r.code.map(|c| c.code()),
                    message: r.message,
                    exit: Some(3),
                    ..base
                },
                None => RowOutcome {
                    outcome: "unknown".into(),
                    message: Some(
                        "the service's answer has no result for this row; it may or may not have been applied"
                            .into(),
                    ),
                    exit: Some(3),
                    ..base
                },
            }
        })
        .collect()
}
