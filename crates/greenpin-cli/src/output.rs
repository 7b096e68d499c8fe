//! What the command prints: readable blocks for people, JSON with `--json`.

use greenpin_core::{Allocation, Error, Party, Settings};
use serde_json::{Value, json};

/// Writes one line to stdout. A closed stdout (`greenpin … | head -1`) ends the command
/// quietly, as a Unix tool does, instead of a panic.
pub(crate) fn write_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let written = out
        .write_fmt(args)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    if let Err(e) = written
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}

/// `println!`, but quiet on a closed stdout (see [`write_line`]).
macro_rules! out {
    () => {
        $crate::output::write_line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::output::write_line(format_args!($($arg)*))
    };
}
pub(crate) use out;

pub(crate) fn print_json(v: &Value) {
    crate::output::out!(
        "{}",
        serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
    );
}

fn join(list: &[greenpin_core::PhoneNumber]) -> String {
    if list.is_empty() {
        "-".to_owned()
    } else {
        list.iter()
            .map(|n| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn party_lines(name: &str, p: &Party) -> Vec<(String, String)> {
    let mut v = vec![
        (format!("{name}.numbers"), join(&p.numbers)),
        (format!("{name}.vns"), join(&p.vns)),
    ];
    if let Some(pin) = &p.pin {
        v.push((format!("{name}.pin"), pin.as_str().to_owned()));
    }
    v
}

/// The lines describing an allocation.
pub(crate) fn allocation_lines(a: &Allocation) -> Vec<(String, String)> {
    let mut v = vec![
        ("greenpin_id".to_owned(), a.greenpin_id.to_string()),
        (
            "transaction_id".to_owned(),
            a.transaction_id
                .as_ref()
                .map(|t| t.to_string())
                .unwrap_or_else(|| "-".into()),
        ),
        ("state".to_owned(), a.state.to_string()),
        ("usage".to_owned(), a.usage.to_string()),
    ];
    v.extend(party_lines("a", &a.a));
    v.extend(party_lines("b", &a.b));
    v.push((
        "deallocation_time".to_owned(),
        a.deallocation_time
            .map(|t| t.to_string())
            .unwrap_or_else(|| "never".into()),
    ));
    v
}

/// Text from the service made safe for a terminal: control characters (an escape sequence
/// could set the title or clear the screen) are shown escaped, `\u{1b}`. JSON output needs
/// no such care: serde_json escapes them itself.
pub(crate) fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

pub(crate) fn print_lines(lines: &[(String, String)], indent: &str) {
    let width = lines.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in lines {
        crate::output::out!("{indent}{:<width$}  {}", printable(k), printable(v));
    }
}

pub(crate) fn allocation(a: &Allocation, json: bool) {
    if json {
        print_json(&serde_json::to_value(a).unwrap_or(Value::Null));
    } else {
        print_lines(&allocation_lines(a), "");
    }
}

pub(crate) fn settings(s: &Settings, json: bool) {
    let v = serde_json::to_value(s).unwrap_or(Value::Null);
    if json {
        print_json(&v);
        return;
    }
    if let Value::Object(map) = v {
        let mut lines: Vec<(String, String)> = map
            .into_iter()
            .map(|(k, v)| {
                (
                    k,
                    v.as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| v.to_string()),
                )
            })
            .collect();
        lines.sort();
        print_lines(&lines, "");
    }
}

/// An error as a JSON object: `{"error": {kind, message, status?, code?, request_id?, field?}}`.
pub(crate) fn error_json(e: &Error) -> Value {
    let kind = match e {
        Error::Config(_) => "config",
        Error::Validation(_) => "validation",
        Error::Api(_) => "api",
        Error::Decode(_) => "decode",
        Error::Transport(_) => "transport",
        _ => "other",
    };
    let mut obj = json!({"kind": kind, "message": e.to_string()});
    if let Some(s) = e.status() {
        obj["status"] = json!(s.as_u16());
    }
    if let Some(c) = e.code() {
        obj["code"] = json!(c.code());
    }
    if let Some(r) = e.request_id() {
        obj["request_id"] = json!(r);
    }
    if let Error::Validation(v) = e {
        obj["field"] = json!(v.field());
    }
    if let Error::Api(a) = e
        && let Some(m) = &a.message
    {
        obj["api_message"] = json!(m);
    }
    json!({ "error": obj })
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn control_characters_from_the_service_are_escaped() {
        assert_eq!(
            printable("ok\u{1b}]0;pwned\u{7}\u{1b}[2J"),
            "ok\\u{1b}]0;pwned\\u{7}\\u{1b}[2J"
        );
        assert_eq!(printable("+919956555625 é"), "+919956555625 é");
    }
}
