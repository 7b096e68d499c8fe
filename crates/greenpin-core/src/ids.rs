//! Typed identifiers. Each goes into a URL path or a JSON body, so each is checked once,
//! at construction, for what can safely stand there.

use std::fmt;
use std::str::FromStr;

use crate::text::Text;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A string that is not a valid id, naming the field it was meant for.
///
/// Converts into the SDK's [`Error`](crate::Error) (as a validation error of that field),
/// so `GreenPinId::new(s)?` works in a function returning it.
///
/// ```
/// # use greenpin_core::{GreenPinId, IdProblem};
/// let e = GreenPinId::new("a/b").unwrap_err();
/// assert_eq!(e.field(), "greenpin_id");
/// assert_eq!(e.problem(), &IdProblem::BadCharacter('/'));
/// assert_eq!(e.to_string(),
///     "greenpin_id: contains '/'; only ASCII letters, digits, '-', '_' and '.' are allowed");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct IdError {
    field: &'static str,
    problem: IdProblem,
}

impl IdError {
    /// The field the id was meant for: `greenpin_id`, `account_sid` or `transaction_id`.
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// What is wrong with it.
    pub fn problem(&self) -> &IdProblem {
        &self.problem
    }
}

/// What is wrong with an id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdProblem {
    /// The id is empty (or, for a transaction id, blank).
    #[error("must not be empty")]
    Empty,
    /// The id is longer than the limit for its kind.
    #[error("is longer than {max} characters")]
    TooLong {
        /// The limit.
        max: usize,
    },
    /// The id holds a character that cannot stand in a URL path segment unescaped.
    #[error("contains {0:?}; only ASCII letters, digits, '-', '_' and '.' are allowed")]
    BadCharacter(char),
    /// `.` or `..`: path segments that would change the URL's meaning.
    #[error("must not be \".\" or \"..\"")]
    DotSegment,
    /// A control character (a transaction id may hold any other text).
    #[error("contains the control character {0:?}")]
    ControlCharacter(char),
}

/// The bytes an id that goes into a URL path may hold: ASCII letters, digits, `-`, `_`, `.`.
const PATH_SAFE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.');
        b += 1;
    }
    table
};

fn check_path_safe(field: &'static str, s: &str, max: usize) -> Result<(), IdError> {
    let fail = |problem| Err(IdError { field, problem });
    if s.is_empty() {
        return fail(IdProblem::Empty);
    }
    if s.len() > max {
        return fail(IdProblem::TooLong { max });
    }
    // Every byte is checked (no early exit, no branch a byte): ids are short and almost
    // always valid, and this runs once an id on every call.
    if !s.bytes().fold(true, |ok, b| ok & PATH_SAFE[usize::from(b)]) {
        // Rare: name the first character that does not belong (it may be multi-byte), by
        // the same table.
        let allowed = |c: char| u8::try_from(c).is_ok_and(|b| PATH_SAFE[usize::from(b)]);
        if let Some(c) = s.chars().find(|c| !allowed(*c)) {
            return fail(IdProblem::BadCharacter(c));
        }
    }
    if s == "." || s == ".." {
        return fail(IdProblem::DotSegment);
    }
    Ok(())
}

macro_rules! path_id {
    ($(#[$doc:meta])* $name:ident, $field:literal, $max:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Text<36>);

        impl $name {
            /// Longest id accepted.
            pub const MAX_LEN: usize = $max;

            /// Checks and wraps an id.
            pub fn new(value: impl Into<String>) -> Result<Self, IdError> {
                $name::checked(Text::from(value.into()))
            }

            fn checked(value: Text<36>) -> Result<Self, IdError> {
                check_path_safe($field, value.as_str(), $max)?;
                Ok($name(value))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                $name::checked(Text::new(s))
            }
        }

        impl TryFrom<&str> for $name {
            type Error = IdError;
            fn try_from(s: &str) -> Result<Self, IdError> {
                $name::checked(Text::new(s))
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                $name::new(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        #[cfg(feature = "schema")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string",
                    "pattern": format!("^[A-Za-z0-9._-]{{1,{}}}$", $max),
                })
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text: Text<36> = crate::text::deserialize(d)?;
                $name::checked(text).map_err(serde::de::Error::custom)
            }
        }
    };
}

path_id!(
    /// The account (tenant) SID: the `{account_sid}` of `/v1/tenants/{account_sid}`.
    ///
    /// ```
    /// # use greenpin_core::AccountSid;
    /// assert!(AccountSid::new("exotel_demo1").is_ok());
    /// assert!(AccountSid::new("a/b").is_err());
    /// ```
    AccountSid,
    "account_sid",
    128
);
path_id!(
    /// A GreenPin allocation id, assigned by the service (documented as a UUID).
    ///
    /// Not required to be a well-formed UUID: the docs' own example
    /// (`d7ffd4b3-XPYX-4bda-a024-ibidatabatodoo`) is not one, and the id is the server's to
    /// choose. It must be safe to place in a URL path.
    ///
    /// ```
    /// # use greenpin_core::GreenPinId;
    /// let id: GreenPinId = "d7ffd4b3-5c1e-4bda-a024-0b1d2a3b4c5d".parse().unwrap();
    /// assert_eq!(id.as_str().len(), 36);
    /// assert!(GreenPinId::new("../settings").is_err());
    /// ```
    GreenPinId,
    "greenpin_id",
    128
);

