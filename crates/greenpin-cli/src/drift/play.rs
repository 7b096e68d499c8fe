//! A run in progress: the scenario's steps played on both services in turn, then the
//! clean-up of what the run created.

use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

use super::report::{self, StepReport};
use super::scenario::{self, Scenario};
use super::side::Side;
use super::{compare, settings_to_copy};
use crate::exit::{CommandError, Exit};

/// A run in progress.
pub(super) struct Play<'a> {
    pub(super) scenario: &'a Scenario,
    pub(super) reference: &'a mut Side,
    pub(super) candidate: &'a mut Side,
    pub(super) journal: &'a mut dyn std::io::Write,
    pub(super) allow_settings: bool,
    pub(super) stop: &'a AtomicBool,
}

impl Play<'_> {
    /// Plays every step; answers what each came to, the differences, and why the run
    /// stopped early (with its exit) when it did.
    pub(super) fn steps(
        &mut self,
    ) -> (
        Vec<StepReport>,
        Vec<compare::Difference>,
        Option<(String, Exit)>,
    ) {
        let (mut reports, mut all) = (Vec::new(), Vec::new());
        for step in &self.scenario.steps {
            if self.stop.load(Ordering::Relaxed) {
                return (
                    reports,
                    all,
                    Some(("interrupted (Ctrl-C)".into(), Exit::Interrupted)),
                );
            }
            let mut report = StepReport {
                step: step.step.clone(),
                checks: step.checks.clone(),
                decision: step.decision.clone(),
                expect: step.expect.clone(),
                reference: None,
                candidate: None,
                differences: 0,
                skipped: None,
            };
            if step.settings_write && !self.allow_settings {
                report.skipped = Some("writes settings: needs --allow-settings".into());
                reports.push(report);
                continue;
            }
            match self.play(step) {
                Ok(Some((r, c, differences))) => {
                    report.reference = Some(r);
                    report.candidate = Some(c);
                    report.differences = differences.len();
                    all.extend(differences);
                }
                Ok(None) => {
                    report.skipped = Some("an earlier step did not give what it needs".into())
                }
                Err(e) => {
                    let exit = match &e {
                        CommandError::Sdk(e) => Exit::of(e),
                        _ => Exit::Usage,
                    };
                    let why = match e {
                        CommandError::Sdk(e) => e.to_string(),
                        CommandError::Usage(m) | CommandError::Local(m) => m,
                    };
                    reports.push(report);
                    return (reports, all, Some((why, exit)));
                }
            }
            reports.push(report);
        }
        (reports, all, None)
    }

    /// One step on both services: `None` when a placeholder has no value on a side.
    fn play(
        &mut self,
        step: &scenario::Step,
    ) -> Result<Option<(String, String, Vec<compare::Difference>)>, CommandError> {
        let mut fields = Vec::new();
        let mut summaries = Vec::new();
        for side in [&mut *self.reference, &mut *self.candidate] {
            let (Ok(path), Ok(body)) = (
                scenario::fill_text(&step.request.path, &side.values),
                step.request
                    .body
                    .as_ref()
                    .map(|b| scenario::fill(b, &side.values))
                    .transpose(),
            ) else {
                return Ok(None);
            };
            let answer = side.send(
                &step.step,
                &step.request.method,
                &path,
                body.as_ref(),
                self.journal,
            )?;
            let ok = (200..300).contains(&answer.status);
            if ok
                && step.request.method == "POST"
                && step.request.path == "/greenpin"
                && let Some(id) = scenario::at_path(&answer.body, "data.greenpin_id")
            {
                side.created.push(id);
                side.created_total += 1;
            }
            if ok
                && let Some(name) = &step.deletes
                && let Some(id) = side.values.get(name).cloned()
            {
                side.created.retain(|c| *c != id);
            }
            for (name, path) in &step.save {
                if let Some(v) = scenario::at_path(&answer.body, path) {
                    side.values.insert(name.clone(), v);
                }
            }
            summaries.push(match answer.body["code"].as_i64() {
                Some(code) => format!("{}/{code}", answer.status),
                None => answer.status.to_string(),
            });
            fields.push(compare::fields(&answer, &side.values));
        }
        let differences = compare::differences(&step.step, &step.decision, &fields[0], &fields[1]);
        Ok(Some((
            summaries.remove(0),
            summaries.remove(0),
            differences,
        )))
    }

    /// Deletes every allocation the run created and did not delete, on both services, and
    /// puts the reference's settings back when the run wrote them.
    pub(super) fn clean_up(&mut self, original_settings: &Value) -> report::Cleanup {
        let mut cleanup = report::Cleanup {
            created: self.reference.created_total,
            ..report::Cleanup::default()
        };
        for side in [&mut *self.reference, &mut *self.candidate] {
            for id in std::mem::take(&mut side.created) {
                let answer = side.request(
                    "clean-up",
                    "DELETE",
                    &format!("/greenpin/{id}"),
                    None,
                    self.journal,
                );
                let gone = answer.is_ok_and(|a| (200..300).contains(&a.status) || a.status == 410);
                if side.name == "reference" && !gone {
                    cleanup.left.push(id);
                }
            }
        }
        // Deleted by the scenario itself or just now.
        cleanup.deleted = cleanup.created - cleanup.left.len();
        if self.allow_settings {
            let back = settings_to_copy(original_settings);
            for side in [&mut *self.reference, &mut *self.candidate] {
                let _ = side.request(
                    "settings-put-back",
                    "PUT",
                    "/settings",
                    Some(&back),
                    self.journal,
                );
            }
        }
        cleanup
    }
}
