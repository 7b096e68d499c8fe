//! A run in progress: the scenario's steps played on both services in turn, then the
//! clean-up of what the run created.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

use super::report::{self, StepReport, Unexpected};
use super::scenario::{self, Scenario};
use super::side::{self, Answer, Side};
use super::{compare, settings_to_copy};
use crate::exit::{CommandError, Exit};

/// A run in progress.
pub(super) struct Play<'a> {
    pub(super) scenario: &'a Scenario,
    pub(super) reference: &'a mut Side,
    pub(super) candidate: &'a mut Side,
    pub(super) journal: &'a mut dyn std::io::Write,
    pub(super) allow_settings: bool,
    /// The signal that asked the run to stop (0: none yet).
    pub(super) stop: &'a AtomicUsize,
    /// Settings the run wrote on the reference: only these are put back.
    pub(super) settings_written: Vec<String>,
}

/// What the steps came to.
pub(super) struct Outcome {
    pub(super) steps: Vec<StepReport>,
    pub(super) differences: Vec<compare::Difference>,
    pub(super) unexpected: Vec<Unexpected>,
    /// Why the run stopped early, and its exit, when it did.
    pub(super) stopped: Option<(String, Exit)>,
}

/// One step played on both services.
struct Played {
    summaries: [String; 2],
    differences: Vec<compare::Difference>,
    unexpected: Vec<Unexpected>,
}

impl Play<'_> {
    /// Plays every step, until the end, a signal, or an error that ends the run.
    pub(super) fn steps(&mut self) -> Outcome {
        let mut outcome = Outcome {
            steps: Vec::new(),
            differences: Vec::new(),
            unexpected: Vec::new(),
            stopped: None,
        };
        for step in &self.scenario.steps {
            let signal = self.stop.load(Ordering::Relaxed);
            if signal != 0 {
                outcome.stopped = Some((
                    format!("interrupted ({})", signal_name(signal)),
                    Exit::Interrupted,
                ));
                return outcome;
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
                outcome.steps.push(report);
                continue;
            }
            match self.play(step) {
                Ok(Some(played)) => {
                    let [r, c] = played.summaries;
                    report.reference = Some(r);
                    report.candidate = Some(c);
                    report.differences = played.differences.len();
                    outcome.differences.extend(played.differences);
                    outcome.unexpected.extend(played.unexpected);
                }
                Ok(None) => report.skipped = Some(report::SKIPPED_FOR_WANT.into()),
                Err((side, e)) => {
                    outcome.steps.push(report);
                    outcome.stopped = Some(stopped_by(side, e));
                    return outcome;
                }
            }
            outcome.steps.push(report);
        }
        outcome
    }

    /// One step on both services: `None` when a placeholder has no value on a side.
    /// An error names the side it came from.
    fn play(
        &mut self,
        step: &scenario::Step,
    ) -> Result<Option<Played>, (&'static str, CommandError)> {
        let mut unexpected = Vec::new();
        let mut answered = Vec::new();
        for side in [&mut *self.reference, &mut *self.candidate] {
            let mut on = OneSide {
                side,
                journal: &mut *self.journal,
                settings_written: &mut self.settings_written,
                unexpected: &mut unexpected,
            };
            match on.play(step)? {
                Some(a) => answered.push(a),
                None => return Ok(None),
            }
        }
        let (candidate, candidate_fields) = answered.pop().unwrap_or_default();
        let (reference, reference_fields) = answered.pop().unwrap_or_default();
        Ok(Some(Played {
            summaries: [reference, candidate],
            differences: compare::differences(
                &step.step,
                &step.decision,
                &reference_fields,
                &candidate_fields,
            ),
            unexpected,
        }))
    }

    /// Deletes every allocation the run created and did not delete, on both services, and
    /// puts back the reference's settings the run wrote (those only: a setting someone
    /// else changed meanwhile is left as they set it).
    pub(super) fn clean_up(&mut self, original_settings: &Value) -> report::Cleanup {
        let mut cleanup = report::Cleanup {
            created: self.reference.created_total,
            ..report::Cleanup::default()
        };
        cleanup.left.append(&mut self.reference.undeletable);
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
        // Once each: a service can answer one id to every create.
        let mut seen = std::collections::HashSet::new();
        cleanup.left.retain(|id| seen.insert(id.clone()));
        // Deleted by the scenario itself or just now.
        cleanup.deleted = cleanup.created.saturating_sub(cleanup.left.len());
        if !self.settings_written.is_empty() {
            let mut back = settings_to_copy(original_settings);
            if let Value::Object(map) = &mut back {
                map.retain(|k, _| self.settings_written.contains(k));
            }
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

/// A step played on one side, and what it leaves for the run: the allocation it created,
/// the values it saved, the settings it wrote, its answers other than expected.
struct OneSide<'a> {
    side: &'a mut Side,
    journal: &'a mut dyn std::io::Write,
    settings_written: &'a mut Vec<String>,
    unexpected: &'a mut Vec<Unexpected>,
}

impl OneSide<'_> {
    /// The answer's summary (`409/18`) and its fields, normalised; `None` when a
    /// placeholder has no value on this side.
    #[expect(clippy::type_complexity, reason = "a summary and its fields, once")]
    fn play(
        &mut self,
        step: &scenario::Step,
    ) -> Result<Option<(String, BTreeMap<String, String>)>, (&'static str, CommandError)> {
        let side = &mut *self.side;
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
        let answer = side
            .send(
                &step.step,
                &step.request.method,
                &path,
                body.as_ref(),
                self.journal,
            )
            .map_err(|e| (side.name, e))?;
        if let Some(refused) = side::refusal(side, &answer) {
            return Err((side.name, refused));
        }
        let summary = match answer.body["code"].as_i64() {
            Some(code) => format!("{}/{code}", answer.status),
            None => answer.status.to_string(),
        };
        if let Some(expected) = Scenario::expected(step)
            && !matches_expected(&answer, &step.expect)
        {
            self.unexpect(step, summary.clone(), expected);
        }
        let ok = (200..300).contains(&answer.status);
        if ok {
            self.took_effect(step, &answer, body.as_ref());
        }
        self.save(step, &answer, ok, &summary);
        Ok(Some((summary, compare::fields(&answer, &self.side.values))))
    }

    fn unexpect(&mut self, step: &scenario::Step, answered: String, expected: String) {
        self.unexpected.push(Unexpected {
            step: step.step.clone(),
            side: self.side.name,
            answered,
            expected,
            decision: step.decision.clone(),
        });
    }

    /// What a step that succeeded changed: settings written, an allocation created or
    /// deleted.
    fn took_effect(&mut self, step: &scenario::Step, answer: &Answer, body: Option<&Value>) {
        let side = &mut *self.side;
        if step.settings_write && side.name == "reference" {
            for key in body
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|m| m.keys())
            {
                if !self.settings_written.contains(key) {
                    self.settings_written.push(key.clone());
                }
            }
        }
        if step.request.method == "POST" && step.request.path == "/greenpin" {
            side.created_total += 1;
            // An id that cannot be sent back cannot be deleted by the run either.
            match saved(answer, "data.greenpin_id") {
                Ok(Some(id)) => side.created.push(id),
                Ok(None) => side
                    .undeletable
                    .push("(an allocation answered without an id)".into()),
                Err(_) => side
                    .undeletable
                    .push(scenario::at_path(&answer.body, "data.greenpin_id").unwrap_or_default()),
            }
        }
        if let Some(name) = &step.deletes {
            let id = side.values.get(name).cloned();
            side.created.retain(|c| Some(c) != id.as_ref());
        }
    }

    /// The values the step saves from the answer, for the steps after it.
    fn save(&mut self, step: &scenario::Step, answer: &Answer, ok: bool, summary: &str) {
        for (name, at) in &step.save {
            match saved(answer, at) {
                Ok(Some(v)) => {
                    self.side.values.insert(name.clone(), v);
                }
                // Missing from an answer that was not meant to carry it: the steps that
                // need it are skipped, and the unexpected answer says why.
                Ok(None) if !ok => {}
                Ok(None) => self.unexpect(
                    step,
                    format!("{summary} without {at}"),
                    format!("{at} in the answer"),
                ),
                Err(why) => self.unexpect(step, format!("{at} {why}"), "an allocation id".into()),
            }
        }
    }
}

