//! `greenpin bulk-update FILE`: one update per row of a CSV or NDJSON file.
//!
//! Every row ends with an outcome — `applied`, `invalid` (refused before sending, with the
//! reason) or `failed` (the API or the network refused it) — written as one NDJSON line to
//! `--results` as soon as it is known, so an interrupted run can be finished with
//! `--resume`, which skips the rows already recorded as applied. Valid rows go out in bulk
//! requests of up to `--batch-size` items, `--concurrency` requests at a time.

use std::collections::{HashSet, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, mpsc};

use clap::{Args, ValueEnum};
use greenpin_blocking::Client;
use greenpin_core::{
    BulkItemSpec, BulkSpec, Country, Error, MAX_BULK_ITEMS, PartySpec, Usage, ValidationContext,
};
use serde::{Deserialize, Serialize};

use crate::exit::Failure;

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
    /// Bulk requests in flight at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
    /// Rows per bulk request (at most 100, the service's limit).
    #[arg(long, default_value_t = MAX_BATCH as u16, value_parser = clap::value_parser!(u16).range(1..=MAX_BATCH as i64))]
    batch_size: u16,
    /// Where to write each row's outcome (NDJSON).
    #[arg(long)]
    results: Option<PathBuf>,
    /// Skip rows that --results already records as applied, and append to it.
    #[arg(long, requires = "results")]
    resume: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Csv,
    Ndjson,
}

/// One row's outcome, as written to `--results`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct RowOutcome {
    /// Line of the input file.
    pub line: u64,
    /// The row's allocation id, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greenpin_id: Option<String>,
    /// `applied`, `invalid` or `failed`.
    pub outcome: String,
    /// HTTP status, for rows the service answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// API code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    /// Why not applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// For failed rows: 3 (API) or 4 (transport).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit: Option<u8>,
}

/// Rows for one bulk request, with their input lines.
type Batch = Vec<(u64, BulkItemSpec)>;

struct Row {
    line: u64,
    item: Result<BulkItemSpec, (Option<String>, String)>,
}

const CSV_COLUMNS: &[&str] = &[
    "greenpin_id",
    "a_numbers",
    "a_vns",
    "a_pin",
    "a_pin_length",
    "b_numbers",
    "b_vns",
    "b_pin",
    "b_pin_length",
    "usage",
    "deallocate_after",
];

fn read_rows(path: &PathBuf, format: Format) -> Result<Vec<Row>, Failure> {
    let file = File::open(path)
        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))?;
    match format {
        Format::Ndjson => {
            let mut rows = Vec::new();
            for (i, line) in BufReader::new(file).lines().enumerate() {
                let line_no = i as u64 + 1;
                let text = line.map_err(|e| {
                    Failure::Usage(format!("{}: line {line_no}: {e}", path.display()))
                })?;
                if text.trim().is_empty() {
                    continue;
                }
                let item = serde_json::from_str::<serde_json::Value>(&text)
                    .map_err(|e| (None, format!("not JSON: {e}")))
                    .and_then(|v| {
                        let id = v
                            .get("greenpin_id")
                            .and_then(|x| x.as_str())
                            .map(str::to_owned);
                        serde_json::from_value::<BulkItemSpec>(v).map_err(|e| (id, e.to_string()))
                    });
                rows.push(Row {
                    line: line_no,
                    item,
                });
            }
            Ok(rows)
        }
        Format::Csv => {
            let mut reader = csv::ReaderBuilder::new()
                .trim(csv::Trim::All)
                .from_reader(file);
            let headers = reader
                .headers()
                .map_err(|e| Failure::Usage(format!("{}: line 1: {e}", path.display())))?
                .clone();
            for h in &headers {
                if !CSV_COLUMNS.contains(&h) {
                    return Err(Failure::Usage(format!(
                        "{}: line 1: unknown column {h:?}; columns are {}",
                        path.display(),
                        CSV_COLUMNS.join(", ")
                    )));
                }
            }
            if !headers.iter().any(|h| h == "greenpin_id") {
                return Err(Failure::Usage(format!(
                    "{}: line 1: a greenpin_id column is required",
                    path.display()
                )));
            }
            let mut rows = Vec::new();
            for record in reader.records() {
                match record {
                    Ok(r) => {
                        let line = r.position().map(|p| p.line()).unwrap_or(0);
                        let get = |name: &str| {
                            headers
                                .iter()
                                .position(|h| h == name)
                                .and_then(|i| r.get(i))
                                .filter(|v| !v.is_empty())
                        };
                        rows.push(Row {
                            line,
                            item: csv_item(&get),
                        });
                    }
                    Err(e) => {
                        let line = e.position().map(|p| p.line()).unwrap_or(0);
                        rows.push(Row {
                            line,
                            item: Err((None, format!("bad CSV: {e}"))),
                        });
                    }
                }
            }
            Ok(rows)
        }
    }
}

