//! CSV input: a header of known columns (`greenpin_id` among them), one row a record, lists
//! separated by `;`. A record that runs past 1 MiB, runs over several lines (a quote that is
//! never closed: no GreenPin field holds a line break) or has the wrong number of values
//! stops the run before anything is sent, naming its line; a value over 64 KiB makes its
//! row invalid, naming the column.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use greenpin_core::{BulkItemSpec, PartySpec, Usage};

use super::key::{Fnv, RowKey, Tracked};
use super::{Refusal, Row, Survey};
use crate::exit::CommandError;

/// The CSV columns, in the order `greenpin bulk-update --help` lists them.
const COLUMNS: &[&str] = &[
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

/// Longest value read into a row (64 KiB); a longer one makes the row invalid.
const MAX_VALUE: usize = 64 << 10;

fn reader<R: Read>(source: R) -> csv::Reader<R> {
    // Flexible: a record of the wrong length is reported here, after the check for an
    // unclosed quote, which is the likelier cause.
    csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(source)
}

/// The header's columns, checked: known names, and a `greenpin_id`.
fn columns<R: Read>(path: &Path, reader: &mut csv::Reader<R>) -> Result<Vec<String>, CommandError> {
    let headers = reader
        .headers()
        .map_err(|e| CommandError::Usage(format!("{}: line 1: {}", path.display(), problem(&e))))?
        .clone();
    let mut columns = Vec::new();
    for h in &headers {
        if !COLUMNS.contains(&h) {
            return Err(CommandError::Usage(format!(
                "{}: line 1: unknown column {h:?}; columns are {}",
                path.display(),
                COLUMNS.join(", ")
            )));
        }
        if columns.iter().any(|c| c == h) {
            return Err(CommandError::Usage(format!(
                "{}: line 1: column {h:?} appears twice",
                path.display()
            )));
        }
        columns.push(h.to_owned());
    }
    if !columns.iter().any(|h| h == "greenpin_id") {
        return Err(CommandError::Usage(format!(
            "{}: line 1: a greenpin_id column is required",
            path.display()
        )));
    }
    Ok(columns)
}

fn problem(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} values where the header has {expected_len} columns"),
        csv::ErrorKind::Utf8 { err, .. } => {
            format!("value {} is not UTF-8 text", err.field() + 1)
        }
        csv::ErrorKind::Io(e) => e.to_string(),
        _ => e.to_string(),
    }
}

/// A record's structural problem, if any: a value spanning lines (no GreenPin field holds a
/// line break, so this is an unclosed quote that would otherwise swallow the rest of the
/// file).
fn multiline(record: &csv::ByteRecord) -> bool {
    record
        .iter()
        .any(|v| v.iter().any(|b| *b == b'\n' || *b == b'\r'))
}

/// The line a record starts on.
fn record_line<R: Read>(reader: &mut csv::Reader<Tracked<R>>, record: &csv::ByteRecord) -> u64 {
    let from = record.position().map_or(0, csv::Position::byte);
    reader.get_mut().line_at(from)
}

/// The line a reading error is on.
fn error_line<R: Read>(reader: &mut csv::Reader<Tracked<R>>, e: &csv::Error) -> u64 {
    let from = e.position().map_or(0, csv::Position::byte);
    reader.get_mut().line_at(from)
}

/// The first pass: structure, row count and fingerprint.
pub(super) fn survey(path: &Path, file: File) -> Result<Survey, CommandError> {
    let bad = |line: u64, what: String| {
        CommandError::Usage(format!(
            "{}: line {line}: {what}; nothing was sent",
            path.display()
        ))
    };
    let source = Tracked::new(file).capped();
    let mut reader = reader(source);
    let columns = columns(path, &mut reader)?.len();
    let mut record = csv::ByteRecord::new();
    let mut rows = 0;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => reader.get_mut().record_done(),
            Err(e) => {
                let line = error_line(&mut reader, &e);
                return Err(bad(line, problem(&e)));
            }
        }
        if multiline(&record) {
            return Err(bad(
                record_line(&mut reader, &record),
                "a value runs over several lines (a quote that is never closed?)".into(),
            ));
        }
        if record.len() != columns {
            return Err(bad(
                record_line(&mut reader, &record),
                format!(
                    "{} values where the header has {columns} columns",
                    record.len()
                ),
            ));
        }
        rows += 1;
    }
    let source = reader.into_inner();
    Ok(Survey {
        rows,
        fingerprint: format!("fnv1a64:{:016x}", source.hash.0),
    })
}

