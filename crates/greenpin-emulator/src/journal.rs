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
    /// The body, lossily decoded; a note in brackets where it was cut or not kept (over
    /// 1 MiB, or sent without the account's credentials).
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

/// A request as kept: owned, redacted copies of its parts — never slices of the server's
/// read buffers, which would keep a whole buffer alive for every entry — and what it costs
/// in bytes, counted against the journal's budget.
#[derive(Debug)]
pub(crate) struct Kept {
    method: String,
    path: String,
    query: Option<String>,
    headers: Vec<(String, String)>,
    /// `None`: not kept (over the body limit, or not authenticated).
    body: Option<Box<[u8]>>,
    body_note: Option<String>,
    fault: Option<String>,
    ignored: IgnoredFields,
    cost: usize,
}

/// Longest header value kept; the rest is cut.
const HEADER_VALUE_KEPT: usize = 1024;
/// Most headers kept of one request.
const HEADERS_KEPT: usize = 64;
/// What an entry costs beyond the bytes of its text: the allocations that hold it.
const ENTRY_OVERHEAD: usize = 256;

/// A request as received, for [`Journal::push`].
pub(crate) struct Received<'a> {
    pub(crate) parts: &'a http::request::Parts,
    /// The body, `None` when over the limit (not read).
    pub(crate) body: Option<&'a [u8]>,
    /// Whether the request carried the account's credentials; the body of one that did
    /// not is never kept.
    pub(crate) authenticated: bool,
    pub(crate) fault: Option<String>,
    /// Filled in by the route that reads the body, when it ignored fields.
    pub(crate) ignored: IgnoredFields,
}

impl Kept {
    fn new(r: Received<'_>, body_limit: usize) -> Self {
        let mut headers = Vec::new();
        for (name, value) in r.parts.headers.iter().take(HEADERS_KEPT) {
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
                let bytes = value.as_bytes();
                let cut = &bytes[..bytes.len().min(HEADER_VALUE_KEPT)];
                String::from_utf8_lossy(cut).into_owned()
            };
            headers.push((name.as_str().to_owned(), shown));
        }
        let (body, body_note) = match r.body {
            _ if !r.authenticated => (None, Some("[not authenticated: body not kept]".to_owned())),
            None => (
                None,
                Some(format!("[body over {} bytes: not kept]", crate::MAX_BODY)),
            ),
            Some(b) if b.len() > body_limit => (
                Some(Box::from(&b[..body_limit])),
                Some(format!("[… cut: {} bytes in all]", b.len())),
            ),
            Some(b) => (Some(Box::from(b)), None),
        };
        let path = cut(r.parts.uri.path(), HEADER_VALUE_KEPT);
        let query = r
            .parts
            .uri
            .query()
            .map(|q| cut(&redact_query(q), HEADER_VALUE_KEPT));
        let cost = ENTRY_OVERHEAD
            + path.len()
            + query.as_ref().map_or(0, String::len)
            + headers
                .iter()
                .map(|(k, v)| k.len() + v.len() + 48)
                .sum::<usize>()
            + body.as_deref().map_or(0, <[u8]>::len)
            + body_note.as_ref().map_or(0, String::len)
            + r.fault.as_ref().map_or(0, String::len);
        Kept {
            method: r.parts.method.as_str().to_owned(),
            path,
            query,
            headers,
            body,
            body_note,
            fault: r.fault,
            ignored: r.ignored,
            cost,
        }
    }
}

fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// Where a route notes the body fields it ignored; shared by the journal entry and the
/// request (as an extension).
#[derive(Debug, Clone, Default)]
pub(crate) struct IgnoredFields(pub(crate) std::sync::Arc<std::sync::OnceLock<Vec<String>>>);

impl JournalEntry {
    fn from_kept(k: &Kept, body_shown: usize) -> Self {
        let mut body = match &k.body {
            Some(b) => String::from_utf8_lossy(&b[..b.len().min(body_shown)]).into_owned(),
            None => String::new(),
        };
        if let Some(b) = &k.body
            && b.len() > body_shown
        {
            body.push_str(&format!("[… {} bytes kept]", b.len()));
        }
        if let Some(note) = &k.body_note {
            body.push_str(note);
        }
        let mut headers = BTreeMap::new();
        for (name, shown) in &k.headers {
            headers
                .entry(name.clone())
                .and_modify(|v: &mut String| {
                    v.push_str(", ");
                    v.push_str(shown)
                })
                .or_insert_with(|| shown.clone());
        }
        JournalEntry {
            method: k.method.clone(),
            path: k.path.clone(),
            query: k.query.clone(),
            headers,
            body,
            fault: k.fault.clone(),
            ignored_fields: k.ignored.0.get().cloned().unwrap_or_default(),
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

/// The last requests, bounded in count ([`JOURNAL_LIMIT`]) and in bytes ([`crate::Limits`]):
/// everything an entry holds is counted (headers, path, query and body, cut to
/// `journal_body_bytes`), and the oldest entries go while the total is over `journal_bytes`.
#[derive(Debug)]
pub(crate) struct Journal {
    entries: VecDeque<Kept>,
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

    pub(crate) fn push(&mut self, r: Received<'_>) {
        let e = Kept::new(r, self.limits.journal_body_bytes);
        self.bytes += e.cost;
        self.entries.push_back(e);
        while self.entries.len() > JOURNAL_LIMIT
            || (self.bytes > self.limits.journal_bytes && !self.entries.is_empty())
        {
            if let Some(old) = self.entries.pop_front() {
                self.bytes -= old.cost;
            }
        }
    }

    /// Bytes the entries hold, as counted against the budget.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    pub(crate) fn list(&self) -> Vec<JournalEntry> {
        self.entries
            .iter()
            .map(|k| JournalEntry::from_kept(k, usize::MAX))
            .collect()
    }

    /// The newest `n` entries, newest first, bodies cut to `body_shown` bytes.
    pub(crate) fn recent(&self, n: usize, body_shown: usize) -> Vec<JournalEntry> {
        self.entries
            .iter()
            .rev()
            .take(n)
            .map(|k| JournalEntry::from_kept(k, body_shown))
            .collect()
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.bytes = 0;
    }
}