/// Whether an answer is what the step's `expect` says: its status, and its envelope's
/// `code` when the step names one.
fn matches_expected(answer: &Answer, expect: &Value) -> bool {
    let status = expect["status"].as_u64() == Some(u64::from(answer.status));
    let code = match expect["code"].as_i64() {
        Some(code) => answer.body["code"].as_i64() == Some(code),
        None => true,
    };
    status && code
}

/// A value a step saves: `Ok(None)` when the answer has none, `Err` for an allocation id
/// that cannot name one in a request path (a service answering `../settings`, or an
/// HTML page's worth of text).
fn saved(answer: &Answer, at: &str) -> Result<Option<String>, String> {
    let Some(value) = scenario::at_path(&answer.body, at) else {
        return Ok(None);
    };
    if at.ends_with("greenpin_id") {
        greenpin_core::GreenPinId::new(value.as_str()).map_err(|e| {
            format!(
                "is not an id greenpin-rs can send back ({e}): {}",
                greenpin_core::cut_message(&value)
            )
        })?;
    }
    Ok(Some(value))
}

/// Why an error on `side` ended the run, and the exit it means.
fn stopped_by(side: &str, e: CommandError) -> (String, Exit) {
    match e {
        CommandError::Sdk(e) => {
            let exit = Exit::of(&e);
            let why = match std::error::Error::source(&e) {
                Some(cause) => format!("{e} ({cause})"),
                None => e.to_string(),
            };
            (format!("the {side}: {why}"), exit)
        }
        CommandError::Usage(m) | CommandError::Local(m) => (m, Exit::Local),
        // Names its side already.
        CommandError::Refused(m) => (m, Exit::Api),
    }
}

/// A signal's name, as a user would type it.
fn signal_name(signal: usize) -> &'static str {
    let signal = i32::try_from(signal).unwrap_or(0);
    #[cfg(unix)]
    match signal {
        signal_hook::consts::SIGTERM => return "SIGTERM",
        signal_hook::consts::SIGHUP => return "SIGHUP: the terminal closed",
        _ => {}
    }
    let _ = signal;
    "Ctrl-C"
}
