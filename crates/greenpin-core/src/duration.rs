//! Deallocation durations: GreenPin's `"1200s"`, `"20m"`, `"1h"`, `"170d"`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How long an allocation lives: GreenPin's `"<count><unit>"`, a positive whole count and
/// one of the units `s`, `m`, `h`, `d` (`"1200s"`, `"20m"`, `"1h"`, `"170d"`). It is kept,
/// and written back, in the form it was given.
///
/// Only that form is read: `"1h 30m"`, `"90min"`, `"1.5h"` and `"10M"` are refused (there
/// is no unit `M`). Friendlier forms are converted where they are typed: a
/// `std::time::Duration` becomes whole seconds, and the `greenpin` command reads `2h30m`.
///
/// ```
/// # use greenpin_core::DeallocationDuration;
/// let d: DeallocationDuration = "20m".parse().unwrap();
/// assert_eq!(d.as_secs(), 1200);
/// assert_eq!(d.to_string(), "20m");
/// assert!("0s".parse::<DeallocationDuration>().is_err());
/// assert!("1h 30m".parse::<DeallocationDuration>().is_err());
/// assert!("10M".parse::<DeallocationDuration>().is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct DeallocationDuration {
    count: u64,
    unit: Unit,
}

/// A unit of a [`DeallocationDuration`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Unit {
    S,
    M,
    H,
    D,
}

impl Unit {
    fn secs(self) -> u64 {
        match self {
            Unit::S => 1,
            Unit::M => 60,
            Unit::H => 3_600,
            Unit::D => 86_400,
        }
    }

    fn letter(self) -> char {
        match self {
            Unit::S => 's',
            Unit::M => 'm',
            Unit::H => 'h',
            Unit::D => 'd',
        }
    }
}

/// Why a duration is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DurationError {
    /// Not of the form `<count><unit>`.
    #[error(
        "{0:?} is not a duration; write a whole count and one unit, s, m, h or d: \"1200s\", \"20m\", \"1h\", \"2d\""
    )]
    Syntax(String),
    /// Zero.
    #[error("must be positive")]
    Zero,
    /// Has a fraction of a second.
    #[error("must be a whole number of seconds")]
    Fractional,
    /// Longer than any allocation can be asked to live.
    #[error("{secs}s is longer than the longest accepted, {max} days", max = DeallocationDuration::LONGEST_DAYS)]
    TooLong {
        /// What was asked for, in seconds.
        secs: u64,
    },
}

impl DeallocationDuration {
    /// The longest policy any account allows: 170 days, the documented maximum of the
    /// `max_deallocation_time` setting (which caps shorter). A longer policy is accepted
    /// only when the setting is `-1` (never expire); then it is honoured.
    pub const MAX: DeallocationDuration = DeallocationDuration {
        count: 170,
        unit: Unit::D,
    };

    /// The shortest life of an allocation the service documents: 5 minutes. Shorter
    /// policies are accepted (Exotel's own examples use `"20s"`); the service raises them
    /// to this.
    pub const MIN_LIFE: DeallocationDuration = DeallocationDuration {
        count: 5,
        unit: Unit::M,
    };

    /// Upper bound of the wire form, in days: beyond any plausible policy (100 years), so
    /// that every accepted duration fits every clock.
    pub const LONGEST_DAYS: u64 = 36_500;

    /// A duration of whole seconds, written `"{secs}s"`.
    pub fn from_secs(secs: u64) -> Result<Self, DurationError> {
        Self::new(secs, Unit::S)
    }

    fn new(count: u64, unit: Unit) -> Result<Self, DurationError> {
        let secs = count.saturating_mul(unit.secs());
        if count == 0 {
            return Err(DurationError::Zero);
        }
        if secs > Self::LONGEST_DAYS * 86_400 {
            return Err(DurationError::TooLong { secs });
        }
        Ok(DeallocationDuration { count, unit })
    }

    /// Seconds.
    pub fn as_secs(self) -> u64 {
        self.count * self.unit.secs()
    }

    /// As a `std` duration.
    pub fn as_duration(self) -> Duration {
        Duration::from_secs(self.as_secs())
    }
}

impl PartialOrd for DeallocationDuration {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for DeallocationDuration {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_secs()
            .cmp(&other.as_secs())
            .then((self.unit.secs()).cmp(&other.unit.secs()))
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
        let syntax = || DurationError::Syntax(s.to_owned());
        let unit = match s.chars().last() {
            Some('s') => Unit::S,
            Some('m') => Unit::M,
            Some('h') => Unit::H,
            Some('d') => Unit::D,
            _ => return Err(syntax()),
        };
        let count = &s[..s.len() - 1];
        if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
            return Err(syntax());
        }
        // All digits: parsing fails only for a count beyond u64, which is far too long.
        let count: u64 = count
            .parse()
            .map_err(|_| DurationError::TooLong { secs: u64::MAX })?;
        DeallocationDuration::new(count, unit)
    }
}

