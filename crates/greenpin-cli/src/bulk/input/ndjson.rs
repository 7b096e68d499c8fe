//! NDJSON input: one update object (with `greenpin_id`) a line, blank lines skipped, a
//! UTF-8 byte-order mark before the first dropped. A line over 1 MiB is an invalid row,
//! read past without being held; a field the API does not read makes the row invalid (the
//! service would ignore `deallocation_polcy`, and the update would change nothing).

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use greenpin_core::BulkItemSpec;

use super::key::{Fnv, RowKey, Tracked, hash_json};
use super::{Refusal, Row, Survey, fingerprint};
use crate::exit::CommandError;

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

/// The first pass: the row count and fingerprint.
pub(super) fn survey(path: &Path, file: File) -> Result<Survey, CommandError> {
    let source = Tracked::new(file).hashed();
    let mut reader = BufReader::new(source);
    let mut buf = Vec::new();
    let mut rows = 0;
    loop {
        buf.clear();
        let n = read_line_capped(&mut reader, &mut buf)
            .map_err(|e| CommandError::Usage(format!("cannot read {}: {e}", path.display())))?;
        if n == 0 {
            break;
        }
        if !buf.iter().all(u8::is_ascii_whitespace) {
            rows += 1;
        }
    }
    Ok(Survey {
        rows,
        fingerprint: fingerprint(path, reader.into_inner().fingerprint())?,
    })
}

/// The second pass: every row, in file order.
pub(super) fn rows(
    path: &Path,
    file: File,
) -> Result<Box<dyn Iterator<Item = Result<Row, CommandError>> + Send>, CommandError> {
    let display = path.display().to_string();
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
                    return Some(Err(CommandError::Usage(format!(
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
            return Some(Ok(row(line_no, buf.trim_ascii())));
        }
    })))
}

fn row(line: u64, text: &[u8]) -> Row {
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
