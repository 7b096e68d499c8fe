//! The `--results` file: a header naming the input it belongs to, then the run's intent
//! and outcome lines ([`journal`](super::journal) writes them).
//!
//! ```text
//! {"greenpin_bulk_results":2,"input":"/data/rows.csv","fingerprint":"fnv1a64:…","rows":3}
//! {"sent":[[2,"4f0c…","…"]],"run":1}
//! {"line":2,"key":"4f0c…","greenpin_id":"…","outcome":"applied","status":200,"run":1}
//! ```
//!
//! `--resume` reads it back: rows recorded `applied` are skipped by their content key (an
//! edited row has a new key and is sent); rows recorded `unknown`, and rows an intent names
//! with no outcome after it (sent, then the run stopped), are `unknown` too, and skipped
//! unless `--retry-unknown`; a withdrawal line takes back an intent's rows that were not
//! sent after all. A file written for another input is refused, a damaged line is
//! refused naming it, and a last line cut short by a crash is dropped. Files of format 1
//! (no intents) are read as before.
//!
//! The file is never reached through a symbolic link (a link, even a dangling one, is
//! refused, and the file opened is checked to be the one the path names), `--overwrite`
//! replaces only a results file, and the run holds an exclusive lock on it: a second run on
//! the same file is refused while the first runs.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::input::{RowKey, Survey};
use super::journal::{INTENT_PREFIX, Intent, Journal, WITHDRAWN_PREFIX, Withdrawn};
use super::outcome::{Outcome, RowOutcome};
use super::settled::Open;
pub(crate) use super::settled::{Earlier, Settled};
use crate::exit::CommandError;

/// The results format's version, in the header: 2 adds intent lines.
const VERSION: u32 = 2;

/// The first line of a results file.
#[derive(Debug, Serialize, Deserialize)]
struct Header {
    greenpin_bulk_results: u32,
    /// The input file, as an absolute path.
    input: PathBuf,
    /// The input's bytes, hashed, when the run started.
    fingerprint: String,
    /// Rows in the input when the run started.
    rows: u64,
}

fn usage(path: &Path, what: impl std::fmt::Display) -> CommandError {
    CommandError::Usage(format!("--results: {}: {what}", path.display()))
}

/// Whether two paths name one file (the second may not exist yet).
fn same_file(existing: &Path, other: &Path) -> bool {
    let canonical = |p: &Path| -> Option<PathBuf> {
        p.canonicalize().ok().or_else(|| {
            let parent = match p.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.canonicalize().ok()?,
                _ => std::env::current_dir().ok()?,
            };
            Some(parent.join(p.file_name()?))
        })
    };
    if canonical(existing).is_some_and(|a| Some(a) == canonical(other)) {
        return true;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(a), Ok(b)) = (std::fs::metadata(existing), std::fs::metadata(other)) {
            return a.dev() == b.dev() && a.ino() == b.ino();
        }
    }
    false
}

/// How to treat an existing results file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Refuse to replace one that holds results.
    Fresh,
    /// Continue it.
    Resume,
    /// Replace it.
    Overwrite,
}

