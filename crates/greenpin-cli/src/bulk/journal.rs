//! The results file while a run writes it: before a batch leaves, an *intent* line naming
//! its rows, made durable (written, flushed and synced to the disk) before a byte is sent;
//! then each row's outcome as soon as it is known.
//!
//! ```text
//! {"sent":[[2,"4f0c…","d7ffd4b3-…"],[3,"9a1e…","0b1d2a3b-…"]],"run":1}
//! {"line":2,"key":"4f0c…","greenpin_id":"d7ffd4b3-…","outcome":"applied","status":200,"run":1}
//! ```
//!
//! An intent names each row as `[line, key, greenpin_id]`: short, and written without a
//! value per row to build (it is on the path of every batch). A worker may declare its next
//! batches with the one it sends (one sync for all); if the run stops before they are sent,
//! a `{"withdrawn":[…],"run":N}` line takes them back.
//!
//! Whatever stops the run — a kill, a power loss, a write that fails — every row that may
//! have reached the service is marked: a resume finds its intent, and without an outcome
//! reads it as `unknown`, which is not sent again unless asked (`--retry-unknown`). If the
//! intent itself cannot be written, its batch is not sent.
//!
//! Syncing costs a disk round trip (about 0.2 ms here), so workers share them: one that
//! finds a sync in progress waits for the next, which covers its line too (group commit).
//! Outcomes are not synced: one lost to a power cut leaves its row `unknown`, never lost.
//!
//! After one failed write nothing more is written: the file ends with whole lines, and at
//! most the last one cut short (which a resume drops).

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard};

use serde::Deserialize;

use super::input::RowKey;
use super::outcome::RowOutcome;
use crate::exit::CommandError;

/// An intent line as a resume reads it: each row's line, content key and allocation id.
/// `sent` comes first, so the line starts `{"sent":`, which tells it from an outcome
/// without parsing it twice.
#[derive(Deserialize)]
pub(crate) struct Intent<'a> {
    #[serde(borrow)]
    pub(crate) sent: Vec<(u64, Cow<'a, str>, Cow<'a, str>)>,
    pub(crate) run: u32,
}

/// A withdrawal line as a resume reads it: rows an intent named that were not sent after
/// all (the run stopped first).
#[derive(Deserialize)]
pub(crate) struct Withdrawn<'a> {
    #[serde(borrow)]
    pub(crate) withdrawn: Vec<(u64, Cow<'a, str>, Cow<'a, str>)>,
    pub(crate) run: u32,
}

/// How a withdrawal line begins.
pub(crate) const WITHDRAWN_PREFIX: &[u8] = b"{\"withdrawn\":";

/// An intent line for `rows` (line, key, id) of run `run`, newline included.
pub(crate) fn intent_line<'r>(
    rows: impl IntoIterator<Item = (u64, RowKey, &'r str)>,
    run: u32,
) -> Vec<u8> {
    rows_line(INTENT_PREFIX, rows, run)
}

/// A line naming `rows` after `prefix`: `{"sent":[[2,"4f0c…","…"],…],"run":1}`.
fn rows_line<'r>(
    prefix: &[u8],
    rows: impl IntoIterator<Item = (u64, RowKey, &'r str)>,
    run: u32,
) -> Vec<u8> {
    let mut line = Vec::with_capacity(4096);
    line.extend_from_slice(prefix);
    line.push(b'[');
    for (i, (number, key, id)) in rows.into_iter().enumerate() {
        if i > 0 {
            line.push(b',');
        }
        // Writing to a Vec cannot fail.
        let _ = write!(line, "[{number},\"{key}\",");
        let _ = serde_json::to_writer(&mut line, id);
        line.push(b']');
    }
    let _ = writeln!(line, "],\"run\":{run}}}");
    line
}

/// How an intent line begins.
pub(crate) const INTENT_PREFIX: &[u8] = b"{\"sent\":";

