//! A client's configuration and the builder both flavours share.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use http::HeaderValue;

use super::tls::RootCertificate;
use crate::api::{ApiContext, ServiceRoot};
use crate::credentials::{ApiKey, ApiToken, Credentials};
use crate::error::{ConfigError, Error};
use crate::ids::AccountSid;
use crate::phone::Country;
use crate::retry::RetryPolicy;

/// Default time to establish a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default time for one attempt, answer included.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time for a whole call: every attempt, backoff and `Retry-After` wait together.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default largest answer body read: 16 MiB (a GreenPin answer is a few kilobytes).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 16 << 20;
/// Longest timeout accepted: a day. Longer is a mistake (often a unit mix-up), refused.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(86_400);

/// Environment variable holding the account SID.
pub const ENV_ACCOUNT_SID: &str = "EXOTEL_ACCOUNT_SID";
/// Environment variable holding the API key.
pub const ENV_API_KEY: &str = "EXOTEL_API_KEY";
/// Environment variable holding the API token.
pub const ENV_API_TOKEN: &str = "EXOTEL_API_TOKEN";
/// Environment variable holding the service root (optional).
pub const ENV_BASE_URL: &str = "GREENPIN_BASE_URL";

/// A complete, checked client configuration. Made by [`ClientBuilder::build_config`] (or
/// [`ClientConfig::builder`]), and read-only once made, so the builder's checks hold.
///
/// ```
/// use std::time::Duration;
/// # use greenpin_core::client::ClientConfig;
/// let config = ClientConfig::builder()
///     .account_sid("acme")
///     .credentials("key", "token")
///     .timeout(Duration::from_secs(10))
///     .build_config()?;
/// assert_eq!(config.timeout(), Duration::from_secs(10));
/// assert_eq!(config.context().account_sid().as_str(), "acme");
/// # Ok::<(), greenpin_core::Error>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ClientConfig {
    pub(crate) context: ApiContext,
    pub(crate) connect_timeout: Duration,
    pub(crate) attempt_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) max_response_bytes: u64,
    pub(crate) retry: RetryPolicy,
    pub(crate) root_certificates: Vec<RootCertificate>,
}

impl ClientConfig {
    /// A builder of a configuration alone, for no transport in particular (a transport of
    /// your own takes the result in its `new`).
    pub fn builder() -> ClientBuilder<()> {
        ClientBuilder::new()
    }

    /// Root, account, credentials, country, user agent.
    pub fn context(&self) -> &ApiContext {
        &self.context
    }

    /// Time to connect.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// Time for one attempt, answer included.
    pub fn attempt_timeout(&self) -> Duration {
        self.attempt_timeout
    }

    /// Time for the whole call, retries and waits included.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Largest answer body read, the same on every transport.
    pub fn max_response_bytes(&self) -> u64 {
        self.max_response_bytes
    }

    /// Retries and the retry budget.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// Certificate authorities trusted beside the operating system's (see
    /// [`ClientBuilder::add_root_certificate`]); a transport adds them to its TLS set-up.
    pub fn root_certificates(&self) -> &[RootCertificate] {
        &self.root_certificates
    }

    /// Whether the client checks numbers that need libphonenumber's metadata (see
    /// [`ClientBuilder::international_numbers`]): what this client can send, known at
    /// `build()`.
    pub fn checks_international_numbers(&self) -> bool {
        self.context.validation().checks_international
    }

    /// Whether the service root is a loopback address (an emulator): transports never use
    /// a proxy for it.
    pub fn is_loopback(&self) -> bool {
        self.context.root().is_loopback()
    }
}

