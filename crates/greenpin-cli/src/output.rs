//! What the command prints: readable blocks for people, JSON with `--json`.
//!
//! Everything the command writes to the terminal goes through [`write_line`], which passes
//! it through [`terminal_safe`]: no control character, no bidirectional override from a
//! service, a callback or a file reaches the terminal raw, whichever path printed it
//! (`clippy.toml` forbids `println!`/`eprintln!` and `std::io::stdout`/`stderr` elsewhere
//! in this crate). Values from outside are also passed through [`printable`], which escapes
//! line breaks too, so one value cannot forge another line.

use std::borrow::Cow;
use std::sync::OnceLock;

use greenpin_core::{Allocation, Error, Party, Settings};
use serde_json::{Value, json};

/// Which stream a line goes to.
#[derive(Clone, Copy)]
pub(crate) enum Stream {
    Out,
    Err,
}

/// What to do when stdout is closed, instead of exiting: a command with something to undo
/// (`listen --register`) stops through its own path.
static ON_CLOSED_STDOUT: OnceLock<Box<dyn Fn() + Send + Sync>> = OnceLock::new();

/// Sets what a closed stdout does (once per process), instead of exiting at once.
#[cfg(feature = "listen")]
pub(crate) fn on_closed_stdout(stop: impl Fn() + Send + Sync + 'static) {
    let _ = ON_CLOSED_STDOUT.set(Box::new(stop));
}

/// Writes one line (or several, for pretty JSON) to stdout or stderr, made terminal-safe.
/// A closed stdout (`greenpin … | head -1`) ends the command quietly, as a Unix tool does,
/// instead of a panic — or, where a command set [`on_closed_stdout`], stops it that way;
/// a closed stderr is ignored.
#[expect(
    clippy::disallowed_methods,
    reason = "the one place that writes to the terminal"
)]
pub(crate) fn write_line(stream: Stream, args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let text = args.to_string();
    let text = terminal_safe(&text);
    match stream {
        Stream::Out => {
            let mut out = std::io::stdout().lock();
            let written = out
                .write_all(text.as_bytes())
                .and_then(|()| out.write_all(b"\n"))
                .and_then(|()| out.flush());
            if let Err(e) = written
                && e.kind() == std::io::ErrorKind::BrokenPipe
            {
                match ON_CLOSED_STDOUT.get() {
                    Some(stop) => stop(),
                    None => std::process::exit(0),
                }
            }
        }
        Stream::Err => {
            let mut err = std::io::stderr().lock();
            let _ = err
                .write_all(text.as_bytes())
                .and_then(|()| err.write_all(b"\n"));
        }
    }
}

/// `println!`, terminal-safe and quiet on a closed stdout (see [`write_line`]).
macro_rules! out {
    () => {
        $crate::output::write_line($crate::output::Stream::Out, format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::output::write_line($crate::output::Stream::Out, format_args!($($arg)*))
    };
}
pub(crate) use out;

/// `eprintln!`, terminal-safe (see [`write_line`]).
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::output::write_line($crate::output::Stream::Err, format_args!($($arg)*))
    };
}
pub(crate) use say;

/// Whether stderr is a terminal (a progress bar is drawn only then).
#[expect(clippy::disallowed_methods, reason = "reads no text, writes none")]
pub(crate) fn stderr_is_terminal() -> bool {
    std::io::IsTerminal::is_terminal(&std::io::stderr())
}

/// The stderr `greenpin -v` traces to: each event is one line, every unsafe character in it
/// escaped — a line break inside a field included, so a message cannot forge a log line.
pub(crate) struct TraceWriter;

impl std::io::Write for TraceWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // tracing writes each event with one `write_all`: a whole line, ending in `\n`.
        let text = String::from_utf8_lossy(buf);
        let line = text.strip_suffix('\n').unwrap_or(&text);
        let mut safe = printable(line).into_owned();
        safe.push('\n');
        write_raw_stderr(safe.as_bytes());
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[expect(
    clippy::disallowed_methods,
    reason = "the tracing writer's sink, fed terminal-safe text"
)]
fn write_raw_stderr(bytes: &[u8]) {
    use std::io::Write;
    let _ = std::io::stderr().lock().write_all(bytes);
}

