//! The scenario a drift run plays on both services: a versioned, declarative file
//! (`scenario.json`, compiled in; `--scenario FILE` plays another), each step a request,
//! the values it saves from its answer, and the decision it checks.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::exit::CommandError;

/// The scenario this version plays by default.
pub(crate) const BUILT_IN: &str = include_str!("scenario.json");

/// The scenario format's version.
const FORMAT: u32 = 1;

/// A scenario.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Scenario {
    greenpin_drift_scenario: u32,
    /// What the scenario is, for the reader of the file.
    #[serde(default, rename = "about")]
    _about: String,
    /// How many of each number the scenario uses.
    pub(crate) needs: Needs,
    pub(crate) steps: Vec<Step>,
}

/// Numbers a scenario needs: `{vn1}`…, `{a1}`…, `{b1}`….
#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub(crate) struct Needs {
    pub(crate) vn: usize,
    pub(crate) a_number: usize,
    pub(crate) b_number: usize,
}

/// One step.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Step {
    /// Its name, in the report.
    pub(crate) step: String,
    /// What it checks, in words.
    pub(crate) checks: String,
    /// The docs/DECISIONS.md entry it checks.
    pub(crate) decision: String,
    pub(crate) request: Request,
    /// Values to keep from each service's answer, by name: a dotted path (`data.a.pin`).
    #[serde(default)]
    pub(crate) save: BTreeMap<String, String>,
    /// The saved id whose allocation this step deletes (it needs no cleaning up after).
    #[serde(default)]
    pub(crate) deletes: Option<String>,
    /// A settings change: played only with `--allow-settings`.
    #[serde(default)]
    pub(crate) settings_write: bool,
    /// What greenpin-rs decided (`{"status": 409, "code": 18}`): an answer of either
    /// service that is not this is reported beside the differences.
    #[serde(default)]
    pub(crate) expect: Value,
}

/// A step's request, with `{name}` placeholders.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Request {
    pub(crate) method: String,
    /// Below the account (`/greenpin/{id1}`).
    pub(crate) path: String,
    #[serde(default)]
    pub(crate) body: Option<Value>,
}

impl Scenario {
    /// Reads a scenario, refusing another format or a step that cannot be played.
    pub(crate) fn parse(text: &str, origin: &str) -> Result<Scenario, CommandError> {
        let bad = |why: String| CommandError::Usage(format!("{origin}: {why}"));
        let s: Scenario = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        if s.greenpin_drift_scenario != FORMAT {
            return Err(bad(format!(
                "scenario format {} is not known to this version (it plays {FORMAT})",
                s.greenpin_drift_scenario
            )));
        }
        for step in &s.steps {
            if !matches!(
                step.request.method.as_str(),
                "GET" | "POST" | "PUT" | "DELETE"
            ) {
                return Err(bad(format!(
                    "step {}: method {} is not one of GET, POST, PUT, DELETE",
                    step.step, step.request.method
                )));
            }
            if !step.request.path.starts_with('/') {
                return Err(bad(format!(
                    "step {}: a path starts with / (below the account)",
                    step.step
                )));
            }
        }
        Ok(s)
    }

    /// Most requests the scenario sends one service, cleaning up aside: one a step, and
    /// the reading of the reference's settings before the run.
    pub(crate) fn requests(&self) -> u64 {
        u64::try_from(self.steps.len()).map_or(u64::MAX, |n| n.saturating_add(1))
    }

    /// What a step's answer should be, as greenpin-rs decided (`200`, `409/18`): `None`
    /// when the step does not say.
    pub(crate) fn expected(step: &Step) -> Option<String> {
        match (&step.expect["status"], &step.expect["code"]) {
            (Value::Number(status), Value::Number(code)) => Some(format!("{status}/{code}")),
            (Value::Number(status), _) => Some(status.to_string()),
            _ => None,
        }
    }

