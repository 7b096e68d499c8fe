//! The input file, one row at a time.
//!
//! Two passes, neither holding the file: [`survey`] checks the file's structure (a CSV
//! record with the wrong number of values, or a value running over several lines because
//! a quote was never closed, stops the run before anything is sent, naming the line),
//! counts its rows and fingerprints its bytes; [`rows`] then yields each row with the line
//! it starts on and a [`RowKey`] derived from its content, never from its position.
//!
//! Line numbers are the reader's own: a CSV record's position as the `csv` crate counts it
//! (CRLF counts once, blank lines and quoted line breaks count), an NDJSON line's count of
//! `\n`.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use greenpin_core::{BulkItemSpec, PartySpec, Usage};

use super::Format;
use crate::exit::Failure;

/// The CSV columns, in the order `greenpin bulk-update --help` lists them.
pub(crate) const CSV_COLUMNS: &[&str] = &[
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

/// A row's identity for `--resume`: a hash of what the row says (its columns by name, or
/// its JSON object with keys sorted), so reordered columns, other line endings or
/// reformatted JSON keep the key, and an edited row gets a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct RowKey(pub(crate) u64);

impl fmt::Display for RowKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl std::str::FromStr for RowKey {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        u64::from_str_radix(s, 16).map(RowKey)
    }
}

/// Why a row cannot be sent, with its id when it had a readable one.
#[derive(Debug, Clone)]
pub(crate) struct Refusal {
    pub(crate) greenpin_id: Option<String>,
    pub(crate) message: String,
}

/// One row of the input.
#[derive(Debug)]
pub(crate) struct Row {
    /// The line the row starts on (1-based).
    pub(crate) line: u64,
    pub(crate) key: RowKey,
    pub(crate) item: Result<BulkItemSpec, Refusal>,
}

/// What the first pass learnt.
#[derive(Debug, Clone)]
pub(crate) struct Survey {
    /// Rows (CSV records or non-blank NDJSON lines).
    pub(crate) rows: u64,
    /// The file's bytes, hashed: `fnv1a64:<hex>`.
    pub(crate) fingerprint: String,
}

/// FNV-1a, 64 bits: stable across Rust versions and runs (std's hasher is neither), and
/// enough to tell rows of one file apart (a collision among a million rows has odds of
/// about 1 in 37 million).
#[derive(Clone, Copy)]
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
    /// A length-prefixed piece, so that `("ab", "c")` and `("a", "bc")` differ.
    fn piece(&mut self, bytes: &[u8]) {
        self.write(&(bytes.len() as u64).to_le_bytes());
        self.write(bytes);
    }
}

/// A reader that hashes what passes through it and notes where each line's content
/// starts. The `csv` crate reports a record's position as where it began looking — before
/// any blank lines, and on the `\n` of a CRLF — so its line numbers are off after blank
/// lines and in CRLF files; the record's real line is that of its first byte.
struct Tracked<R> {
    inner: R,
    hash: Fnv,
    /// Bytes read so far.
    offset: u64,
    /// The line being read (1-based), and whether its first content byte was seen.
    line: u64,
    seen: bool,
    /// (offset of a line's first content byte, its line), for lines not yet passed.
    starts: std::collections::VecDeque<(u64, u64)>,
}

impl<R> Tracked<R> {
    fn new(inner: R) -> Self {
        Tracked {
            inner,
            hash: Fnv::new(),
            offset: 0,
            line: 1,
            seen: false,
            starts: std::collections::VecDeque::new(),
        }
    }

    /// The line of the first content at or after byte `from`: where a record that the
    /// `csv` crate began reading at `from` really starts.
    fn line_at(&mut self, from: u64) -> u64 {
        while self.starts.front().is_some_and(|(at, _)| *at < from) {
            self.starts.pop_front();
        }
        self.starts.front().map_or(self.line, |(_, line)| *line)
    }
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.write(&buf[..n]);
        for (i, b) in buf[..n].iter().enumerate() {
            match b {
                b'\n' => {
                    self.line += 1;
                    self.seen = false;
                }
                b'\r' => {}
                _ if !self.seen => {
                    self.starts.push_back((self.offset + i as u64, self.line));
                    self.seen = true;
                }
                _ => {}
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

fn open(path: &Path) -> Result<File, Failure> {
    let file = File::open(path)
        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))?;
    // The file is read twice (a check, then the rows): a pipe would be empty the second
    // time and its rows silently not sent.
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Err(Failure::Usage(format!(
            "{} is not a regular file; bulk-update reads its input twice, so save it to a file first",
            path.display()
        )));
    }
    Ok(file)
}

