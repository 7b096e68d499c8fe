//! Reading a request body from JSON, naming the field of any type error. Servers (the
//! emulator) read bodies with this, so a wire-level refusal names its field the same way a
//! validation refusal does.

use serde::de::DeserializeOwned;

use crate::validation::{ValidationError, ValidationKind};

/// Reads a JSON object into `T`. An empty body is a missing parameter (code 3); anything
/// else that is not a JSON object of the right shape is a bad parameter (code 5), naming
/// the field: `a.pin_length: "abc" is not a whole number`.
///
/// ```
/// use greenpin_core::{UpdateSpec, body::from_json};
/// let err = from_json::<UpdateSpec>(br#"{"a":{"pin_length":"abc"}}"#).unwrap_err();
/// assert_eq!(err.field(), "a.pin_length");
/// assert!(from_json::<UpdateSpec>(b"[]").is_err());
/// assert_eq!(from_json::<UpdateSpec>(b"").unwrap_err().field(), "body");
/// ```
pub fn from_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ValidationError> {
    from_json_noting_unknown(body).map(|(value, _)| value)
}

/// Like [`from_json`], and also says which fields of the body were not read (a typo such
/// as `deallocation_polcy`), as paths. The service ignores unknown fields; a server or a
/// tool says so rather than dropping them without a word.
///
/// ```
/// use greenpin_core::{UpdateSpec, body::from_json_noting_unknown};
/// let (spec, unknown) = from_json_noting_unknown::<UpdateSpec>(
///     br#"{"usage":"oneway","deallocation_polcy":{"duration":"1h"},"a":{"pn":"1"}}"#,
/// ).unwrap();
/// assert!(spec.deallocation_policy.is_none());
/// assert_eq!(unknown, ["deallocation_polcy", "a.pn"]);
/// ```
pub fn from_json_noting_unknown<T: DeserializeOwned>(
    body: &[u8],
) -> Result<(T, Vec<String>), ValidationError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ValidationError::new(
            "body",
            ValidationKind::Missing,
            "is empty; a JSON object is required",
        ));
    }
    // Derived structs also read JSON arrays (as tuples); the API takes objects only.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        let problem = if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok() {
            "expected a JSON object"
        } else {
            "is not well-formed JSON"
        };
        return Err(ValidationError::new(
            "body",
            ValidationKind::Invalid,
            problem,
        ));
    }
    let mut unknown = Vec::new();
    let de = &mut serde_json::Deserializer::from_slice(body);
    // serde_ignored writes `?` for an `Option`'s `Some`; a field path has no such step.
    let mut note = |path: serde_ignored::Path<'_>| {
        let text = path.to_string();
        unknown.push(
            text.split('.')
                .filter(|s| *s != "?")
                .collect::<Vec<_>>()
                .join("."),
        );
    };
    let noting = serde_ignored::Deserializer::new(de, &mut note);
    let value = serde_path_to_error::deserialize(noting).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ValidationError::new(
                "body",
                ValidationKind::Invalid,
                format!("is not well-formed JSON: {inner}"),
            )
        } else {
            let field = if path == "." { "body".to_owned() } else { path };
            ValidationError::new(field, ValidationKind::Invalid, strip_position(&inner))
        }
    })?;
    Ok((value, unknown))
}

/// Reads a JSON value into `T`, naming fields under `prefix` (an item of a bulk body).
pub(crate) fn from_value<T: DeserializeOwned>(
    value: serde_json::Value,
    prefix: &str,
) -> Result<T, ValidationError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." {
            prefix.to_owned()
        } else {
            format!("{prefix}.{path}")
        };
        ValidationError::new(
            field,
            ValidationKind::Invalid,
            strip_position(&e.into_inner()),
        )
    })
}

/// serde_json's message without its " at line 1 column 42" suffix: the field path says
/// where, and the position of a value in a body is no help to its author.
fn strip_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}
