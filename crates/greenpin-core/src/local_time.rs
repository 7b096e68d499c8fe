//! Times as GreenPin writes them: the account's [`Timezone`], and a [`DeallocationTime`]
//! in it (`"YYYY-MM-DD HH:MM:SS"`, no offset). Each converts to the other, so they are one
//! room.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::PrimitiveDateTime;

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
    pub(crate) fn utc_offset(&self) -> Option<time::UtcOffset> {
        self.utc_offset_secs()
            .and_then(|s| time::UtcOffset::from_whole_seconds(s).ok())
    }

    /// The wall-clock time in this zone of an instant given as Unix seconds: what the
    /// service writes in `deallocation_time`. `None` for an unknown zone or an instant
    /// outside the years 1 to 9999.
    ///
    /// ```
    /// # use greenpin_core::Timezone;
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
    /// # use greenpin_core::Timezone;
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

/// When an allocation ends: `"YYYY-MM-DD HH:MM:SS"`, in the account's `timezone` setting
/// (IST unless changed), with no offset on the wire.
///
/// ```
/// # use greenpin_core::{DeallocationTime, Timezone};
/// let t: DeallocationTime = "2020-03-27 12:17:09".parse().unwrap();
/// assert_eq!(t.to_string(), "2020-03-27 12:17:09");
/// // The instant it names, in the account's timezone:
/// assert_eq!(t.unix_secs(&Timezone::Utc), Some(1_585_311_429));
/// assert_eq!(Timezone::Utc.deallocation_time(1_585_311_429), Some(t));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeallocationTime(PrimitiveDateTime);

/// As written on the wire: `DeallocationTime(2020-03-27 12:17:09)`.
impl fmt::Debug for DeallocationTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeallocationTime({self})")
    }
}

impl DeallocationTime {
    pub(crate) fn new(datetime: PrimitiveDateTime) -> Self {
        DeallocationTime(datetime)
    }

    /// The instant this wall-clock time names in `timezone` (the account's `timezone`
    /// setting), as Unix seconds; `None` for a zone the SDK does not know.
    pub fn unix_secs(&self, timezone: &crate::Timezone) -> Option<i64> {
        let offset = timezone.utc_offset()?;
        Some(self.0.assume_offset(offset).unix_timestamp())
    }

    /// The instant this wall-clock time names in `timezone` (the account's `timezone`
    /// setting, which [`Settings`](crate::Settings) reads), to compare with
    /// [`SystemTime::now`](std::time::SystemTime::now) or to schedule on; `None` for a
    /// zone the SDK does not know.
    ///
    /// ```
    /// # use std::time::{Duration, SystemTime};
    /// # use greenpin_core::{DeallocationTime, Timezone};
    /// let t: DeallocationTime = "2020-03-27 17:47:09".parse().unwrap();
    /// let at = t.instant(&Timezone::Ist).unwrap();
    /// assert_eq!(at, SystemTime::UNIX_EPOCH + Duration::from_secs(1_585_311_429));
    /// assert!(at < SystemTime::now());
    /// ```
    pub fn instant(&self, timezone: &crate::Timezone) -> Option<std::time::SystemTime> {
        let secs = self.unix_secs(timezone)?;
        let epoch = std::time::SystemTime::UNIX_EPOCH;
        let distance = std::time::Duration::from_secs(secs.unsigned_abs());
        if secs >= 0 {
            epoch.checked_add(distance)
        } else {
            epoch.checked_sub(distance)
        }
    }

    /// The earliest time there is (`-9999-01-01 00:00:00`): before any deallocation.
    pub const MIN: DeallocationTime = DeallocationTime(PrimitiveDateTime::MIN);
}

/// A string that is not `YYYY-MM-DD HH:MM:SS`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a deallocation time of the form YYYY-MM-DD HH:MM:SS")]
pub struct DeallocationTimeError(String);

