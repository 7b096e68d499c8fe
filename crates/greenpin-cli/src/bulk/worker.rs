//! A worker: takes a batch, refuses the rows the core refuses (naming the column or field as
//! the user wrote it), sends the rest in one bulk request, and matches the answer to the
//! rows by `greenpin_id`. The request is the core's bulk update made of the items the core
//! has just validated one by one ([`Batch`]), and its answer is read for what a row's
//! outcome records, not for the allocations it also carries. While the service asks to slow down it waits with every other
//! worker ([`pace`](super::pace)), within the row's deadline (`--timeout`), and gives the
//! rows an outcome whatever happens: a row that may have reached the service is never taken
//! as not applied.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::time::{Duration, Instant};

use greenpin_blocking::Client;
use greenpin_core::ops::{Operation, OperationKind};
use greenpin_core::retry::{Decision, RetryPolicy, is_transient, jitter};
use greenpin_core::{BulkItemBody, BulkSpec, Error, ErrorCode, ValidationContext, ValidationError};
use serde::Deserialize;

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
                    Ok(body) => Ok(body),
                },
            };
            match refusal {
                Ok(body) => valid.push(Sent {
                    line: row.line,
                    key: row.key,
                    body,
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
        let batch = Batch { rows: &rows };
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
            let e = match self.client.execute(&batch) {
                Ok(answer) => {
                    self.pace.succeeded();
                    return Some(match_results(&rows, answer.data.greenpins));
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
                    // Once a try may have applied the rows, they stay "may have": a later
                    // refusal does not undo an earlier try.
                    may_have_applied |= e.outcome_unknown();
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
    body: BulkItemBody,
}

impl Sent {
    fn id(&self) -> &str {
        self.body.greenpin_id.as_str()
    }

    fn outcome(&self, outcome: Outcome) -> RowOutcome {
        RowOutcome::new(self.line, self.key, Some(self.id().to_owned()), outcome)
    }
}

/// The bulk update a worker sends: `PUT /greenpin` with the items of a batch, each already
/// validated by the core ([`greenpin_core::BulkItemSpec::validate`]), so none is checked
/// twice; the count is checked as the core checks it.
struct Batch<'a> {
    rows: &'a [Sent],
}

impl Operation for Batch<'_> {
    type Output = Outcomes;

    fn kind(&self) -> OperationKind {
        OperationKind::BulkUpdate
    }

    fn path(&self) -> Cow<'static, str> {
        Cow::Borrowed("/greenpin")
    }

    // The client's context is not consulted: each item was validated with the run's
    // (`Work::context`), made from the same `--country` as the client's (see `bulk::run`).
    fn body(&self, _: &ValidationContext) -> Result<Option<Vec<u8>>, ValidationError> {
        struct Items<'a>(&'a [Sent]);
        impl serde::Serialize for Items<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.iter().map(|r| &r.body))
            }
        }
        #[derive(serde::Serialize)]
        struct Body<'a> {
            greenpins: Items<'a>,
        }
        BulkSpec::check_count(Some(self.rows.len()))?;
        // A validated body has string keys and derived Serialize impls: it cannot fail.
        let body = serde_json::to_vec(&Body {
            greenpins: Items(self.rows),
        })
        .map_err(|e| {
            ValidationError::new(
                "greenpins",
                greenpin_core::ValidationKind::Invalid,
                e.to_string(),
            )
        })?;
        Ok(Some(body))
    }
}

/// A bulk update's answer as a row's outcome needs it: each item's result without the
/// allocation it carries (a row records its id, status, code and message, never the
/// allocation), which spares reading a hundred allocations an answer.
#[derive(Deserialize)]
pub(super) struct Outcomes {
    greenpins: Vec<ItemResult>,
}

/// One item's result ([`greenpin_core::BulkItemResult`] without its `data`).
#[derive(Deserialize)]
struct ItemResult {
    #[serde(default)]
    greenpin_id: Option<String>,
    success: bool,
    status: u16,
    #[serde(default)]
    code: Option<ErrorCode>,
    #[serde(default)]
    message: Option<String>,
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
fn failed(rows: &[Sent], e: &Error, earlier: bool, note: Option<String>) -> Vec<RowOutcome> {
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
            ..r.outcome(what)
                .because(format!("{e}{}", note.as_deref().unwrap_or("")))
        })
        .collect()
}

/// The documented contract does not promise the order of item results: each carries its
/// greenpin_id, so rows are matched by id (a batch holds one row per id, see the reader). A
/// row the answer does not account for is unknown, never applied.
fn match_results(rows: &[Sent], answer: Vec<ItemResult>) -> Vec<RowOutcome> {
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
    let mut by_id: HashMap<String, ItemResult> = HashMap::with_capacity(answer.len());
    for mut r in answer {
        if let Some(id) = r.greenpin_id.take() {
            by_id.entry(id).or_insert(r);
        }
    }
    rows.iter()
        .map(|row| row_outcome(row, by_id.remove(row.id())))
        .collect()
}

/// A sent row's outcome from its result in the answer, if it has one.
fn row_outcome(row: &Sent, result: Option<ItemResult>) -> RowOutcome {
    match result {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use greenpin_core::ops::BulkUpdate;
    use greenpin_core::{BulkItemSpec, Usage};

    fn spec(id: &str) -> BulkItemSpec {
        BulkItemSpec::new(id).usage(Usage::Oneway)
    }

    fn sent(line: u64, id: &str) -> Sent {
        let body = spec(id).validate(&ValidationContext::default()).unwrap();
        Sent {
            line,
            key: RowKey(line),
            body,
        }
    }

    fn answer(json: &str) -> Vec<ItemResult> {
        serde_json::from_str::<Outcomes>(json).unwrap().greenpins
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
        let rows = [sent(2, "g-1"), sent(3, "g-2")];
        let core = BulkUpdate::new(BulkSpec::new().item(spec("g-1")).item(spec("g-2")));
        let batch = Batch { rows: &rows };
        assert_eq!(batch.body(&ctx).unwrap(), core.body(&ctx).unwrap());
        assert_eq!(batch.kind(), core.kind());
        assert_eq!(batch.path(), core.path());
        // The count is checked as the core checks it: none, or more than 100, is refused.
        let refused = Batch { rows: &[] }.body(&ctx).unwrap_err();
        assert_eq!(refused.field(), "greenpins");
        let many: Vec<Sent> = (0..=100).map(|i| sent(i, &format!("g-{i}"))).collect();
        let refused = Batch { rows: &many }.body(&ctx).unwrap_err();
        assert_eq!(refused.kind(), greenpin_core::ValidationKind::TooManyInBulk);
        assert!(Batch { rows: &many[..100] }.body(&ctx).is_ok());
    }
}