impl fmt::Display for DeallocationDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.count, self.unit.letter())
    }
}

impl Serialize for DeallocationDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Written by hand rather than through `Display`: every create and update sends one,
        // and the formatting machinery cost more than the rest of the field.
        let mut text = [0u8; 21];
        let mut at = text.len() - 1;
        text[at] = self.unit.letter() as u8;
        let mut n = self.count;
        loop {
            at -= 1;
            text[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        // ASCII digits and a letter: always UTF-8.
        s.serialize_str(std::str::from_utf8(&text[at..]).map_err(serde::ser::Error::custom)?)
    }
}

impl<'de> Deserialize<'de> for DeallocationDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "schema")]
crate::schema::json_schema_for!(DeallocationDuration, "DeallocationDuration", {
    "type": "string",
    "description": "A positive whole count and one unit, s, m, h or d, kept in the form given. The max_deallocation_time setting caps it; the service raises a policy under 5 minutes to 5 minutes.",
    "pattern": "^[1-9][0-9]{0,3}[smhd]$",
    "examples": ["1200s", "20m", "1h", "170d"]
});

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The hand-written JSON form is the `Display` form, for every count and unit
        /// (counts past what a duration may hold included: the writer sees only digits).
        #[test]
        fn serialises_as_it_displays(count in proptest::prelude::any::<u64>(), unit in 0..4u8) {
            let unit = [Unit::S, Unit::M, Unit::H, Unit::D][usize::from(unit)];
            let d = DeallocationDuration { count, unit };
            proptest::prop_assert_eq!(
                serde_json::to_string(&d).unwrap(),
                format!("\"{d}\"")
            );
        }
    }

    #[test]
    fn reads_only_the_documented_form_and_keeps_it() {
        for (text, secs) in [
            ("1200s", 1200),
            ("20m", 1200),
            ("1h", 3600),
            ("170d", 170 * 86_400),
            ("20s", 20),
        ] {
            let d = text.parse::<DeallocationDuration>().unwrap();
            assert_eq!(
                (d.as_secs(), d.to_string()),
                (secs, text.to_owned()),
                "{text}"
            );
        }
        for bad in [
            "1h 30m", "90min", "2weeks", "1.5h", "10M", "1H", " 5s", "5s ", "s", "-5s", "+5s", "5",
            "",
        ] {
            assert!(
                matches!(
                    bad.parse::<DeallocationDuration>(),
                    Err(DurationError::Syntax(_))
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn orders_by_length_then_unit_and_converts() {
        let d = |s: &str| s.parse::<DeallocationDuration>().unwrap();
        assert_eq!(d("20m").as_duration(), Duration::from_secs(1200));
        assert!(d("1h") < d("61m") && d("61m") > d("1h"));
        // The same length in two units: ordered by the unit, never equal (the form is kept).
        assert!(d("60s") < d("1m"));
        assert_eq!(
            d("1h").partial_cmp(&d("60m")),
            Some(std::cmp::Ordering::Greater)
        );
        let mut all = [d("2h"), d("1d"), d("90s"), d("120m")];
        all.sort();
        let sorted: Vec<String> = all.iter().map(ToString::to_string).collect();
        assert_eq!(sorted, ["90s", "120m", "2h", "1d"]);
    }

    #[test]
    fn refuses_zero_and_the_absurd() {
        assert_eq!(
            "0m".parse::<DeallocationDuration>(),
            Err(DurationError::Zero)
        );
        assert_eq!(
            "36501d".parse::<DeallocationDuration>(),
            Err(DurationError::TooLong {
                secs: 36_501 * 86_400
            })
        );
        // Too long however many digits: a count u64 holds, and one it does not.
        assert_eq!(
            "1000000000000000000s".parse::<DeallocationDuration>(),
            Err(DurationError::TooLong {
                secs: 1_000_000_000_000_000_000
            })
        );
        assert_eq!(
            "99999999999999999999d".parse::<DeallocationDuration>(),
            Err(DurationError::TooLong { secs: u64::MAX })
        );
        assert!(
            "171d".parse::<DeallocationDuration>().is_ok(),
            "the setting decides"
        );
        assert_eq!(
            DeallocationDuration::try_from(Duration::from_millis(1500)),
            Err(DurationError::Fractional)
        );
        assert_eq!(
            DeallocationDuration::try_from(Duration::from_secs(90))
                .unwrap()
                .to_string(),
            "90s"
        );
    }
}