/// Read by hand: every answer carries one, and the fixed form needs no format machinery
/// (a test checks it agrees with the `time` crate's reading of the same format).
impl FromStr for DeallocationTime {
    type Err = DeallocationTimeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        let fixed = b.len() == 19
            && b[4] == b'-'
            && b[7] == b'-'
            && b[10] == b' '
            && b[13] == b':'
            && b[16] == b':';
        let num = |from: usize, to: usize| {
            b[from..to].iter().try_fold(0u16, |acc, &d| {
                d.is_ascii_digit().then(|| acc * 10 + u16::from(d - b'0'))
            })
        };
        let read = || -> Option<PrimitiveDateTime> {
            if !fixed {
                return None;
            }
            let month = time::Month::try_from(u8::try_from(num(5, 7)?).ok()?).ok()?;
            let date = time::Date::from_calendar_date(
                i32::from(num(0, 4)?),
                month,
                u8::try_from(num(8, 10)?).ok()?,
            )
            .ok()?;
            let at = time::Time::from_hms(
                u8::try_from(num(11, 13)?).ok()?,
                u8::try_from(num(14, 16)?).ok()?,
                u8::try_from(num(17, 19)?).ok()?,
            )
            .ok()?;
            Some(PrimitiveDateTime::new(date, at))
        };
        read()
            .map(DeallocationTime)
            .ok_or_else(|| DeallocationTimeError(s.to_owned()))
    }
}

/// Written by hand, as it is read (a test checks it agrees with the `time` crate's
/// formatting of `[year]-[month]-[day] [hour]:[minute]:[second]`).
impl fmt::Display for DeallocationTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (date, at) = (self.0.date(), self.0.time());
        if date.year() < 0 {
            f.write_str("-")?;
        }
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            date.year().unsigned_abs(),
            u8::from(date.month()),
            date.day(),
            at.hour(),
            at.minute(),
            at.second()
        )
    }
}

impl Serialize for DeallocationTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DeallocationTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "schema")]
crate::schema::json_schema_for!(DeallocationTime, "DeallocationTime", {
    "type": "string",
    "description": "YYYY-MM-DD HH:MM:SS in the account's timezone setting, no offset.",
    "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$",
    "examples": ["2020-03-27 12:17:09"]
});

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The wire form as a `time` format description.
    fn format() -> Vec<time::format_description::BorrowedFormatItem<'static>> {
        time::format_description::parse_borrowed::<1>(
            "[year]-[month]-[day] [hour]:[minute]:[second]",
        )
        .unwrap()
    }

    /// What the `time` crate makes of the same text with the same format.
    fn by_time(s: &str) -> Option<PrimitiveDateTime> {
        PrimitiveDateTime::parse(s, &format()).ok()
    }

    #[test]
    fn the_hand_writer_agrees_with_time() {
        for t in [
            DeallocationTime::MIN,
            "2020-03-27 12:17:09".parse().unwrap(),
        ] {
            assert_eq!(t.to_string(), t.0.format(&format()).unwrap());
        }
    }

    #[test]
    fn the_hand_reader_agrees_with_time_on_edges() {
        for s in [
            "2020-03-27 12:17:09",
            "0000-01-01 00:00:00",
            "9999-12-31 23:59:59",
            "2024-02-29 00:00:00",
            "2023-02-29 00:00:00",
            "2020-13-01 00:00:00",
            "2020-00-10 00:00:00",
            "2020-01-32 00:00:00",
            "2020-01-01 24:00:00",
            "2020-01-01 23:60:00",
            "2020-01-01 23:59:60",
            "2020-01-01T00:00:00",
            "2020-1-01 00:00:00",
            "+020-01-01 00:00:00",
            "2020-01-01 00:00:0",
            "２０２０-01-01 00:00:00",
            "",
        ] {
            assert_eq!(
                s.parse::<DeallocationTime>().ok().map(|t| t.0),
                by_time(s),
                "{s:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn the_hand_reader_agrees_with_time(s in "[0-9+ :-]{17,21}|[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}") {
            prop_assert_eq!(s.parse::<DeallocationTime>().ok().map(|t| t.0), by_time(&s));
        }

        #[test]
        fn the_hand_writer_agrees_with_time_everywhere(
            year in -9999i32..=9999, month in 1u8..=12, day in 1u8..=28,
            hour in 0u8..24, minute in 0u8..60, second in 0u8..60,
        ) {
            let date = time::Date::from_calendar_date(year, time::Month::try_from(month).unwrap(), day).unwrap();
            let t = DeallocationTime(PrimitiveDateTime::new(date, time::Time::from_hms(hour, minute, second).unwrap()));
            prop_assert_eq!(t.to_string(), t.0.format(&format()).unwrap());
        }
    }
}
