//! Account settings: `GET /settings` and `PUT /settings` (a PUT keeps what it omits).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::local_time::Timezone;
use crate::phone::Country;
use crate::pin::PinLength;

/// The `max_deallocation_time` setting: the longest an allocation may live (a longer
/// deallocation policy is cut to it), or never expire.
///
/// Read from `"-1"` or `-1` (never), a duration (`"170d"`), or a number of seconds; written
/// as `"-1"` or the duration in the form it was set, as the service echoes it.
///
/// ```
/// # use greenpin_core::MaxDeallocationTime;
/// let m: MaxDeallocationTime = serde_json::from_str(r#""170d""#).unwrap();
/// assert_eq!(m.secs(), Some(170 * 86_400));
/// assert_eq!(serde_json::to_string(&m).unwrap(), r#""170d""#);
/// let never: MaxDeallocationTime = serde_json::from_str("-1").unwrap();
/// assert_eq!(serde_json::to_string(&never).unwrap(), r#""-1""#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MaxDeallocationTime {
    /// `-1`: allocations without a policy never expire, and no policy is cut.
    Never,
    /// Allocations live at most this long.
    Cap(crate::DeallocationDuration),
}

impl MaxDeallocationTime {
    /// The longest cap GreenPin allows: 170 days, in seconds.
    pub const LIMIT_SECS: u64 = 170 * 86_400;
    /// The shortest cap GreenPin allows: 5 minutes ("as low as 5 minutes up to 170 days").
    pub const MIN_SECS: u64 = 5 * 60;

    /// The cap in seconds; `None` for never.
    pub fn secs(&self) -> Option<u64> {
        match self {
            MaxDeallocationTime::Never => None,
            MaxDeallocationTime::Cap(d) => Some(d.as_secs()),
        }
    }
}

impl fmt::Display for MaxDeallocationTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MaxDeallocationTime::Never => f.write_str("-1"),
            MaxDeallocationTime::Cap(d) => write!(f, "{d}"),
        }
    }
}

impl Serialize for MaxDeallocationTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MaxDeallocationTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(i64),
            Float(f64),
            Str(String),
        }
        let bad =
            || serde::de::Error::custom("expected \"-1\", a duration like \"170d\", or seconds");
        let secs = |n: u64| {
            crate::DeallocationDuration::from_secs(n)
                .map(MaxDeallocationTime::Cap)
                .map_err(|_| bad())
        };
        match Raw::deserialize(d).map_err(|_| bad())? {
            Raw::Int(-1) => Ok(MaxDeallocationTime::Never),
            Raw::Int(n) if n > 0 => secs(n as u64),
            Raw::Float(-1.0) => Ok(MaxDeallocationTime::Never),
            Raw::Float(f) if f > 0.0 && f.fract() == 0.0 && f < 1e15 => secs(f as u64),
            Raw::Str(s) if s.trim() == "-1" => Ok(MaxDeallocationTime::Never),
            Raw::Str(s) => match s.trim().parse::<u64>() {
                Ok(n) => secs(n),
                Err(_) => s
                    .trim()
                    .parse()
                    .map(MaxDeallocationTime::Cap)
                    .map_err(serde::de::Error::custom),
            },
            _ => Err(bad()),
        }
    }
}

