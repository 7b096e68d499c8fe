//! JSON Schema helpers (feature `schema`): schemas for fields read loosely (counts, flags),
//! and the macro each type with a hand-written serde form uses, beside its definition, to
//! say what its wire form looks like. Nothing here names a model type, so every module
//! may use it and none is imported back.

use schemars::{Schema, SchemaGenerator, json_schema};

/// An integer, sent as a JSON number or a string of digits (`3` or `"3"`), or null.
pub(crate) fn int_or_digits(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "description": "A whole number, as a JSON number or a string of digits (Exotel's Update example sends both 3 and \"3\").",
        "oneOf": [
            {"type": "integer"},
            {"type": "string", "pattern": "^[0-9]+$"},
            {"type": "null"}
        ]
    })
}

/// A PIN: a string of digits, or a JSON integer (read as its digits).
pub(crate) fn pin_text(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "description": "A PIN: a string of 1 to 10 digits, or a positive JSON integer (GreenVN's pages call a PIN \"any positive integer\"); the SDK sends a string.",
        "oneOf": [
            {"type": "string", "pattern": "^[0-9]{1,10}$"},
            {"type": "integer", "minimum": 0, "maximum": 9999999999u64}
        ]
    })
}

/// A flag written as the string `"true"` or `"false"` (read from a boolean too).
pub(crate) fn string_flag(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "description": "\"true\" or \"false\" (a JSON boolean is read too).",
        "oneOf": [
            {"type": "string", "enum": ["true", "false"]},
            {"type": "boolean"},
            {"type": "null"}
        ]
    })
}

/// A count, as a JSON number or a string of digits, or empty.
pub(crate) fn count(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "oneOf": [
            {"type": "integer", "minimum": 0},
            {"type": "string", "pattern": "^\\s*[0-9]*\\s*$"},
            {"type": "null"}
        ]
    })
}

/// A type's JSON Schema, written out: `json_schema_for!(Type, "Name", {…})`, used beside
/// each type whose serde form is hand-written.
macro_rules! json_schema_for {
    ($ty:ty, $name:literal, $schema:tt) => {
        impl schemars::JsonSchema for $ty {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                $name.into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!($schema)
            }
        }
    };
}
pub(crate) use json_schema_for;
