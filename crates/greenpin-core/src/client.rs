//! What a client is, minus the I/O: its configuration, the builder both transports share,
//! and [`Call`] — the state machine of one call (validate and build the request once, then
//! after each attempt: done, or retry after a delay). A transport supplies only the HTTP
//! client, the send, and the sleep:
//!
//! ```
//! use greenpin_core::client::{Call, ClientConfig, Step};
//! use greenpin_core::ops::GetAllocation;
//! use greenpin_core::{Credentials, GreenPinId, TransportError, TransportErrorKind};
//!
//! let config = ClientConfig::new("acme", Credentials::new("k", "t")).unwrap();
//! let op = GetAllocation::new(GreenPinId::new("g-1").unwrap());
//! let mut call = Call::new(&op, &config).unwrap();
//! assert_eq!(call.request().uri(), "https://leadassist.exotel.in/v1/tenants/acme/greenpin/g-1");
//! // The connection was refused: a GET is retried after a backoff.
//! let refused = TransportError::new(TransportErrorKind::Connect, false, "refused");
//! assert!(matches!(call.on_transport_error(refused), Step::Retry(_)));
//! ```

use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use http::{HeaderMap, HeaderValue, Request, StatusCode};
use tracing::{Span, field};

use crate::api::{ApiContext, ServiceRoot};
use crate::envelope::Reply;
use crate::error::{Error, TransportError};
use crate::ids::AccountSid;
use crate::ops::Operation;
use crate::phone::Country;
use crate::retry::{Decision, Outcome, RetryPolicy};
use crate::secret::{ApiKey, ApiToken, Credentials};
use crate::validation::{ValidationError, ValidationKind};

/// Default time to establish a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default time for a whole request, answer included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Environment variable holding the account SID.
pub const ENV_ACCOUNT_SID: &str = "EXOTEL_ACCOUNT_SID";
/// Environment variable holding the API key.
pub const ENV_API_KEY: &str = "EXOTEL_API_KEY";
/// Environment variable holding the API token.
pub const ENV_API_TOKEN: &str = "EXOTEL_API_TOKEN";
/// Environment variable holding the service root (optional).
pub const ENV_BASE_URL: &str = "GREENPIN_BASE_URL";

/// A complete, checked client configuration.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Root, account, credentials, country, user agent.
    pub context: ApiContext,
    /// Time to connect.
    pub connect_timeout: Duration,
    /// Time for a whole request.
    pub timeout: Duration,
    /// Retries.
    pub retry: RetryPolicy,
}

impl ClientConfig {
    /// Defaults for an account: production root, `IN`, 5 s / 30 s timeouts, 3 attempts.
    pub fn new(account_sid: &str, credentials: Credentials) -> Result<Self, Error> {
        let sid = AccountSid::new(account_sid).map_err(|e| {
            ValidationError::new("account_sid", ValidationKind::Invalid, e.to_string())
        })?;
        Ok(ClientConfig {
            context: ApiContext::new(sid, credentials)
                .with_user_agent(HeaderValue::from_static(crate::USER_AGENT)),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
        })
    }
}

/// A transport: how a [`ClientBuilder`] becomes a client.
pub trait Transport {
    /// The HTTP client a user may bring (`reqwest::Client`, `ureq::Agent`).
    type HttpClient;
    /// The GreenPin client built.
    type Client;
    /// Builds the client; `http` is the user's own HTTP client, when given.
    fn build(config: ClientConfig, http: Option<Self::HttpClient>) -> Result<Self::Client, Error>;
}

/// The builder of both transports' clients.
///
/// ```
/// use std::time::Duration;
/// use greenpin_core::client::{ClientBuilder, ClientConfig, Transport};
/// use greenpin_core::{Error, RetryPolicy};
///
/// // A transport of our own, to show the builder without a network.
/// struct Dummy;
/// impl Transport for Dummy {
///     type HttpClient = ();
///     type Client = ClientConfig;
///     fn build(config: ClientConfig, _: Option<()>) -> Result<ClientConfig, Error> { Ok(config) }
/// }
///
/// let config = ClientBuilder::<Dummy>::new()
///     .account_sid("acme")
///     .credentials("key", "token")
///     .base_url("http://127.0.0.1:4010")
///     .timeout(Duration::from_secs(10))
///     .retry_policy(RetryPolicy::none())
///     .build()
///     .unwrap();
/// assert_eq!(config.context.root().as_str(), "http://127.0.0.1:4010");
///
/// let missing = ClientBuilder::<Dummy>::new().credentials("k", "t").build().unwrap_err();
/// assert!(missing.to_string().contains("account_sid"));
/// ```
pub struct ClientBuilder<T: Transport> {
    account_sid: Option<String>,
    key: Option<ApiKey>,
    token: Option<ApiToken>,
    base_url: Option<String>,
    country: Country,
    connect_timeout: Duration,
    timeout: Duration,
    retry: RetryPolicy,
    http: Option<T::HttpClient>,
}

