//! Deallocation durations: GreenPin's `"1200s"`, `"20m"`, `"1h"`, `"170d"`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How long an allocation lives: a positive whole number of seconds, at most
/// [`DeallocationDuration::MAX`] (170 days, the documented default cap of the
/// `max_deallocation_time` setting).
///
/// Read from a count and a unit (`s`, `m`, `h`, `d`), or any form `humantime` reads
/// (`"1h 30m"`); written as whole seconds (`"1200s"`), which every reader accepts.
///
/// ```
/// use greenpin_core::DeallocationDuration;
/// let d: DeallocationDuration = "20m".parse().unwrap();
/// assert_eq!(d.as_secs(), 1200);
/// assert_eq!(d.to_string(), "1200s");
/// assert!("0s".parse::<DeallocationDuration>().is_err());
/// assert!("171d".parse::<DeallocationDuration>().is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct DeallocationDuration(u64);

/// Why a duration is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DurationError {
    /// Not a duration at all.
    #[error(
        "{0:?} is not a duration; write a count and a unit: \"1200s\", \"20m\", \"1h\", \"2d\""
    )]
    Syntax(String),
    /// Zero.
    #[error("must be positive")]
    Zero,
    /// Has a fraction of a second.
    #[error("must be a whole number of seconds")]
    Fractional,
    /// Longer than the cap.
    #[error("{secs}s is longer than the maximum of {max}s ({days} days)", max = DeallocationDuration::MAX.0, days = DeallocationDuration::MAX.0 / 86_400)]
    TooLong {
        /// What was asked for, in seconds.
        secs: u64,
    },
}

impl DeallocationDuration {
    /// The longest duration: 170 days.
    pub const MAX: DeallocationDuration = DeallocationDuration(170 * 86_400);

    /// A duration of whole seconds.
    pub fn from_secs(secs: u64) -> Result<Self, DurationError> {
        match secs {
            0 => Err(DurationError::Zero),
            s if s > Self::MAX.0 => Err(DurationError::TooLong { secs: s }),
            s => Ok(DeallocationDuration(s)),
        }
    }

    /// Seconds.
    pub fn as_secs(self) -> u64 {
        self.0
    }

    /// As a `std` duration.
    pub fn as_duration(self) -> Duration {
        Duration::from_secs(self.0)
    }
}

impl TryFrom<Duration> for DeallocationDuration {
    type Error = DurationError;
    fn try_from(d: Duration) -> Result<Self, DurationError> {
        if d.subsec_nanos() != 0 {
            return Err(DurationError::Fractional);
        }
        DeallocationDuration::from_secs(d.as_secs())
    }
}

impl FromStr for DeallocationDuration {
    type Err = DurationError;
    fn from_str(s: &str) -> Result<Self, DurationError> {
        let t = s.trim();
        let syntax = || DurationError::Syntax(s.to_owned());
        // The API's own form: digits and one unit letter.
        if let Some(secs) = count_unit_secs(t) {
            return DeallocationDuration::from_secs(secs);
        }
        // Anything humantime reads ("1h 30m", "90min").
        let d = humantime::parse_duration(t).map_err(|_| syntax())?;
        DeallocationDuration::try_from(d)
    }
}

/// Seconds in GreenPin's `"<count><unit>"` form (unit `s`, `m`, `h` or `d`), or `None`
/// when `t` is not of that form or overflows.
pub(crate) fn count_unit_secs(t: &str) -> Option<u64> {
    let unit = t.chars().last()?;
    let scale = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        _ => return None,
    };
    let count = &t[..t.len() - 1];
    if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    count.parse::<u64>().ok()?.checked_mul(scale)
}

impl fmt::Display for DeallocationDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}s", self.0)
    }
}

impl Serialize for DeallocationDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DeallocationDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_forms() {
        for (text, secs) in [
            ("1200s", 1200),
            ("20m", 1200),
            ("1h", 3600),
            ("170d", 170 * 86_400),
            ("1h 30m", 5400),
            (" 5s ", 5),
        ] {
            assert_eq!(
                text.parse::<DeallocationDuration>().unwrap().as_secs(),
                secs,
                "{text}"
            );
        }
    }

    #[test]
    fn refuses_what_it_must() {
        assert_eq!(
            "0m".parse::<DeallocationDuration>(),
            Err(DurationError::Zero)
        );
        assert_eq!(
            "1500ms".parse::<DeallocationDuration>(),
            Err(DurationError::Fractional)
        );
        assert_eq!(
            "171d".parse::<DeallocationDuration>(),
            Err(DurationError::TooLong { secs: 171 * 86_400 })
        );
        assert!(matches!(
            "soon".parse::<DeallocationDuration>(),
            Err(DurationError::Syntax(_))
        ));
        assert!(matches!(
            "-5s".parse::<DeallocationDuration>(),
            Err(DurationError::Syntax(_))
        ));
        assert!(
            "99999999999999999999d"
                .parse::<DeallocationDuration>()
                .is_err()
        );
    }
}
