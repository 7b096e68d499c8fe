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
/// # use greenpin_core::{UpdateSpec, wire::from_json};
/// let err = from_json::<UpdateSpec>(br#"{"a":{"pin_length":"abc"}}"#).unwrap_err();
/// assert_eq!(err.field(), "a.pin_length");
/// assert!(from_json::<UpdateSpec>(b"[]").is_err());
/// assert_eq!(from_json::<UpdateSpec>(b"").unwrap_err().field(), "body");
/// ```
pub fn from_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ValidationError> {
    from_json_noting_unknown(body).map(|(value, _)| value)
}

/// Top-level fields of the request shape described by a newer set of Exotel's Lead Assist
/// pages (`caller_id_number`, `from`/`to`, an integer `duration`, …), which contradicts the
/// established GreenPin pages and Exotel's own Update example. They are refused rather than
/// ignored: an ignored `"duration": 7200` would leave an allocation living for the
/// account's maximum (170 days by default) without a word.
pub const NEWER_SHAPE_FIELDS: &[&str] = &[
    "caller_id_number",
    "from",
    "to",
    "duration",
    "max_pin_attempts",
    "record",
    "custom_field",
];

/// Refuses a field of the newer request shape ([`NEWER_SHAPE_FIELDS`]) among `unknown`
/// (paths of fields not read), naming it with what GreenPin reads instead. `prefix` is put
/// before the field (`greenpins[3]`), or nothing.
pub(crate) fn refuse_newer_shape(unknown: &[String], prefix: &str) -> Result<(), ValidationError> {
    let Some(field) = unknown
        .iter()
        .find(|f| NEWER_SHAPE_FIELDS.contains(&f.as_str()))
    else {
        return Ok(());
    };
    let instead = match field.as_str() {
        "caller_id_number" => "a.vns or b.vns",
        "from" => "a.numbers",
        "to" => "b.numbers",
        "duration" => "deallocation_policy.duration (\"2h\", \"1200s\")",
        _ => "nothing: GreenPin has no such setting",
    };
    let path = if prefix.is_empty() {
        field.clone()
    } else {
        format!("{prefix}.{field}")
    };
    Err(ValidationError::new(
        path,
        ValidationKind::Invalid,
        format!(
            "is a field of another request shape, which GreenPin's API does not read; use {instead}"
        ),
    ))
}

/// Like [`from_json`], and also says which fields of the body were not read (a typo such
/// as `deallocation_polcy`), as paths. The service ignores unknown fields; a server or a
/// tool says so rather than dropping them without a word. A field of the newer request
/// shape ([`NEWER_SHAPE_FIELDS`]) is refused, naming it.
///
/// ```
/// # use greenpin_core::{UpdateSpec, wire::from_json_noting_unknown};
/// let (spec, unknown) = from_json_noting_unknown::<UpdateSpec>(
///     br#"{"usage":"oneway","deallocation_polcy":{"duration":"1h"},"a":{"pn":"1"}}"#,
/// ).unwrap();
/// assert!(spec.deallocation_policy.is_none());
/// assert_eq!(unknown, ["deallocation_polcy", "a.pn"]);
///
/// let err = from_json_noting_unknown::<UpdateSpec>(br#"{"usage":"oneway","duration":7200}"#)
///     .unwrap_err();
/// assert_eq!(err.field(), "duration");
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
    refuse_newer_shape(&unknown, "")?;
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
