//! Fault injection: queued rules that make matching API requests fail in a chosen way, so
//! an SDK's retries, timeouts and error handling can be tested against a real socket.

use serde::{Deserialize, Serialize};

/// What to do to a matching request.
///
/// ```
/// use greenpin_emulator::Fault;
/// let f: Fault = serde_json::from_str(r#"{"kind":"status","status":429,"retry_after":"1"}"#).unwrap();
/// assert!(matches!(f, Fault::Status { status: 429, .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this status instead of handling the request.
    Status {
        /// HTTP status, 200 to 599.
        status: u16,
        /// A `Retry-After` header value.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<String>,
        /// The body (default: an error envelope of that status).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<String>,
        /// The body's content type (default `application/json`, or `text/html` for a body
        /// starting with `<`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content_type: Option<String>,
    },
    /// Wait this long, then handle the request normally.
    Delay {
        /// Milliseconds.
        ms: u64,
    },
    /// Close the connection without answering.
    Close,
    /// Handle the request, then send only the first half of the answer's body.
    Truncate,
}

impl Fault {
    /// An answer of `status` with the API's error envelope, no `Retry-After`.
    ///
    /// ```
    /// use greenpin_emulator::Fault;
    /// assert!(matches!(Fault::status(503), Fault::Status { status: 503, .. }));
    /// ```
    pub fn status(status: u16) -> Fault {
        Fault::Status {
            status,
            retry_after: None,
            body: None,
            content_type: None,
        }
    }

    /// An answer of `status` with a `Retry-After` of `seconds`.
    pub fn status_retry_after(status: u16, seconds: u64) -> Fault {
        Fault::Status {
            status,
            retry_after: Some(seconds.to_string()),
            body: None,
            content_type: None,
        }
    }
}

/// A queued fault: which requests it hits, and how many times.
///
/// ```
/// use greenpin_emulator::{Fault, FaultRule};
/// let rule = FaultRule::new(Fault::Close).method("GET").path("/v1/tenants/*/greenpin/*").times(2);
/// assert!(rule.matches("GET", "/v1/tenants/demo/greenpin/abc"));
/// assert!(!rule.matches("PUT", "/v1/tenants/demo/greenpin/abc"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct FaultRule {
    /// HTTP method to match; any when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Path pattern; `*` matches any run of characters. Default `*`.
    #[serde(default = "any_path")]
    pub path: String,
    /// How many matching requests it hits. Default 1.
    #[serde(default = "one")]
    pub times: u32,
    /// What happens to them.
    pub fault: Fault,
}

fn any_path() -> String {
    "*".to_owned()
}

fn one() -> u32 {
    1
}

impl FaultRule {
    /// A rule hitting the next request, whatever it is.
    pub fn new(fault: Fault) -> Self {
        FaultRule {
            method: None,
            path: any_path(),
            times: 1,
            fault,
        }
    }

    /// Only requests with this method.
    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    /// Only requests whose path matches `pattern` (`*` is a wildcard).
    pub fn path(mut self, pattern: &str) -> Self {
        self.path = pattern.to_owned();
        self
    }

    /// Hits this many requests.
    pub fn times(mut self, n: u32) -> Self {
        self.times = n;
        self
    }

    /// Whether a request is hit.
    #[doc(hidden)] // for the CLI and the workspace's tests; not part of the API
    pub fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && glob(self.path.as_bytes(), path.as_bytes())
    }

    /// Refuses rules that cannot be carried out.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.times == 0 {
            return Err("times: must be at least 1".into());
        }
        if let Fault::Status {
            status,
            retry_after,
            content_type,
            ..
        } = &self.fault
        {
            // 1xx answers are not final: a client would wait for another.
            if !(200..=599).contains(status) {
                return Err(format!(
                    "fault.status: {status} is not a final HTTP status (200 to 599)"
                ));
            }
            for (field, value) in [
                ("fault.retry_after", retry_after),
                ("fault.content_type", content_type),
            ] {
                if let Some(v) = value
                    && http::HeaderValue::from_str(v).is_err()
                {
                    return Err(format!("{field}: {v:?} is not a valid header value"));
                }
            }
        }
        if let Fault::Delay { ms } = &self.fault
            && *ms > 600_000
        {
            return Err("fault.ms: at most 600000 (10 minutes)".into());
        }
        Ok(())
    }
}

/// `*` matches any run of bytes; everything else matches itself.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some(p);
            mark = t;
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some(s) = star {
            p = s + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&b| b == b'*')
}

/// At most this many fault rules wait at once.
pub(crate) const MAX_QUEUED: usize = 100;

/// The queue of rules.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    rules: Vec<FaultRule>,
}

impl Faults {
    /// Queues a rule; at most [`MAX_QUEUED`] wait at once.
    pub(crate) fn push(&mut self, rule: FaultRule) -> Result<(), String> {
        if self.rules.len() >= MAX_QUEUED {
            return Err(format!("at most {MAX_QUEUED} faults may wait at once"));
        }
        self.rules.push(rule);
        Ok(())
    }

    pub(crate) fn clear(&mut self) {
        self.rules.clear();
    }

    pub(crate) fn list(&self) -> Vec<FaultRule> {
        self.rules.clone()
    }

    /// The fault for this request, spending one of its rule's hits.
    pub(crate) fn take(&mut self, method: &str, path: &str) -> Option<Fault> {
        let i = self.rules.iter().position(|r| r.matches(method, path))?;
        let rule = &mut self.rules[i];
        rule.times -= 1;
        let fault = rule.fault.clone();
        if rule.times == 0 {
            self.rules.remove(i);
        }
        Some(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches() {
        assert!(glob(b"*", b"/anything/at/all"));
        assert!(glob(
            b"/v1/tenants/*/greenpin",
            b"/v1/tenants/demo/greenpin"
        ));
        assert!(!glob(
            b"/v1/tenants/*/greenpin",
            b"/v1/tenants/demo/greenpin/x"
        ));
        assert!(glob(b"/v1/*/greenpin/*", b"/v1/tenants/demo/greenpin/x"));
        assert!(!glob(b"/settings", b"/v1/tenants/demo/settings"));
        assert!(glob(b"", b""));
    }

    #[test]
    fn rules_are_spent_in_order() {
        let mut f = Faults::default();
        f.push(FaultRule::new(Fault::Close).method("get").times(2))
            .unwrap();
        f.push(FaultRule::new(Fault::Delay { ms: 5 })).unwrap();
        assert_eq!(f.take("PUT", "/x"), Some(Fault::Delay { ms: 5 }));
        assert_eq!(f.take("GET", "/x"), Some(Fault::Close));
        assert_eq!(f.take("GET", "/x"), Some(Fault::Close));
        assert_eq!(f.take("GET", "/x"), None);
    }
}
