//! The country a number is read in when written without `+`: [`Country`], an ISO 3166-1
//! alpha-2 code, read in either case and written in capitals.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{PhoneNumber, countries};

/// A country whose numbering plan reads numbers written without `+` (ISO 3166-1 alpha-2).
///
/// ```
/// # use greenpin_core::Country;
/// let us: Country = "US".parse().unwrap();
/// assert_eq!(us.as_str(), "US");
/// assert_eq!(Country::default(), Country::IN);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Country([u8; 2]);

impl Country {
    /// India, GreenPin's home and the default of the `country` setting.
    pub const IN: Country = Country(*b"IN");
    /// Singapore (Exotel's Singapore region).
    pub const SG: Country = Country(*b"SG");
    /// Malaysia (Exotel's Singapore region).
    pub const MY: Country = Country(*b"MY");
    /// The United Arab Emirates (Exotel's Singapore region serves the Middle East).
    pub const AE: Country = Country(*b"AE");
    /// Indonesia.
    pub const ID: Country = Country(*b"ID");

    /// The ISO 3166-1 alpha-2 code, e.g. `IN`.
    pub fn as_str(&self) -> &str {
        // Two ASCII capitals (checked when made): always UTF-8.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// This country's entry in the generated table.
    fn entry(&self) -> Option<&'static ([u8; 2], Option<u16>)> {
        countries::COUNTRIES
            .binary_search_by(|(code, _)| code.cmp(&self.0))
            .ok()
            .map(|at| &countries::COUNTRIES[at])
    }

    /// phonenumber's id of this country.
    #[cfg(feature = "international-numbers")]
    pub(super) fn id(&self) -> Option<phonenumber::country::Id> {
        self.as_str().parse().ok()
    }

    /// The country calling code (`91` for India), without loading number metadata for
    /// India. `None` for a region with no calling code of its own.
    ///
    /// ```
    /// # use greenpin_core::Country;
    /// assert_eq!(Country::IN.calling_code(), Some(91));
    /// assert_eq!("GB".parse::<Country>().unwrap().calling_code(), Some(44));
    /// ```
    pub fn calling_code(&self) -> Option<u16> {
        self.entry().and_then(|(_, calling)| *calling)
    }

    /// Whether `number` belongs to this country's numbering plan (by calling code).
    pub fn contains(&self, number: &PhoneNumber) -> bool {
        self.calling_code().is_some_and(|code| {
            // The code's digits, without formatting: `91` → `b"91"`.
            let mut buf = [0u8; 10];
            let mut at = buf.len();
            let mut rest = code;
            loop {
                at -= 1;
                buf[at] = b'0' + (rest % 10) as u8;
                rest /= 10;
                if rest == 0 || at == 0 {
                    break;
                }
            }
            number
                .as_str()
                .as_bytes()
                .strip_prefix(b"+")
                .is_some_and(|digits| digits.starts_with(&buf[at..]))
        })
    }
}

impl Default for Country {
    fn default() -> Self {
        Country::IN
    }
}

impl fmt::Debug for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Country({})", self.as_str())
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not an ISO 3166-1 alpha-2 country known to the numbering metadata.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a known ISO 3166-1 alpha-2 country code")]
pub struct UnknownCountry(pub String);

impl FromStr for Country {
    type Err = UnknownCountry;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unknown = || UnknownCountry(s.to_owned());
        let code: [u8; 2] = s.trim().as_bytes().try_into().map_err(|_| unknown())?;
        let country = Country(code.map(|b| b.to_ascii_uppercase()));
        country.entry().map(|_| country).ok_or_else(unknown)
    }
}

impl Serialize for Country {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Country {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}
