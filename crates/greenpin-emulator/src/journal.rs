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

/// A request as kept: an owned, redacted copy of its parts — never a slice of the server's
/// read buffers, which would keep a whole buffer alive for every entry — in as few
/// allocations as possible (the journal sees every request), and what it costs in bytes,
/// counted against the journal's budget.
#[derive(Debug)]
pub(crate) struct Kept {
    /// The method, the path and the (redacted) query, one a line, then one
    /// `name: value` line a header (redacted, each value cut to 1 KiB).
    head: Box<str>,
    /// `None`: not kept (over the body limit, or not authenticated).
    body: Option<Box<[u8]>>,
    body_note: BodyNote,
    fault: Option<String>,
    ignored: IgnoredFields,
    cost: usize,
    /// Bytes counted after the entry was pushed: its ignored fields, which the route notes
    /// once it has read the body.
    late: usize,
}

/// Why a body is not kept whole.
#[derive(Debug, Clone, Copy)]
enum BodyNote {
    Whole,
    NotAuthenticated,
    TooLarge,
    /// Cut; its full length.
    Cut(usize),
}

/// Longest header value (and path, and query) kept; the rest is cut.
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
        let mut head = String::with_capacity(256);
        head.push_str(r.parts.method.as_str());
        head.push('\n');
        push_cut(&mut head, r.parts.uri.path());
        head.push('\n');
        if let Some(q) = r.parts.uri.query() {
            push_cut(&mut head, &redact_query(q));
        }
        head.push('\n');
        for (name, value) in r.parts.headers.iter().take(HEADERS_KEPT) {
            head.push_str(name.as_str());
            head.push_str(": ");
            if name == http::header::AUTHORIZATION || name == http::header::PROXY_AUTHORIZATION {
                // The scheme only, and only when there is one (`Basic …`); a bare value
                // is all credential.
                let v = String::from_utf8_lossy(value.as_bytes());
                match v.split_once(char::is_whitespace) {
                    Some((scheme, _)) if scheme.len() <= 16 => {
                        head.push_str(scheme);
                        head.push_str(" [redacted]");
                    }
                    _ => head.push_str("[redacted]"),
                }
            } else if sensitive(name.as_str()) {
                head.push_str("[redacted]");
            } else {
                let bytes = value.as_bytes();
                push_cut(&mut head, &String::from_utf8_lossy(bytes));
            }
            head.push('\n');
        }
        let (body, body_note) = match r.body {
            _ if !r.authenticated => (None, BodyNote::NotAuthenticated),
            None => (None, BodyNote::TooLarge),
            Some(b) => {
                let b = redact_urls(b);
                if b.len() > body_limit {
                    (Some(Box::from(&b[..body_limit])), BodyNote::Cut(b.len()))
                } else {
                    (Some(Box::from(&*b)), BodyNote::Whole)
                }
            }
        };
        let head = head.into_boxed_str();
        let cost = ENTRY_OVERHEAD
            + head.len()
            + body.as_deref().map_or(0, <[u8]>::len)
            + r.fault.as_ref().map_or(0, String::len);
        Kept {
            head,
            body,
            body_note,
            fault: r.fault,
            ignored: r.ignored,
            cost,
            late: 0,
        }
    }
}

/// A JSON body with the secrets of its URLs hidden: a callback endpoint may carry one in
/// its userinfo or its `greenpin_secret` parameter, and the journal is shown on the
/// dashboard. Other bodies are kept as they came.
fn redact_urls(body: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    fn walk(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::String(s) if s.starts_with("http") => {
                *s = crate::callbacks::target::shown_url(s);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            serde_json::Value::Object(map) => map.values_mut().for_each(walk),
            _ => {}
        }
    }
    let suspect = body.contains(&b'@') || body.windows(15).any(|w| w == b"greenpin_secret");
    if !suspect {
        return body.into();
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(mut v) => {
            walk(&mut v);
            serde_json::to_vec(&v).map_or(body.into(), Into::into)
        }
        Err(_) => body.into(),
    }
}

/// Pushes `text`, cut to [`HEADER_VALUE_KEPT`] bytes at a character boundary.
fn push_cut(out: &mut String, text: &str) {
    let mut end = text.len().min(HEADER_VALUE_KEPT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    out.push_str(&text[..end]);
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
        match k.body_note {
            BodyNote::Whole => {}
            BodyNote::NotAuthenticated => body.push_str("[not authenticated: body not kept]"),
            BodyNote::TooLarge => body.push_str(&format!(
                "[body over {} bytes: not kept]",
                crate::config::MAX_BODY
            )),
            BodyNote::Cut(full) => body.push_str(&format!("[… cut: {full} bytes in all]")),
        }
        let mut lines = k.head.split('\n');
        let method = lines.next().unwrap_or("").to_owned();
        let path = lines.next().unwrap_or("").to_owned();
        let query = lines.next().filter(|q| !q.is_empty()).map(str::to_owned);
        let mut headers = BTreeMap::new();
        for line in lines {
            let Some((name, shown)) = line.split_once(": ") else {
                continue;
            };
            headers
                .entry(name.to_owned())
                .and_modify(|v: &mut String| {
                    v.push_str(", ");
                    v.push_str(shown)
                })
                .or_insert_with(|| shown.to_owned());
        }
        JournalEntry {
            method,
            path,
            query,
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

/// The last requests, bounded in count ([`JOURNAL_LIMIT`]) and in bytes ([`crate::config::Limits`]):
/// everything an entry holds is counted (headers, path, query and body, cut to
/// `journal_body_bytes`), and the oldest entries go while the total is over `journal_bytes`.
#[derive(Debug)]
pub(crate) struct Journal {
    entries: VecDeque<Kept>,
    bytes: usize,
    limits: crate::config::Limits,
}

impl Journal {
    pub(crate) fn new(limits: crate::config::Limits) -> Self {
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
        self.trim();
    }

    /// Counts the ignored fields a route noted in `note` against the budget, once the
    /// entry they belong to is still kept (an entry already dropped costs nothing more).
    pub(crate) fn count_ignored(&mut self, note: &IgnoredFields) {
        let Some(names) = note.0.get() else { return };
        let bytes = names.iter().map(|n| n.len() + 16).sum::<usize>() + 24;
        let entry = self
            .entries
            .iter_mut()
            .rev()
            .find(|k| std::sync::Arc::ptr_eq(&k.ignored.0, &note.0));
        if let Some(k) = entry {
            k.late += bytes;
            self.bytes += bytes;
            self.trim();
        }
    }

    /// Drops the oldest entries while over the count or the byte budget.
    fn trim(&mut self) {
        while self.entries.len() > JOURNAL_LIMIT
            || (self.bytes > self.limits.journal_bytes && !self.entries.is_empty())
        {
            if let Some(old) = self.entries.pop_front() {
                self.bytes -= old.cost + old.late;
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
