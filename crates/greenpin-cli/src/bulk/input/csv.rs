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
use super::{Refusal, Row, Survey, fingerprint};
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

/// Where [`item`] finds each value among [`COLUMNS`] (a test keeps them in step).
const GREENPIN_ID: usize = 0;
const A_PARTY: [usize; 4] = [1, 2, 3, 4];
const B_PARTY: [usize; 4] = [5, 6, 7, 8];
const USAGE: usize = 9;
const DEALLOCATE_AFTER: usize = 10;

/// Longest value read into a row (64 KiB); a longer one makes the row invalid.
const MAX_VALUE: usize = 64 << 10;

fn reader<R: Read>(source: R) -> csv::Reader<R> {
    // Flexible: a record of the wrong length is reported here, after the check for an
    // unclosed quote, which is the likelier cause. Values are trimmed where they are read
    // (`value`): the `csv` crate's trimming copies every record.
    csv::ReaderBuilder::new()
        .trim(csv::Trim::Headers)
        .flexible(true)
        .from_reader(source)
}

/// Where the file has each column: worked out once from its header, so a row is read by
/// position, never by comparing names.
struct Layout {
    /// How many values a record has.
    len: usize,
    /// The file's columns sorted by name (the order a row's key hashes its values in, and
    /// its values are checked in): each one's name, its position in the file and its
    /// position in [`COLUMNS`].
    by_name: Vec<(&'static str, usize, usize)>,
}

impl Layout {
    fn new(columns: &[String]) -> Layout {
        let mut by_name: Vec<(&'static str, usize, usize)> = columns
            .iter()
            .enumerate()
            .filter_map(|(at, c)| {
                let slot = COLUMNS.iter().position(|k| k == c)?;
                Some((COLUMNS[slot], at, slot))
            })
            .collect();
        by_name.sort_unstable();
        Layout {
            len: columns.len(),
            by_name,
        }
    }
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

/// A value as read: without the ASCII whitespace around it.
fn value(raw: &[u8]) -> &[u8] {
    raw.trim_ascii()
}

/// A record's structural problem, if any: a value spanning lines (no GreenPin field holds a
/// line break, so this is an unclosed quote that would otherwise swallow the rest of the
/// file).
fn multiline(record: &csv::ByteRecord) -> bool {
    let breaks = |v: &[u8]| memchr::memchr2(b'\n', b'\r', v).is_some();
    // One scan of the values end to end first: a line break is rare, and only then does it
    // matter whether it is inside a value or trimmed from its end.
    breaks(record.as_slice()) && record.iter().any(|v| breaks(value(v)))
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
    let source = Tracked::new(file).hashed().capped();
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
        fingerprint: fingerprint(path, source.fingerprint())?,
    })
}

/// The second pass: every row, in file order.
pub(super) fn rows(
    path: &Path,
    file: File,
) -> Result<Box<dyn Iterator<Item = Result<Row, CommandError>> + Send>, CommandError> {
    let display = path.display().to_string();
    let mut reader = reader(Tracked::new(file).capped());
    let columns = Layout::new(&columns(path, &mut reader)?);
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
            Ok(true) if record.len() != columns.len => Some(Err(CommandError::Usage(format!(
                "{display}: line {}: {} values where the header has {} columns (the file changed during the run?)",
                record_line(&mut reader, &record),
                record.len(),
                columns.len
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

fn row(line: u64, columns: &Layout, record: &csv::ByteRecord) -> Row {
    // The key: the non-empty values by column name, names sorted.
    let mut hash = Fnv::new();
    for &(name, at, _) in &columns.by_name {
        let value = value(&record[at]);
        if !value.is_empty() {
            hash.piece(name.as_bytes());
            hash.piece(value);
        }
    }
    let key = RowKey(hash.0);
    // The values, as text, by their place in COLUMNS; checked in the key's order.
    let mut values: [Option<&str>; COLUMNS.len()] = [None; COLUMNS.len()];
    for &(name, at, slot) in &columns.by_name {
        let value = value(&record[at]);
        if value.is_empty() {
            continue;
        }
        let refuse = |message: String| Row {
            line,
            key,
            item: Err(Refusal {
                greenpin_id: None,
                message,
            }),
        };
        if value.len() > MAX_VALUE {
            return refuse(format!(
                "{name}: the value is longer than {} KiB; no GreenPin field is that long",
                MAX_VALUE >> 10
            ));
        }
        let Ok(text) = std::str::from_utf8(value) else {
            return refuse(format!("{name}: not UTF-8 text"));
        };
        values[slot] = Some(text);
    }
    Row {
        line,
        key,
        item: item(&values),
    }
}

/// A row's item from its values, by their place in [`COLUMNS`].
fn item(values: &[Option<&str>; COLUMNS.len()]) -> Result<BulkItemSpec, Refusal> {
    let get = |slot: usize| values[slot];
    let id = get(GREENPIN_ID).map(str::to_owned);
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
    // A party's four columns, `numbers, vns, pin, pin_length`, by their place in COLUMNS.
    let party = |side: &str, columns: [usize; 4]| -> Result<Option<PartySpec>, Refusal> {
        let [numbers, vns, pin, len] = columns.map(get);
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
            // Kept as written: the core checks its range and names the column.
            p.pin_length = Some(n);
        }
        Ok(Some(p))
    };
    let mut item = BulkItemSpec::default();
    item.greenpin_id = id.clone();
    item.a = party("a", A_PARTY)?;
    item.b = party("b", B_PARTY)?;
    item.usage = get(USAGE).map(Usage::from);
    if let Some(d) = get(DEALLOCATE_AFTER) {
        item = item.deallocate_after(d);
    }
    Ok(item)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_reads_each_column_where_columns_lists_it() {
        let at = |slot: usize| COLUMNS[slot];
        assert_eq!(at(GREENPIN_ID), "greenpin_id");
        for (side, slots) in [("a", A_PARTY), ("b", B_PARTY)] {
            let names = slots.map(at);
            assert_eq!(
                names,
                ["numbers", "vns", "pin", "pin_length"].map(|c| format!("{side}_{c}"))
            );
        }
        assert_eq!(at(USAGE), "usage");
        assert_eq!(at(DEALLOCATE_AFTER), "deallocate_after");
    }
}