fn csv_item<'a>(
    get: &dyn Fn(&str) -> Option<&'a str>,
) -> Result<BulkItemSpec, (Option<String>, String)> {
    let id_text = get("greenpin_id").map(str::to_owned);
    let list = |v: &str| {
        v.split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let party = |side: &str| -> Result<Option<PartySpec>, (Option<String>, String)> {
        let numbers = get(&format!("{side}_numbers"));
        let vns = get(&format!("{side}_vns"));
        let pin = get(&format!("{side}_pin"));
        let len = get(&format!("{side}_pin_length"));
        if numbers.is_none() && vns.is_none() && pin.is_none() && len.is_none() {
            return Ok(None);
        }
        let mut p = PartySpec::new();
        if let Some(n) = numbers {
            p = p.numbers(list(n));
        }
        if let Some(v) = vns {
            p = p.vns(list(v));
        }
        if let Some(pin) = pin {
            p = p.pin(pin);
        }
        if let Some(len) = len {
            let n = len.parse::<i64>().map_err(|_| {
                (
                    id_text.clone(),
                    format!("{side}.pin_length: {len:?} is not a whole number"),
                )
            })?;
            p = p.pin_length(n);
        }
        Ok(Some(p))
    };
    let mut item = BulkItemSpec::default();
    item.greenpin_id = id_text.clone();
    item.a = party("a")?;
    item.b = party("b")?;
    item.usage = get("usage").map(Usage::from);
    if let Some(d) = get("deallocate_after") {
        item = item.deallocate_after(d);
    }
    Ok(item)
}

/// Rows already applied, by (line, greenpin_id), from an earlier results file.
fn done_rows(path: &PathBuf) -> HashSet<(u64, Option<String>)> {
    let Ok(file) = File::open(path) else {
        return HashSet::new();
    };
    BufReader::new(file)
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| serde_json::from_str::<RowOutcome>(&l).ok())
        .filter(|o| o.outcome == "applied")
        .map(|o| (o.line, o.greenpin_id))
        .collect()
}

#[derive(Default, Serialize)]
struct Summary {
    rows: usize,
    applied: usize,
    invalid: usize,
    failed: usize,
    /// Rows the service's answer did not account for: not known to be applied.
    unknown: usize,
    already_done: usize,
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
    let rows = read_rows(&args.file, format)?;
    let done = match (&args.results, args.resume) {
        (Some(path), true) => done_rows(path),
        _ => HashSet::new(),
    };
    let mut results_file = match &args.results {
        Some(path) => Some(
            OpenOptions::new()
                .create(true)
                .write(true)
                .append(args.resume)
                .truncate(!args.resume)
                .open(path)
                .map_err(|e| {
                    Failure::Usage(format!("--results: cannot write {}: {e}", path.display()))
                })?,
        ),
        None => None,
    };

    let mut summary = Summary {
        rows: rows.len(),
        ..Summary::default()
    };
    let mut outcomes: Vec<RowOutcome> = Vec::new();
    let mut pending: Vec<(u64, BulkItemSpec)> = Vec::new();
    for row in rows {
        let id = match &row.item {
            Ok(item) => item.greenpin_id.clone(),
            Err((id, _)) => id.clone(),
        };
        if done.contains(&(row.line, id.clone())) {
            summary.already_done += 1;
            continue;
        }
        let checked = row.item.and_then(|item| {
            item.validate(&ValidationContext::new(country))
                .map(|_| item)
                .map_err(|e| (id.clone(), e.to_string()))
        });
        match checked {
            Ok(item) => pending.push((row.line, item)),
            Err((id, message)) => outcomes.push(RowOutcome {
                line: row.line,
                greenpin_id: id,
                outcome: "invalid".into(),
                status: None,
                code: None,
                message: Some(message),
                exit: None,
            }),
        }
    }

    let progress = (std::io::stderr().is_terminal() && !pending.is_empty()).then(|| {
        let bar = indicatif::ProgressBar::new(pending.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} rows  {elapsed_precise}  eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });

