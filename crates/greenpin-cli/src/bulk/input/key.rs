//! A row's identity and the file's fingerprint: FNV-1a over what rows say, and a reader
//! that hashes the file as it passes, knows which line each record starts on, and refuses
//! to hold a record past 1 MiB.

use std::fmt;
use std::io::{self, Read};

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

/// FNV-1a, 64 bits: stable across Rust versions and runs (std's hasher is neither), and
/// enough to tell rows of one file apart (a collision among a million rows has odds of
/// about 1 in 37 million).
#[derive(Clone, Copy)]
pub(crate) struct Fnv(pub(crate) u64);

impl Fnv {
    pub(crate) fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    pub(crate) fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
    /// A length-prefixed piece, so that `("ab", "c")` and `("a", "bc")` differ.
    pub(super) fn piece(&mut self, bytes: &[u8]) {
        self.write(&(bytes.len() as u64).to_le_bytes());
        self.write(bytes);
    }
}

/// A reader that notes where each line's content starts and, for the first pass, hashes
/// what passes through it ([`Tracked::hashed`]). The `csv` crate reports a record's position as where it began looking — before
/// any blank lines, and on the `\n` of a CRLF — so its line numbers are off after blank
/// lines and in CRLF files; the record's real line is that of its first byte.
pub(super) struct Tracked<R> {
    inner: R,
    /// The bytes so far, hashed; `None` when no fingerprint is wanted (the second pass).
    hash: Option<Fnv>,
    /// Bytes read so far.
    offset: u64,
    /// The line being read (1-based), and whether its first content byte was seen.
    line: u64,
    seen: bool,
    /// (offset of a line's first content byte, its line), for lines not yet passed.
    starts: std::collections::VecDeque<(u64, u64)>,
    /// Bytes read since the caller last said a record ended ([`Tracked::record_done`]):
    /// past [`MAX_RECORD`] a read fails, so a record that never ends (an unclosed quote in
    /// a file of hundreds of megabytes) is never held whole.
    since_record: u64,
    /// Whether that limit applies (CSV: the `csv` crate holds a record whole; NDJSON lines
    /// are read past without being held, see `ndjson.rs`).
    capped: bool,
}

/// Longest record (CSV) or line (NDJSON) held: 1 MiB, and the reader's own buffer.
pub(super) const MAX_RECORD: u64 = (1 << 20) + (64 << 10);

impl<R> Tracked<R> {
    pub(super) fn new(inner: R) -> Self {
        Tracked {
            inner,
            hash: None,
            offset: 0,
            line: 1,
            seen: false,
            starts: std::collections::VecDeque::new(),
            since_record: 0,
            capped: false,
        }
    }

    /// The same, hashing every byte read (see [`Tracked::fingerprint`]).
    pub(super) fn hashed(mut self) -> Self {
        self.hash = Some(Fnv::new());
        self
    }

    /// The file's fingerprint, `fnv1a64:<hex>`, once read to its end; `None` unless
    /// [`Tracked::hashed`] (never a stand-in that two files could share).
    pub(super) fn fingerprint(&self) -> Option<String> {
        self.hash.map(|h| format!("fnv1a64:{:016x}", h.0))
    }

    /// The same, refusing to read a record past [`MAX_RECORD`].
    pub(super) fn capped(mut self) -> Self {
        self.capped = true;
        self
    }

    /// A record ended: what follows starts a new one.
    pub(super) fn record_done(&mut self) {
        self.since_record = 0;
    }

    /// The line of the first content at or after byte `from`: where a record that the
    /// `csv` crate began reading at `from` really starts.
    pub(super) fn line_at(&mut self, from: u64) -> u64 {
        while self.starts.front().is_some_and(|(at, _)| *at < from) {
            self.starts.pop_front();
        }
        self.starts.front().map_or(self.line, |(_, line)| *line)
    }
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.capped && self.since_record > MAX_RECORD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "a record runs past 1 MiB (a quote that is never closed?)",
            ));
        }
        let n = self.inner.read(buf)?;
        self.since_record += n as u64;
        if let Some(hash) = &mut self.hash {
            hash.write(&buf[..n]);
        }
        let read = &buf[..n];
        let mut i = 0;
        while i < n {
            if !self.seen {
                // Before a line's content: line breaks count, `\r` is passed over.
                match read[i] {
                    b'\n' => self.line += 1,
                    b'\r' => {}
                    _ => {
                        self.starts.push_back((self.offset + i as u64, self.line));
                        self.seen = true;
                    }
                }
                i += 1;
                continue;
            }
            // Within a line's content: on to its end.
            match memchr::memchr(b'\n', &read[i..]) {
                Some(at) => {
                    i += at + 1;
                    self.line += 1;
                    self.seen = false;
                }
                None => break,
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// JSON hashed by meaning: object keys sorted, whitespace ignored.
pub(super) fn hash_json(hash: &mut Fnv, v: &serde_json::Value) {
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
