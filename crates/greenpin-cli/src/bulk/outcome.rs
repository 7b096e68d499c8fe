//! What became of a row: the four outcomes, and the line a results file holds for one.

use serde::{Deserialize, Serialize};

use crate::exit::Exit;

use super::input::RowKey;

/// What became of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Outcome {
    /// The service applied it.
    Applied,
    /// Refused before sending (the reason says why).
    Invalid,
    /// The service or the network refused it.
    Failed,
    /// It may or may not have been applied (the answer did not account for it, or the
    /// request may have reached the service): a resume sends it again.
    Unknown,
}

impl Outcome {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Invalid => "invalid",
            Outcome::Failed => "failed",
            Outcome::Unknown => "unknown",
        }
    }
}

/// A message as a row's outcome keeps it: a row's bad value, or a hostile service's answer,
/// can be megabytes long, and the terminal and the results file need only enough to find
/// it. Cut by the one function that bounds a service's text everywhere
/// ([`greenpin_core::cut_message`]).
pub(crate) fn brief(message: String) -> String {
    match greenpin_core::cut_message(&message) {
        std::borrow::Cow::Borrowed(_) => message,
        std::borrow::Cow::Owned(cut) => cut,
    }
}

/// One row's outcome: a line of the results file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RowOutcome {
    /// The line of the input the row starts on.
    pub(crate) line: u64,
    /// The row's content key (what `--resume` matches on).
    pub(crate) key: String,
    /// The row's allocation id, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) greenpin_id: Option<String>,
    /// What became of it.
    pub(crate) outcome: Outcome,
    /// HTTP status, for rows the service answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) status: Option<u16>,
    /// API code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) code: Option<i64>,
    /// Why not applied (cut to a few hundred characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) message: Option<String>,
    /// For failed and unknown rows: 3 (API) or 4 (transport).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) exit: Option<Exit>,
    /// Which run wrote it: 1, then one more for each `--resume`.
    #[serde(default)]
    pub(crate) run: u32,
}

impl RowOutcome {
    /// A row's outcome, with nothing more said yet.
    pub(crate) fn new(
        line: u64,
        key: RowKey,
        greenpin_id: Option<String>,
        outcome: Outcome,
    ) -> Self {
        RowOutcome {
            line,
            key: key.to_string(),
            greenpin_id,
            outcome,
            status: None,
            code: None,
            message: None,
            exit: None,
            run: 0,
        }
    }

    /// With a reason, cut to a few hundred characters.
    pub(crate) fn because(mut self, message: impl Into<String>) -> Self {
        self.message = Some(brief(message.into()));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_cut_by_the_core_s_one_rule_on_a_character_boundary() {
        let long = "é".repeat(600);
        let cut = brief(long.clone());
        assert_eq!(cut, greenpin_core::cut_message(&long));
        assert!(cut.ends_with("… (360 more characters)"), "{cut}");
        assert_eq!(brief("short".into()), "short");
    }
}
