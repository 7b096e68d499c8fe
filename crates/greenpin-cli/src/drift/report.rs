//! A drift run's report: Markdown to attach to an issue, or JSON (`--json`) with its
//! `differences`, each naming its step and field.

use serde::Serialize;
use serde_json::Value;

use super::compare::Difference;

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

/// A whole run.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    pub(crate) reference: String,
    pub(crate) candidate: String,
    pub(crate) scenario: String,
    pub(crate) steps: Vec<StepReport>,
    pub(crate) differences: Vec<Difference>,
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

    /// The report as Markdown.
    pub(crate) fn markdown(&self) -> String {
        let mut out = String::new();
        out.push_str("# greenpin drift\n\n");
        out.push_str(&format!(
            "- reference: `{}`\n- candidate: `{}`\n- scenario: {}\n- requests: {} to the reference, {} to the candidate (cleaning up included)\n",
            self.reference, self.candidate, self.scenario, self.requests.reference, self.requests.candidate
        ));
        out.push_str(&format!(
            "- allocations: {} created on the reference, {} deleted again{}\n",
            self.cleaned_up.created,
            self.cleaned_up.deleted,
            if self.cleaned_up.left.is_empty() {
                String::new()
            } else {
                format!(
                    "; **not deleted, delete them yourself: {}**",
                    self.cleaned_up.left.join(", ")
                )
            }
        ));
        if let Some(why) = &self.stopped {
            out.push_str(&format!("- **stopped early**: {why}\n"));
        }
        let played = self.steps.iter().filter(|s| s.skipped.is_none()).count();
        let skipped = self.steps.len() - played;
        let differing = self.steps.iter().filter(|s| s.differences > 0).count();
        let skipped = if skipped == 0 {
            String::new()
        } else {
            format!(" ({skipped} skipped)")
        };
        if self.differences.is_empty() {
            out.push_str(&format!(
                "\n**No difference** in the {played} steps played on both services{skipped}.\n"
            ));
        } else {
            out.push_str(&format!(
                "\n**{} difference{}** in {differing} of the {played} steps played on both services{skipped}.\n",
                self.differences.len(),
                if self.differences.len() == 1 { "" } else { "s" },
            ));
        }
        if !self.differences.is_empty() {
            out.push_str("\n| step | field | reference | candidate | decision it contradicts |\n|---|---|---|---|---|\n");
            for d in &self.differences {
                out.push_str(&format!(
                    "| {} | `{}` | {} | {} | {} |\n",
                    cell(&d.step),
                    cell(&d.field),
                    code(&d.reference),
                    code(&d.candidate),
                    cell(&d.decision)
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
                s.reference.as_deref().unwrap_or("—"),
                s.candidate.as_deref().unwrap_or("—"),
                expect,
                match &s.skipped {
                    Some(why) => format!("skipped: {}", cell(why)),
                    None => s.differences.to_string(),
                }
            ));
        }
        out.push_str("\nMessages are compared by class (text or null), not wording; ids, PINs, request ids and times by form. The journal beside this report holds every request and answer (never the credentials).\n");
        out
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
