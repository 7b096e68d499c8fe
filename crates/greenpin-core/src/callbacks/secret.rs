//! A shared secret in the callback URL.
//!
//! Exotel does not sign its callbacks, so the only thing a forger cannot know is the URL
//! itself. The secret is carried where the service will repeat it on every callback — a
//! path segment (`…/hooks/greenpin/<secret>`), a query parameter
//! (`…?greenpin_secret=<secret>`) or Basic userinfo (`https://greenpin:<secret>@host/…`,
//! which HTTP clients send as an `Authorization` header) — and compared in constant time.
//! Serve the endpoint over https, so the secret is not readable on the way.

use std::fmt;

use base64::Engine;
use http::{HeaderMap, Uri, header};
use subtle::ConstantTimeEq;

/// The query parameter that carries the secret with [`SecretPlacement::Query`].
pub const SECRET_PARAMETER: &str = "greenpin_secret";

/// The user name that carries the secret with [`SecretPlacement::BasicAuth`].
pub const SECRET_USER: &str = "greenpin";

/// Where the secret goes in the registered URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecretPlacement {
    /// The last path segment: `https://example.com/hooks/greenpin/<secret>`. Works with
    /// any sender; the secret may appear in the receiver's access logs.
    Path,
    /// A query parameter: `https://example.com/hooks/greenpin?greenpin_secret=<secret>`.
    Query,
    /// Userinfo: `https://greenpin:<secret>@example.com/hooks/greenpin`, sent as an
    /// `Authorization: Basic` header; kept out of access logs, but only if the sender
    /// turns userinfo into the header (most HTTP clients do; the emulator does).
    BasicAuth,
}

/// A callback secret: at least 16 characters of `A–Z a–z 0–9 - _`, so it needs no
/// escaping in a path, a query or userinfo. Never shown by `Debug` or `Display`.
///
/// ```
/// # use greenpin_core::callbacks::CallbackSecret;
/// let s = CallbackSecret::generate();
/// assert_eq!(s.expose().len(), 43);
/// assert_eq!(format!("{s:?}"), "CallbackSecret(***)");
/// assert!(CallbackSecret::new("short").is_err());
/// ```
#[derive(Clone)]
pub struct CallbackSecret(String);

impl fmt::Debug for CallbackSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CallbackSecret(***)")
    }
}

/// Why a secret or an endpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
#[non_exhaustive]
pub struct SecretError {
    /// `secret` or `endpoint`.
    pub field: &'static str,
    /// What is wrong.
    pub problem: String,
}

impl CallbackSecret {
    /// Shortest secret accepted.
    pub const MIN_LEN: usize = 16;