/// Characters a terminal must not receive raw from outside: C0 and C1 controls and DEL
/// (escape sequences, bells, carriage returns that overwrite a line), the line and
/// paragraph separators, and the invisible characters that reorder, hide or spoof text —
/// Unicode's format characters (bidirectional controls, zero-width characters, the
/// byte-order mark, tag characters), variation selectors and the blank fillers.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'..='\u{1160}'
                | '\u{17B4}'..='\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{205F}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{110BD}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// `text` with every unsafe character written as `\uXXXX` (which is also how JSON escapes
/// it, so JSON output stays valid JSON meaning the same). `keep` characters pass.
fn escape<'a>(text: &'a str, keep: &[char]) -> Cow<'a, str> {
    if !text.chars().any(|c| is_unsafe(c) && !keep.contains(&c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_unsafe(c) && !keep.contains(&c) {
            // As JSON writes it: beyond U+FFFF, a surrogate pair.
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{:04x}", unit));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A value from outside (the service, a callback, a file), made printable on one line:
/// every unsafe character escaped, line breaks and tabs included.
pub(crate) fn printable(text: &str) -> Cow<'_, str> {
    escape(text, &[])
}

/// What reaches the terminal: every unsafe character escaped but the line breaks and tabs
/// the command itself writes (pretty JSON, blocks of lines).
pub(crate) fn terminal_safe(text: &str) -> Cow<'_, str> {
    escape(text, &['\n', '\t'])
}

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
    if let Some(m) = full_message(e) {
        obj["api_message"] = json!(bounded(m));
        if m.len() > MAX_FULL_MESSAGE {
            obj["api_message_bytes"] = json!(m.len());
        }
    }
    json!({ "error": obj })
}

/// The most of a service's message `--json` and `-v` give (the one-line form is cut by
/// `greenpin_core::cut_message` to a few hundred characters): whole up to 64 KiB.
pub(crate) const MAX_FULL_MESSAGE: usize = 64 * 1024;

/// The service's message of an API error, whole.
pub(crate) fn full_message(e: &Error) -> Option<&str> {
    match e {
        Error::Api(a) => a.message.as_deref(),
        _ => None,
    }
}

/// `text` up to [`MAX_FULL_MESSAGE`] bytes (at a character boundary), saying what was left
/// out.
pub(crate) fn bounded(text: &str) -> std::borrow::Cow<'_, str> {
    if text.len() <= MAX_FULL_MESSAGE {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut end = MAX_FULL_MESSAGE;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    std::borrow::Cow::Owned(format!(
        "{}… ({} more bytes)",
        &text[..end],
        text.len() - end
    ))
}

/// `text` quoted for a POSIX shell, so a command printed for the user to copy runs exactly
/// what it says, whatever `text` holds.
#[cfg(feature = "listen")]
pub(crate) fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::{printable, terminal_safe};

    #[test]
    fn control_characters_from_the_service_are_escaped() {
        assert_eq!(
            printable("ok\u{1b}]0;pwned\u{7}\u{1b}[2J"),
            "ok\\u001b]0;pwned\\u0007\\u001b[2J"
        );
        assert_eq!(printable("+919956555625 é"), "+919956555625 é");
        // C1 controls, a bidirectional override, a zero-width space, a line break.
        assert_eq!(
            printable("a\u{9b}b\u{202e}c\u{200b}d\ne\rf"),
            "a\\u009bb\\u202ec\\u200bd\\u000ae\\u000df"
        );
        // What reaches the terminal keeps the command's own line breaks.
        assert_eq!(terminal_safe("a\nb\u{1b}"), "a\nb\\u001b");
    }

    #[test]
    fn escaped_json_is_still_the_same_json() {
        let v = serde_json::json!({"m": "x\u{202e}y\u{9b}z\u{e0041}\u{2028}"});
        let text = serde_json::to_string(&v).unwrap();
        let safe = terminal_safe(&text);
        assert!(!safe.contains('\u{202e}') && !safe.contains('\u{9b}'));
        assert!(safe.contains("\\udb40\\udc41"), "{safe}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&safe).unwrap(), v);
    }
}
