//! Lenient readers for where the API is loose: counts sent as `3` or as `"3"`.

use serde::{Deserialize, Deserializer};

/// A JSON number or a string, as sent.
#[derive(Deserialize)]
#[serde(untagged)]
enum IntOrString {
    Int(i64),
    Float(f64),
    Str(String),
}

/// A float that is a whole number (`5.0`, a valid JSON Schema integer) as an integer.
fn whole(f: f64) -> Option<i64> {
    (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
}

/// Reads an integer sent as a number (`3`, or `3.0`: JSON Schema's integer) or a string of
/// ASCII digits and nothing else (`"3"`; `" 3"`, `"+3"` and `"3.0"` are refused). `None` for
/// JSON `null`, as for every optional field.
pub(crate) fn int_or_digits<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<IntOrString>::deserialize(d)
        .map_err(|_| serde::de::Error::custom("expected a number or a string of digits"))?
    {
        None => Ok(None),
        Some(IntOrString::Int(n)) => Ok(Some(n)),
        Some(IntOrString::Float(f)) => whole(f)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("{f} is not a whole number"))),
        Some(IntOrString::Str(s)) => digits(&s)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("{s:?} is not a whole number"))),
    }
}

/// A string of ASCII digits only, as a number.
fn digits(s: &str) -> Option<i64> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Reads a PIN sent as a string or as a JSON integer (GreenVN's pages call a PIN "any
/// positive integer", with examples like `[1234]`): an integer is read as its decimal
/// digits. A string is kept as sent (the PIN's own check refuses what is not digits).
pub(crate) fn pin_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Int(u64),
        Float(f64),
        Str(String),
    }
    let bad =
        || serde::de::Error::custom("expected a PIN: a string of digits or a positive integer");
    match Option::<Raw>::deserialize(d).map_err(|_| bad())? {
        None => Ok(None),
        Some(Raw::Int(n)) => Ok(Some(n.to_string())),
        // A whole number written as a float (`1234.0`) is an integer, as JSON Schema reads it.
        Some(Raw::Float(f)) => whole(f)
            .and_then(|n| u64::try_from(n).ok())
            .map(|n| Some(n.to_string()))
            .ok_or_else(bad),
        Some(Raw::Str(s)) => Ok(Some(s)),
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
        Float(f64),
        Str(String),
    }
    match Option::<Raw>::deserialize(d)? {
        None => Ok(None),
        Some(Raw::Int(n)) => Ok(Some(n)),
        Some(Raw::Float(f)) => whole(f)
            .and_then(|n| u64::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("{f} is not a whole count"))),
        Some(Raw::Str(s)) if s.trim().is_empty() => Ok(None),
        // Digits, or a whole decimal ("40.0", as form-encoded callbacks may carry it).
        Some(Raw::Str(s)) => match s.trim().parse::<u64>() {
            Ok(n) => Ok(Some(n)),
            Err(_) => s
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(whole)
                .and_then(|n| u64::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom(format!("{s:?} is not a whole count"))),
        },
    }
}

/// Reads a flag sent as a JSON boolean or as the strings `"true"` / `"false"` (the form the
/// settings page documents). `None` for JSON `null`.
pub(crate) fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Bool(bool),
        Str(String),
    }
    let bad = || serde::de::Error::custom("expected \"true\" or \"false\"");
    match Option::<Raw>::deserialize(d).map_err(|_| bad())? {
        None => Ok(None),
        Some(Raw::Bool(b)) => Ok(Some(b)),
        Some(Raw::Str(s)) => match s.trim() {
            "true" => Ok(Some(true)),
            "false" => Ok(Some(false)),
            _ => Err(serde::de::Error::custom(format!(
                "{s:?} is not \"true\" or \"false\""
            ))),
        },
    }
}

/// Writes a flag as the strings `"true"` / `"false"`.
pub(crate) fn flag_as_string<S: serde::Serializer>(
    value: &Option<bool>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(true) => s.serialize_str("true"),
        Some(false) => s.serialize_str("false"),
        None => s.serialize_none(),
    }
}

/// Reads an optional object field strictly as a JSON object (or null): serde's derived
/// readers also take a JSON array as a struct, field by field, so `"a": [null, null]`
/// would read as an empty party. Field paths are kept: the object is read through the
/// same (path-tracking) deserializer.
pub(crate) fn object<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Opt<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Opt<T> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object or null")
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_map(Obj(std::marker::PhantomData)).map(Some)
        }
    }
    struct Obj<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Obj<T> {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
        }
    }
    d.deserialize_option(Opt(std::marker::PhantomData))
}
