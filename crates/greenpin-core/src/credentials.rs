//! Credentials. The API key and token are newtypes whose `Debug` and `Display` print
//! `[redacted]`, so a stray `{:?}` of a client, builder or error can never leak them; the
//! only way out is the `Authorization` header, which is marked sensitive.

use std::fmt;

use base64::Engine as _;
use http::HeaderValue;

macro_rules! secret {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            /// Wraps the secret value.
            pub fn new(value: impl Into<String>) -> Self {
                $name(value.into())
            }

            /// The secret itself. Calls to this are the places to audit.
            pub fn expose(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("[redacted]")
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                $name(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                $name(value.to_owned())
            }
        }
    };
}

secret!(
    /// The API key: the user name of HTTP Basic auth.
    ///
    /// ```
    /// # use greenpin_core::ApiKey;
    /// let key = ApiKey::new("k-123");
    /// assert_eq!(format!("{key:?} {key}"), "ApiKey([redacted]) [redacted]");
    /// ```
    ApiKey
);
secret!(
    /// The API token: the password of HTTP Basic auth.
    ///
    /// ```
    /// # use greenpin_core::ApiToken;
    /// let token = ApiToken::new("t-456");
    /// assert!(!format!("{token:?}{token}").contains("t-456"));
    /// ```
    ApiToken
);

/// An API key and token: what GreenPin's HTTP Basic auth takes.
///
/// ```
/// # use greenpin_core::Credentials;
/// let creds = Credentials::new("key", "token");
/// let header = creds.authorization();
/// assert!(header.is_sensitive());
/// assert_eq!(header.to_str().unwrap(), "Basic a2V5OnRva2Vu");
/// assert!(!format!("{creds:?}").contains("token\""));
/// ```
#[derive(Clone)]
pub struct Credentials {
    key: ApiKey,
    token: ApiToken,
    /// The header, encoded once: every request carries it.
    header: HeaderValue,
}

impl PartialEq for Credentials {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key && self.token == other.token
    }
}

impl Eq for Credentials {}

impl Credentials {
    /// Credentials from an API key and token.
    pub fn new(key: impl Into<ApiKey>, token: impl Into<ApiToken>) -> Self {
        let (key, token) = (key.into(), token.into());
        let header = basic_header(&key, &token);
        Credentials { key, token, header }
    }

    /// The API key.
    pub fn key(&self) -> &ApiKey {
        &self.key
    }

    /// The API token.
    pub fn token(&self) -> &ApiToken {
        &self.token
    }

    /// The `Authorization: Basic …` header value, marked sensitive so that HTTP stacks
    /// (hyper, reqwest, ureq, `http`'s own `Debug`) keep it out of logs.
    pub fn authorization(&self) -> HeaderValue {
        self.header.clone()
    }

    /// Whether `header` (an `Authorization` value) carries exactly these credentials.
    /// Used by servers such as the emulator; compares without early exit.
    #[cfg(feature = "unstable-wire")]
    pub(crate) fn matches_authorization(&self, header: &[u8]) -> bool {
        let want = self.header.as_bytes();
        want.len() == header.len()
            && want
                .iter()
                .zip(header)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

fn basic_header(key: &ApiKey, token: &ApiToken) -> HeaderValue {
    let raw = format!("{}:{}", key.expose(), token.expose());
    let encoded = base64::engine::general_purpose::STANDARD.encode(raw);
    // Invariant: base64 output is ASCII, always a valid header value.
    #[expect(clippy::expect_used, reason = "invariant stated above")]
    let mut value =
        HeaderValue::try_from(format!("Basic {encoded}")).expect("base64 is a valid header value");
    value.set_sensitive(true);
    value
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("key", &self.key)
            .field("token", &self.token)
            .finish()
    }
}

/// A URL as it may be shown in a message: any `user:password@` part replaced, so a
/// credential carried in a URL never reaches an error, a log or a screen.
///
/// (`wire::redact_userinfo`).
pub(crate) fn redact_userinfo(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}[redacted]{}", &url[..scheme_end + 3], &rest[at..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_prints_the_secrets() {
        let creds = Credentials::new("canary-key-8d1f", "canary-token-77a3");
        let header = creds.authorization();
        for text in [
            format!("{creds:?}"),
            format!("{:?}", creds.key()),
            format!("{}", creds.token()),
            format!("{header:?}"),
        ] {
            assert!(!text.contains("canary"), "{text}");
        }
    }

    #[test]
    fn header_is_basic_with_a_space_and_checks_back() {
        let creds = Credentials::new("Aladdin", "open sesame");
        let header = creds.authorization();
        assert_eq!(header.as_bytes(), b"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        assert!(creds.matches_authorization(header.as_bytes()));
        assert!(!creds.matches_authorization(b"BasicQWxhZGRpbjpvcGVuIHNlc2FtZQ=="));
        assert!(
            !Credentials::new("Aladdin", "open sesamE").matches_authorization(header.as_bytes())
        );
    }
}