/// Opens `path` for the run over `input`: refuses the input file itself, refuses to
/// replace results unless told, and on resume reads what the earlier runs settled.
pub(crate) fn open(
    path: &Path,
    input: &Path,
    survey: &Survey,
    mode: Mode,
) -> Result<(Journal, Settled), CommandError> {
    if same_file(input, path) {
        return Err(usage(
            path,
            "is the input file; name another file for the results",
        ));
    }
    let input_abs = input
        .canonicalize()
        .map_err(|e| CommandError::Usage(format!("cannot read {}: {e}", input.display())))?;
    let mut file = open_locked(path)?;
    let holds_results = file.metadata().map_err(|e| usage(path, e))?.len() > 0;
    let mut settled = Settled::default();
    let mut runs = 0;
    match (mode, holds_results) {
        (Mode::Fresh, true) => {
            return Err(usage(
                path,
                "already holds results; add --resume to continue that run, or --overwrite to start again",
            ));
        }
        (Mode::Resume, true) => {
            let keep = read_settled(path, &file, &input_abs, survey, &mut settled, &mut runs)?;
            // A last line cut short (the run was killed mid-write) is dropped, so appended
            // lines start on a line of their own.
            file.set_len(keep).map_err(|e| usage(path, e))?;
            file.seek(SeekFrom::End(0)).map_err(|e| usage(path, e))?;
        }
        (_, holds) => {
            if holds && !starts_with_header(&file) {
                return Err(usage(
                    path,
                    "is not a results file of greenpin bulk-update; --overwrite replaces only results files: name another file",
                ));
            }
            file.set_len(0).map_err(|e| usage(path, e))?;
            file.seek(SeekFrom::Start(0)).map_err(|e| usage(path, e))?;
            let header = Header {
                greenpin_bulk_results: VERSION,
                input: input_abs,
                fingerprint: survey.fingerprint.clone(),
                rows: survey.rows,
            };
            let mut line = serde_json::to_vec(&header).map_err(|e| usage(path, e))?;
            line.push(b'\n');
            // A write that fails here is a local failure (a full disk, a size limit), like
            // one later in the run: nothing has been sent.
            file.write_all(&line).map_err(|e| {
                CommandError::Local(format!("--results: cannot write {}: {e}", path.display()))
            })?;
        }
    }
    let run = runs
        .checked_add(1)
        .ok_or_else(|| usage(path, "records too many runs to add another"))?;
    let journal = Journal::new(file, path, run).map_err(|e| usage(path, e))?;
    Ok((journal, settled))
}

/// Opens (or creates) the results file for reading and writing, without following a
/// symbolic link and without truncating it, and takes an exclusive lock on it for the run
/// (released when the process ends, however it ends).
fn open_locked(path: &Path) -> Result<File, CommandError> {
    let named = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            return Err(usage(
                path,
                "is a symbolic link; name the results file itself",
            ));
        }
        Ok(m) if m.is_dir() => {
            return Err(usage(path, "is a directory; name a file for the results"));
        }
        Ok(m) if !m.is_file() => {
            return Err(usage(
                path,
                "is not a regular file; name a file for the results",
            ));
        }
        Ok(m) => Some(m),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(usage(path, e)),
    };
    let file = match named {
        // `create_new` fails on any existing path, a link included: nothing is created
        // through a link that appeared meanwhile.
        None => {
            let mut options = OpenOptions::new();
            options.read(true).write(true).create_new(true);
            // Row messages can carry numbers and PINs: the file is the user's alone.
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            options.open(path)
        }
        Some(_) => OpenOptions::new().read(true).write(true).open(path),
    }
    .map_err(|e| usage(path, e))?;
    // The file opened is the one the path names now (not a link swapped in meanwhile).
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let opened = file.metadata().map_err(|e| usage(path, e))?;
        let now = std::fs::symlink_metadata(path).map_err(|e| usage(path, e))?;
        if now.file_type().is_symlink() || (opened.dev(), opened.ino()) != (now.dev(), now.ino()) {
            return Err(usage(path, "changed while it was opened; run again"));
        }
        // Another name for the same file (a hard link) would be written through too.
        if opened.nlink() > 1 {
            return Err(usage(
                path,
                "has other names (hard links); name a file of its own for the results",
            ));
        }
    }
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(usage(
            path,
            "is in use by another greenpin bulk-update run; wait for it to finish, or name another results file",
        )),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(usage(path, format_args!("cannot lock it: {e}")))
        }
    }
}

/// Whether the file's first line is a results header, or the start of one cut short (a
/// run stopped by a full disk or a size limit while writing it: `--overwrite` may replace
/// that too).
fn starts_with_header(file: &File) -> bool {
    let mut first = Vec::new();
    let mut reader = BufReader::new(file).take(64 * 1024);
    if reader.read_until(b'\n', &mut first).is_err() {
        return false;
    }
    let cut_short = first.last() != Some(&b'\n')
        && b"{\"greenpin_bulk_results\":".starts_with(&first[..first.len().min(25)])
        && first.len() < 4096;
    cut_short || serde_json::from_slice::<Header>(&first).is_ok()
}

