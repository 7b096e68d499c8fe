//! Two answers to one step, field by field. Each answer is first made comparable: values
//! each service makes its own — the ids it issued, the PINs it generated, request ids and
//! times — are replaced by what they stand for (`{id1}`, `<4 digits>`, `<time>`), and a
//! message by its class (`text`, `null`), not its wording. What is left must be equal.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::side::Answer;

/// One field in which the two services answered a step differently.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct Difference {
    pub(crate) step: String,
    /// `status`, `content-type`, or a path in the body (`data.a.pin`, `code`).
    pub(crate) field: String,
    /// The field as each service answered it, normalised; `absent` when it had none.
    pub(crate) reference: String,
    pub(crate) candidate: String,
    /// The docs/DECISIONS.md entry the step checks.
    pub(crate) decision: String,
}

/// The fields of an answer, normalised, by path.
pub(crate) fn fields(
    answer: &Answer,
    values: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    // A service's own values, by what they stand for.
    let names: BTreeMap<&str, &str> = values
        .iter()
        .map(|(name, value)| (value.as_str(), name.as_str()))
        .collect();
    let mut out = BTreeMap::new();
    out.insert("status".to_owned(), answer.status.to_string());
    out.insert(
        "content-type".to_owned(),
        answer
            .content_type
            .clone()
            .unwrap_or_else(|| "absent".to_owned()),
    );
    match &answer.body {
        Value::Object(_) | Value::Array(_) => flatten("", &answer.body, &names, &mut out),
        Value::String(text) if !text.is_empty() => {
            out.insert("body".to_owned(), "(not JSON)".to_owned());
        }
        _ => {
            out.insert("body".to_owned(), "(empty)".to_owned());
        }
    }
    out
}

/// Differences between two answers' fields.
pub(crate) fn differences(
    step: &str,
    decision: &str,
    reference: &BTreeMap<String, String>,
    candidate: &BTreeMap<String, String>,
) -> Vec<Difference> {
    let absent = "absent".to_owned();
    let mut paths: Vec<&String> = reference.keys().chain(candidate.keys()).collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter_map(|path| {
            let (r, c) = (
                reference.get(path).unwrap_or(&absent),
                candidate.get(path).unwrap_or(&absent),
            );
            (r != c).then(|| Difference {
                step: step.to_owned(),
                field: path.clone(),
                reference: r.clone(),
                candidate: c.clone(),
                decision: decision.to_owned(),
            })
        })
        .collect()
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

fn flatten(
    path: &str,
    value: &Value,
    names: &BTreeMap<&str, &str>,
    out: &mut BTreeMap<String, String>,
) {
    match value {
        Value::Object(map) => {
            if map.is_empty() {
                out.insert(path.to_owned(), "{}".to_owned());
            }
            for (key, v) in map {
                let here = join(path, key);
                match normalised(key, v, names) {
                    Some(text) => {
                        out.insert(here, text);
                    }
                    None => flatten(&here, v, names, out),
                }
            }
        }
        Value::Array(items) => {
            if items.is_empty() {
                out.insert(path.to_owned(), "[]".to_owned());
            }
            // Items that name an allocation are matched by it, not by position: a service
            // need not keep a bulk update's order.
            let mut items: Vec<&Value> = items.iter().collect();
            if items.iter().all(|i| i.get("greenpin_id").is_some()) {
                items.sort_by_key(|i| leaf(&i["greenpin_id"], names));
            }
            for (i, v) in items.into_iter().enumerate() {
                flatten(&format!("{path}[{i}]"), v, names, out);
            }
        }
        other => {
            out.insert(path.to_owned(), leaf(other, names));
        }
    }
}

/// A field that is compared by what it is rather than by its value; `None` to compare the
/// value (or walk into it).
fn normalised(key: &str, value: &Value, names: &BTreeMap<&str, &str>) -> Option<String> {
    let text = value.as_str();
    match key {
        "request_id" => Some(class(value)),
        "message" => Some(class(value)),
        "greenpin_id" | "pin" | "call_sid" => text.map(|t| match names.get(t) {
            Some(name) => format!("{{{name}}}"),
            None if key == "pin" && t.bytes().all(|b| b.is_ascii_digit()) => {
                format!("<{} digits>", t.len())
            }
            None => format!("<{key}>"),
        }),
        "deallocation_time" => text.map(|t| {
            if is_local_time(t) {
                "<YYYY-MM-DD HH:MM:SS>".to_owned()
            } else {
                format!("{t:?}")
            }
        }),
        _ => None,
    }
}

/// What kind of value a field holds: `null`, `empty`, `text`, or its JSON type.
fn class(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::String(s) if s.is_empty() => "empty".to_owned(),
        Value::String(_) => "text".to_owned(),
        Value::Bool(_) => "boolean".to_owned(),
        Value::Number(_) => "number".to_owned(),
        Value::Array(_) => "array".to_owned(),
        Value::Object(_) => "object".to_owned(),
    }
}