    let mut record = |o: RowOutcome, summary: &mut Summary| -> Result<(), Failure> {
        match o.outcome.as_str() {
            "applied" => summary.applied += 1,
            "invalid" => summary.invalid += 1,
            "unknown" => summary.unknown += 1,
            _ => summary.failed += 1,
        }
        if o.outcome != "applied" {
            let line = format!(
                "line {}: {}: {}",
                o.line,
                o.outcome,
                o.message.as_deref().unwrap_or("")
            );
            match &progress {
                Some(bar) => bar.println(line),
                None => eprintln!("{line}"),
            }
        }
        if let Some(f) = results_file.as_mut() {
            let text = serde_json::to_string(&o).unwrap_or_default();
            writeln!(f, "{text}")
                .and_then(|_| f.flush())
                .map_err(|e| Failure::Usage(format!("--results: write failed: {e}")))?;
        }
        Ok(())
    };
    let mut worst_failure: u8 = 0;
    for o in outcomes {
        record(o, &mut summary)?;
    }

    // Batches go to a pool of workers; outcomes come back here, to be recorded in order of
    // arrival.
    let batch = usize::from(args.batch_size).min(MAX_BATCH);
    let queue: Arc<Mutex<VecDeque<Batch>>> = Arc::new(Mutex::new(
        pending.chunks(batch).map(<[_]>::to_vec).collect(),
    ));
    let (tx, rx) = mpsc::channel::<Vec<RowOutcome>>();
    std::thread::scope(|scope| -> Result<(), Failure> {
        for _ in 0..args.concurrency {
            let queue = queue.clone();
            let tx = tx.clone();
            scope.spawn(move || {
                loop {
                    let next = queue.lock().unwrap_or_else(|p| p.into_inner()).pop_front();
                    let Some(batch) = next else { break };
                    if tx.send(send_batch(client, batch)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for outcomes in rx {
            for o in outcomes {
                if let Some(code) = o.exit {
                    worst_failure = worst_failure.max(code);
                }
                if let Some(bar) = &progress {
                    bar.inc(1);
                }
                record(o, &mut summary)?;
            }
        }
        Ok(())
    })?;
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }

    if json {
        crate::output::print_json(&serde_json::to_value(&summary).unwrap_or_default());
    } else {
        crate::output::out!(
            "{} rows: {} applied, {} invalid, {} failed, {} unknown, {} already done",
            summary.rows,
            summary.applied,
            summary.invalid,
            summary.failed,
            summary.unknown,
            summary.already_done
        );
    }
    Ok(if worst_failure > 0 {
        worst_failure
    } else if summary.invalid > 0 {
        2
    } else {
        0
    })
}

fn send_batch(client: &Client, batch: Batch) -> Vec<RowOutcome> {
    let (lines, items): (Vec<u64>, Vec<BulkItemSpec>) = batch.into_iter().unzip();
    let ids: Vec<String> = items
        .iter()
        .map(|i| i.greenpin_id.clone().unwrap_or_default())
        .collect();
    let mut spec = BulkSpec::new();
    spec.greenpins = Some(items);
    match client.bulk_update(&spec) {
        Ok(results) => {
            // The documented contract does not promise the order of item results: each
            // carries its greenpin_id, so rows are matched by id (in order, for an id sent
            // twice). A row the answer does not account for is unknown, never applied.
            let mut by_id: std::collections::HashMap<String, std::collections::VecDeque<_>> =
                std::collections::HashMap::new();
            for r in results.greenpins {
                if let Some(id) = r.greenpin_id.clone() {
                    by_id.entry(id).or_default().push_back(r);
                }
            }
            lines
                .into_iter()
                .zip(ids)
                .map(|(line, id)| match by_id.get_mut(&id).and_then(|q| q.pop_front()) {
                    Some(r) if r.success => RowOutcome {
                        line,
                        greenpin_id: Some(id),
                        outcome: "applied".into(),
                        status: Some(r.status),
                        code: None,
                        message: None,
                        exit: None,
                    },
                    Some(r) => RowOutcome {
                        line,
                        greenpin_id: Some(id),
                        outcome: "failed".into(),
                        status: Some(r.status),
                        code: r.code.map(|c| c.code()),
                        message: r.message,
                        exit: Some(3),
                    },
                    None => RowOutcome {
                        line,
                        greenpin_id: Some(id),
                        outcome: "unknown".into(),
                        status: None,
                        code: None,
                        message: Some(
                            "the service's answer has no result for this row; it may or may not have been applied"
                                .into(),
                        ),
                        exit: Some(3),
                    },
                })
                .collect()
        }
        Err(e) => lines
            .into_iter()
            .zip(ids)
            .map(|(line, id)| RowOutcome {
                line,
                greenpin_id: Some(id),
                outcome: "failed".into(),
                status: e.status().map(|s| s.as_u16()),
                code: e.code().map(|c| c.code()),
                message: Some(e.to_string()),
                exit: Some(exit_for(&e)),
            })
            .collect(),
    }
}

fn exit_for(e: &Error) -> u8 {
    crate::exit::exit_code(e)
}
