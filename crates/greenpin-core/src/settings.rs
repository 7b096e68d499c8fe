//! Account settings: `GET /settings` and `PUT /settings` (a PUT keeps what it omits).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::pin::PinLength;
use crate::string_enum::string_enum;

string_enum!(
    /// The timezone `deallocation_time` is written in.
    Timezone {
        /// India Standard Time, UTC+05:30 (the default).
        Ist => "IST",
        /// UTC.
        Utc => "UTC",
    }
);

impl Timezone {
    /// Offset from UTC in seconds, for the known zones.
    pub fn utc_offset_secs(&self) -> Option<i32> {
        match self {
            Timezone::Ist => Some(5 * 3600 + 1800),
            Timezone::Utc => Some(0),
            Timezone::Unknown(_) => None,
        }
    }

    /// Offset from UTC, for the known zones.
    pub fn utc_offset(&self) -> Option<time::UtcOffset> {
        self.utc_offset_secs()
            .and_then(|s| time::UtcOffset::from_whole_seconds(s).ok())
    }

    /// The wall-clock time in this zone of an instant given as Unix seconds: what the
    /// service writes in `deallocation_time`. `None` for an unknown zone or an instant
    /// outside the years 1 to 9999.
    ///
    /// ```
    /// use greenpin_core::Timezone;
    /// assert_eq!(Timezone::Ist.deallocation_time(0).unwrap().to_string(), "1970-01-01 05:30:00");
    /// assert_eq!(Timezone::Utc.deallocation_time(0).unwrap().to_string(), "1970-01-01 00:00:00");
    /// ```
    pub fn deallocation_time(&self, unix_secs: i64) -> Option<crate::DeallocationTime> {
        let local = self.local(unix_secs)?;
        Some(crate::DeallocationTime::new(time::PrimitiveDateTime::new(
            local.date(),
            local.time(),
        )))
    }

    /// An instant as ISO 8601 (RFC 3339) with this zone's offset, as callbacks carry
    /// `start_time` and `current_time`.
    ///
    /// ```
    /// use greenpin_core::Timezone;
    /// assert_eq!(Timezone::Ist.iso8601(0).unwrap(), "1970-01-01T05:30:00+05:30");
    /// ```
    pub fn iso8601(&self, unix_secs: i64) -> Option<String> {
        self.local(unix_secs)?
            .format(&time::format_description::well_known::Rfc3339)
            .ok()
    }

    fn local(&self, unix_secs: i64) -> Option<time::OffsetDateTime> {
        let offset = self.utc_offset()?;
        time::OffsetDateTime::from_unix_timestamp(unix_secs)
            .ok()
            .map(|t| t.to_offset(offset))
    }
}

/// The `max_deallocation_time` setting: a cap on deallocation durations, or never expire.
///
/// Read from `-1` (never), a number of seconds, or a duration string (`"170d"`); written as
/// `-1` or whole seconds (`"14688000s"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MaxDeallocationTime {
    /// `-1`: allocations never expire.
    Never,
    /// Allocations live at most this many seconds.
    Secs(u64),
}

impl MaxDeallocationTime {
    /// The longest cap GreenPin allows: 170 days, in seconds.
    pub const LIMIT_SECS: u64 = 170 * 86_400;
}

impl fmt::Display for MaxDeallocationTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MaxDeallocationTime::Never => f.write_str("-1"),
            MaxDeallocationTime::Secs(s) => write!(f, "{s}s"),
        }
    }
}

impl Serialize for MaxDeallocationTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            MaxDeallocationTime::Never => s.serialize_i64(-1),
            MaxDeallocationTime::Secs(_) => s.collect_str(self),
        }
    }
}

impl<'de> Deserialize<'de> for MaxDeallocationTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(i64),
            Str(String),
        }
        let bad = || serde::de::Error::custom("expected -1, seconds, or a duration like \"170d\"");
        match Raw::deserialize(d).map_err(|_| bad())? {
            Raw::Int(-1) => Ok(MaxDeallocationTime::Never),
            Raw::Int(n) if n > 0 => Ok(MaxDeallocationTime::Secs(n as u64)),
            Raw::Int(_) => Err(bad()),
            Raw::Str(s) if s.trim() == "-1" => Ok(MaxDeallocationTime::Never),
            Raw::Str(s) => {
                let t = s.trim();
                t.parse::<u64>()
                    .ok()
                    .or_else(|| crate::duration::count_unit_secs(t))
                    .filter(|&n| n > 0)
                    .map(MaxDeallocationTime::Secs)
                    .ok_or_else(bad)
            }
        }
    }
}

/// Account settings. Every field is optional: the service may leave some out, and an
/// update sends only what it changes. Fields this version does not model are kept in
/// `other` and written back as they came.
///
/// ```
/// use greenpin_core::{Settings, Timezone};
/// let s: Settings = serde_json::from_str(r#"{"timezone":"UTC","deletion_time":3600,"x":1}"#).unwrap();
/// assert_eq!(s.timezone, Some(Timezone::Utc));
/// assert_eq!(s.other["x"], 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Settings {
    /// Country local numbers are read in (ISO 3166-1 alpha-2; default `IN`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Whether international numbers are allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intl_num_sup: Option<bool>,
    /// Cap on deallocation durations (default 170 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_deallocation_time: Option<MaxDeallocationTime>,
    /// Timezone of `deallocation_time` (default IST).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<Timezone>,
    /// Seconds a vault allocation is kept before it is purged.
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
    /// Settings this version does not model (some are shared with GreenVN).
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

impl Settings {
    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        self == &Settings::default()
    }
}
