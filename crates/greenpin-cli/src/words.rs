//! Validation messages in the words the user wrote. The core names a field by its path in
//! the JSON body (`deallocation_policy.duration`, `a.numbers[1]`); a user who typed
//! `--deallocate-after` or filled a `deallocate_after` column should read that name
//! instead. Only a user who wrote JSON (`--body`, NDJSON rows) reads the wire path.

use greenpin_core::ValidationError;

/// How the user wrote the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Words {
    /// Command-line flags (`--a-number`, `--deallocate-after`).
    Flags,
    /// CSV columns (`a_numbers`, `deallocate_after`).
    Columns,
    /// JSON: the wire paths are the user's own words.
    Json,
}

/// The wire paths a message may name, and what a flag or a column calls them. Lists keep
/// the entry's position (`--a-number #2`, `a_numbers #2`).
const NAMES: &[(&str, &str, &str)] = &[
    (
        "deallocation_policy.duration",
        "--deallocate-after",
        "deallocate_after",
    ),
    (
        "deallocation_policy",
        "--deallocate-after",
        "deallocate_after",
    ),
    ("transaction_id", "--transaction-id", "transaction_id"),
    ("greenpin_id", "the allocation id", "greenpin_id"),
    ("a.numbers", "--a-number", "a_numbers"),
    ("a.vns", "--a-vn", "a_vns"),
    ("a.pin_length", "--a-pin-length", "a_pin_length"),
    ("a.pin", "--a-pin", "a_pin"),
    ("b.numbers", "--b-number", "b_numbers"),
    ("b.vns", "--b-vn", "b_vns"),
    ("b.pin_length", "--b-pin-length", "b_pin_length"),
    ("b.pin", "--b-pin", "b_pin"),
    ("usage", "--usage", "usage"),
];

/// `text` with every wire path it names in the user's words.
fn translate(text: &str, words: Words) -> String {
    if words == Words::Json {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'scan: while !rest.is_empty() {
        let at_word_start = out
            .chars()
            .last()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '.'));
        if at_word_start {
            for (wire, flag, column) in NAMES {
                let Some(after) = rest.strip_prefix(wire) else {
                    continue;
                };
                let name = if words == Words::Flags { flag } else { column };
                // `a.numbers[1]`: the second of the list.
                let (index, after) = match after.strip_prefix('[').and_then(|a| a.split_once(']')) {
                    Some((i, tail)) if i.bytes().all(|b| b.is_ascii_digit()) && !i.is_empty() => {
                        (i.parse::<usize>().ok(), tail)
                    }
                    _ => (None, after),
                };
                if after.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                out.push_str(name);
                if let Some(i) = index {
                    out.push_str(&format!(" #{}", i + 1));
                }
                rest = after;
                continue 'scan;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    out
}

/// The error's message — its field, then its problem — in the user's words.
pub(crate) fn message(e: &ValidationError, words: Words) -> String {
    let field = match (words, e.field()) {
        (Words::Flags, "body") => "the flags".to_owned(),
        (Words::Columns, "body") => "the row".to_owned(),
        (_, field) => translate(field, words),
    };
    format!("{field}: {}", translate(e.problem(), words))
}

/// The error in the user's words, as a validation error of the same kind.
pub(crate) fn rename(e: ValidationError, words: Words) -> ValidationError {
    if words == Words::Json {
        return e;
    }
    let field = match (words, e.field()) {
        (Words::Flags, "body") => "the flags".to_owned(),
        (Words::Columns, "body") => "the row".to_owned(),
        (_, field) => translate(field, words),
    };
    ValidationError::new(field, e.kind(), translate(e.problem(), words))
}

#[cfg(test)]
mod tests {
    use super::*;
    use greenpin_core::ValidationKind;

    #[test]
    fn wire_paths_become_flags_and_columns() {
        let e = ValidationError::new(
            "a.numbers[1]",
            ValidationKind::Invalid,
            "+917987686144 is already listed as a.numbers[0]",
        );
        assert_eq!(
            message(&e, Words::Flags),
            "--a-number #2: +917987686144 is already listed as --a-number #1"
        );
        assert_eq!(
            message(&e, Words::Columns),
            "a_numbers #2: +917987686144 is already listed as a_numbers #1"
        );
        assert_eq!(message(&e, Words::Json), e.to_string());
        let d = ValidationError::new(
            "deallocation_policy.duration",
            ValidationKind::Invalid,
            "\"2 days\" is not a count and a unit",
        );
        assert_eq!(
            message(&d, Words::Flags),
            "--deallocate-after: \"2 days\" is not a count and a unit"
        );
        assert_eq!(
            message(&d, Words::Columns),
            "deallocate_after: \"2 days\" is not a count and a unit"
        );
        // A path inside another word is left alone.
        let x = ValidationError::new("usage", ValidationKind::Invalid, "see xa.pin and a.pins");
        assert_eq!(message(&x, Words::Flags), "--usage: see xa.pin and a.pins");
    }
}
