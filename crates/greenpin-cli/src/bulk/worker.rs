//! A worker: takes a batch, refuses the rows the core refuses (naming the column or field as
//! the user wrote it), sends the rest in one bulk request, and matches the answer to the
//! rows by `greenpin_id`. While the service asks to slow down it waits with every other
//! worker ([`pace`](super::pace)), within the row's deadline (`--timeout`), and gives the
//! rows an outcome whatever happens: a row that may have reached the service is never taken
//! as not applied.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::time::{Duration, Instant};

use greenpin_blocking::Client;
use greenpin_core::BulkItemResult;
use greenpin_core::ops::OperationKind;
use greenpin_core::retry::{Decision, RetryPolicy, is_transient, jitter};
use greenpin_core::{BulkSpec, Error, ValidationContext};

use super::Msg;
use super::input::{Row, RowKey};
use super::outcome::{Outcome, RowOutcome};
use super::pace::Pace;
use crate::exit::Exit;
use crate::words::{self, Words};

/// What every worker of a run shares.
pub(super) struct Work<'a> {
    pub(super) client: &'a Client,
    pub(super) pace: &'a Pace,
    pub(super) stop: &'a AtomicBool,
    pub(super) context: ValidationContext,
    pub(super) words: Words,
    /// The most a row may take, waits and retries included (`--timeout`).
    pub(super) deadline: Option<Duration>,
    pub(super) tell: SyncSender<Msg>,
}

impl Work<'_> {
    /// Handles batches until the queue closes or the run stops.
    pub(super) fn run(&self, batches: impl Iterator<Item = Vec<Row>>) {
        for rows in batches {
            if self.stop.load(Ordering::Relaxed) {
                break;
            }
            let (valid, invalid) = self.validate(rows);
            if !invalid.is_empty() && self.tell.send(Msg::Outcomes(invalid)).is_err() {
                break;
            }
            if valid.is_empty() {
                continue;
            }
            if let Some(outcomes) = self.send(valid)
                && self.tell.send(Msg::Outcomes(outcomes)).is_err()
            {
                break;
            }
        }
    }

    /// Splits a batch into the rows to send and the outcomes of those refused before
    /// sending.
    fn validate(&self, rows: Vec<Row>) -> (Vec<Sent>, Vec<RowOutcome>) {
        let mut valid = Vec::with_capacity(rows.len());
        let mut invalid = Vec::new();
        for row in rows {
            let refusal = match row.item {
                Err(refusal) => Err((refusal.greenpin_id, refusal.message)),
                Ok(item) => match item.validate(&self.context) {
                    Err(e) => Err((item.greenpin_id, words::message(&e, self.words))),
                    Ok(_) => Ok(item),
                },
            };
            match refusal {
                Ok(item) => valid.push(Sent {
                    line: row.line,
                    key: row.key,
                    item,
                }),
                Err((id, message)) => invalid.push(
                    RowOutcome::new(row.line, row.key, id, Outcome::Invalid).because(message),
                ),
            }
        }
        (valid, invalid)
    }

    /// Sends one batch, waiting and retrying while the service asks to slow down. `None`
    /// when the run was stopped before the batch was taken (it is then not recorded, and a
    /// resume sends it).
    fn send(&self, rows: Vec<Sent>) -> Option<Vec<RowOutcome>> {
        // The client itself does not retry (see `main`): waiting is done here, so that
        // every worker waits and the run slows down, not just the request refused.
        let policy = RetryPolicy::default().with_max_attempts(8);
        let started = Instant::now();
        let mut spec = BulkSpec::new();
        spec.greenpins = Some(rows.iter().map(|r| r.item.clone()).collect());
        let mut attempt = 1;
        let mut may_have_applied = false;
        loop {
            if !self.pace.acquire(self.stop) {
                // Stopped while waiting to retry: an answer that may have applied the rows
                // leaves them unknown; a refusal leaves them for a resume.
                return may_have_applied.then(|| {
                    unknown(
                        &rows,
                        "the run was interrupted after a request that may have reached the service",
                    )
                });
            }
            let e = match self.client.bulk_update(&spec) {
                Ok(answer) => {
                    self.pace.succeeded();
                    return Some(match_results(&rows, answer.greenpins));
                }
                Err(e) => e,
            };
            let retry = e.outcome().filter(is_transient).and_then(|o| {
                match policy.decide(
                    attempt,
                    &o,
                    OperationKind::BulkUpdate.is_idempotent(),
                    jitter(),
                ) {
                    Decision::Retry(wait) => Some(wait),
                    _ => None,
                }
            });
            let within = |wait: Duration| {
                self.deadline
                    .is_none_or(|limit| started.elapsed() + wait < limit)
            };
            match retry {
                Some(wait) if within(wait) => {
                    may_have_applied = matches!(&e, Error::Transport(t) if t.may_have_been_sent);
                    let change = self.pace.throttled(wait);
                    let why = match e.status() {
                        Some(s) => format!("the service asked to slow down ({s})"),
                        None => format!("the service could not be reached ({e})"),
                    };
                    let _ = self.tell.send(Msg::Slowdown { why, wait, change });
                    attempt += 1;
                }
                Some(_) => {
                    self.pace.finished();
                    let limit = self.deadline.map(humantime::format_duration);
                    return Some(failed(
                        &rows,
                        &e,
                        may_have_applied,
                        limit.map(|l| {
                            format!("; gave up: --timeout {l} would pass before the next try")
                        }),
                    ));
                }
                None => {
                    self.pace.finished();
                    if matches!(e.status().map(|s| s.as_u16()), Some(401 | 403)) {
                        // Every other batch would be refused the same way.
                        self.stop.store(true, Ordering::SeqCst);
                        let _ = self.tell.send(Msg::Halt(format!(
                            "the service refused the credentials ({e}); nothing more is sent"
                        )));
                    }
                    return Some(failed(&rows, &e, may_have_applied, None));
                }
            }
        }
    }
}

