//! The `--results` file: a header naming the input it belongs to, then one NDJSON line per
//! row as soon as the row's outcome is known.
//!
//! ```text
//! {"greenpin_bulk_results":1,"input":"/data/rows.csv","fingerprint":"fnv1a64:…","rows":3}
//! {"line":2,"key":"4f0c…","greenpin_id":"…","outcome":"applied","status":200}
//! ```
//!
//! `--resume` reads it back: rows recorded `applied` are skipped by their content key (an
//! edited row has a new key and is sent), a file written for another input is refused, a
//! damaged line is refused naming it, and a last line cut short by a crash is dropped.
//!
//! The file is never reached through a symbolic link (a link, even a dangling one, is
//! refused, and the file opened is checked to be the one the path names), `--overwrite`
//! replaces only a results file, and the run holds an exclusive lock on it: a second run on
//! the same file is refused while the first runs.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::input::{RowKey, Survey};
use super::outcome::{Outcome, RowOutcome};
use crate::exit::CommandError;

/// The results format's version, in the header.
const VERSION: u32 = 1;

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

/// Rows earlier runs applied, by content key, with how many times each (a file may hold
/// the same row twice).
///
/// Only an allocation's *latest* applied rows count: a row applied in run 1 (pin 4441),
/// changed and applied in run 2 (4442), then changed back, is sent again in run 3 — its
/// key is that of run 1, which run 2 superseded. Allocations are told apart by a 32-bit
/// hash of their id: a collision can only make a row be sent again, never skipped.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    keys: HashMap<RowKey, (u32, u32, u32)>,
    latest: HashMap<u32, u32>,
}

fn id_hash(id: Option<&str>) -> u32 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(id) as u32
}

impl Applied {
    fn record(&mut self, key: RowKey, id: Option<&str>, run: u32) {
        let id = id_hash(id);
        let latest = self.latest.entry(id).or_insert(run);
        *latest = (*latest).max(run);
        let entry = self.keys.entry(key).or_insert((0, run, id));
        if entry.1 == run {
            entry.0 += 1;
        } else if run > entry.1 {
            *entry = (1, run, id);
        }
    }

    /// Whether a row with this key was applied by an earlier run and not superseded; each
    /// recorded row answers yes once.
    pub(crate) fn take(&mut self, key: RowKey) -> bool {
        match self.keys.get_mut(&key) {
            Some((n, run, id)) if *n > 0 && self.latest.get(id) == Some(run) => {
                *n -= 1;
                true
            }
            _ => false,
        }
    }
}

/// The open results file.
pub(crate) struct Results {
    out: BufWriter<File>,
    path: PathBuf,
    run: u32,
}

impl Results {
    /// Appends outcomes and flushes them, so what is on disk is what was learnt.
    pub(crate) fn write(&mut self, outcomes: &mut [RowOutcome]) -> Result<(), CommandError> {
        let fail = |e: std::io::Error| {
            CommandError::Usage(format!(
                "--results: cannot write {}: {e}",
                self.path.display()
            ))
        };
        for o in outcomes {
            o.run = self.run;
            serde_json::to_writer(&mut self.out, &*o)
                .map_err(|e| fail(std::io::Error::other(e)))?;
            self.out.write_all(b"\n").map_err(fail)?;
        }
        self.out.flush().map_err(fail)
    }
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
/// replace results unless told, and on resume reads what the earlier run applied.
pub(crate) fn open(
    path: &Path,
    input: &Path,
    survey: &Survey,
    mode: Mode,
) -> Result<(Results, Applied), CommandError> {
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
    let mut applied = Applied::default();
    let mut runs = 0;
    match (mode, holds_results) {
        (Mode::Fresh, true) => {
            return Err(usage(
                path,
                "already holds results; add --resume to continue that run, or --overwrite to start again",
            ));
        }
        (Mode::Resume, true) => {
            let keep = read_applied(path, &file, &input_abs, survey, &mut applied, &mut runs)?;
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
            file.write_all(&line).map_err(|e| usage(path, e))?;
        }
    }
    Ok((
        Results {
            out: BufWriter::new(file),
            path: path.to_owned(),
            run: runs
                .checked_add(1)
                .ok_or_else(|| usage(path, "records too many runs to add another"))?,
        },
        applied,
    ))
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

/// Whether the file's first line is a results header.
fn starts_with_header(file: &File) -> bool {
    let mut first = Vec::new();
    let mut reader = BufReader::new(file).take(64 * 1024);
    if reader.read_until(b'\n', &mut first).is_err() {
        return false;
    }
    serde_json::from_slice::<Header>(&first).is_ok()
}

/// Reads an earlier run's results; returns the length of its complete lines.
fn read_applied(
    path: &Path,
    file: &File,
    input: &Path,
    survey: &Survey,
    applied: &mut Applied,
    runs: &mut u32,
) -> Result<u64, CommandError> {
    let mut reader = BufReader::new(file);
    let mut buf = Vec::new();
    let mut kept = 0u64;
    let mut line_no = 0u64;
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
            let header: Header = serde_json::from_slice(&buf).map_err(|_| {
                usage(path, "is not a results file of greenpin bulk-update (line 1 is not its header); name another file")
            })?;
            if header.greenpin_bulk_results != VERSION {
                return Err(usage(
                    path,
                    format_args!(
                        "results format {} is not known to this version",
                        header.greenpin_bulk_results
                    ),
                ));
            }
            // The same input is the same file, or the same bytes moved elsewhere. An edited
            // file at the same path is the same input: its changed rows have new keys.
            if header.input != input && header.fingerprint != survey.fingerprint {
                return Err(usage(
                    path,
                    format_args!(
                        "was written for another input ({}); resume with that file, or name another results file",
                        header.input.display()
                    ),
                ));
            }
        } else if !buf.iter().all(u8::is_ascii_whitespace) {
            let o: RowOutcome = serde_json::from_slice(&buf).map_err(|e| {
                usage(path, format_args!("line {line_no} is not a result ({e}); the file is damaged: move it aside, or use --overwrite to start again"))
            })?;
            let key = o.key.parse::<RowKey>().map_err(|_| {
                usage(
                    path,
                    format_args!("line {line_no}: key {:?} is not a row key", o.key),
                )
            })?;
            *runs = (*runs).max(o.run);
            if o.outcome == Outcome::Applied {
                applied.record(key, o.greenpin_id.as_deref(), o.run);
            }
        }
        kept += n as u64;
    }
    if line_no == 0 || kept == 0 {
        return Err(usage(
            path,
            "has no header line; name another file, or use --overwrite",
        ));
    }
    Ok(kept)
}
