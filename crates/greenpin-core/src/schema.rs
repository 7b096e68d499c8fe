//! JSON Schema for the types whose serde form is hand-written (feature `schema`): what the
//! wire looks like, for the generated OpenAPI document.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use crate::allocation::DeallocationTime;
use crate::duration::DeallocationDuration;
use crate::error_code::{ERROR_CODES, ErrorCode};
use crate::ids::TransactionId;
use crate::phone::PhoneNumber;
use crate::pin::{Pin, PinLength};
use crate::settings::MaxDeallocationTime;

/// An integer, sent as a JSON number or a string of digits (`3` or `"3"`), or null.
pub(crate) fn int_or_digits(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "description": "A whole number, as a JSON number or a string of digits (Exotel's Update example sends both 3 and \"3\").",
        "oneOf": [
            {"type": "integer"},
            {"type": "string", "pattern": "^\\s*-?[0-9]+\\s*$"},
            {"type": "null"}
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

macro_rules! schema {
    ($ty:ty, $name:literal, $schema:tt) => {
        impl JsonSchema for $ty {
            fn schema_name() -> Cow<'static, str> {
                $name.into()
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!($schema)
            }
        }
    };
}

schema!(PhoneNumber, "PhoneNumber", {
    "type": "string",
    "description": "A phone number in E.164 form, as the service writes it.",
    "examples": ["+917987686144"]
});

schema!(Pin, "Pin", {
    "type": "string",
    "pattern": "^[0-9]{1,10}$",
    "examples": ["123"]
});

schema!(PinLength, "PinLength", {
    "type": "integer",
    "minimum": PinLength::MIN,
    "maximum": PinLength::MAX
});

schema!(DeallocationDuration, "DeallocationDuration", {
    "type": "string",
    "description": "A positive whole count and one unit, s, m, h or d, kept in the form given. The max_deallocation_time setting caps it; the service raises a policy under 5 minutes to 5 minutes.",
    "pattern": "^[1-9][0-9]{0,3}[smhd]$",
    "examples": ["1200s", "20m", "1h", "170d"]
});

schema!(DeallocationTime, "DeallocationTime", {
    "type": "string",
    "description": "YYYY-MM-DD HH:MM:SS in the account's timezone setting, no offset.",
    "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$",
    "examples": ["2020-03-27 12:17:09"]
});

schema!(TransactionId, "TransactionId", {
    "type": "string",
    "minLength": 1,
    "maxLength": TransactionId::MAX_LEN,
    "description": "The client's own id for an allocation (an order id, say), echoed back."
});

schema!(MaxDeallocationTime, "MaxDeallocationTime", {
    "description": "\"-1\" (never expire) or a duration from 5 minutes to 170 days, like \"170d\" (a number of seconds is read too); echoed in the form it was set.",
    // Exactly what the SDK and the emulator accept: 5 minutes to 170 days in any one unit
    // (leading zeros and surrounding blanks allowed), a count of seconds, or -1.
    "oneOf": [
        {"type": "string", "pattern": "^\\s*(-1|0{0,12}([1-9]|[1-9][0-9]|1[0-6][0-9]|170)d|0{0,12}([1-9]|[1-9][0-9]{1,2}|[1-3][0-9]{3}|40[0-7][0-9]|4080)h|0{0,12}([5-9]|[1-9][0-9]{1,4}|1[0-9]{5}|2[0-3][0-9]{4}|24[0-3][0-9]{3}|244[0-7][0-9]{2}|244800)m|0{0,12}([3-9][0-9]{2}|[1-9][0-9]{3,6}|1[0-3][0-9]{6}|14[0-5][0-9]{5}|146[0-7][0-9]{4}|1468[0-7][0-9]{3}|14688000)s?)\\s*$"},
        {"type": "integer", "minimum": 300, "maximum": 14688000},
        {"const": -1}
    ],
    "examples": ["170d", "-1", "12h"]
});

impl JsonSchema for ErrorCode {
    fn schema_name() -> Cow<'static, str> {
        "ErrorCode".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let known: Vec<String> = ERROR_CODES
            .iter()
            .map(|c| format!("{} {} ({})", c.code, c.meaning, c.http_status))
            .collect();
        json_schema!({
            "type": "integer",
            "description": format!("A GreenPin error code; unknown codes may appear. Known: {}.", known.join("; ")),
            "examples": ERROR_CODES.iter().map(|c| c.code).collect::<Vec<_>>()
        })
    }
}