/// A row that passed validation, on its way.
pub(super) struct Sent {
    line: u64,
    key: RowKey,
    item: greenpin_core::BulkItemSpec,
}

impl Sent {
    fn outcome(&self, outcome: Outcome) -> RowOutcome {
        RowOutcome::new(self.line, self.key, self.item.greenpin_id.clone(), outcome)
    }
}

fn unknown(rows: &[Sent], why: &str) -> Vec<RowOutcome> {
    rows.iter()
        .map(|r| RowOutcome {
            exit: Some(Exit::Api),
            ..r.outcome(Outcome::Unknown).because(why)
        })
        .collect()
}

/// Rows whose request ended in `e`: failed, or unknown when this request or an earlier try
/// may have reached the service (a timeout after sending), so that they are never taken as
/// not applied.
fn failed(rows: &[Sent], e: &Error, earlier: bool, note: Option<String>) -> Vec<RowOutcome> {
    let sent = earlier || matches!(e, Error::Transport(t) if t.may_have_been_sent);
    let what = if sent {
        Outcome::Unknown
    } else {
        Outcome::Failed
    };
    rows.iter()
        .map(|r| RowOutcome {
            status: e.status().map(|s| s.as_u16()),
            code: e.code().map(|c| c.code()),
            exit: Some(Exit::of(e)),
            ..r.outcome(what)
                .because(format!("{e}{}", note.as_deref().unwrap_or("")))
        })
        .collect()
}

/// The documented contract does not promise the order of item results: each carries its
/// greenpin_id, so rows are matched by id (a batch holds one row per id, see the reader). A
/// row the answer does not account for is unknown, never applied.
fn match_results(rows: &[Sent], answer: Vec<BulkItemResult>) -> Vec<RowOutcome> {
    let mut by_id: HashMap<String, BulkItemResult> = HashMap::new();
    for r in answer {
        if let Some(id) = r.greenpin_id.clone() {
            by_id.entry(id).or_insert(r);
        }
    }
    rows.iter()
        .map(|row| {
            let id = row.item.greenpin_id.clone().unwrap_or_default();
            match by_id.remove(&id) {
                Some(r) if r.success => RowOutcome {
                    status: Some(r.status),
                    ..row.outcome(Outcome::Applied)
                },
                Some(r) => RowOutcome {
                    status: Some(r.status),
                    code: r.code.map(|c| c.code()),
                    exit: Some(Exit::Api),
                    ..row
                        .outcome(Outcome::Failed)
                        .because(r.message.unwrap_or_default())
                },
                None => RowOutcome {
                    exit: Some(Exit::Api),
                    ..row.outcome(Outcome::Unknown).because(
                        "the service's answer has no result for this row; it may or may not have been applied",
                    )
                },
            }
        })
        .collect()
}
