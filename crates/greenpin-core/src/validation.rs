//! Validation errors: every refusal names the field it is about, as a path into the JSON
//! body (`a.numbers[0]`, `greenpins[3].b.pin`), so a caller can find it at once.

use std::fmt;

use crate::error_code::ErrorCode;

/// What kind of problem a field has. Decides the API error code a server answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ValidationKind {
    /// A mandatory field is absent (API code 3).
    Missing,
    /// A value of the wrong shape or out of range (API code 5).
    Invalid,
    /// Not a valid phone number (API code 16).
    InvalidNumber,
    /// A number listed twice in one list (API code 5: a malformed request; code 13, "all
    /// numbers are duplicates", is the service's answer when every number a party gives is
    /// already registered on its VNs).
    Duplicate,
    /// The same number in both parties (API code 14).
    SameNumberInBothParties,
    /// A number outside the account's country without the `intl_num_sup` setting (API
    /// code 15).
    RegionNotSupported,
    /// More items in a bulk update than allowed (API code 17).
    TooManyInBulk,
    /// A number this build cannot check, which may well be valid: a number outside India,
    /// or an Indian number in another form than ten digits, with the SDK built without its
    /// `international-numbers` feature (on by default). Refused rather than sent unchecked,
    /// as [`Error::Unchecked`](crate::Error::Unchecked), not as the caller's bad input.
    UncheckedNumber,
}

impl ValidationKind {
    /// The API error code a GreenPin server answers this problem with.
    pub fn error_code(self) -> ErrorCode {
        match self {
            ValidationKind::Missing => ErrorCode::MandatoryParametersMissing,
            ValidationKind::Invalid => ErrorCode::BadParameters,
            ValidationKind::InvalidNumber => ErrorCode::InvalidNumber,
            ValidationKind::Duplicate => ErrorCode::BadParameters,
            ValidationKind::SameNumberInBothParties => ErrorCode::SamePartyNumbers,
            ValidationKind::RegionNotSupported => ErrorCode::RegionNotSupported,
            ValidationKind::TooManyInBulk => ErrorCode::TooManyInBulk,
            // Never a server's answer (a server has the feature); named as the number's.
            ValidationKind::UncheckedNumber => ErrorCode::InvalidNumber,
        }
    }
}

/// A request refused before it was sent: which field, and why.
///
/// ```
/// # use greenpin_core::{ValidationError, ValidationKind};
/// let e = ValidationError::new("b.pin", ValidationKind::Invalid, "a PIN of 2 digits does not match pin_length 3");
/// assert_eq!(e.to_string(), "b.pin: a PIN of 2 digits does not match pin_length 3");
/// assert_eq!(e.field(), "b.pin");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    field: String,
    kind: ValidationKind,
    problem: String,
}

impl ValidationError {
    /// A refusal of `field` for `problem`.
    pub fn new(field: impl Into<String>, kind: ValidationKind, problem: impl Into<String>) -> Self {
        ValidationError {
            field: field.into(),
            kind,
            problem: problem.into(),
        }
    }

    /// Path of the field in the request body, e.g. `a.numbers[0]`.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The kind of problem.
    pub fn kind(&self) -> ValidationKind {
        self.kind
    }

    /// What is wrong, without the field.
    pub fn problem(&self) -> &str {
        &self.problem
    }

    /// The same error with `prefix.` put before its field (for items of a bulk request).
    pub(crate) fn within(mut self, prefix: &str) -> Self {
        self.field = if self.field.is_empty() {
            prefix.to_owned()
        } else {
            format!("{prefix}.{}", self.field)
        };
        self
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.problem)
    }
}

impl std::error::Error for ValidationError {}

impl From<crate::ids::IdError> for ValidationError {
    fn from(e: crate::ids::IdError) -> Self {
        let kind = if *e.problem() == crate::ids::IdProblem::Empty {
            ValidationKind::Missing
        } else {
            ValidationKind::Invalid
        };
        ValidationError::new(e.field(), kind, e.problem().to_string())
    }
}