impl<T: Transport> Default for ClientBuilder<T> {
    fn default() -> Self {
        ClientBuilder::new()
    }
}

impl<T: Transport> fmt::Debug for ClientBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("account_sid", &self.account_sid)
            .field("key", &self.key)
            .field("token", &self.token)
            .field("base_url", &self.base_url)
            .field("country", &self.country)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("http_client", &self.http.as_ref().map(|_| "custom"))
            .finish()
    }
}

impl<T: Transport> ClientBuilder<T> {
    /// A builder with the defaults and nothing else.
    pub fn new() -> Self {
        ClientBuilder {
            account_sid: None,
            key: None,
            token: None,
            base_url: None,
            country: Country::IN,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            http: None,
        }
    }

    /// A builder reading `EXOTEL_ACCOUNT_SID`, `EXOTEL_API_KEY`, `EXOTEL_API_TOKEN` and,
    /// when set, `GREENPIN_BASE_URL`. Later calls override what it read.
    pub fn from_env() -> Self {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        let mut b = ClientBuilder::new();
        b.account_sid = var(ENV_ACCOUNT_SID);
        b.key = var(ENV_API_KEY).map(ApiKey::new);
        b.token = var(ENV_API_TOKEN).map(ApiToken::new);
        b.base_url = var(ENV_BASE_URL);
        b
    }

    /// The account (tenant) SID.
    pub fn account_sid(mut self, sid: impl Into<String>) -> Self {
        self.account_sid = Some(sid.into());
        self
    }

    /// The API key and token.
    pub fn credentials(mut self, key: impl Into<ApiKey>, token: impl Into<ApiToken>) -> Self {
        self.key = Some(key.into());
        self.token = Some(token.into());
        self
    }

    /// The service root, `https://leadassist.exotel.in` by default (the SDK adds
    /// `/v1/tenants/{sid}/…`). Plain `http` only to loopback.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The country local numbers are read in (`IN` by default).
    pub fn country(mut self, country: Country) -> Self {
        self.country = country;
        self
    }

    /// Time to connect (5 s by default).
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// Time for a whole request (30 s by default).
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }

    /// The retry policy ([`RetryPolicy::none`] turns retries off).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Your own HTTP client (proxies, pools, middleware). Its own timeouts apply as well;
    /// the builder's whole-request timeout is set on each request.
    pub fn http_client(mut self, client: T::HttpClient) -> Self {
        self.http = Some(client);
        self
    }

    /// Checks the configuration, refusing what is missing or wrong by name.
    pub fn build_config(self) -> Result<(ClientConfig, Option<T::HttpClient>), Error> {
        let missing = |field: &str, env: &str| {
            ValidationError::new(
                field,
                ValidationKind::Missing,
                format!("is required (set it, or {env})"),
            )
        };
        let sid = self
            .account_sid
            .ok_or_else(|| missing("account_sid", ENV_ACCOUNT_SID))?;
        let key = self.key.ok_or_else(|| missing("api_key", ENV_API_KEY))?;
        let token = self
            .token
            .ok_or_else(|| missing("api_token", ENV_API_TOKEN))?;
        if self.timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(ValidationError::new(
                "timeout",
                ValidationKind::Invalid,
                "must be more than zero",
            )
            .into());
        }
        let mut config = ClientConfig::new(&sid, Credentials::new(key, token))?;
        if let Some(url) = &self.base_url {
            config.context = config.context.with_root(ServiceRoot::parse(url)?);
        }
        config.context = config.context.with_country(self.country);
        config.connect_timeout = self.connect_timeout;
        config.timeout = self.timeout;
        config.retry = self.retry;
        Ok((config, self.http))
    }

    /// Builds the client.
    pub fn build(self) -> Result<T::Client, Error> {
        let (config, http) = self.build_config()?;
        T::build(config, http)
    }
}

