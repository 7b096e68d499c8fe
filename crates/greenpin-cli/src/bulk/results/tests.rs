//! Tests of reading a results file back: intents, outcomes and withdrawals settled.

use super::*;

/// Reads `lines` (after a header for `input`) as a resume does.
fn settled(lines: &[String]) -> Settled {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("greenpin-results-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (input, results) = (dir.join("rows.ndjson"), dir.join("results.ndjson"));
    std::fs::write(&input, "{}\n").unwrap();
    let survey = Survey {
        rows: 1,
        fingerprint: "fnv1a64:0".into(),
    };
    let header = serde_json::to_string(&Header {
        greenpin_bulk_results: VERSION,
        input: input.clone(),
        fingerprint: survey.fingerprint.clone(),
        rows: 1,
    })
    .unwrap();
    let text: String = std::iter::once(header)
        .chain(lines.iter().cloned())
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&results, text).unwrap();
    let file = File::open(&results).unwrap();
    let mut settled = Settled::default();
    let mut runs = 0;
    read_settled(&results, &file, &input, &survey, &mut settled, &mut runs).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    settled
}

fn outcome(key: u64, outcome: &str) -> String {
    format!(
        r#"{{"line":{key},"key":"{}","greenpin_id":"g-{key}","outcome":"{outcome}","run":1}}"#,
        RowKey(key)
    )
}

#[test]
fn a_row_sent_with_no_outcome_is_unknown_and_a_withdrawn_one_is_not() {
    let intent = |keys: &[u64]| {
        String::from_utf8(crate::bulk::journal::intent_line(
            keys.iter().map(|k| (*k, RowKey(*k), "g-1")),
            1,
        ))
        .unwrap()
        .trim_end()
        .to_owned()
    };
    let mut s = settled(&[
        intent(&[2, 3, 4, 5]),
        outcome(2, "applied"),
        outcome(3, "failed"),
        format!(r#"{{"withdrawn":[[5,"{}","g-1"]],"run":1}}"#, RowKey(5)),
    ]);
    assert_eq!(s.take(RowKey(2)), Some(Earlier::Applied));
    assert_eq!(s.take(RowKey(3)), None, "failed: sent again");
    assert_eq!(
        s.take(RowKey(4)),
        Some(Earlier::Unknown),
        "sent, never settled"
    );
    assert_eq!(s.take(RowKey(4)), None, "each recorded row answers once");
    assert_eq!(s.take(RowKey(5)), None, "withdrawn: never sent");
}

#[test]
fn a_row_recorded_unknown_stays_unknown_until_a_later_run_settles_it() {
    let mut s = settled(&[outcome(7, "unknown")]);
    assert_eq!(s.take(RowKey(7)), Some(Earlier::Unknown));
    let later = r#"{"line":7,"key":"KEY","greenpin_id":"g-7","outcome":"applied","run":2}"#
        .replace("KEY", &RowKey(7).to_string());
    let mut s = settled(&[outcome(7, "unknown"), later]);
    assert_eq!(s.take(RowKey(7)), Some(Earlier::Applied));
}
