//! The input file, one row at a time.
//!
//! Two passes, neither holding the file: [`survey`] checks the file's structure, counts its
//! rows and fingerprints its bytes; [`rows`] then yields each row with the line it starts
//! on and a [`RowKey`] derived from its content, never from its position. Each format is a
//! module of its own ([`csv`], [`ndjson`]); [`key`] is the hashing both share.
//!
//! Line numbers are the reader's own: a CSV record's first byte (CRLF counts once, blank
//! lines and quoted line breaks count), an NDJSON line's count of `\n`.

mod csv;
mod key;
mod ndjson;

use std::fs::File;
use std::path::Path;

use greenpin_core::BulkItemSpec;

pub(crate) use key::{Fnv, RowKey};

use super::Format;
use crate::exit::CommandError;

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

impl Row {
    /// The allocation the row is about, when it names one.
    pub(crate) fn greenpin_id(&self) -> Option<&str> {
        match &self.item {
            Ok(item) => item.greenpin_id.as_deref(),
            Err(refusal) => refusal.greenpin_id.as_deref(),
        }
    }
}

/// What the first pass learnt.
#[derive(Debug, Clone)]
pub(crate) struct Survey {
    /// Rows (CSV records or non-blank NDJSON lines).
    pub(crate) rows: u64,
    /// The file's bytes, hashed: `fnv1a64:<hex>`.
    pub(crate) fingerprint: String,
}

/// A survey's fingerprint, which its reader must have taken.
fn fingerprint(path: &Path, taken: Option<String>) -> Result<String, CommandError> {
    taken.ok_or_else(|| {
        CommandError::Usage(format!(
            "{}: the file could not be fingerprinted; nothing was sent",
            path.display()
        ))
    })
}

fn open(path: &Path) -> Result<File, CommandError> {
    let file = File::open(path)
        .map_err(|e| CommandError::Usage(format!("cannot read {}: {e}", path.display())))?;
    // The file is read twice (a check, then the rows): a pipe would be empty the second
    // time and its rows silently not sent.
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Err(CommandError::Usage(format!(
            "{} is not a regular file; bulk-update reads its input twice, so save it to a file first",
            path.display()
        )));
    }
    Ok(file)
}

/// The first pass: structure, row count and fingerprint.
pub(crate) fn survey(path: &Path, format: Format) -> Result<Survey, CommandError> {
    let file = open(path)?;
    match format {
        Format::Csv => csv::survey(path, file),
        Format::Ndjson => ndjson::survey(path, file),
    }
}

/// The second pass: every row, in file order.
pub(crate) fn rows(
    path: &Path,
    format: Format,
) -> Result<Box<dyn Iterator<Item = Result<Row, CommandError>> + Send>, CommandError> {
    let file = open(path)?;
    match format {
        Format::Csv => csv::rows(path, file),
        Format::Ndjson => ndjson::rows(path, file),
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
        let Err(CommandError::Usage(m)) = survey(&p, Format::Csv) else {
            panic!("an unclosed quote was accepted")
        };
        assert!(m.contains("line 3"), "{m}");
        assert!(m.contains("quote"), "{m}");
        let p = write("short.csv", b"greenpin_id,usage\na,oneway\nb\n");
        let Err(CommandError::Usage(m)) = survey(&p, Format::Csv) else {
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
    fn csv_keys_are_pinned_and_values_are_read_trimmed() {
        // The keys a results file holds: FNV-1a over the non-empty values by column name,
        // names sorted, each name and value length-prefixed. Worked out outside Rust, so a
        // change to how keys are made (which would make --resume resend everything a
        // results file of an earlier version records) fails here.
        let p = write(
            "pinned.csv",
            b"usage , greenpin_id,deallocate_after\n oneway ,  g-1  ,\n \t,g-1,2h\n\"oneway\r\n\",g-1,\n",
        );
        let got: Vec<_> = rows(&p, Format::Csv).unwrap().map(|r| r.unwrap()).collect();
        let keys: Vec<String> = got.iter().map(|r| r.key.to_string()).collect();
        assert_eq!(
            keys,
            ["06497f39b7dde737", "7ec9cd245c771807", "06497f39b7dde737"]
        );
        // Padding and a line break at a value's end are not part of it; a value of only
        // spaces is no value.
        let item = |i: usize| got[i].item.as_ref().unwrap();
        assert_eq!(item(0).greenpin_id.as_deref(), Some("g-1"));
        assert_eq!(item(0).usage.as_ref().map(|u| u.as_str()), Some("oneway"));
        assert_eq!(item(1).usage, None);
        assert!(item(1).deallocation_policy.is_some());
        assert_eq!(item(2).usage.as_ref().map(|u| u.as_str()), Some("oneway"));
        assert_eq!(got.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3, 4]);
        // A line break inside a value is still refused, naming its line.
        let inside = write("inside.csv", b"greenpin_id,usage\ng-1,\"one\nway\"\n");
        let Err(CommandError::Usage(m)) = survey(&inside, Format::Csv) else {
            panic!("a value over two lines was accepted")
        };
        assert!(m.contains("line 2") && m.contains("several lines"), "{m}");
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
