//! A worker: takes a batch, refuses the rows the core refuses (naming the column or field as
//! the user wrote it), sends the rest in one bulk request, and matches the answer to the
//! rows by `greenpin_id`. The request is the core's bulk update made of the items the core
//! has just validated one by one ([`Batch`]), and its answer is read for what a row's
//! outcome records, not for the allocations it also carries. While the service asks to slow down it waits with every other
//! worker ([`pace`](super::pace)), within the row's deadline (`--timeout`), and gives the
//! rows an outcome whatever happens: a row that may have reached the service is never taken
//! as not applied.
//!
//! Before a batch leaves, its intent is on the disk ([`Journal`]). A worker declares the
//! batch it is about to send together with the next two when its queue already holds them:
//! one sync for up to three batches (on the bench's machine a sync costs about as much CPU
//! as a batch's own work). A batch declared and then not sent — the run stopped first — is
//! withdrawn in the results file; only a kill in between leaves it `unknown` without having
//! been sent.

mod answer;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender};

use greenpin_core::client::BlockingClient;
use greenpin_core::ops::ValidatedBulkUpdate;
use greenpin_core::retry::{Outcome as Attempt, RetryWait};
use greenpin_core::{Error, ValidationContext};

use super::Msg;
use super::input::{Row, RowKey};
use super::journal::Journal;
use super::outcome::{Outcome, RowOutcome};
use super::pace::Pace;
use crate::words::{self, Words};

/// What every worker of a run shares.
pub(super) struct Work<'a> {
    /// The run's client: its retry policy, budget and deadline (`--timeout`) are every
    /// batch's, as they are every other call's.
    pub(super) client: &'a BlockingClient<greenpin_blocking::Ureq>,
    pub(super) pace: &'a Pace,
    /// The results file: each batch's intent is on its disk before the batch leaves.
    pub(super) journal: Option<&'a Journal>,
    pub(super) stop: &'a AtomicBool,
    pub(super) context: ValidationContext,
    pub(super) words: Words,
    pub(super) tell: SyncSender<Msg>,
}

/// Batches declared in one intent line: the one about to be sent and, when the queue already
/// holds them, the next ones.
const DECLARED_AHEAD: usize = 3;