fn csv_reader<R: Read>(source: R) -> csv::Reader<R> {
    // Flexible: a record of the wrong length is reported here, after the check for an
    // unclosed quote, which is the likelier cause.
    csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(source)
}

/// The header's columns, checked: known names, and a `greenpin_id`.
fn csv_columns<R: Read>(path: &Path, reader: &mut csv::Reader<R>) -> Result<Vec<String>, Failure> {
    let headers = reader
        .headers()
        .map_err(|e| Failure::Usage(format!("{}: line 1: {}", path.display(), csv_problem(&e))))?
        .clone();
    let mut columns = Vec::new();
    for h in &headers {
        if !CSV_COLUMNS.contains(&h) {
            return Err(Failure::Usage(format!(
                "{}: line 1: unknown column {h:?}; columns are {}",
                path.display(),
                CSV_COLUMNS.join(", ")
            )));
        }
        if columns.iter().any(|c| c == h) {
            return Err(Failure::Usage(format!(
                "{}: line 1: column {h:?} appears twice",
                path.display()
            )));
        }
        columns.push(h.to_owned());
    }
    if !columns.iter().any(|h| h == "greenpin_id") {
        return Err(Failure::Usage(format!(
            "{}: line 1: a greenpin_id column is required",
            path.display()
        )));
    }
    Ok(columns)
}

fn csv_problem(e: &csv::Error) -> String {
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

/// Longest NDJSON line read whole (1 MiB); a longer one is an invalid row, read past
/// without being held.
const MAX_LINE: usize = 1 << 20;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// One line into `buf`, holding at most [`MAX_LINE`] + 1 bytes of it (the rest is read
/// and dropped); returns the bytes consumed.
fn read_line_capped<R: BufRead>(reader: &mut R, buf: &mut Vec<u8>) -> io::Result<usize> {
    let mut consumed = 0;
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(consumed);
        }
        let (take, done) = match available.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        let room = (MAX_LINE + 1).saturating_sub(buf.len());
        buf.extend_from_slice(&available[..take.min(room)]);
        reader.consume(take);
        consumed += take;
        if done {
            return Ok(consumed);
        }
    }
}

