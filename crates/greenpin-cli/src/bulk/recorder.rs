//! The recorder: the one thread that writes the results file and the terminal. It counts
//! each row's outcome as it arrives, writes it to `--results` (flushed, so what is on disk
//! is what was learnt), reports every row that did not apply and every slowdown, and stops
//! the run when nothing more can be recorded or succeed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use super::Msg;
use super::journal::Journal;
use super::outcome::Outcome;
use super::pace::Pace;
use super::summary::Summary;
use crate::exit::{CommandError, Exit};

/// How a run ended, as the recorder saw it.
pub(super) struct Record {
    pub(super) summary: Summary,
    /// The worst exit a row's outcome means.
    pub(super) worst: Exit,
    /// The input broke, or the results could not be written (by the recorder, or a
    /// worker's intent).
    pub(super) fatal: Option<CommandError>,
    /// Credentials were refused: the run stopped on purpose, not by a signal.
    pub(super) halted: bool,
    /// What the results file could not take once writing it failed.
    pub(super) unrecorded: Unrecorded,
}

/// Outcomes learnt after the results file failed, and declared rows that were not sent:
/// a resume reads all of them as unknown, so the user is told which are which.
#[derive(Default)]
pub(super) struct Unrecorded {
    /// Lines of rows the service applied.
    applied: Vec<u64>,
    /// Lines of rows with another outcome (failed, unknown, invalid).
    other: Vec<u64>,
    /// Lines of rows declared and not sent.
    not_sent: Vec<u64>,
}

impl Unrecorded {
    /// Every line, consecutive ones as ranges (`12-40, 55`): these lines are recorded
    /// nowhere else, so none is left out.
    fn lines(lines: &[u64]) -> String {
        let mut sorted = lines.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let mut ranges: Vec<(u64, u64)> = Vec::new();
        for line in sorted {
            match ranges.last_mut() {
                Some((_, end)) if *end + 1 == line => *end = line,
                _ => ranges.push((line, line)),
            }
        }
        ranges
            .iter()
            .map(|&(start, end)| {
                if start == end {
                    start.to_string()
                } else {
                    format!("{start}-{end}")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Tells the user, on stderr, which rows a resume will call unknown and what they are.
    pub(super) fn say(&self) {
        if !self.applied.is_empty() {
            crate::output::say!(
                "greenpin: {} rows were applied but their outcome is not in the results file (a resume reports them unknown and does not send them; do not send them again): lines {}",
                self.applied.len(),
                Self::lines(&self.applied)
            );
        }
        if !self.other.is_empty() {
            crate::output::say!(
                "greenpin: {} rows were sent and not applied, or may have been, and their outcome is not in the results file (a resume reports them unknown): lines {}",
                self.other.len(),
                Self::lines(&self.other)
            );
        }
        if !self.not_sent.is_empty() {
            crate::output::say!(
                "greenpin: {} rows were declared about to be sent but were not sent, and the results file could not record that: a resume reports them unknown too. To send them, and only them, do it before any --resume: put these lines in a file of their own and run bulk-update on it (a resume sends the later rows of their allocations, which must come after them; --retry-unknown would also send the rows above): lines {}",
                self.not_sent.len(),
                Self::lines(&self.not_sent)
            );
        }
    }
}

/// Where lines for the user go: above the progress bar when there is one. Everything said
/// goes through the one escaping function: rows' messages come from the service or the file.
struct Say<'a>(Option<&'a indicatif::ProgressBar>);

impl Say<'_> {
    fn line(&self, line: &str) {
        let line = crate::output::printable(line);
        match self.0 {
            Some(bar) => bar.println(line),
            None => crate::output::say!("{line}"),
        }
    }
}

/// Where the recorder sends what it learns: the results file, the terminal (above the
/// progress bar), the run's pace and stop flag.
struct To<'a> {
    results: Option<&'a Journal>,
    progress: Option<&'a indicatif::ProgressBar>,
    say: Say<'a>,
    pace: &'a Pace,
    stop: &'a AtomicBool,
}

/// Records every message until the workers and the reader are done.
pub(super) fn record(
    messages: Receiver<Msg>,
    results: Option<&Journal>,
    progress: Option<&indicatif::ProgressBar>,
    pace: &Pace,
    stop: &AtomicBool,
    summary: Summary,
) -> Record {
    let to = To {
        results,
        progress,
        say: Say(progress),
        pace,
        stop,
    };
    let mut r = Record {
        summary,
        worst: Exit::Success,
        fatal: None,
        halted: false,
        unrecorded: Unrecorded::default(),
    };
    for msg in messages {
        match msg {
            Msg::Outcomes(outcomes) => r.outcomes(outcomes, &to),
            Msg::Earlier {
                applied,
                unknown,
                resent,
                unknown_rows,
            } => {
                r.summary.already_done += applied;
                r.summary.unknown_earlier += unknown;
                r.summary.unknown_earlier_rows = unknown_rows;
                r.summary.resent_for_order += resent;
                if let Some(bar) = to.progress {
                    bar.inc(applied + unknown);
                }
            }
            Msg::Slowdown { why, wait, change } => {
                let change = change
                    .map(|c| format!("; concurrency {} → {}", c.from, c.to))
                    .unwrap_or_default();
                let wait = Duration::from_millis(wait.as_millis() as u64);
                to.say.line(&format!(
                    "{why}: waiting {}{change}",
                    humantime::format_duration(wait)
                ));
                if let Some(bar) = to.progress {
                    bar.set_message(format!("concurrency {}", to.pace.limit()));
                }
            }
            Msg::Halt(why) => {
                if !r.halted {
                    to.say.line(&format!("greenpin: {why}"));
                }
                r.halted = true;
                to.stop.store(true, Ordering::Relaxed);
            }
            Msg::Unwithdrawn(lines) => r.unrecorded.not_sent.extend(lines),
            Msg::Fatal(failure) => {
                to.stop.store(true, Ordering::Relaxed);
                r.fatal.get_or_insert(failure);
            }
        }
    }
    r
}

impl Record {
    /// Counts rows' outcomes, says those that did not apply, and writes them to the results
    /// file; once that fails, stops the run and keeps what could not be recorded.
    fn outcomes(&mut self, mut outcomes: Vec<super::outcome::RowOutcome>, to: &To<'_>) {
        for o in &outcomes {
            self.summary.count(o.outcome);
            self.worst = self.worst.max(o.exit.unwrap_or(Exit::Success));
            if o.outcome != Outcome::Applied {
                to.say.line(&format!(
                    "line {}: {}: {}",
                    o.line,
                    o.outcome.as_str(),
                    o.message.as_deref().unwrap_or("")
                ));
            }
        }
        if let Some(bar) = to.progress {
            bar.inc(outcomes.len() as u64);
        }
        if let Some(journal) = to.results
            && let Err(e) = journal.outcomes(&mut outcomes)
        {
            // Nothing more may be sent that could not be recorded.
            to.stop.store(true, Ordering::Relaxed);
            self.fatal.get_or_insert(e);
            for o in &outcomes {
                match o.outcome {
                    Outcome::Applied => self.unrecorded.applied.push(o.line),
                    _ => self.unrecorded.other.push(o.line),
                }
            }
        }
    }
}
