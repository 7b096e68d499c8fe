//! A worker: takes a batch, refuses the rows the core refuses (naming the column or field as
//! the user wrote it), sends the rest in one bulk request, and matches the answer to the
//! rows by `greenpin_id`. The request is the core's bulk update made of the items the core
//! has just validated one by one ([`Batch`]), and its answer is read for what a row's
//! outcome records, not for the allocations it also carries. While the service asks to slow down it waits with every other
//! worker ([`pace`](super::pace)), within the row's deadline (`--timeout`), and gives the
//! rows an outcome whatever happens: a row that may have reached the service is never taken
//! as not applied.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;

use greenpin_core::client::BlockingClient;
use greenpin_core::ops::{BulkItemOutcome, ValidatedBulkUpdate};
use greenpin_core::retry::{Outcome as Attempt, RetryWait};
use greenpin_core::{Error, ValidationContext};

use super::Msg;
use super::input::{Row, RowKey};
use super::outcome::{Outcome, RowOutcome};
use super::pace::Pace;
use crate::exit::Exit;
use crate::words::{self, Words};

/// What every worker of a run shares.
pub(super) struct Work<'a> {
    /// The run's client: its retry policy, budget and deadline (`--timeout`) are every
    /// batch's, as they are every other call's.
    pub(super) client: &'a BlockingClient<greenpin_blocking::Ureq>,
    pub(super) pace: &'a Pace,
    pub(super) stop: &'a AtomicBool,
    pub(super) context: ValidationContext,
    pub(super) words: Words,
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
            if valid.rows.is_empty() {
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

    /// Sends one batch through the client's call loop (its retry policy, budget and
    /// deadline); each wait before a retry is the run's, so every worker slows down
    /// together. `None` when the run was stopped before the batch was taken (it is then not
    /// recorded, and a resume sends it).
    fn send(&self, batch: Batch) -> Option<Vec<RowOutcome>> {
        if !self.pace.acquire(self.stop) {
            return None;
        }
        let op = ValidatedBulkUpdate::new(batch.items);
        let rows = Sent::with_ids(batch.rows, &op);
        // Once a try may have applied the rows, they stay "may have": a later refusal does
        // not undo an earlier try.
        let mut may_have_applied = false;
        let mut stopped = false;
        let mut retries = 0;
        let answer = self.client.execute_with(&op, |retry: RetryWait| {
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
                Some(match_results(&rows, answer.data.greenpins))
            }
            // Stopped while waiting to retry: an answer that may have applied the rows
            // leaves them unknown; a refusal leaves them for a resume.
            Err(_) if stopped => may_have_applied.then(|| {
                unknown(
                    &rows,
                    "the run was interrupted after a request that may have reached the service",
                )
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
                let mut outcomes = failed(&rows, &e, may_have_applied);
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

fn unknown(rows: &[Sent], why: &str) -> Vec<RowOutcome> {
    rows.iter()
        .map(|r| RowOutcome {
            exit: Some(Exit::Api),
            ..r.outcome(Outcome::Unknown).because(why)
        })
        .collect()
}

/// Rows whose request ended in `e`: failed, or unknown when this request or an earlier try
/// may have reached the service, so that they are never taken as not applied. Whether it
/// may have is the core's rule ([`Error::outcome_unknown`]): a timeout after sending, a
/// server error, or a success answer that could not be read.
fn failed(rows: &[Sent], e: &Error, earlier: bool) -> Vec<RowOutcome> {
    let sent = earlier || e.outcome_unknown();
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
            ..r.outcome(what).because(e.to_string())
        })
        .collect()
}

/// The documented contract does not promise the order of item results: each carries its
/// greenpin_id, so rows are matched by id (a batch holds one row per id, see the reader). A
/// row the answer does not account for is unknown, never applied.
fn match_results(rows: &[Sent], answer: Vec<BulkItemOutcome>) -> Vec<RowOutcome> {
    // Most answers keep the items' order: then each result is its row's, with no lookup.
    let in_order = answer.len() == rows.len()
        && rows
            .iter()
            .zip(&answer)
            .all(|(row, r)| r.greenpin_id.as_deref() == Some(row.id()));
    if in_order {
        return rows
            .iter()
            .zip(answer)
            .map(|(row, r)| row_outcome(row, Some(r)))
            .collect();
    }
    let mut by_id: HashMap<String, BulkItemOutcome> = HashMap::with_capacity(answer.len());
    for mut r in answer {
        if let Some(id) = r.greenpin_id.take() {
            by_id.entry(id).or_insert(r);
        }
    }
    rows.iter()
        .map(|row| row_outcome(row, by_id.remove(row.id())))
        .collect()
}

/// A sent row's outcome from its result in the answer, if it has one. An item's own 5xx
/// or 499 leaves it unknown, by the core's rule ([`BulkItemOutcome::outcome_unknown`]).
fn row_outcome(row: &Sent, result: Option<BulkItemOutcome>) -> RowOutcome {
    match result {
        Some(r) if r.success => RowOutcome {
            status: Some(r.status),
            ..row.outcome(Outcome::Applied)
        },
        Some(r) if r.outcome_unknown() => RowOutcome {
            status: Some(r.status),
            code: r.code.map(|c| c.code()),
            exit: Some(Exit::Api),
            ..row.outcome(Outcome::Unknown).because(format!(
                "the service answered {} for this row, which may or may not have been applied{}",
                r.status,
                r.message.map(|m| format!(": {m}")).unwrap_or_default()
            ))
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use greenpin_core::ops::{BulkItemOutcomes, BulkUpdate, Operation};
    use greenpin_core::{BulkItemSpec, BulkSpec, Usage};

    fn spec(id: &str) -> BulkItemSpec {
        BulkItemSpec::new(id).usage(Usage::Oneway)
    }

    fn sent(line: u64, id: &str) -> Sent {
        Sent {
            line,
            key: RowKey(line),
            id: id.to_owned(),
        }
    }

    fn answer(json: &str) -> Vec<BulkItemOutcome> {
        serde_json::from_str::<BulkItemOutcomes>(json)
            .unwrap()
            .greenpins
    }

    /// Each row's id, outcome, status, code, message and exit.
    type Said = (
        Option<String>,
        Outcome,
        Option<u16>,
        Option<i64>,
        Option<String>,
        Option<Exit>,
    );

    fn outcomes(rows: &[Sent], json: &str) -> Vec<Said> {
        match_results(rows, answer(json))
            .into_iter()
            .map(|o| {
                (
                    o.greenpin_id,
                    o.outcome,
                    o.status,
                    o.code,
                    o.message,
                    o.exit,
                )
            })
            .collect()
    }

    #[test]
    fn results_in_the_items_order_or_not_go_to_the_row_with_their_id() {
        let rows = [sent(2, "g-1"), sent(3, "g-2")];
        // The allocation an item carries is not read: one that is not an allocation at
        // all does not unsettle the row the service says it applied.
        let ok = r#"{"greenpin_id":"g-1","success":true,"status":200,"data":{"a":1}}"#;
        let refused =
            r#"{"greenpin_id":"g-2","success":false,"status":404,"code":1,"message":"gone"}"#;
        let applied: Said = (
            Some("g-1".into()),
            Outcome::Applied,
            Some(200),
            None,
            None,
            None,
        );
        let failed: Said = (
            Some("g-2".into()),
            Outcome::Failed,
            Some(404),
            Some(1),
            Some("gone".into()),
            Some(Exit::Api),
        );
        let want = vec![applied.clone(), failed.clone()];
        // In order, and as many as the rows: read position by position.
        assert_eq!(
            outcomes(&rows, &format!(r#"{{"greenpins":[{ok},{refused}]}}"#)),
            want
        );
        // Swapped, as many: still by id.
        assert_eq!(
            outcomes(&rows, &format!(r#"{{"greenpins":[{refused},{ok}]}}"#)),
            want
        );
        // One result for another id, in the first row's place: that row is unknown.
        let stranger = r#"{"greenpin_id":"g-9","success":true,"status":200}"#;
        let unknown = |o: &Said| (o.0.clone(), o.1, o.5);
        let got = outcomes(&rows, &format!(r#"{{"greenpins":[{stranger},{refused}]}}"#));
        assert_eq!(
            unknown(&got[0]),
            (Some("g-1".into()), Outcome::Unknown, Some(Exit::Api))
        );
        assert_eq!(got[1], failed);
        // A result without an id, and a second result for one id (the first counts), and
        // more results than rows.
        let anonymous = r#"{"success":false,"status":400,"code":3,"message":"?"}"#;
        let again = r#"{"greenpin_id":"g-1","success":false,"status":500}"#;
        let got = outcomes(
            &rows,
            &format!(r#"{{"greenpins":[{anonymous},{ok},{again},{refused},{stranger}]}}"#),
        );
        assert_eq!(got, want);
    }

    #[test]
    fn a_batch_is_the_core_s_own_bulk_update_of_its_items() {
        let ctx = ValidationContext::default();
        let items = vec![
            spec("g-1").validate(&ctx).unwrap(),
            spec("g-2").validate(&ctx).unwrap(),
        ];
        let core = BulkUpdate::new(BulkSpec::new().item(spec("g-1")).item(spec("g-2")));
        let batch = ValidatedBulkUpdate::new(items);
        assert_eq!(batch.body(&ctx).unwrap(), core.body(&ctx).unwrap());
        assert_eq!(batch.kind(), core.kind());
        assert_eq!(batch.path(), core.path());
        let pending = vec![
            Pending {
                line: 2,
                key: RowKey(2),
            },
            Pending {
                line: 3,
                key: RowKey(3),
            },
        ];
        let ids: Vec<String> = Sent::with_ids(pending, &batch)
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(ids, ["g-1", "g-2"]);
    }

    #[test]
    fn an_item_s_own_server_error_leaves_its_row_unknown() {
        let rows = [sent(2, "g-1"), sent(3, "g-2"), sent(4, "g-3")];
        let got = outcomes(
            &rows,
            r#"{"greenpins":[
                {"greenpin_id":"g-1","success":false,"status":500,"code":0,"message":"internal error"},
                {"greenpin_id":"g-2","success":false,"status":499},
                {"greenpin_id":"g-3","success":false,"status":409,"code":19}]}"#,
        );
        let what: Vec<(Outcome, Option<u16>)> = got.iter().map(|o| (o.1, o.2)).collect();
        assert_eq!(
            what,
            [
                (Outcome::Unknown, Some(500)),
                (Outcome::Unknown, Some(499)),
                (Outcome::Failed, Some(409)),
            ]
        );
        assert!(got[0].4.as_deref().unwrap().contains("internal error"));
    }
}