/// What to do after an attempt.
#[derive(Debug)]
#[must_use]
pub enum Step<T> {
    /// The call is over.
    Done(Result<Reply<T>, Error>),
    /// Sleep this long, then send [`Call::request`] again.
    Retry(Duration),
}

/// One call of an operation, across its attempts.
pub struct Call<'a, O: Operation> {
    op: &'a O,
    request: Request<Vec<u8>>,
    retry: RetryPolicy,
    timeout: Duration,
    attempt: u32,
    started: Instant,
    attempt_started: Instant,
    span: Span,
}

impl<O: Operation> fmt::Debug for Call<'_, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("operation", &self.op.kind().name())
            .field("method", self.request.method())
            .field("uri", self.request.uri())
            .field("attempt", &self.attempt)
            .finish()
    }
}

impl<'a, O: Operation> Call<'a, O> {
    /// Validates and builds the request; nothing is sent when this fails.
    pub fn new(op: &'a O, config: &ClientConfig) -> Result<Self, Error> {
        let span = tracing::info_span!(
            "greenpin.call",
            operation = op.kind().name(),
            greenpin_id = field::Empty,
            attempts = field::Empty,
            status = field::Empty,
            request_id = field::Empty,
            elapsed_ms = field::Empty,
        );
        if let Some(id) = op.greenpin_id() {
            span.record("greenpin_id", id.as_str());
        }
        let request = span.in_scope(|| {
            op.build_request(&config.context).inspect_err(|e| {
                tracing::debug!(error = %e, "request refused before sending");
            })
        })?;
        let now = Instant::now();
        Ok(Call {
            op,
            request,
            retry: config.retry,
            timeout: config.timeout,
            attempt: 1,
            started: now,
            attempt_started: now,
            span,
        })
    }

    /// The request to send for the current attempt.
    pub fn request(&self) -> &Request<Vec<u8>> {
        &self.request
    }

    /// The attempt about to be (or being) made, from 1.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The whole-request timeout to apply to each attempt.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Whether repeating the operation is harmless.
    pub fn is_idempotent(&self) -> bool {
        self.op.kind().is_idempotent()
    }

    /// The call's span: instrument the whole call with it.
    pub fn span(&self) -> &Span {
        &self.span
    }

    /// A span for the current attempt (a child of the call's span). Also restarts the
    /// attempt's clock.
    pub fn attempt_span(&mut self) -> Span {
        self.attempt_started = Instant::now();
        tracing::debug_span!(parent: &self.span, "greenpin.attempt", attempt = self.attempt, status = field::Empty)
    }

