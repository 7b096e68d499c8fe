//! PINs and PIN lengths.
//!
//! Exotel's Update example sends `pin_length` as `3` for one party and `"3"` for the other, so a PIN length
//! is read from either a JSON number or a string of digits, and always written as a number.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::text::Text;

/// A party's PIN: ASCII digits, [`PinLength::MIN`] to [`PinLength::MAX`] of them.
///
/// A PIN lets whoever knows it through to the other party, so it is kept out of text the
/// SDK makes: `Debug` shows only its length, there is no `Display`, and no error quotes
/// it. [`Pin::as_str`] is the one way to read it (to hand it to its party).
///
/// ```
/// # use greenpin_core::Pin;
/// let pin = Pin::new("0123").unwrap();
/// assert_eq!(pin.len(), 4);
/// assert_eq!(format!("{pin:?}"), "Pin(4 digits)");
/// assert_eq!(pin.as_str(), "0123");
/// assert!(Pin::new("12a").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pin(Text<10>);

/// Why a string is not a PIN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PinError {
    /// Empty, or a character other than an ASCII digit. The value is not kept: it may be
    /// someone's PIN.
    #[error("not a PIN: only the digits 0-9 are allowed")]
    NotDigits,
    /// Too short or too long.
    #[error("a PIN of {len} digits; a PIN has {min} to {max}", min = PinLength::MIN, max = PinLength::MAX)]
    Length {
        /// The number of digits given.
        len: usize,
    },
    /// A PIN length outside the accepted range.
    #[error("{0} is not a PIN length; it must be {min} to {max}", min = PinLength::MIN, max = PinLength::MAX)]
    BadLength(i64),
}

impl Pin {
    /// Checks and wraps a PIN.
    pub fn new(value: impl Into<String>) -> Result<Self, PinError> {
        Pin::checked(Text::from(value.into()))
    }

    /// [`Pin::new`] over borrowed text: the digits are copied inline, with no `String` made
    /// on the way (validation runs on every request).
    pub(crate) fn from_text(value: &str) -> Result<Self, PinError> {
        Pin::checked(Text::new(value))
    }

    fn checked(value: Text<10>) -> Result<Self, PinError> {
        let text = value.as_str();
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PinError::NotDigits);
        }
        let len = text.len();
        if !(usize::from(PinLength::MIN)..=usize::from(PinLength::MAX)).contains(&len) {
            return Err(PinError::Length { len });
        }
        Ok(Pin(value))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Number of digits.
    #[expect(clippy::len_without_is_empty, reason = "a PIN is never empty")]
    pub fn len(&self) -> usize {
        self.as_str().len()
    }

    /// This PIN's length as a [`PinLength`].
    pub fn pin_length(&self) -> PinLength {
        PinLength(self.len() as u8)
    }
}

/// The length only: a PIN is a credential.
impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pin({} digits)", self.len())
    }
}

impl Serialize for Pin {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Pin {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text: Text<10> = crate::text::deserialize(d)?;
        Pin::checked(text).map_err(serde::de::Error::custom)
    }
}

/// A PIN length: [`PinLength::MIN`] to [`PinLength::MAX`] digits.
///
/// GreenPin does not publish the range; this SDK's choice is explained in its
/// [decisions](https://github.com/greenpin-rs/greenpin-rs/blob/main/docs/DECISIONS.md).
///
/// ```
/// # use greenpin_core::PinLength;
/// let a: PinLength = serde_json::from_str("3").unwrap();
/// let b: PinLength = serde_json::from_str("\"3\"").unwrap();
/// assert_eq!(a, b);
/// assert_eq!(serde_json::to_string(&b).unwrap(), "3");
/// assert!(PinLength::new(0).is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct PinLength(u8);

impl PinLength {
    /// Shortest PIN.
    pub const MIN: u8 = 1;
    /// Longest PIN.
    pub const MAX: u8 = 10;

    /// Checks and wraps a PIN length.
    pub fn new(len: i64) -> Result<Self, PinError> {
        if (i64::from(Self::MIN)..=i64::from(Self::MAX)).contains(&len) {
            Ok(PinLength(len as u8))
        } else {
            Err(PinError::BadLength(len))
        }
    }

    /// A length known when the program is written, checked when it is built:
    /// `PinLength::of::<4>()`. A length outside [`PinLength::MIN`]..=[`PinLength::MAX`]
    /// fails `cargo build` (constant evaluation; `cargo check` does not run it).
    ///
    /// ```
    /// # use greenpin_core::PinLength;
    /// assert_eq!(PinLength::of::<4>().get(), 4);
    /// ```
    ///
    /// ```compile_fail
    /// let _ = greenpin_core::PinLength::of::<11>();
    /// ```
    pub const fn of<const N: u8>() -> Self {
        const {
            assert!(
                N >= PinLength::MIN && N <= PinLength::MAX,
                "a PIN length is 1 to 10"
            )
        };
        PinLength(N)
    }

    /// The length as a number.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl fmt::Display for PinLength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl TryFrom<i64> for PinLength {
    type Error = PinError;
    fn try_from(v: i64) -> Result<Self, PinError> {
        PinLength::new(v)
    }
}

impl TryFrom<u8> for PinLength {
    type Error = PinError;
    fn try_from(v: u8) -> Result<Self, PinError> {
        PinLength::new(i64::from(v))
    }
}

impl Serialize for PinLength {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.0)
    }
}

impl<'de> Deserialize<'de> for PinLength {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let len = crate::lenient::required_int_or_digits(d)?;
        PinLength::new(len).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "schema")]
crate::schema::json_schema_for!(Pin, "Pin", {
    "type": "string",
    "pattern": "^[0-9]{1,10}$",
    "examples": ["123"]
});

#[cfg(feature = "schema")]
crate::schema::json_schema_for!(PinLength, "PinLength", {
    "type": "integer",
    "minimum": PinLength::MIN,
    "maximum": PinLength::MAX
});