    /// A secret you chose (from your configuration, say).
    pub fn new(secret: impl Into<String>) -> Result<Self, SecretError> {
        let secret = secret.into();
        let bad = |problem: String| SecretError {
            field: "secret",
            problem,
        };
        if secret.len() < Self::MIN_LEN {
            return Err(bad(format!(
                "is {} characters; at least {} are needed",
                secret.len(),
                Self::MIN_LEN
            )));
        }
        if let Some(c) = secret
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(bad(format!(
                "contains {c:?}; use only A-Z, a-z, 0-9, '-' and '_'"
            )));
        }
        Ok(CallbackSecret(secret))
    }

    /// A new random secret: 256 bits from the operating system, base64url (43
    /// characters).
    ///
    /// # Panics
    /// If the operating system has no random source (then no secret can be made safely).
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        #[expect(
            clippy::expect_used,
            reason = "without an OS random source there is no safe secret to return"
        )]
        getrandom::fill(&mut bytes).expect("the operating system's random source");
        CallbackSecret(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The secret's text, to store in your configuration.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL to register as `greenpin_call_complete_event_endpoint`: `endpoint` with the
    /// secret placed as asked.
    ///
    /// ```
    /// # use greenpin_core::callbacks::{CallbackSecret, SecretPlacement};
    /// let s = CallbackSecret::new("0123456789abcdef").unwrap();
    /// let at = |p| s.url("https://example.com/hook?x=1", p).unwrap();
    /// assert_eq!(at(SecretPlacement::Path), "https://example.com/hook/0123456789abcdef?x=1");
    /// assert_eq!(at(SecretPlacement::Query), "https://example.com/hook?x=1&greenpin_secret=0123456789abcdef");
    /// assert_eq!(at(SecretPlacement::BasicAuth), "https://greenpin:0123456789abcdef@example.com/hook?x=1");
    /// ```
    pub fn url(&self, endpoint: &str, placement: SecretPlacement) -> Result<String, SecretError> {
        let bad = |problem: &str| SecretError {
            field: "endpoint",
            problem: problem.to_owned(),
        };
        let uri: Uri = endpoint.parse().map_err(|_| bad("is not a URL"))?;
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return Err(bad("needs a scheme and a host (https://example.com/…)"));
        };
        if authority.as_str().contains('@') {
            return Err(bad("already has userinfo"));
        }
        let path = uri.path().trim_end_matches('/');
        let query = uri.query();
        let s = &self.0;
        Ok(match placement {
            SecretPlacement::Path => format!(
                "{scheme}://{authority}{path}/{s}{}",
                query.map(|q| format!("?{q}")).unwrap_or_default()
            ),
            SecretPlacement::Query => format!(
                "{scheme}://{authority}{}?{}{SECRET_PARAMETER}={s}",
                uri.path(),
                query.map(|q| format!("{q}&")).unwrap_or_default()
            ),
            SecretPlacement::BasicAuth => format!(
                "{scheme}://{SECRET_USER}:{s}@{authority}{}",
                uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
            ),
        })
    }

    /// Whether a request carries the secret, in any of the three places. Each candidate is
    /// compared in constant time.
    pub fn verify(&self, uri: &Uri, headers: &HeaderMap) -> bool {
        let mut found = false;
        let mut check = |candidate: &[u8]| {
            found |= bool::from(candidate.ct_eq(self.0.as_bytes()));
        };
        if let Some(last) = uri.path().rsplit('/').next() {
            check(last.as_bytes());
        }
        if let Some(query) = uri.query() {
            for (k, v) in form_urlencoded::parse(query.as_bytes()) {
                if k == SECRET_PARAMETER {
                    check(v.as_bytes());
                }
            }
        }
        for value in headers.get_all(header::AUTHORIZATION) {
            let Some(encoded) = value.to_str().ok().and_then(|v| {
                v.strip_prefix("Basic ")
                    .or_else(|| v.strip_prefix("basic "))
            }) else {
                continue;
            };
            if let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim())
                && let Some(password) = decoded.strip_prefix(format!("{SECRET_USER}:").as_bytes())
            {
                check(password);
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placement_round_trips_and_a_wrong_secret_fails() {
        let s = CallbackSecret::new("abcdefghijklmnop-_0123").unwrap();
        let other = CallbackSecret::new("abcdefghijklmnop-_0124").unwrap();
        for placement in [
            SecretPlacement::Path,
            SecretPlacement::Query,
            SecretPlacement::BasicAuth,
        ] {
            let url = s
                .url("http://127.0.0.1:9/hooks/greenpin", placement)
                .unwrap();
            // What a sender does with the URL: userinfo becomes a header.
            let uri: Uri = url.parse().unwrap();
            let mut headers = HeaderMap::new();
            let (target, _) = match uri.authority().map(|a| a.as_str()) {
                Some(a) if a.contains('@') => {
                    let userinfo = a.split('@').next().unwrap();
                    let value = format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD.encode(userinfo)
                    );
                    headers.insert(header::AUTHORIZATION, value.parse().unwrap());
                    (
                        uri.path_and_query()
                            .unwrap()
                            .as_str()
                            .parse::<Uri>()
                            .unwrap(),
                        (),
                    )
                }
                _ => (
                    uri.path_and_query()
                        .unwrap()
                        .as_str()
                        .parse::<Uri>()
                        .unwrap(),
                    (),
                ),
            };
            assert!(s.verify(&target, &headers), "{placement:?}: {url}");
            assert!(!other.verify(&target, &headers), "{placement:?}");
        }
        assert!(!s.verify(&Uri::from_static("/hooks/greenpin"), &HeaderMap::new()));
    }

    #[test]
    fn secrets_are_checked_and_never_shown() {
        assert!(CallbackSecret::new("0123456789abcde").is_err());
        assert!(CallbackSecret::new("0123456789abcdef/").is_err());
        let s = CallbackSecret::generate();
        assert_ne!(s.expose(), CallbackSecret::generate().expose());
        assert!(!format!("{s:?}").contains(s.expose()));
        assert!(s.url("not a url", SecretPlacement::Path).is_err());
        assert!(
            s.url("https://u:p@example.com/", SecretPlacement::BasicAuth)
                .is_err()
        );
    }
}