    /// The service answered.
    pub fn on_response(
        &mut self,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Step<O::Output> {
        let result = self.op.parse_reply(status, headers, body);
        let request_id = match &result {
            Ok(r) => r.request_id.clone(),
            Err(e) => e.request_id().map(str::to_owned),
        };
        tracing::debug!(
            parent: &self.span,
            attempt = self.attempt,
            status = status.as_u16(),
            request_id = request_id.as_deref().unwrap_or(""),
            elapsed_ms = self.attempt_started.elapsed().as_millis() as u64,
            "attempt answered"
        );
        self.span.record("status", status.as_u16());
        if let Some(id) = &request_id {
            self.span.record("request_id", id.as_str());
        }
        self.next(result)
    }

    /// No answer: the transport failed.
    pub fn on_transport_error(&mut self, error: TransportError) -> Step<O::Output> {
        tracing::debug!(
            parent: &self.span,
            attempt = self.attempt,
            kind = ?error.kind,
            may_have_been_sent = error.may_have_been_sent,
            elapsed_ms = self.attempt_started.elapsed().as_millis() as u64,
            error = %error.message,
            "attempt failed"
        );
        self.next(Err(Error::Transport(error)))
    }

    fn next(&mut self, result: Result<Reply<O::Output>, Error>) -> Step<O::Output> {
        if let Err(e) = &result
            && let Some(outcome) = Outcome::of(e)
            && let Decision::Retry(wait) =
                self.retry
                    .decide(self.attempt, &outcome, self.is_idempotent(), jitter())
        {
            tracing::info!(parent: &self.span, attempt = self.attempt, wait_ms = wait.as_millis() as u64, error = %e, "retrying");
            self.attempt += 1;
            return Step::Retry(wait);
        }
        self.span.record("attempts", self.attempt);
        self.span
            .record("elapsed_ms", self.started.elapsed().as_millis() as u64);
        match &result {
            Ok(_) => tracing::debug!(parent: &self.span, "call succeeded"),
            Err(e) => tracing::debug!(parent: &self.span, error = %e, "call failed"),
        }
        Step::Done(result)
    }
}

/// A number in `[0, 1)` for full jitter: std's randomly keyed hasher over a counter.
fn jitter() -> f64 {
    static STATE: std::sync::OnceLock<RandomState> = std::sync::OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let h = STATE
        .get_or_init(RandomState::new)
        .hash_one(COUNTER.fetch_add(1, Ordering::Relaxed));
    (h >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::{CreateAllocation, GetAllocation};
    use crate::{AllocationSpec, ErrorCode, GreenPinId, PartySpec, TransportErrorKind};

    fn config() -> ClientConfig {
        ClientConfig::new("acme", Credentials::new("k", "t")).unwrap()
    }

    fn busy() -> (StatusCode, HeaderMap, &'static [u8]) {
        (StatusCode::SERVICE_UNAVAILABLE, HeaderMap::new(), b"")
    }

    #[test]
    fn a_get_is_retried_then_stops_after_three_attempts() {
        let op = GetAllocation::new(GreenPinId::new("g").unwrap());
        let config = config();
        let mut call = Call::new(&op, &config).unwrap();
        let (s, h, b) = busy();
        for expected_attempt in 1..=2 {
            assert_eq!(call.attempt(), expected_attempt);
            let Step::Retry(wait) = call.on_response(s, &h, b) else {
                panic!("should retry")
            };
            assert!(wait <= Duration::from_millis(100 << (expected_attempt - 1)));
        }
        let Step::Done(Err(e)) = call.on_response(s, &h, b) else {
            panic!("should stop")
        };
        assert_eq!(e.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
        assert_eq!(call.attempt(), 3);
    }

    #[test]
    fn a_create_is_not_retried_once_sent() {
        let op = CreateAllocation::new("t")
            .spec(AllocationSpec::new().a(PartySpec::new().number("7987686144").vn("6292134471")));
        let config = config();
        let mut call = Call::new(&op, &config).unwrap();
        let (s, h, b) = busy();
        assert!(matches!(call.on_response(s, &h, b), Step::Done(Err(_))));
        let mut call = Call::new(&op, &config).unwrap();
        let sent = TransportError::new(TransportErrorKind::Io, true, "reset");
        assert!(matches!(call.on_transport_error(sent), Step::Done(Err(_))));
        let mut call = Call::new(&op, &config).unwrap();
        let refused = TransportError::new(TransportErrorKind::Connect, false, "refused");
        assert!(matches!(call.on_transport_error(refused), Step::Retry(_)));
    }

    #[test]
    fn success_and_api_errors_are_done_at_once() {
        let op = GetAllocation::new(GreenPinId::new("g").unwrap());
        let config = config();
        let mut call = Call::new(&op, &config).unwrap();
        let body = br#"{"success":false,"status":404,"code":1,"message":"nope","data":null}"#;
        let Step::Done(Err(e)) = call.on_response(StatusCode::NOT_FOUND, &HeaderMap::new(), body)
        else {
            panic!()
        };
        assert_eq!(e.code(), Some(ErrorCode::NotFound));
        let ok = br#"{"request_id":"r1","success":true,"status":200,"data":{"greenpin_id":"g","usage":"twoway","state":"active"}}"#;
        let mut call = Call::new(&op, &config).unwrap();
        let Step::Done(Ok(reply)) = call.on_response(StatusCode::OK, &HeaderMap::new(), ok) else {
            panic!()
        };
        assert_eq!(reply.request_id.as_deref(), Some("r1"));
    }

    #[test]
    fn invalid_requests_never_become_calls() {
        let op = CreateAllocation::new("");
        assert!(matches!(
            Call::new(&op, &config()),
            Err(Error::Validation(_))
        ));
    }

    #[test]
    fn jitter_is_in_range_and_varies() {
        let xs: Vec<f64> = (0..100).map(|_| jitter()).collect();
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
        assert!(xs.windows(2).any(|w| w[0] != w[1]));
    }

    #[test]
    fn user_agent_is_sent() {
        let op = GetAllocation::new(GreenPinId::new("g").unwrap());
        let call = Call::new(&op, &config()).unwrap();
        assert_eq!(call.request().headers()["user-agent"], crate::USER_AGENT);
    }
}
