//! A batch's answer made into its rows' outcomes: matched by `greenpin_id`, each item's own
//! status read by the core's rule, and a row the answer does not account for `unknown`.

use std::collections::HashMap;

use greenpin_core::Error;
use greenpin_core::ops::BulkItemOutcome;

use super::Sent;
use crate::bulk::outcome::{Outcome, RowOutcome};
use crate::exit::Exit;

pub(super) fn unknown(rows: &[Sent], why: &str) -> Vec<RowOutcome> {
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
pub(super) fn failed(rows: &[Sent], e: &Error, earlier: bool) -> Vec<RowOutcome> {
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
pub(super) fn match_results(rows: &[Sent], answer: Vec<BulkItemOutcome>) -> Vec<RowOutcome> {
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
    use super::super::Pending;
    use super::*;
    use crate::bulk::input::RowKey;
    use greenpin_core::ValidationContext;
    use greenpin_core::ops::{BulkItemOutcomes, BulkUpdate, Operation, ValidatedBulkUpdate};
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