/// Account settings. Every field is optional: the service may leave some out, and an
/// update sends only what it changes. Fields this version does not model are kept in
/// `other` and written back as they came.
///
/// ```
/// # use greenpin_core::{Settings, Timezone};
/// let s: Settings = serde_json::from_str(r#"{"timezone":"UTC","deletion_time":3600,"x":1}"#).unwrap();
/// assert_eq!(s.timezone, Some(Timezone::Utc));
/// assert_eq!(s.other["x"], 1);
///
/// // `intl_num_sup` is the string "true" or "false" on the wire, as documented.
/// let s: Settings = serde_json::from_str(r#"{"intl_num_sup":"true"}"#).unwrap();
/// assert_eq!(s.intl_num_sup, Some(true));
/// assert_eq!(serde_json::to_string(&s).unwrap(), r#"{"intl_num_sup":"true"}"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Settings {
    /// Country local numbers are read in (default `IN`). A code the SDK does not know is
    /// kept as sent among the settings it does not model, under `country`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<Country>,
    /// Whether international numbers are allowed: `"true"` / `"false"` on the wire.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::lenient::flag_as_string"
    )]
    #[cfg_attr(
        feature = "schema",
        schemars(schema_with = "crate::schema::string_flag")
    )]
    pub intl_num_sup: Option<bool>,
    /// Cap on deallocation durations (default 170 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_deallocation_time: Option<MaxDeallocationTime>,
    /// Timezone of `deallocation_time` (default IST).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<Timezone>,
    /// The vault, or cool-off, period in seconds (0 to 86,400; default 0): how long a
    /// deallocated allocation's VN and PIN (and VN and numbers) stay reserved before another
    /// allocation may use them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_time: Option<u64>,
    /// Where the call-completed callback is POSTed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greenpin_call_complete_event_endpoint: Option<String>,
    /// Default A-party PIN length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aparty_pin_length: Option<PinLength>,
    /// Default B-party PIN length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bparty_pin_length: Option<PinLength>,
    /// Whether A-party PINs are on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aparty_pin_enabled: Option<bool>,
    /// Whether B-party PINs are on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bparty_pin_enabled: Option<bool>,
    /// PIN length of a PIN common to both parties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub common_pin_length: Option<PinLength>,
    /// Whether a common PIN is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub common_pin_enabled: Option<bool>,
    /// Whether the parties' tags travel in call callbacks (`"true"` / `"false"`; default
    /// `"false"`). Shared with GreenVN.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::lenient::flag_as_string"
    )]
    #[cfg_attr(
        feature = "schema",
        schemars(schema_with = "crate::schema::string_flag")
    )]
    pub tag_enabled: Option<bool>,
    /// The A-party's tag (default `aparty`). Shared with GreenVN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aparty_tag: Option<String>,
    /// The B-party's tag (default `bparty`). Shared with GreenVN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bparty_tag: Option<String>,
    /// SMS configuration: a JSON object, kept as sent (its fields are not published).
    /// Shared with GreenVN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_config: Option<serde_json::Value>,
    /// Whether sticky-agent routing is on (`"true"` / `"false"`). Shared with GreenVN.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::lenient::flag_as_string"
    )]
    #[cfg_attr(
        feature = "schema",
        schemars(schema_with = "crate::schema::string_flag")
    )]
    pub sticky_agent_enabled: Option<bool>,
    /// Whether least-cost routing is on (`"true"` / `"false"`). Shared with GreenVN.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::lenient::flag_as_string"
    )]
    #[cfg_attr(
        feature = "schema",
        schemars(schema_with = "crate::schema::string_flag")
    )]
    pub lcr_enabled: Option<bool>,
    /// The default telecom region. Shared with GreenVN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_region: Option<String>,
    /// Settings this version does not model (some are shared with GreenVN).
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// Read by hand rather than derived: a derived reader with a flattened `other` buffers the
/// object and loses the path of a type error (`timezone: …` would read `body: …`). This
/// one reads key by key, so every error names its field, and it reads the loose forms the
/// service and its docs use (`"true"`, `3600.0`, `"4"`).
impl<'de> Deserialize<'de> for Settings {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Flag(Option<bool>);
        impl<'de> Deserialize<'de> for Flag {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                crate::lenient::flag(d).map(Flag)
            }
        }
        struct Count(Option<u64>);
        impl<'de> Deserialize<'de> for Count {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                crate::lenient::count(d).map(Count)
            }
        }
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Settings;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a settings object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Settings, A::Error> {
                let mut s = Settings::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "country" => {
                            let raw: Option<serde_json::Value> = map.next_value()?;
                            match raw {
                                None | Some(serde_json::Value::Null) => {}
                                Some(serde_json::Value::String(code)) => match code.parse() {
                                    Ok(country) => s.country = Some(country),
                                    Err(_) => {
                                        s.other.insert(key, serde_json::Value::String(code));
                                    }
                                },
                                Some(other) => {
                                    s.other.insert(key, other);
                                }
                            }
                        }
                        "intl_num_sup" => s.intl_num_sup = map.next_value::<Flag>()?.0,
                        "max_deallocation_time" => s.max_deallocation_time = map.next_value()?,
                        "timezone" => s.timezone = map.next_value()?,
                        "deletion_time" => s.deletion_time = map.next_value::<Count>()?.0,
                        "greenpin_call_complete_event_endpoint" => {
                            s.greenpin_call_complete_event_endpoint = map.next_value()?
                        }
                        "aparty_pin_length" => s.aparty_pin_length = map.next_value()?,
                        "bparty_pin_length" => s.bparty_pin_length = map.next_value()?,
                        "aparty_pin_enabled" => s.aparty_pin_enabled = map.next_value::<Flag>()?.0,
                        "bparty_pin_enabled" => s.bparty_pin_enabled = map.next_value::<Flag>()?.0,
                        "common_pin_length" => s.common_pin_length = map.next_value()?,
                        "common_pin_enabled" => s.common_pin_enabled = map.next_value::<Flag>()?.0,
                        "tag_enabled" => s.tag_enabled = map.next_value::<Flag>()?.0,
                        "aparty_tag" => s.aparty_tag = map.next_value()?,
                        "bparty_tag" => s.bparty_tag = map.next_value()?,
                        "sms_config" => {
                            s.sms_config = map
                                .next_value::<Option<serde_json::Value>>()?
                                .filter(|v| !v.is_null())
                        }
                        "sticky_agent_enabled" => {
                            s.sticky_agent_enabled = map.next_value::<Flag>()?.0
                        }
                        "lcr_enabled" => s.lcr_enabled = map.next_value::<Flag>()?.0,
                        "default_region" => s.default_region = map.next_value()?,
                        _ => {
                            let value: serde_json::Value = map.next_value()?;
                            s.other.insert(key, value);
                        }
                    }
                }
                Ok(s)
            }
        }
        d.deserialize_map(Visitor)
    }
}

impl Settings {
    /// The settings this version models, by their names on the wire.
    pub(crate) const FIELDS: &'static [&'static str] = &[
        "country",
        "intl_num_sup",
        "max_deallocation_time",
        "timezone",
        "deletion_time",
        "greenpin_call_complete_event_endpoint",
        "aparty_pin_length",
        "bparty_pin_length",
        "aparty_pin_enabled",
        "bparty_pin_enabled",
        "common_pin_length",
        "common_pin_enabled",
        "tag_enabled",
        "aparty_tag",
        "bparty_tag",
        "sms_config",
        "sticky_agent_enabled",
        "lcr_enabled",
        "default_region",
    ];

    /// The longest vault (cool-off) period GreenPin allows for `deletion_time`: 86,400
    /// seconds, one day.
    pub const MAX_DELETION_TIME: u64 = 86_400;

    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        self == &Settings::default()
    }
}

#[cfg(feature = "schema")]
crate::schema::json_schema_for!(MaxDeallocationTime, "MaxDeallocationTime", {
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
