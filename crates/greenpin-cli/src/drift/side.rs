//! One of the two services a drift run compares: how it is reached (the command's own
//! transport, with its TLS set-up and timeouts), the values its answers gave, the
//! allocations it created, and the rails every request passes — a budget, a pace, a
//! journal line.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};

use greenpin_blocking::Ureq;
use greenpin_blocking::http;
use greenpin_blocking::transport::{AttemptLimits, BlockingSend, ClientConfig, Transport};
use serde_json::{Value, json};

use crate::exit::CommandError;

/// An answer, as the comparison reads it.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    /// The media type of `Content-Type` (`application/json`), lower case.
    pub(crate) content_type: Option<String>,
    /// The body as JSON (`Value::String` holding the text when it is not JSON).
    pub(crate) body: Value,
}

/// A service.
pub(crate) struct Side {
    /// `reference` or `candidate`, in the report and the journal.
    pub(crate) name: &'static str,
    /// Where it is, for the report (`https://…/v1/tenants/SID`, credentials never).
    pub(crate) tenant: String,
    config: ClientConfig,
    transport: Ureq,
    /// Values its answers gave (`id1`, `pin1`) and the run's own (`vn1`, `tx`).
    pub(crate) values: BTreeMap<String, String>,
    /// Allocations it created and the run has not deleted, by id.
    pub(crate) created: Vec<String>,
    /// Allocations it created in all.
    pub(crate) created_total: usize,
    /// Allocations it created whose id the run cannot send back: left to the user.
    pub(crate) undeletable: Vec<String>,
    /// Requests left to send before the budget is spent (cleaning up is not counted).
    budget: u32,
    /// Least time between two requests.
    pace: Duration,
    last: Option<Instant>,
    /// Requests sent, cleaning up included.
    pub(crate) sent: u32,
    /// The credentials as they could come back in an answer (the key, the token, the
    /// `Authorization` header): scrubbed from every answer before it is read or journaled.
    secrets: Vec<String>,
}

/// What replaces a credential an answer echoed.
const SCRUBBED: &str = "[credentials removed]";

/// Shorter credentials are not scrubbed: replacing every occurrence of a two-letter key
/// would garble answers, and such a key is no secret.
const SHORTEST_SCRUBBED: usize = 6;

/// The run stops at a refusal of the credentials (401, 403), naming the side: every later
/// step would be refused too, and a report of those refusals would read as drift.
pub(crate) fn refusal(side: &Side, answer: &Answer) -> Option<CommandError> {
    matches!(answer.status, 401 | 403).then(|| {
        CommandError::Refused(format!(
            "the {} refused the credentials ({}): check {}",
            side.name,
            answer.status,
            if side.name == "reference" {
                "EXOTEL_ACCOUNT_SID, EXOTEL_API_KEY and EXOTEL_API_TOKEN (or --account-sid, --api-key, --api-token-file)"
            } else {
                "GREENPIN_CANDIDATE_ACCOUNT_SID, GREENPIN_CANDIDATE_API_KEY and GREENPIN_CANDIDATE_API_TOKEN"
            }
        ))
    })
}

impl Side {
    pub(crate) fn new(
        name: &'static str,
        config: ClientConfig,
        budget: u32,
        pace: Duration,
    ) -> Result<Side, CommandError> {
        let transport = Ureq::from_config(&config)?;
        let context = config.context();
        let tenant = format!(
            "{}/v1/tenants/{}",
            context.root().as_str(),
            context.account_sid()
        );
        let credentials = context.credentials();
        let authorization = credentials.authorization();
        let authorization = authorization.to_str().unwrap_or_default();
        let secrets = [
            credentials.key().expose(),
            credentials.token().expose(),
            authorization,
            authorization.trim_start_matches("Basic "),
        ]
        .into_iter()
        .filter(|s| s.len() >= SHORTEST_SCRUBBED)
        .map(str::to_owned)
        .collect();
        Ok(Side {
            name,
            tenant,
            config,
            transport,
            values: BTreeMap::new(),
            created: Vec::new(),
            created_total: 0,
            undeletable: Vec::new(),
            budget,
            pace,
            last: None,
            sent: 0,
            secrets,
        })
    }

    /// The country its local numbers are read in.
    pub(crate) fn country(&self) -> greenpin_core::Country {
        self.config.context().country()
    }

    /// Whether the service is on this machine.
    pub(crate) fn is_loopback(&self) -> bool {
        self.config.context().root().is_loopback()
    }

    /// Sends one request of the scenario: within the budget, at the pace, journaled.
    pub(crate) fn send(
        &mut self,
        step: &str,
        method: &str,
        path: &str,
        body: Option<&Value>,
        journal: &mut dyn Write,
    ) -> Result<Answer, CommandError> {
        if self.budget == 0 {
            return Err(CommandError::Local(format!(
                "the {} request budget is spent (--max-requests): the run stops here",
                self.name
            )));
        }
        self.budget -= 1;
        self.request(step, method, path, body, journal)
    }

    /// Sends a request outside the budget: cleaning up what the run created.
    pub(crate) fn request(
        &mut self,
        step: &str,
        method: &str,
        path: &str,
        body: Option<&Value>,
        journal: &mut dyn Write,
    ) -> Result<Answer, CommandError> {
        if let Some(last) = self.last {
            let since = last.elapsed();
            if since < self.pace {
                std::thread::sleep(self.pace - since);
            }
        }
        self.last = Some(Instant::now());
        self.sent += 1;
        let context = self.config.context();
        let mut request = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.tenant))
            .header(
                http::header::AUTHORIZATION,
                context.credentials().authorization(),
            )
            .header(http::header::ACCEPT, "application/json");
        let bytes = match body {
            Some(b) => {
                request = request.header(http::header::CONTENT_TYPE, "application/json");
                serde_json::to_vec(b).map_err(|e| CommandError::Usage(e.to_string()))?
            }
            None => Vec::new(),
        };
        let request = request
            .body(bytes)
            .map_err(|e| CommandError::Usage(format!("{path}: {e}")))?;
        let limits = AttemptLimits::new(
            self.config.attempt_timeout(),
            self.config.max_response_bytes(),
        );
        let answer = self
            .transport
            .send(request, limits)
            .map_err(|e| CommandError::Sdk(greenpin_core::Error::Transport(e)))?;
        let status = answer.status().as_u16();
        let content_type = answer
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            });
        let text = self.scrub(String::from_utf8_lossy(answer.body()).into_owned());
        let answer_body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        // What was sent and answered, never the credentials.
        let line = json!({
            "side": self.name, "step": step, "method": method, "path": path,
            "body": body.cloned().unwrap_or(Value::Null), "status": status,
            "answer": answer_body,
        });
        let _ = writeln!(journal, "{}", self.scrub(line.to_string()));
        Ok(Answer {
            status,
            content_type,
            body: answer_body,
        })
    }

    /// `text` with every credential of this side replaced.
    fn scrub(&self, mut text: String) -> String {
        for secret in &self.secrets {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), SCRUBBED);
            }
        }
        text
    }
}
