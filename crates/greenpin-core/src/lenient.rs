//! Lenient readers for where the API is loose: counts sent as `3` or as `"3"`.

use serde::{Deserialize, Deserializer};

/// A JSON number or a string, as sent.
#[derive(Deserialize)]
#[serde(untagged)]
enum IntOrString {
    Int(i64),
    Str(String),
}

/// Reads an integer sent as a number or a string of digits (surrounding blanks ignored).
/// `None` for JSON `null`.
pub(crate) fn int_or_digits<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<IntOrString>::deserialize(d)
        .map_err(|_| serde::de::Error::custom("expected a number or a string of digits"))?
    {
        None => Ok(None),
        Some(IntOrString::Int(n)) => Ok(Some(n)),
        Some(IntOrString::Str(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("{s:?} is not a whole number"))),
    }
}

/// Like [`int_or_digits`], for a value that must be present.
pub(crate) fn required_int_or_digits<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    int_or_digits(d)?.ok_or_else(|| serde::de::Error::custom("expected a number, found null"))
}

/// Like [`int_or_digits`], for a count that cannot be negative; an empty string is absent.
pub(crate) fn count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Int(u64),
        Str(String),
    }
    match Option::<Raw>::deserialize(d)? {
        None => Ok(None),
        Some(Raw::Int(n)) => Ok(Some(n)),
        Some(Raw::Str(s)) if s.trim().is_empty() => Ok(None),
        Some(Raw::Str(s)) => s.trim().parse().map(Some).map_err(serde::de::Error::custom),
    }
}