/// The first pass: structure, row count and fingerprint.
pub(crate) fn survey(path: &Path, format: Format) -> Result<Survey, Failure> {
    let source = Tracked::new(open(path)?);
    let bad = |line: u64, what: String| {
        Failure::Usage(format!(
            "{}: line {line}: {what}; nothing was sent",
            path.display()
        ))
    };
    match format {
        Format::Csv => {
            let mut reader = csv_reader(source);
            let columns = csv_columns(path, &mut reader)?.len();
            let mut record = csv::ByteRecord::new();
            let mut rows = 0;
            loop {
                match reader.read_byte_record(&mut record) {
                    Ok(false) => break,
                    Ok(true) => {}
                    Err(e) => {
                        let line = error_line(&mut reader, &e);
                        return Err(bad(line, csv_problem(&e)));
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
        Format::Ndjson => {
            let mut reader = BufReader::new(source);
            let mut buf = Vec::new();
            let mut rows = 0;
            loop {
                buf.clear();
                let n = read_line_capped(&mut reader, &mut buf)
                    .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))?;
                if n == 0 {
                    break;
                }
                if !buf.iter().all(u8::is_ascii_whitespace) {
                    rows += 1;
                }
            }
            Ok(Survey {
                rows,
                fingerprint: format!("fnv1a64:{:016x}", reader.into_inner().hash.0),
            })
        }
    }
}

/// The second pass: every row, in file order.
pub(crate) fn rows(
    path: &Path,
    format: Format,
) -> Result<Box<dyn Iterator<Item = Result<Row, Failure>> + Send>, Failure> {
    let file = open(path)?;
    let display = path.display().to_string();
    match format {
        Format::Csv => {
            let mut reader = csv_reader(Tracked::new(file));
            let columns = csv_columns(path, &mut reader)?;
            let mut record = csv::ByteRecord::new();
            Ok(Box::new(std::iter::from_fn(move || {
                match reader.read_byte_record(&mut record) {
                    Ok(false) => None,
                    Ok(true) if multiline(&record) => Some(Err(Failure::Usage(format!(
                        "{display}: line {}: a value runs over several lines (the file changed during the run?)",
                        record_line(&mut reader, &record)
                    )))),
                    Ok(true) if record.len() != columns.len() => {
                        Some(Err(Failure::Usage(format!(
                            "{display}: line {}: {} values where the header has {} columns (the file changed during the run?)",
                            record_line(&mut reader, &record),
                            record.len(),
                            columns.len()
                        ))))
                    }
                    Ok(true) => {
                        let line = record_line(&mut reader, &record);
                        Some(Ok(csv_row(line, &columns, &record)))
                    }
                    Err(e) => Some(Err(Failure::Usage(format!(
                        "{display}: line {}: {} (the file changed during the run?)",
                        error_line(&mut reader, &e),
                        csv_problem(&e)
                    )))),
                }
            })))
        }
        Format::Ndjson => {
            let mut reader = BufReader::new(file);
            let mut line_no = 0u64;
            let mut buf = Vec::new();
            Ok(Box::new(std::iter::from_fn(move || {
                loop {
                    buf.clear();
                    match read_line_capped(&mut reader, &mut buf) {
                        Ok(0) => return None,
                        Ok(_) => {}
                        Err(e) => {
                            return Some(Err(Failure::Usage(format!(
                                "cannot read {display}: {e}"
                            ))));
                        }
                    }
                    line_no += 1;
                    if line_no == 1 && buf.starts_with(UTF8_BOM) {
                        buf.drain(..UTF8_BOM.len());
                    }
                    if buf.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    if buf.len() > MAX_LINE {
                        return Some(Ok(Row {
                            line: line_no,
                            key: RowKey(Fnv::new().0 ^ line_no),
                            item: Err(Refusal {
                                greenpin_id: None,
                                message: format!(
                                    "the line is longer than {} KiB; no update is that long",
                                    MAX_LINE >> 10
                                ),
                            }),
                        }));
                    }
                    return Some(Ok(ndjson_row(line_no, buf.trim_ascii())));
                }
            })))
        }
    }
}

fn csv_row(line: u64, columns: &[String], record: &csv::ByteRecord) -> Row {
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
        item: csv_item(&get),
    }
}

fn csv_item<'a>(get: &dyn Fn(&str) -> Option<&'a str>) -> Result<BulkItemSpec, Refusal> {
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

fn ndjson_row(line: u64, text: &[u8]) -> Row {
    let value = serde_json::from_slice::<serde_json::Value>(text);
    let key = {
        let mut hash = Fnv::new();
        match &value {
            Ok(v) => hash_json(&mut hash, v),
            Err(_) => hash.piece(text),
        }
        RowKey(hash.0)
    };
    let item = match value {
        Err(e) if std::str::from_utf8(text).is_err() => Err(Refusal {
            greenpin_id: None,
            message: format!("not UTF-8 text ({e})"),
        }),
        Err(e) => Err(Refusal {
            greenpin_id: None,
            message: format!("not JSON: {e}"),
        }),
        Ok(v) => {
            let id = v
                .get("greenpin_id")
                .and_then(|x| x.as_str())
                .map(str::to_owned);
            // The service would ignore a misspelt field; the command refuses the row
            // instead, so a typo never turns into an update that changes nothing.
            match greenpin_core::wire::from_json_noting_unknown::<BulkItemSpec>(text) {
                Ok((item, unknown)) if unknown.is_empty() => Ok(item),
                Ok((_, unknown)) => Err(Refusal {
                    greenpin_id: id,
                    message: format!("unknown field {}", unknown.join(", ")),
                }),
                Err(e) => Err(Refusal {
                    greenpin_id: id,
                    message: e.to_string(),
                }),
            }
        }
    };
    Row { line, key, item }
}

/// JSON hashed by meaning: object keys sorted, whitespace ignored.
fn hash_json(hash: &mut Fnv, v: &serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Null => hash.write(b"n"),
        Value::Bool(b) => hash.write(if *b { b"t" } else { b"f" }),
        Value::Number(n) => {
            hash.write(b"#");
            hash.piece(n.to_string().as_bytes());
        }
        Value::String(s) => {
            hash.write(b"s");
            hash.piece(s.as_bytes());
        }
        Value::Array(items) => {
            hash.write(b"[");
            hash.write(&(items.len() as u64).to_le_bytes());
            for item in items {
                hash_json(hash, item);
            }
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_unstable();
            hash.write(b"{");
            hash.write(&(keys.len() as u64).to_le_bytes());
            for k in keys {
                hash.piece(k.as_bytes());
                hash_json(hash, &map[k]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &[u8]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("greenpin-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn lines(path: &Path, format: Format) -> Vec<u64> {
        rows(path, format)
            .unwrap()
            .map(|r| r.unwrap().line)
            .collect()
    }

    #[test]
    fn csv_lines_count_crlf_once_and_blank_lines() {
        let lf = write(
            "lf.csv",
            b"greenpin_id,usage\na,oneway\n\nb,twoway\nc,oneway\n",
        );
        let crlf = write(
            "crlf.csv",
            b"greenpin_id,usage\r\na,oneway\r\n\r\nb,twoway\r\nc,oneway\r\n",
        );
        assert_eq!(lines(&lf, Format::Csv), [2, 4, 5]);
        assert_eq!(lines(&crlf, Format::Csv), [2, 4, 5]);
        assert_eq!(survey(&crlf, Format::Csv).unwrap().rows, 3);
        // Same content, other line endings: same keys.
        let keys = |p: &Path| -> Vec<RowKey> {
            rows(p, Format::Csv)
                .unwrap()
                .map(|r| r.unwrap().key)
                .collect()
        };
        assert_eq!(keys(&lf), keys(&crlf));
    }

    #[test]
    fn an_unclosed_quote_is_an_error_naming_its_line() {
        let p = write(
            "quote.csv",
            b"greenpin_id,usage\na,oneway\n\"b,twoway\nc,oneway\nd,oneway\n",
        );
        let Err(Failure::Usage(m)) = survey(&p, Format::Csv) else {
            panic!("an unclosed quote was accepted")
        };
        assert!(m.contains("line 3"), "{m}");
        assert!(m.contains("quote"), "{m}");
        let p = write("short.csv", b"greenpin_id,usage\na,oneway\nb\n");
        let Err(Failure::Usage(m)) = survey(&p, Format::Csv) else {
            panic!("a short record was accepted")
        };
        assert!(
            m.contains("line 3: 1 values where the header has 2 columns"),
            "{m}"
        );
    }

    #[test]
    fn keys_follow_content_not_position_or_layout() {
        let a = write("a.csv", b"greenpin_id,usage\nx,oneway\ny,twoway\n");
        let b = write("b.csv", b"usage,greenpin_id\ntwoway,y\noneway,x\n");
        let ka: Vec<_> = rows(&a, Format::Csv)
            .unwrap()
            .map(|r| r.unwrap().key)
            .collect();
        let kb: Vec<_> = rows(&b, Format::Csv)
            .unwrap()
            .map(|r| r.unwrap().key)
            .collect();
        assert_eq!(ka[0], kb[1]);
        assert_eq!(ka[1], kb[0]);
        assert_ne!(ka[0], ka[1]);
        let j1 = write(
            "1.ndjson",
            b"{\"greenpin_id\":\"x\",\"usage\":\"oneway\"}\n",
        );
        let j2 = write(
            "2.ndjson",
            b"\r\n{ \"usage\": \"oneway\", \"greenpin_id\": \"x\" }\r\n",
        );
        let k1: Vec<_> = rows(&j1, Format::Ndjson)
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let k2: Vec<_> = rows(&j2, Format::Ndjson)
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(k1[0].key, k2[0].key);
        assert_eq!((k1[0].line, k2[0].line), (1, 2));
        assert_eq!(
            RowKey(0xab).to_string().parse::<RowKey>().unwrap(),
            RowKey(0xab)
        );
    }

    #[test]
    fn ndjson_rows_name_their_problem() {
        let p = write(
            "bad.ndjson",
            b"{\"greenpin_id\":\"x\",\"deallocation_polcy\":{}}\n\xff\xfe\n{\"greenpin_id\":\"y\"\n",
        );
        let got: Vec<_> = rows(&p, Format::Ndjson)
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let msg = |i: usize| got[i].item.as_ref().unwrap_err().message.clone();
        assert!(
            msg(0).contains("unknown field deallocation_polcy"),
            "{}",
            msg(0)
        );
        assert!(msg(1).contains("not UTF-8"), "{}", msg(1));
        assert!(msg(2).contains("not JSON"), "{}", msg(2));
        assert_eq!(got.iter().map(|r| r.line).collect::<Vec<_>>(), [1, 2, 3]);
    }
}