/// Reads the earlier runs' results into `settled`; returns the length of its complete lines.
fn read_settled(
    path: &Path,
    file: &File,
    input: &Path,
    survey: &Survey,
    settled: &mut Settled,
    runs: &mut u32,
) -> Result<u64, CommandError> {
    let mut reader = BufReader::new(file);
    let mut buf = Vec::new();
    let mut kept = 0u64;
    let mut line_no = 0u64;
    let mut open = Open::default();
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| usage(path, e))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        if buf.last() != Some(&b'\n') {
            // Cut short by a crash: not a result, and dropped.
            break;
        }
        if line_no == 1 {
            check_header(path, &buf, input, survey)?;
        } else {
            read_line(path, &buf, line_no, settled, &mut open, runs)?;
        }
        kept += n as u64;
    }
    open.into_unknown(settled);
    if line_no == 0 || kept == 0 {
        return Err(usage(
            path,
            "has no header line; name another file, or use --overwrite",
        ));
    }
    Ok(kept)
}

/// Refuses a first line that is not the header of a results file for this input.
fn check_header(
    path: &Path,
    line: &[u8],
    input: &Path,
    survey: &Survey,
) -> Result<(), CommandError> {
    let header: Header = serde_json::from_slice(line).map_err(|_| {
        usage(path, "is not a results file of greenpin bulk-update (line 1 is not its header); name another file")
    })?;
    if !(1..=VERSION).contains(&header.greenpin_bulk_results) {
        return Err(usage(
            path,
            format_args!(
                "results format {} is not known to this version",
                header.greenpin_bulk_results
            ),
        ));
    }
    // The same input is the same file, or the same bytes moved elsewhere. An edited file at
    // the same path is the same input: its changed rows have new keys.
    if header.input != input && header.fingerprint != survey.fingerprint {
        return Err(usage(
            path,
            format_args!(
                "was written for another input ({}); resume with that file, or name another results file",
                header.input.display()
            ),
        ));
    }
    Ok(())
}

/// Reads one line after the header: an intent, a withdrawal, or a row's outcome.
fn read_line(
    path: &Path,
    buf: &[u8],
    line_no: u64,
    settled: &mut Settled,
    open: &mut Open,
    runs: &mut u32,
) -> Result<(), CommandError> {
    if buf.starts_with(INTENT_PREFIX) {
        let intent: Intent = serde_json::from_slice(buf).map_err(|e| damaged(path, line_no, &e))?;
        *runs = (*runs).max(intent.run);
        for (line, key, id) in &intent.sent {
            open.sent(row_key(path, line_no, key)?, intent.run, *line, id);
        }
    } else if buf.starts_with(WITHDRAWN_PREFIX) {
        let back: Withdrawn =
            serde_json::from_slice(buf).map_err(|e| damaged(path, line_no, &e))?;
        for (_, key, _) in &back.withdrawn {
            open.settled(row_key(path, line_no, key)?, back.run);
        }
    } else if !buf.iter().all(u8::is_ascii_whitespace) {
        let o: RowOutcome = serde_json::from_slice(buf).map_err(|e| damaged(path, line_no, &e))?;
        let key = row_key(path, line_no, &o.key)?;
        *runs = (*runs).max(o.run);
        open.settled(key, o.run);
        let earlier = match o.outcome {
            Outcome::Applied => Some(Earlier::Applied),
            Outcome::Unknown => Some(Earlier::Unknown),
            Outcome::Invalid | Outcome::Failed => None,
        };
        if let Some(earlier) = earlier {
            let id = super::settled::id_hash(o.greenpin_id.as_deref());
            settled.record(key, id, o.line, o.run, earlier);
        }
    }
    Ok(())
}

fn damaged(path: &Path, line_no: u64, e: &serde_json::Error) -> CommandError {
    usage(
        path,
        format_args!(
            "line {line_no} is not a result ({e}); the file is damaged: move it aside, or use --overwrite to start again"
        ),
    )
}

fn row_key(path: &Path, line_no: u64, key: &str) -> Result<RowKey, CommandError> {
    key.parse::<RowKey>().map_err(|_| {
        usage(
            path,
            format_args!("line {line_no}: key {key:?} is not a row key"),
        )
    })
}

#[cfg(test)]
mod tests;
