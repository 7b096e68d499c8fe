//! The end of a run: the counts, printed (or as JSON), and the exit code they mean.

use serde::Serialize;

use super::outcome::Outcome;
use crate::exit::Exit;

/// Most unknown rows of earlier runs a summary lists (by line and id); the count covers
/// them all.
pub(super) const LISTED: usize = 10_000;

/// A row an earlier run may have applied, not sent again: where it is, so that it can be
/// checked (`greenpin get ID`).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct UnknownRow {
    /// The line of the input the row starts on.
    pub(crate) line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) greenpin_id: Option<String>,
    /// It asks for a new PIN: `--retry-unknown` alone holds it back.
    pub(crate) new_pin: bool,
}

/// What a run came to.
#[derive(Default, Serialize)]
pub(super) struct Summary {
    pub(super) rows: u64,
    pub(super) applied: u64,
    pub(super) invalid: u64,
    pub(super) failed: u64,
    /// Rows the service's answer did not account for: not known to be applied.
    pub(super) unknown: u64,
    /// Rows an earlier run applied: not sent again.
    pub(super) already_done: u64,
    /// Rows an earlier run may have applied (recorded unknown, or sent with no outcome):
    /// not sent again without `--retry-unknown`.
    pub(super) unknown_earlier: u64,
    /// Those rows, the first [`LISTED`], by line and id.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) unknown_earlier_rows: Vec<UnknownRow>,
    /// Of the rows sent, those an earlier run applied, sent again after an earlier row of
    /// their allocation so that the file's order holds.
    pub(super) resent_for_order: u64,
    /// Rows not sent because the run was interrupted.
    pub(super) not_sent: u64,
    /// Answers that asked the run to slow down (429, 503, ...).
    pub(super) slowed_down: u64,
    /// Lowest concurrency the run went down to.
    pub(super) lowest_concurrency: usize,
    pub(super) interrupted: bool,
}

impl Summary {
    pub(super) fn count(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Applied => self.applied += 1,
            Outcome::Invalid => self.invalid += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Unknown => self.unknown += 1,
        }
    }

    /// Rows given no outcome: the run stopped before sending them.
    pub(super) fn settle(&mut self) {
        self.not_sent = self.rows.saturating_sub(
            self.applied
                + self.invalid
                + self.failed
                + self.unknown
                + self.already_done
                + self.unknown_earlier,
        );
    }

    /// Prints the counts: a line for people, or one JSON object (with the local failure
    /// that stopped the run, when one did, as its `error`).
    pub(super) fn print(&self, json: bool, failure: Option<&str>) {
        if json {
            let mut v = serde_json::to_value(self).unwrap_or_default();
            if let Some(why) = failure {
                v["error"] = serde_json::json!({"kind": "local", "message": why});
            }
            crate::output::print_json(&v);
            return;
        }
        crate::output::out!(
            "{} rows: {} applied, {} invalid, {} failed, {} unknown, {} already done{}{}",
            self.rows,
            self.applied,
            self.invalid,
            self.failed,
            self.unknown,
            self.already_done,
            if self.unknown_earlier > 0 {
                format!(
                    ", {} unknown from an earlier run (not sent again: --retry-unknown sends them, with --also-new-pins those asking for a new PIN)",
                    self.unknown_earlier
                )
            } else {
                String::new()
            },
            if self.not_sent > 0 {
                format!(", {} not sent", self.not_sent)
            } else {
                String::new()
            }
        );
        self.print_unknown_earlier();
        if self.resent_for_order > 0 {
            crate::output::out!(
                "{} applied rows were sent again after an earlier row of their allocation, so that the later row wins",
                self.resent_for_order
            );
        }
        if self.slowed_down > 0 {
            crate::output::out!(
                "the service asked to slow down or could not be reached {} times; concurrency went down to {}",
                self.slowed_down,
                self.lowest_concurrency
            );
        }
    }

    /// Which rows an earlier run may have applied, so they can be checked before a
    /// `--retry-unknown`; the first ten here, all (up to [`LISTED`]) in `--json`.
    fn print_unknown_earlier(&self) {
        const SHOWN: usize = 10;
        if self.unknown_earlier_rows.is_empty() {
            return;
        }
        let shown: Vec<String> = self
            .unknown_earlier_rows
            .iter()
            .take(SHOWN)
            .map(|r| match &r.greenpin_id {
                Some(id) => format!("{} ({})", r.line, crate::output::printable(id)),
                None => r.line.to_string(),
            })
            .collect();
        let more = self.unknown_earlier.saturating_sub(shown.len() as u64);
        crate::output::out!(
            "unknown from an earlier run, by line: {}{}; check them with `greenpin get ID`",
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more (--json lists them)")
            } else {
                String::new()
            }
        );
        let new_pins = self
            .unknown_earlier_rows
            .iter()
            .filter(|r| r.new_pin)
            .count();
        if new_pins > 0 {
            crate::output::out!(
                "{new_pins} of them ask for a new PIN: --retry-unknown holds those back (a second would change the PIN again); --also-new-pins sends them too"
            );
        }
    }

    /// The exit code: 130 interrupted, else the worst failure (3 when rows an earlier run
    /// may have applied were left unknown), else 2 when rows were invalid, else 0.
    pub(super) fn exit(&self, worst: Exit) -> Exit {
        let worst = if self.unknown_earlier > 0 {
            worst.max(Exit::Api)
        } else {
            worst
        };
        if self.interrupted {
            Exit::Interrupted
        } else if worst > Exit::Success {
            worst
        } else if self.invalid > 0 {
            Exit::Usage
        } else {
            Exit::Success
        }
    }
}