/// The builder of both flavours' clients. `T` is the transport it builds a client over:
/// `greenpin_blocking::Client::builder()` and `greenpin_async::Client::builder()` pick it.
///
/// ```
/// use std::time::Duration;
/// # use greenpin_core::client::{ClientBuilder};
/// # use greenpin_core::retry::{RetryPolicy};
///
/// let config = ClientBuilder::<()>::new() // or ClientConfig::builder()
///     .account_sid("acme")
///     .credentials("key", "token")
///     .base_url("http://127.0.0.1:4010")
///     .timeout(Duration::from_secs(10))
///     .retry_policy(RetryPolicy::default().with_max_attempts(5))
///     .build_config()?;
/// assert_eq!(config.context().root().as_str(), "http://127.0.0.1:4010");
///
/// let missing = ClientBuilder::<()>::new().credentials("k", "t").build_config().unwrap_err();
/// assert_eq!(missing.to_string(),
///     "invalid client configuration: account_sid: is required (set it, or EXOTEL_ACCOUNT_SID)");
/// # Ok::<(), greenpin_core::Error>(())
/// ```
pub struct ClientBuilder<T> {
    account_sid: Option<String>,
    key: Option<ApiKey>,
    token: Option<ApiToken>,
    base_url: Option<String>,
    country: Country,
    international_numbers: Option<bool>,
    connect_timeout: Duration,
    attempt_timeout: Duration,
    timeout: Duration,
    max_response_bytes: u64,
    retry: RetryPolicy,
    root_certificates: Vec<RootCertificate>,
    transport: PhantomData<fn() -> T>,
}

impl<T> Default for ClientBuilder<T> {
    fn default() -> Self {
        ClientBuilder::new()
    }
}

impl<T> fmt::Debug for ClientBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("account_sid", &self.account_sid)
            .field("key", &self.key)
            .field("token", &self.token)
            .field("base_url", &self.base_url)
            .field("country", &self.country)
            .field("international_numbers", &self.international_numbers)
            .field("connect_timeout", &self.connect_timeout)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("timeout", &self.timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("retry", &self.retry)
            .field("root_certificates", &self.root_certificates)
            .finish()
    }
}

impl<T> ClientBuilder<T> {
    /// A builder with the defaults and nothing else.
    pub fn new() -> Self {
        ClientBuilder {
            account_sid: None,
            key: None,
            token: None,
            base_url: None,
            country: Country::IN,
            international_numbers: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            attempt_timeout: DEFAULT_ATTEMPT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            retry: RetryPolicy::default(),
            root_certificates: Vec::new(),
            transport: PhantomData,
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

    /// The service root, `https://leadassist.exotel.in` by default; the SDK adds
    /// `/v1/tenants/{account_sid}/…`. Plain `http` only to a loopback host.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The country local numbers are read in (`IN` by default). A country other than `IN`
    /// needs [`international_numbers`](Self::international_numbers).
    pub fn country(mut self, country: Country) -> Self {
        self.country = country;
        self
    }

    /// Whether the client checks, and so sends, the numbers that need libphonenumber's
    /// metadata: numbers outside India, and Indian numbers in other forms than ten digits
    /// (alone, or after `+91`, `91`, `0091` or `0`). Without it they are refused as
    /// [`Error::Unchecked`], never sent unchecked.
    ///
    /// Unless set, [`build`](Self::build) takes it from the transport's crate
    /// ([`Transport::INTERNATIONAL_NUMBERS`](crate::client::Transport::INTERNATIONAL_NUMBERS): greenpin-blocking's and greenpin-async's own
    /// `international-numbers` feature, on by default), so a test build in which another
    /// crate (an emulator) turns greenpin-core's feature on accepts exactly the numbers
    /// your release build does; [`build_config`](Self::build_config) takes greenpin-core's.
    /// `true` needs greenpin-core's feature: without it, the configuration is refused.
    pub fn international_numbers(mut self, check: bool) -> Self {
        self.international_numbers = Some(check);
        self
    }

    /// Trusts `certificate`'s authority as well as the operating system's store (which the
    /// clients always trust, as browsers do: a company's TLS proxy installed there needs
    /// nothing here). For a private gateway or a test server; read a PEM file with
    /// [`RootCertificate::from_pem`].
    ///
    /// ```no_run
    /// # use greenpin_core::client::ClientBuilder;
    /// # use greenpin_core::RootCertificate;
    /// let mut builder = ClientBuilder::<()>::new().account_sid("acme").credentials("k", "t");
    /// for ca in RootCertificate::from_pem(&std::fs::read("gateway-ca.pem")?)? {
    ///     builder = builder.add_root_certificate(ca);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_root_certificate(mut self, certificate: RootCertificate) -> Self {
        self.root_certificates.push(certificate);
        self
    }

    /// Time to connect (5 s by default).
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// Time for one attempt, answer included (30 s by default).
    pub fn attempt_timeout(mut self, d: Duration) -> Self {
        self.attempt_timeout = d;
        self
    }

    /// Time for the whole call: attempts, backoff and `Retry-After` waits together (60 s by
    /// default). A call never takes longer.
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }

    /// Largest answer body read (16 MiB by default); a longer answer is an error, the same
    /// on both transports.
    pub fn max_response_bytes(mut self, n: u64) -> Self {
        self.max_response_bytes = n;
        self
    }

    /// The retry policy and budget ([`RetryPolicy::none`] turns retries off).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Checks the configuration, refusing what is missing or wrong by name.
    pub fn build_config(self) -> Result<ClientConfig, Error> {
        let default = cfg!(feature = "international-numbers");
        self.config_with(default)
    }

    /// [`build_config`](Self::build_config), checking international numbers by
    /// `default_international` unless the builder was told.
    pub(super) fn config_with(self, default_international: bool) -> Result<ClientConfig, Error> {
        let international_numbers = self.international_numbers.unwrap_or(default_international);
        let missing = |setting: &str, env: &str| {
            ConfigError::new(setting, format!("is required (set it, or {env})"))
        };
        let sid = self
            .account_sid
            .ok_or_else(|| missing("account_sid", ENV_ACCOUNT_SID))?;
        let sid = AccountSid::new(sid)
            .map_err(|e| ConfigError::new("account_sid", e.problem().to_string()))?;
        let key = self.key.ok_or_else(|| missing("api_key", ENV_API_KEY))?;
        let token = self
            .token
            .ok_or_else(|| missing("api_token", ENV_API_TOKEN))?;
        for (setting, d) in [
            ("connect_timeout", self.connect_timeout),
            ("attempt_timeout", self.attempt_timeout),
            ("timeout", self.timeout),
        ] {
            check_timeout(setting, d)?;
        }
        if self.max_response_bytes < 1024 {
            return Err(ConfigError::new(
                "max_response_bytes",
                format!(
                    "{} is too small for any answer; use at least 1024",
                    self.max_response_bytes
                ),
            )
            .into());
        }
        if self.retry.max_attempts == 0 {
            return Err(ConfigError::new("retry_policy.max_attempts", "must be at least 1").into());
        }
        if international_numbers && !cfg!(feature = "international-numbers") {
            return Err(ConfigError::new(
                "international_numbers",
                "needs greenpin-core's `international-numbers` feature, which this build does not have",
            )
            .into());
        }
        checkable_country(self.country, international_numbers)?;
        let mut context = ApiContext::new(sid, Credentials::new(key, token))
            .with_user_agent(HeaderValue::from_static(crate::USER_AGENT))
            .with_country(self.country)
            .checking_international(international_numbers);
        if let Some(url) = &self.base_url {
            context = context.with_root(ServiceRoot::parse(url)?);
        }
        Ok(ClientConfig {
            context,
            connect_timeout: self.connect_timeout,
            attempt_timeout: self.attempt_timeout,
            timeout: self.timeout,
            max_response_bytes: self.max_response_bytes,
            retry: self.retry,
            root_certificates: self.root_certificates,
        })
    }
}

/// Whether numbers can be checked in `country`: a client without `international` (its
/// crate's `international-numbers` feature) checks Indian numbers only, and would refuse
/// every number of another country one call at a time, so the client is refused once, here.
fn checkable_country(country: Country, international: bool) -> Result<(), ConfigError> {
    if international || country == Country::IN {
        return Ok(());
    }
    Err(ConfigError::new(
        "country",
        format!(
            "{country} needs the SDK's `international-numbers` feature (on by default), which this client does not use: without it only Indian numbers can be checked"
        ),
    ))
}

fn check_timeout(setting: &str, d: Duration) -> Result<(), ConfigError> {
    if d.is_zero() {
        return Err(ConfigError::new(setting, "must be more than zero"));
    }
    if d > MAX_TIMEOUT {
        return Err(ConfigError::new(
            setting,
            format!(
                "{} is longer than the longest accepted, {}",
                humantime::format_duration(d),
                humantime::format_duration(MAX_TIMEOUT)
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