/// The results file of a run in progress, shared by the workers (intents) and the recorder
/// (outcomes).
pub(crate) struct Journal {
    state: Mutex<State>,
    synced: Condvar,
    /// The same open file, to sync without holding the lock.
    sync: File,
    path: PathBuf,
    run: u32,
}

struct State {
    /// `None` once a write failed: what it still buffered is dropped, never written later
    /// (a late write could complete an intent whose batch was not sent).
    out: Option<BufWriter<File>>,
    /// Intent lines written and flushed so far.
    written: u64,
    /// Intent lines known to be on the disk.
    synced: u64,
    /// A worker is syncing (the lock released meanwhile).
    syncing: bool,
    /// Why the file can no longer be written.
    broken: Option<String>,
}

impl Journal {
    /// A journal writing `file` (positioned where lines are to be appended) for run `run`.
    pub(crate) fn new(file: File, path: &Path, run: u32) -> std::io::Result<Journal> {
        Ok(Journal {
            sync: file.try_clone()?,
            state: Mutex::new(State {
                out: Some(BufWriter::with_capacity(64 * 1024, file)),
                written: 0,
                synced: 0,
                syncing: false,
                broken: None,
            }),
            synced: Condvar::new(),
            path: path.to_owned(),
            run,
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn failure(&self, why: &str) -> CommandError {
        CommandError::Local(format!(
            "--results: cannot write {}: {why}",
            self.path.display()
        ))
    }

    /// Records that `rows` (line, key, id) are about to be sent, and returns once the line
    /// is on the disk. `Err` (the batch must not be sent) when it cannot be written or
    /// synced.
    pub(crate) fn intent<'r>(
        &self,
        rows: impl IntoIterator<Item = (u64, RowKey, &'r str)>,
    ) -> Result<(), CommandError> {
        let line = intent_line(rows, self.run);
        let mut state = self.lock();
        let written = match state.out.as_mut() {
            Some(out) => out.write_all(&line).and_then(|()| out.flush()),
            None => return Err(self.failure(state.broken.as_deref().unwrap_or("broken"))),
        };
        if let Err(e) = written {
            return Err(self.break_with(&mut state, &e));
        }
        state.written += 1;
        let mine = state.written;
        // The line is written whole; once synced, this batch may go, whatever failed since
        // for other lines (a later failure stops writes, not the sync of what is written).
        loop {
            if state.synced >= mine {
                return Ok(());
            }
            if state.syncing {
                state = self.synced.wait(state).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            // This worker syncs for every line written so far.
            state.syncing = true;
            let covered = state.written;
            drop(state);
            let synced = self.sync.sync_data();
            state = self.lock();
            state.syncing = false;
            match synced {
                Ok(()) => state.synced = state.synced.max(covered),
                Err(e) => {
                    let failure = self.break_with(&mut state, &e);
                    self.synced.notify_all();
                    return Err(failure);
                }
            }
            self.synced.notify_all();
        }
    }

    /// Records that `rows`, named by an intent, were not sent after all. Flushed, not
    /// synced: if it is lost, the rows read as unknown, which they may not be, but never
    /// as not sent when they were.
    pub(crate) fn withdraw<'r>(
        &self,
        rows: impl IntoIterator<Item = (u64, RowKey, &'r str)>,
    ) -> Result<(), CommandError> {
        let line = rows_line(WITHDRAWN_PREFIX, rows, self.run);
        let mut state = self.lock();
        let written = match state.out.as_mut() {
            Some(out) => out.write_all(&line).and_then(|()| out.flush()),
            None => return Err(self.failure(state.broken.as_deref().unwrap_or("broken"))),
        };
        written.map_err(|e| self.break_with(&mut state, &e))
    }

    /// Appends outcomes and flushes them, so what is on disk is what was learnt.
    pub(crate) fn outcomes(&self, outcomes: &mut [RowOutcome]) -> Result<(), CommandError> {
        let mut state = self.lock();
        let Some(out) = state.out.as_mut() else {
            return Err(self.failure(state.broken.as_deref().unwrap_or("broken")));
        };
        let mut write = |out: &mut BufWriter<File>| -> std::io::Result<()> {
            for o in outcomes.iter_mut() {
                o.run = self.run;
                serde_json::to_writer(&mut *out, &*o).map_err(std::io::Error::other)?;
                out.write_all(b"\n")?;
            }
            out.flush()
        };
        match write(out) {
            Ok(()) => Ok(()),
            Err(e) => Err(self.break_with(&mut state, &e)),
        }
    }

    /// Marks the file unwritable from now on: after a failed write its last line may be cut
    /// short, and nothing may follow it.
    fn break_with(&self, state: &mut State, e: &std::io::Error) -> CommandError {
        let why = e.to_string();
        state.broken = Some(why.clone());
        if let Some(out) = state.out.take() {
            // The file without what the writer still held.
            drop(out.into_parts());
        }
        self.failure(&why)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bulk::outcome::{Outcome, RowOutcome};

    #[test]
    fn an_intent_line_reads_back_as_its_rows() {
        let line = intent_line([(2, RowKey(0xab), "g-1"), (7, RowKey(1), "g.2_x")], 4);
        assert!(line.starts_with(INTENT_PREFIX) && line.ends_with(b"\n"));
        assert_eq!(
            std::str::from_utf8(&line).unwrap(),
            "{\"sent\":[[2,\"00000000000000ab\",\"g-1\"],[7,\"0000000000000001\",\"g.2_x\"]],\"run\":4}\n"
        );
        let intent: Intent = serde_json::from_slice(&line).unwrap();
        assert_eq!(intent.run, 4);
        assert_eq!(intent.sent.len(), 2);
        assert_eq!(
            (intent.sent[1].0, &*intent.sent[1].1, &*intent.sent[1].2),
            (7, "0000000000000001", "g.2_x")
        );
    }

    fn sending(line: u64) -> [(u64, RowKey, &'static str); 1] {
        [(line, RowKey(line), "g-1")]
    }

    fn temp(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("greenpin-journal-{}-{name}", std::process::id()))
    }

    #[test]
    fn intents_from_many_workers_are_each_on_disk_before_their_call_returns() {
        let path = temp("many");
        let file = File::create(&path).unwrap();
        let journal = Journal::new(file, &path, 3).unwrap();
        std::thread::scope(|s| {
            for w in 0..4u64 {
                let journal = &journal;
                s.spawn(move || {
                    for i in 0..50 {
                        journal.intent(sending(w * 1000 + i)).unwrap();
                    }
                });
            }
        });
        let mut o = vec![RowOutcome::new(
            7,
            RowKey(7),
            Some("g-7".into()),
            Outcome::Applied,
        )];
        journal.outcomes(&mut o).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 201);
        assert!(
            lines[..200]
                .iter()
                .all(|l| l.as_bytes().starts_with(INTENT_PREFIX))
        );
        let intent: Intent = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(intent.run, 3);
        assert_eq!(intent.sent[0].2, "g-1");
        assert!(lines[200].contains("\"outcome\":\"applied\"") && lines[200].contains("\"run\":3"));
        // Fewer syncs than intents when workers overlap is the point, but never required:
        // what is required is that every line is whole.
        let state = journal.lock();
        assert_eq!((state.written, state.synced), (200, 200));
        drop(state);
        let _ = std::fs::remove_file(&path);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn an_intent_that_cannot_be_written_refuses_and_so_does_everything_after() {
        // /dev/full: every write fails with "No space left on device".
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let journal = Journal::new(file, Path::new("/dev/full"), 1).unwrap();
        let refused = journal.intent(sending(2)).unwrap_err();
        let CommandError::Local(why) = refused else {
            panic!("not a local failure")
        };
        assert!(
            why.starts_with("--results: cannot write /dev/full:"),
            "{why}"
        );
        assert!(journal.intent(sending(3)).is_err());
        let mut o = vec![RowOutcome::new(2, RowKey(2), None, Outcome::Failed)];
        assert!(journal.outcomes(&mut o).is_err());
    }
}