/// The second pass: every row, in file order.
pub(super) fn rows(
    path: &Path,
    file: File,
) -> Result<Box<dyn Iterator<Item = Result<Row, CommandError>> + Send>, CommandError> {
    let display = path.display().to_string();
    let mut reader = reader(Tracked::new(file).capped());
    let columns = columns(path, &mut reader)?;
    let mut record = csv::ByteRecord::new();
    Ok(Box::new(std::iter::from_fn(move || {
        let read = reader.read_byte_record(&mut record);
        if matches!(read, Ok(true)) {
            reader.get_mut().record_done();
        }
        match read {
            Ok(false) => None,
            Ok(true) if multiline(&record) => Some(Err(CommandError::Usage(format!(
                "{display}: line {}: a value runs over several lines (the file changed during the run?)",
                record_line(&mut reader, &record)
            )))),
            Ok(true) if record.len() != columns.len() => Some(Err(CommandError::Usage(format!(
                "{display}: line {}: {} values where the header has {} columns (the file changed during the run?)",
                record_line(&mut reader, &record),
                record.len(),
                columns.len()
            )))),
            Ok(true) => {
                let line = record_line(&mut reader, &record);
                Some(Ok(row(line, &columns, &record)))
            }
            Err(e) => Some(Err(CommandError::Usage(format!(
                "{display}: line {}: {} (the file changed during the run?)",
                error_line(&mut reader, &e),
                problem(&e)
            )))),
        }
    })))
}

fn row(line: u64, columns: &[String], record: &csv::ByteRecord) -> Row {
    // The key: the non-empty values by column name, names sorted.
    let mut named: Vec<(&str, &[u8])> = columns
        .iter()
        .map(String::as_str)
        .zip(record.iter())
        .filter(|(_, v)| !v.is_empty())
        .collect();
    named.sort_unstable_by(|x, y| x.0.cmp(y.0));
    let mut hash = Fnv::new();
    for (name, value) in &named {
        hash.piece(name.as_bytes());
        hash.piece(value);
    }
    let key = RowKey(hash.0);
    let mut values: Vec<(&str, &str)> = Vec::with_capacity(named.len());
    for (name, value) in named {
        if value.len() > MAX_VALUE {
            return Row {
                line,
                key,
                item: Err(Refusal {
                    greenpin_id: None,
                    message: format!(
                        "{name}: the value is longer than {} KiB; no GreenPin field is that long",
                        MAX_VALUE >> 10
                    ),
                }),
            };
        }
        match std::str::from_utf8(value) {
            Ok(v) => values.push((name, v)),
            Err(_) => {
                return Row {
                    line,
                    key,
                    item: Err(Refusal {
                        greenpin_id: None,
                        message: format!("{name}: not UTF-8 text"),
                    }),
                };
            }
        }
    }
    let get = |name: &str| values.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
    Row {
        line,
        key,
        item: item(&get),
    }
}

fn item<'a>(get: &dyn Fn(&str) -> Option<&'a str>) -> Result<BulkItemSpec, Refusal> {
    let id = get("greenpin_id").map(str::to_owned);
    let refuse = |message: String| Refusal {
        greenpin_id: id.clone(),
        message,
    };
    let list = |v: &str| {
        v.split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let party = |side: &str| -> Result<Option<PartySpec>, Refusal> {
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
            let n = len
                .parse::<i64>()
                .map_err(|_| refuse(format!("{side}_pin_length: {len:?} is not a whole number")))?;
            p = p.pin_length(n);
        }
        Ok(Some(p))
    };
    let mut item = BulkItemSpec::default();
    item.greenpin_id = id.clone();
    item.a = party("a")?;
    item.b = party("b")?;
    item.usage = get("usage").map(Usage::from);
    if let Some(d) = get("deallocate_after") {
        item = item.deallocate_after(d);
    }
    Ok(item)
}
