//! A drift run's report: Markdown to attach to an issue, or JSON (`--json`) with its
//! `differences`, each naming its step and field.

use serde::Serialize;
use serde_json::Value;

use super::compare::Difference;

/// Why a step was not played when an earlier step's answer lacked what it needs: the run
/// then checked less than the scenario says, and its verdict says so.
pub(crate) const SKIPPED_FOR_WANT: &str = "an earlier step did not give what it needs";

/// What one step came to on both services.
#[derive(Debug, Serialize)]
pub(crate) struct StepReport {
    pub(crate) step: String,
    pub(crate) checks: String,
    pub(crate) decision: String,
    /// What greenpin-rs decided the answer is.
    pub(crate) expect: Value,
    /// `status/code` as each service answered (`200`, `409/18`).
    pub(crate) reference: Option<String>,
    pub(crate) candidate: Option<String>,
    pub(crate) differences: usize,
    /// Why the step was not played, when it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) skipped: Option<String>,
}

/// An answer other than the one greenpin-rs decided on: drift from the SDK's decisions
/// even when both services agree (the emulator follows the same decisions, so it shows
/// there only when the emulator is wrong).
#[derive(Debug, Serialize)]
pub(crate) struct Unexpected {
    pub(crate) step: String,
    /// `reference` or `candidate`.
    pub(crate) side: &'static str,
    /// What it answered (`400/16`).
    pub(crate) answered: String,
    /// What greenpin-rs expects (`200`).
    pub(crate) expected: String,
    /// The docs/DECISIONS.md entry it contradicts.
    pub(crate) decision: String,
}

/// A whole run.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    pub(crate) reference: String,
    pub(crate) candidate: String,
    pub(crate) scenario: String,
    pub(crate) steps: Vec<StepReport>,
    pub(crate) differences: Vec<Difference>,
    pub(crate) unexpected: Vec<Unexpected>,
    /// Requests sent to each service, cleaning up included.
    pub(crate) requests: Requests,
    /// Allocations created and deleted again, on each service.
    pub(crate) cleaned_up: Cleanup,
    /// Why the run stopped before its end, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) stopped: Option<String>,
}

#[derive(Debug, Serialize, Default)]
pub(crate) struct Requests {
    pub(crate) reference: u32,
    pub(crate) candidate: u32,
}

#[derive(Debug, Serialize, Default)]
pub(crate) struct Cleanup {
    pub(crate) created: usize,
    pub(crate) deleted: usize,
    /// Allocations that could not be deleted: delete them yourself.
    pub(crate) left: Vec<String>,
}

impl Report {
    pub(crate) fn json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Whether every step played answered alike on both services and as greenpin-rs
    /// expects, and none was skipped for want of an earlier answer.
    pub(crate) fn agrees(&self) -> bool {
        self.differences.is_empty()
            && self.unexpected.is_empty()
            && self
                .steps
                .iter()
                .all(|s| s.skipped.as_deref() != Some(SKIPPED_FOR_WANT))
    }

    /// The outcome in one line (the terminal's, and the report's headline).
    pub(crate) fn headline(&self) -> String {
        let played = self.steps.iter().filter(|s| s.skipped.is_none()).count();
        let skipped = self.steps.len() - played;
        let of =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut line = format!(
            "{} and {} in {} played on both services",
            of(self.differences.len(), "difference", "differences"),
            of(
                self.unexpected.len(),
                "unexpected answer",
                "unexpected answers"
            ),
            of(played, "step", "steps"),
        );
        if skipped > 0 {
            line.push_str(&format!(" ({skipped} skipped)"));
        }
        if self.stopped.is_some() {
            line.push_str("; stopped early");
        }
        line
    }

    /// The report as Markdown. Every text a service sent (ids, field names, values,
    /// messages) is shown escaped, in code spans: a report is attached to issues, and a
    /// service must not be able to write Markdown or HTML into it.
    pub(crate) fn markdown(&self) -> String {
        let mut out = String::new();
        out.push_str("# greenpin drift\n\n");
        out.push_str(&format!(
            "- reference: {}\n- candidate: {}\n- scenario: {}\n- requests: {} to the reference, {} to the candidate (cleaning up included)\n",
            code(&self.reference), code(&self.candidate), cell(&self.scenario), self.requests.reference, self.requests.candidate
        ));
        out.push_str(&format!(
            "- allocations: {} created on the reference, {} deleted again{}\n",
            self.cleaned_up.created,
            self.cleaned_up.deleted,
            if self.cleaned_up.left.is_empty() {
                String::new()
            } else {
                format!(
                    "; **not deleted, delete them yourself** (one stopped mid-run may hold a policy of up to 170 days): {}",
                    self.cleaned_up
                        .left
                        .iter()
                        .map(|id| code(id))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        ));
        if let Some(why) = &self.stopped {
            out.push_str(&format!("- **stopped early**: {}\n", code(why)));
        }
        let verdict = if self.agrees() && self.stopped.is_none() {
            "No difference"
        } else if self.differences.is_empty() && self.unexpected.is_empty() {
            "No difference in what was played"
        } else {
            "Drift"
        };
        out.push_str(&format!("\n**{verdict}**: {}.\n", self.headline()));
        self.tables(&mut out);
        out.push_str("\nMessages are compared by class (text or null), not wording; ids, PINs, request ids and times by form. The journal beside this report holds every request and answer, the PINs of the run's allocations among them (the allocations are deleted at the end), and never the credentials: an answer that echoes them has them removed.\n");
        out
    }

    /// The differences, the unexpected answers (each table only when it has rows), and
    /// every step.
    fn tables(&self, out: &mut String) {
        if !self.differences.is_empty() {
            out.push_str("\n## Differences between the services\n\n| step | field | reference | candidate | decision it contradicts |\n|---|---|---|---|---|\n");
            for d in &self.differences {
                out.push_str(&format!(
                    "| {} | {} | {} | {} | {} |\n",
                    cell(&d.step),
                    code(&d.field),
                    code(&d.reference),
                    code(&d.candidate),
                    cell(&d.decision)
                ));
            }
        }
        if !self.unexpected.is_empty() {
            out.push_str("\n## Answers other than greenpin-rs expects\n\n| step | service | answered | greenpin-rs expects | decision |\n|---|---|---|---|---|\n");
            for u in &self.unexpected {
                out.push_str(&format!(
                    "| {} | {} | {} | {} | {} |\n",
                    cell(&u.step),
                    u.side,
                    code(&u.answered),
                    code(&u.expected),
                    cell(&u.decision)
                ));
            }
        }
        out.push_str("\n## Steps\n\n| step | checks | reference | candidate | greenpin-rs expects | differences |\n|---|---|---|---|---|---|\n");
        for s in &self.steps {
            let expect = match (&s.expect["status"], &s.expect["code"]) {
                (Value::Number(st), Value::Number(c)) => format!("{st}/{c}"),
                (Value::Number(st), _) => st.to_string(),
                _ => String::new(),
            };
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                cell(&s.step),
                cell(&s.checks),
                s.reference.as_deref().map_or_else(|| "—".to_owned(), cell),
                s.candidate.as_deref().map_or_else(|| "—".to_owned(), cell),
                expect,
                match &s.skipped {
                    Some(why) => format!("skipped: {}", cell(why)),
                    None => s.differences.to_string(),
                }
            ));
        }
    }
}

/// Text safe in a Markdown table cell.
fn cell(text: &str) -> String {
    crate::output::printable(text)
        .replace('|', "\\|")
        .replace('\n', " ")
}

fn code(text: &str) -> String {
    format!("`{}`", cell(text).replace('`', "'"))
}
