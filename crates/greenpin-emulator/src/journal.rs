//! The journal of API requests received, so tests can count attempts and inspect what an
//! SDK really sent. Credentials are redacted before anything is stored.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

/// Most entries kept; older ones are dropped first, so a long-running emulator stays small.
pub const JOURNAL_LIMIT: usize = 10_000;

/// One API request as received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JournalEntry {
    /// HTTP method.
    pub method: String,
    /// Path, without the query.
    pub path: String,
    /// The query string, when any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Headers, lower-case names; `authorization` shows only its scheme.
    pub headers: BTreeMap<String, String>,
    /// The body, lossily decoded (over 1 MiB: a note instead).
    pub body: String,
    /// The fault injected into it, when one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
    /// Fields of the body the API did not read (a typo such as `deallocation_polcy`), as
    /// paths. GreenPin ignores unknown fields; the emulator says which it ignored, here and
    /// in the answer's `X-GreenPin-Ignored-Fields` header.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignored_fields: Vec<String>,
}

/// A request as received, kept cheaply (reference-counted body, no text conversion) and
/// turned into a redacted [`JournalEntry`] only when someone reads the journal.
#[derive(Debug)]
pub(crate) struct RawEntry {
    pub(crate) method: http::Method,
    pub(crate) uri: http::Uri,
    pub(crate) headers: http::HeaderMap,
    /// `None`: over the body limit, not kept.
    pub(crate) body: Option<bytes::Bytes>,
    pub(crate) fault: Option<String>,
    /// Filled in by the route that reads the body, when it ignored fields.
    pub(crate) ignored: IgnoredFields,
    /// The body's full length, when only its start was kept.
    pub(crate) truncated_from: Option<usize>,
    /// Whether the request carried the account's credentials; the body of one that did
    /// not is never kept.
    pub(crate) authenticated: bool,
}

/// Where a route notes the body fields it ignored; shared by the journal entry and the
/// request (as an extension).
#[derive(Debug, Clone, Default)]
pub(crate) struct IgnoredFields(pub(crate) std::sync::Arc<std::sync::OnceLock<Vec<String>>>);

impl JournalEntry {
    fn from_raw(raw: &RawEntry) -> Self {
        let body = match (&raw.body, raw.truncated_from) {
            _ if !raw.authenticated => "[not authenticated: body not kept]".to_owned(),
            (Some(b), None) => String::from_utf8_lossy(b).into_owned(),
            (Some(b), Some(full)) => {
                format!("{}[… cut: {full} bytes in all]", String::from_utf8_lossy(b))
            }
            (None, _) => format!("[body over {} bytes: not kept]", crate::MAX_BODY),
        };
        let mut headers = BTreeMap::new();
        for (name, value) in &raw.headers {
            let shown = if name == http::header::AUTHORIZATION
                || name == http::header::PROXY_AUTHORIZATION
            {
                // The scheme only, and only when there is one (`Basic …`); a bare value
                // is all credential.
                let v = String::from_utf8_lossy(value.as_bytes());
                match v.split_once(char::is_whitespace) {
                    Some((scheme, _)) if scheme.len() <= 16 => format!("{scheme} [redacted]"),
                    _ => "[redacted]".to_owned(),
                }
            } else if sensitive(name.as_str()) {
                "[redacted]".to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            headers
                .entry(name.as_str().to_owned())
                .and_modify(|v: &mut String| {
                    v.push_str(", ");
                    v.push_str(&shown)
                })
                .or_insert(shown);
        }
        JournalEntry {
            method: raw.method.as_str().to_owned(),
            path: raw.uri.path().to_owned(),
            query: raw.uri.query().map(redact_query),
            headers,
            body,
            fault: raw.fault.clone(),
            ignored_fields: raw.ignored.0.get().cloned().unwrap_or_default(),
        }
    }
}

/// Header or parameter names that carry credentials by their name.
fn sensitive(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "cookie",
        "token",
        "secret",
        "password",
        "passwd",
        "auth",
        "key",
        "signature",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// A query string with the values of credential-like parameters replaced.
fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if sensitive(k) => format!("{k}=[redacted]"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The last requests, bounded in count ([`JOURNAL_LIMIT`]) and in bytes of body kept
/// ([`crate::Limits`]): a body is cut to `journal_body_bytes` (copied, so the cut-off part
/// is freed), and the oldest entries go while the total is over `journal_bytes`.
#[derive(Debug)]
pub(crate) struct Journal {
    entries: VecDeque<RawEntry>,
    bytes: usize,
    limits: crate::Limits,
}

impl Journal {
    pub(crate) fn new(limits: crate::Limits) -> Self {
        Journal {
            entries: VecDeque::new(),
            bytes: 0,
            limits,
        }
    }

    pub(crate) fn push(&mut self, mut e: RawEntry) {
        if let Some(body) = &e.body
            && body.len() > self.limits.journal_body_bytes
        {
            e.truncated_from = Some(body.len());
            e.body = Some(bytes::Bytes::copy_from_slice(
                &body[..self.limits.journal_body_bytes],
            ));
        }
        self.bytes += e.body.as_ref().map_or(0, |b| b.len());
        self.entries.push_back(e);
        while self.entries.len() > JOURNAL_LIMIT
            || (self.bytes > self.limits.journal_bytes && self.entries.len() > 1)
        {
            if let Some(old) = self.entries.pop_front() {
                self.bytes -= old.body.as_ref().map_or(0, |b| b.len());
            }
        }
    }

    /// Bytes of bodies kept.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    pub(crate) fn list(&self) -> Vec<JournalEntry> {
        self.entries.iter().map(JournalEntry::from_raw).collect()
    }

    /// The newest `n` entries, newest first.
    pub(crate) fn recent(&self, n: usize) -> Vec<JournalEntry> {
        self.entries
            .iter()
            .rev()
            .take(n)
            .map(JournalEntry::from_raw)
            .collect()
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.bytes = 0;
    }
}
