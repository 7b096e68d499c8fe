//! GreenPin's error codes (shared with GreenVN): one table, which the SDK, the emulator and
//! the generated reference in `docs/` all read.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One row of the error-code table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorCodeInfo {
    /// The code in the envelope's `code`.
    pub code: i64,
    /// The variant.
    pub variant: ErrorCode,
    /// What it means.
    pub meaning: &'static str,
    /// The HTTP status it comes with.
    pub http_status: u16,
}

impl ErrorCodeInfo {
    /// Whether a retry of the same request can succeed: the retry policy's own answer for
    /// this code's HTTP status ([`crate::retry::is_transient`]), never a second opinion.
    pub fn retryable(&self) -> bool {
        http::StatusCode::from_u16(self.http_status).is_ok_and(|status| {
            crate::retry::is_transient(&crate::retry::Outcome::Status {
                status,
                retry_after: None,
            })
        })
    }
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $status:literal, $meaning:literal; )+) => {
        /// A GreenPin API error code. Codes this version does not know parse as `Unknown`.
        ///
        /// ```
        /// # use greenpin_core::ErrorCode;
        /// let c: ErrorCode = serde_json::from_str("18").unwrap();
        /// assert_eq!(c, ErrorCode::AllocationExists);
        /// assert_eq!(c.http_status(), Some(409));
        /// assert_eq!(serde_json::from_str::<ErrorCode>("99").unwrap(), ErrorCode::Unknown(99));
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )+
            /// A code this version does not know.
            Unknown(i64),
        }

        /// Every documented code, in order.
        pub const ERROR_CODES: &[ErrorCodeInfo] = &[
            $( ErrorCodeInfo { code: $code, variant: ErrorCode::$variant, meaning: $meaning, http_status: $status }, )+
        ];

        impl ErrorCode {
            /// The numeric code.
            pub fn code(self) -> i64 {
                match self {
                    $( ErrorCode::$variant => $code, )+
                    ErrorCode::Unknown(c) => c,
                }
            }

            /// The code for a number.
            pub fn from_code(code: i64) -> Self {
                match code {
                    $( $code => ErrorCode::$variant, )+
                    other => ErrorCode::Unknown(other),
                }
            }
        }
    };
}

codes! {
    /// Internal error.
    Internal = 0, 500, "internal error";
    /// The resource does not exist.
    NotFound = 1, 404, "not found";
    /// Search filters not supported.
    UnsupportedFilters = 2, 400, "unsupported search filters";
    /// A mandatory parameter is missing.
    MandatoryParametersMissing = 3, 400, "mandatory parameters missing";
    /// No free VNs to allocate.
    NoFreeVns = 4, 452, "no free VNs";
    /// Bad or missing parameters.
    BadParameters = 5, 400, "bad or missing parameters";
    /// Authentication failed.
    AuthenticationFailed = 7, 401, "authentication failed";
    /// Not permitted.
    NotPermitted = 8, 403, "not permitted";
    /// Version header not supported.
    UnsupportedVersion = 9, 400, "version header unsupported";
    /// All numbers are duplicates.
    AllNumbersDuplicate = 13, 409, "all numbers are duplicates";
    /// A-party and B-party contain the same number.
    SamePartyNumbers = 14, 409, "a-party and b-party contain the same number";
    /// Region not supported.
    RegionNotSupported = 15, 403, "region not supported";
    /// Invalid number.
    InvalidNumber = 16, 400, "invalid number";
    /// Too many allocations in one bulk request.
    TooManyInBulk = 17, 413, "too many allocations in bulk";
    /// An allocation already exists for this id.
    AllocationExists = 18, 409, "allocation already exists for this id";
    /// The number is already registered with another PIN.
    PinClash = 19, 409, "number already registered with another pin";
    /// The mapping does not exist.
    MappingNotFound = 20, 404, "mapping does not exist";
    /// Already deleted.
    AlreadyDeleted = 22, 410, "already deleted";
    /// Invalid date range.
    InvalidDateRange = 23, 400, "invalid date range";
    /// Invalid call flow.
    InvalidCallFlow = 50, 422, "invalid call flow";
}

impl ErrorCode {
    /// This code's row of the table, when it is a known code.
    pub fn info(self) -> Option<&'static ErrorCodeInfo> {
        ERROR_CODES.iter().find(|i| i.variant == self)
    }

    /// The documented meaning, when known.
    pub fn meaning(self) -> Option<&'static str> {
        self.info().map(|i| i.meaning)
    }

    /// The documented HTTP status, when known.
    pub fn http_status(self) -> Option<u16> {
        self.info().map(|i| i.http_status)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.meaning() {
            Some(m) => write!(f, "{} ({m})", self.code()),
            None => write!(f, "{}", self.code()),
        }
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.code())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        i64::deserialize(d).map(ErrorCode::from_code)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for ErrorCode {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ErrorCode".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let known: Vec<String> = ERROR_CODES
            .iter()
            .map(|c| format!("{} {} ({})", c.code, c.meaning, c.http_status))
            .collect();
        schemars::json_schema!({
            "type": "integer",
            "description": format!("A GreenPin error code; unknown codes may appear. Known: {}.", known.join("; ")),
            "examples": ERROR_CODES.iter().map(|c| c.code).collect::<Vec<_>>()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        for (i, row) in ERROR_CODES.iter().enumerate() {
            assert_eq!(row.variant.code(), row.code);
            assert_eq!(ErrorCode::from_code(row.code), row.variant);
            assert!(
                ERROR_CODES[..i].iter().all(|r| r.code < row.code),
                "sorted, unique"
            );
        }
        assert_eq!(ErrorCode::from_code(4).http_status(), Some(452));
        assert_eq!(ErrorCode::Unknown(77).to_string(), "77");
        assert_eq!(
            ErrorCode::PinClash.to_string(),
            "19 (number already registered with another pin)"
        );
    }
}
