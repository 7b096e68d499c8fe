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
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
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
    })
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