/// A value as the report shows it: a string quoted (or the name it stands for), others as
/// JSON.
fn leaf(value: &Value, names: &BTreeMap<&str, &str>) -> String {
    match value {
        Value::String(s) => match names.get(s.as_str()) {
            Some(name) => format!("{{{name}}}"),
            None => format!("{s:?}"),
        },
        other => other.to_string(),
    }
}

/// `YYYY-MM-DD HH:MM:SS`, GreenPin's own form of a time.
fn is_local_time(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 19
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answer(status: u16, body: Value) -> Answer {
        Answer {
            status,
            content_type: Some("application/json".into()),
            body,
        }
    }

    #[test]
    fn each_service_s_own_values_compare_by_what_they_stand_for() {
        let r_values: BTreeMap<String, String> = [("id1".into(), "g-aaa".into())].into();
        let c_values: BTreeMap<String, String> = [("id1".into(), "g-bbb".into())].into();
        let r = answer(
            200,
            json!({"request_id": "r1", "success": true, "message": null,
            "data": {"greenpin_id": "g-aaa", "a": {"pin": "1234", "numbers": ["+917987686144"]},
            "deallocation_time": "2026-12-07 10:00:00"}}),
        );
        let c = answer(
            200,
            json!({"request_id": "zzz", "success": true, "message": null,
            "data": {"greenpin_id": "g-bbb", "a": {"pin": "9876", "numbers": ["+917987686144"]},
            "deallocation_time": "2031-01-01 00:00:00"}}),
        );
        let (rf, cf) = (fields(&r, &r_values), fields(&c, &c_values));
        assert_eq!(rf["data.greenpin_id"], "{id1}");
        assert_eq!(rf["data.a.pin"], "<4 digits>");
        assert!(differences("s", "d", &rf, &cf).is_empty());
    }

    #[test]
    fn a_different_status_code_value_or_shape_is_named_by_its_field() {
        let none = BTreeMap::new();
        let r = answer(
            410,
            json!({"success": false, "code": 22, "message": "gone", "data": null}),
        );
        let c = answer(
            400,
            json!({"success": false, "code": 5, "message": "", "data": {}}),
        );
        let diff = differences("second-delete", "d", &fields(&r, &none), &fields(&c, &none));
        let said: Vec<(&str, &str, &str)> = diff
            .iter()
            .map(|d| (d.field.as_str(), d.reference.as_str(), d.candidate.as_str()))
            .collect();
        assert_eq!(
            said,
            [
                ("code", "22", "5"),
                ("data", "null", "{}"),
                ("message", "text", "empty"),
                ("status", "410", "400"),
            ]
        );
        // A field only one side has.
        let r = answer(200, json!({"data": {"a": {"pin": "12"}}}));
        let c = answer(200, json!({"data": {"a": {}}}));
        let diff = differences("s", "d", &fields(&r, &none), &fields(&c, &none));
        assert_eq!(diff.len(), 2, "{diff:?}");
        assert_eq!(
            (diff[0].field.as_str(), diff[0].candidate.as_str()),
            ("data.a", "{}")
        );
        assert_eq!(
            (diff[1].field.as_str(), diff[1].candidate.as_str()),
            ("data.a.pin", "absent")
        );
    }

    #[test]
    fn bulk_results_are_matched_by_allocation_not_position() {
        let none = BTreeMap::new();
        let r = answer(
            200,
            json!({"data": {"greenpins": [
            {"greenpin_id": "x", "success": true}, {"greenpin_id": "y", "success": false}]}}),
        );
        let c = answer(
            200,
            json!({"data": {"greenpins": [
            {"greenpin_id": "y", "success": false}, {"greenpin_id": "x", "success": true}]}}),
        );
        assert!(differences("s", "d", &fields(&r, &none), &fields(&c, &none)).is_empty());
    }
}