/// The client's own id for an allocation (an order id, say): mandatory on create, echoed
/// back by the service. Sent in JSON only, so any non-blank text up to 256 characters.
///
/// ```
/// # use greenpin_core::TransactionId;
/// assert_eq!(TransactionId::new("order #42").unwrap().as_str(), "order #42");
/// assert!(TransactionId::new("  ").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct TransactionId(String);

impl TransactionId {
    /// Longest transaction id accepted.
    pub const MAX_LEN: usize = 256;

    /// The field this id stands in, as error messages name it.
    pub(crate) const FIELD: &'static str = "transaction_id";

    /// Checks and wraps a transaction id.
    pub fn new(value: impl Into<String>) -> Result<Self, IdError> {
        let value = value.into();
        let fail = |problem| {
            Err(IdError {
                field: Self::FIELD,
                problem,
            })
        };
        if value.trim().is_empty() {
            return fail(IdProblem::Empty);
        }
        if value.chars().count() > Self::MAX_LEN {
            return fail(IdProblem::TooLong { max: Self::MAX_LEN });
        }
        if let Some(c) = value.chars().find(|c| c.is_control()) {
            return fail(IdProblem::ControlCharacter(c));
        }
        Ok(TransactionId(value))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TransactionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for TransactionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TransactionId({:?})", self.0)
    }
}

impl FromStr for TransactionId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        TransactionId::new(s)
    }
}

impl<'de> Deserialize<'de> for TransactionId {
    // Echoed by the server: taken as sent.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(TransactionId)
    }
}

/// What the clients' methods accept as an allocation id: a [`GreenPinId`], owned or
/// borrowed, or text (`&str`, `String`), checked on the way in. A bad id is refused before
/// anything is sent, as a validation error of `greenpin_id`.
///
/// ```
/// # use greenpin_core::{GreenPinId, IntoGreenPinId};
/// let id = GreenPinId::new("g-1").unwrap();
/// assert_eq!((&id).into_greenpin_id().unwrap(), id);
/// assert_eq!("g-1".into_greenpin_id().unwrap(), id);
/// assert_eq!("a/b".into_greenpin_id().unwrap_err().field(), "greenpin_id");
/// ```
pub trait IntoGreenPinId {
    /// The checked id.
    fn into_greenpin_id(self) -> Result<GreenPinId, IdError>;
}

impl IntoGreenPinId for GreenPinId {
    fn into_greenpin_id(self) -> Result<GreenPinId, IdError> {
        Ok(self)
    }
}

impl IntoGreenPinId for &GreenPinId {
    fn into_greenpin_id(self) -> Result<GreenPinId, IdError> {
        Ok(self.clone())
    }
}

impl IntoGreenPinId for &str {
    fn into_greenpin_id(self) -> Result<GreenPinId, IdError> {
        GreenPinId::new(self)
    }
}

impl IntoGreenPinId for String {
    fn into_greenpin_id(self) -> Result<GreenPinId, IdError> {
        GreenPinId::new(self)
    }
}

impl IntoGreenPinId for &String {
    fn into_greenpin_id(self) -> Result<GreenPinId, IdError> {
        GreenPinId::new(self.as_str())
    }
}

#[cfg(feature = "schema")]
crate::schema::json_schema_for!(TransactionId, "TransactionId", {
    "type": "string",
    "minLength": 1,
    "maxLength": TransactionId::MAX_LEN,
    "description": "The client's own id for an allocation (an order id, say), echoed back."
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_ids_refuse_what_would_change_the_path() {
        for bad in ["", "a/b", "a?b", "a#b", "a b", "..", "é", "a%2F"] {
            assert!(GreenPinId::new(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            GreenPinId::new("x".repeat(129)).unwrap_err().problem(),
            &IdProblem::TooLong { max: 128 }
        );
        // The longest allowed, and every allowed character.
        assert!(GreenPinId::new("x".repeat(GreenPinId::MAX_LEN)).is_ok());
        assert!(GreenPinId::new("AZaz09-_.").is_ok());
        assert_eq!(
            GreenPinId::new("..").unwrap_err().to_string(),
            "greenpin_id: must not be \".\" or \"..\""
        );
        assert_eq!(
            TransactionId::new("a\u{7}").unwrap_err().to_string(),
            "transaction_id: contains the control character '\\u{7}'"
        );
    }

    #[test]
    fn a_transaction_id_shows_as_its_text() {
        let t = TransactionId::new("order 42/α").unwrap();
        assert_eq!(t.to_string(), "order 42/α");
        assert_eq!(format!("{t:?}"), "TransactionId(\"order 42/α\")");
    }

    #[test]
    fn deserialising_a_path_id_checks_it() {
        assert!(serde_json::from_str::<GreenPinId>("\"ok-1\"").is_ok());
        assert!(serde_json::from_str::<GreenPinId>("\"no/way\"").is_err());
    }
}