impl Work<'_> {
    /// Handles batches until the queue closes or the run stops.
    pub(super) fn run(&self, queue: &Receiver<Vec<Row>>) {
        // Batches validated and not yet sent, each with whether its intent is on the disk.
        let mut ready: VecDeque<(Prepared, bool)> = VecDeque::new();
        loop {
            if self.stop.load(Ordering::Relaxed) {
                break;
            }
            if ready.is_empty() {
                let Ok(rows) = queue.recv() else { break };
                if let Some(p) = self.prepare(rows) {
                    ready.push_back((p, false));
                }
                continue;
            }
            if !ready[0].1 {
                while ready.len() < DECLARED_AHEAD
                    && let Ok(rows) = queue.try_recv()
                {
                    if let Some(p) = self.prepare(rows) {
                        ready.push_back((p, false));
                    }
                }
                if !self.declare(&ready) {
                    return;
                }
                ready.iter_mut().for_each(|(_, declared)| *declared = true);
            }
            let Some((batch, _)) = ready.pop_front() else {
                continue;
            };
            match self.send(&batch) {
                Some(outcomes) => {
                    if self.tell.send(Msg::Outcomes(outcomes)).is_err() {
                        break;
                    }
                }
                None => {
                    ready.push_front((batch, true));
                    break;
                }
            }
        }
        self.withdraw(ready);
    }

    /// Validates a batch, tells the outcomes of the rows refused, and makes the request of
    /// the rest; `None` when no row is left to send.
    fn prepare(&self, rows: Vec<Row>) -> Option<Prepared> {
        let (valid, invalid) = self.validate(rows);
        if !invalid.is_empty() {
            let _ = self.tell.send(Msg::Outcomes(invalid));
        }
        if valid.rows.is_empty() {
            return None;
        }
        let op = ValidatedBulkUpdate::new(valid.items);
        let rows = Sent::with_ids(valid.rows, &op);
        Some(Prepared { op, rows })
    }

    /// Writes one intent line for every batch in `ready` (none declared yet) and waits for
    /// it to be on the disk. `false` when it could not be: nothing is sent, the run stops.
    fn declare(&self, ready: &VecDeque<(Prepared, bool)>) -> bool {
        let Some(journal) = self.journal else {
            return true;
        };
        let rows = ready
            .iter()
            .flat_map(|(p, _)| p.rows.iter().map(|r| (r.line, r.key, r.id())));
        match journal.intent(rows) {
            Ok(()) => true,
            Err(e) => {
                // Not recorded as about to be sent, so not sent: nothing reaches the
                // service that the results file would not account for.
                self.stop.store(true, Ordering::SeqCst);
                let _ = self.tell.send(Msg::Fatal(e));
                false
            }
        }
    }

    /// Records that the declared batches left in `ready` were not sent after all.
    fn withdraw(&self, ready: VecDeque<(Prepared, bool)>) {
        let Some(journal) = self.journal else { return };
        let declared: Vec<&Prepared> = ready
            .iter()
            .filter(|(_, declared)| *declared)
            .map(|(p, _)| p)
            .collect();
        if declared.is_empty() {
            return;
        }
        let rows = declared
            .iter()
            .flat_map(|p| p.rows.iter().map(|r| (r.line, r.key, r.id())));
        // If even this cannot be written, those rows read as unknown (never as unsent), and
        // the user is told their lines.
        if journal.withdraw(rows).is_err() {
            let lines = declared
                .iter()
                .flat_map(|p| p.rows.iter().map(|r| r.line))
                .collect();
            let _ = self.tell.send(Msg::Unwithdrawn(lines));
        }
    }

    /// Splits a batch into the rows to send and the outcomes of those refused before
    /// sending.
    fn validate(&self, rows: Vec<Row>) -> (Batch, Vec<RowOutcome>) {
        let mut valid = Batch {
            rows: Vec::with_capacity(rows.len()),
            items: Vec::with_capacity(rows.len()),
        };
        let mut invalid = Vec::new();
        for row in rows {
            let refusal = match row.item {
                Err(refusal) => Err((refusal.greenpin_id, refusal.message)),
                Ok(item) => match item.validate(&self.context) {
                    Err(e) => Err((item.greenpin_id, words::message(&e, self.words))),
                    Ok(body) => Ok(body),
                },
            };
            match refusal {
                Ok(body) => {
                    valid.rows.push(Pending {
                        line: row.line,
                        key: row.key,
                    });
                    valid.items.push(body);
                }
                Err((id, message)) => invalid.push(
                    RowOutcome::new(row.line, row.key, id, Outcome::Invalid).because(message),
                ),
            }
        }
        (valid, invalid)
    }

    /// Sends one declared batch through the client's call loop (its retry policy, budget
    /// and deadline); each wait before a retry is the run's, so every worker slows down
    /// together. `None` when the run was stopped before the batch was taken.
    fn send(&self, batch: &Prepared) -> Option<Vec<RowOutcome>> {
        if !self.pace.acquire(self.stop) {
            return None;
        }
        let (op, rows) = (&batch.op, &batch.rows);
        // Once a try may have applied the rows, they stay "may have": a later refusal does
        // not undo an earlier try.
        let mut may_have_applied = false;
        let mut stopped = false;
        let mut retries = 0;
        let answer = self.client.execute_with(op, |retry: RetryWait| {
            retries += 1;
            may_have_applied |= retry.outcome_unknown;
            let change = self.pace.throttled(retry.wait);
            let why = match retry.outcome {
                Attempt::Status { status, .. } => {
                    format!("the service asked to slow down ({status})")
                }
                _ => "the service could not be reached".to_owned(),
            };
            let _ = self.tell.send(Msg::Slowdown {
                why,
                wait: retry.wait,
                change,
            });
            stopped = !self.pace.acquire(self.stop);
            !stopped
        });
        match answer {
            Ok(answer) => {
                self.pace.succeeded();
                Some(answer::match_results(rows, answer.data.greenpins))
            }
            // Stopped while waiting to retry: an answer that may have applied the rows
            // leaves them unknown; a refusal leaves them failed, which a resume sends
            // again. Either way the outcome follows their intent in the results file.
            Err(e) if stopped => Some(if may_have_applied {
                answer::unknown(
                    rows,
                    "the run was interrupted after a request that may have reached the service",
                )
            } else {
                let mut outcomes = answer::failed(rows, &e, false);
                for o in &mut outcomes {
                    o.message = o
                        .message
                        .take()
                        .map(|m| format!("{m}; the run was interrupted before another try"));
                }
                outcomes
            }),
            Err(e) => {
                self.pace.finished();
                if matches!(e.status().map(|s| s.as_u16()), Some(401 | 403)) {
                    // Every other batch would be refused the same way.
                    self.stop.store(true, Ordering::SeqCst);
                    let _ = self.tell.send(Msg::Halt(format!(
                        "the service refused the credentials ({e}); nothing more is sent"
                    )));
                }
                let mut outcomes = answer::failed(rows, &e, may_have_applied);
                if let Some(why) = self.gave_up_early(&e, retries) {
                    for o in &mut outcomes {
                        o.message = o.message.take().map(|m| format!("{m}; gave up: {why}"));
                    }
                }
                Some(outcomes)
            }
        }
    }

    /// Why a call that ended in an error worth retrying made no more attempts, when it had
    /// some left: the next would have passed the client's deadline (`--timeout`), or the
    /// run's retry budget could not pay for it.
    fn gave_up_early(&self, e: &Error, retries: u32) -> Option<String> {
        let config = self.client.config();
        if !e.is_retryable() || retries + 1 >= config.retry_policy().max_attempts {
            return None;
        }
        let costliest = config.retry_policy().timeout_retry_cost;
        Some(if self.client.retry_budget().available() < costliest {
            "the run's retry budget is spent".to_owned()
        } else {
            format!(
                "another try would pass --timeout {}",
                humantime::format_duration(config.timeout())
            )
        })
    }
}

/// A batch ready to be sent: its request and its rows, in the same order.
struct Prepared {
    op: ValidatedBulkUpdate,
    rows: Vec<Sent>,
}

/// A batch's valid rows and their items, in the same order.
struct Batch {
    rows: Vec<Pending>,
    items: Vec<greenpin_core::BulkItemBody>,
}

/// A row that passed validation, on its way: where it came from, and (once its item is in
/// the request) its allocation id.
pub(super) struct Sent {
    line: u64,
    key: RowKey,
    id: String,
}

impl Sent {
    /// The rows, each with its item's id from `op` (the same order).
    fn with_ids(rows: Vec<Pending>, op: &ValidatedBulkUpdate) -> Vec<Sent> {
        rows.into_iter()
            .zip(op.items())
            .map(|(row, item)| Sent {
                line: row.line,
                key: row.key,
                id: item.greenpin_id.as_str().to_owned(),
            })
            .collect()
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn outcome(&self, outcome: Outcome) -> RowOutcome {
        RowOutcome::new(self.line, self.key, Some(self.id.clone()), outcome)
    }
}

/// A valid row before its request is made.
struct Pending {
    line: u64,
    key: RowKey,
}