    /// Allocations the scenario may create on one service: one per create request.
    pub(crate) fn creates(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| s.request.method == "POST" && s.request.path == "/greenpin")
            .count()
    }
}

/// `{name}` placeholders filled from `values`; `Err(name)` for one that has no value.
pub(crate) fn fill_text(text: &str, values: &BTreeMap<String, String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return Ok(out);
        };
        let name = &after[..close];
        match values.get(name) {
            Some(v) => out.push_str(v),
            None => return Err(name.to_owned()),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A body with every string's placeholders filled.
pub(crate) fn fill(value: &Value, values: &BTreeMap<String, String>) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => Value::String(fill_text(s, values)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| fill(v, values))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), fill(v, values)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

/// The value at a dotted path (`data.a.pin`), as text.
pub(crate) fn at_path(value: &Value, path: &str) -> Option<String> {
    let found = path
        .split('.')
        .try_fold(value, |v, part| match part.parse::<usize>() {
            Ok(i) => v.get(i),
            Err(_) => v.get(part),
        })?;
    match found {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_scenario_reads_and_names_a_decision_for_every_step() {
        let s = Scenario::parse(BUILT_IN, "scenario.json").unwrap();
        assert!(s.steps.len() >= 20);
        assert!(
            s.steps
                .iter()
                .all(|st| !st.decision.is_empty() && !st.checks.is_empty())
        );
        let decisions = include_str!("../../../../docs/DECISIONS.md");
        for st in &s.steps {
            assert!(
                decisions.contains(&st.decision),
                "step {}: no DECISIONS entry reads {:?}",
                st.step,
                st.decision
            );
        }
        assert_eq!(s.creates(), 8);
    }

    #[test]
    fn decisions_lists_every_step_under_the_entry_it_checks() {
        let s = Scenario::parse(BUILT_IN, "scenario.json").unwrap();
        let decisions = include_str!("../../../../docs/DECISIONS.md");
        let section = decisions
            .split("## Checked by `greenpin drift`")
            .nth(1)
            .expect("DECISIONS has a drift section")
            .split("\n## ")
            .next()
            .unwrap();
        for st in &s.steps {
            let line = section
                .lines()
                .find(|l| l.starts_with(&format!("- **{}**:", st.decision)))
                .unwrap_or_else(|| panic!("no line for {:?}", st.decision));
            assert!(
                line.contains(&format!("`{}`", st.step)),
                "{} is not listed: {line}",
                st.step
            );
        }
    }

    #[test]
    fn placeholders_are_filled_or_named_when_missing() {
        let values: BTreeMap<String, String> =
            [("id1".to_owned(), "g-1".to_owned())].into_iter().collect();
        assert_eq!(
            fill_text("/greenpin/{id1}", &values).unwrap(),
            "/greenpin/g-1"
        );
        assert_eq!(fill_text("{nope}", &values).unwrap_err(), "nope");
        let body = serde_json::json!({"a": ["{id1}", 3]});
        assert_eq!(
            fill(&body, &values).unwrap(),
            serde_json::json!({"a": ["g-1", 3]})
        );
        let answer = serde_json::json!({"data": {"a": {"pin": "1234"}, "n": [5]}});
        assert_eq!(at_path(&answer, "data.a.pin").as_deref(), Some("1234"));
        assert_eq!(at_path(&answer, "data.n.0").as_deref(), Some("5"));
        assert_eq!(at_path(&answer, "data.x"), None);
    }

    #[test]
    fn another_format_or_an_unplayable_step_is_refused() {
        let other = BUILT_IN.replace(
            "\"greenpin_drift_scenario\": 1",
            "\"greenpin_drift_scenario\": 2",
        );
        assert!(Scenario::parse(&other, "x").is_err());
        let patch = BUILT_IN.replace(
            "\"method\": \"GET\", \"path\": \"/settings\"",
            "\"method\": \"PATCH\", \"path\": \"/settings\"",
        );
        assert!(Scenario::parse(&patch, "x").is_err());
    }
}
