//! How an emulator is started: where it listens, which account and credentials it serves,
//! what it allows a client, and how it sends callbacks.

use std::net::SocketAddr;
use std::time::Duration;

use greenpin_core::Credentials;

/// Default account SID.
pub const DEFAULT_ACCOUNT_SID: &str = "demo";
/// Default API key. The defaults are public: anyone who can reach an emulator started
/// with them can use its API.
pub const DEFAULT_API_KEY: &str = "demo-key";
/// Default API token (public, like the key).
pub const DEFAULT_API_TOKEN: &str = "demo-token";
/// Default address of the binary.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4010";

/// How to start an emulator.
///
/// ```
/// use greenpin_emulator::EmulatorConfig;
/// let c = EmulatorConfig::new().account_sid("acme").api_key("k").api_token("t").seed(7);
/// assert_eq!(c.listen_addr().port(), 0);
/// ```
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    pub(crate) listen: SocketAddr,
    pub(crate) account_sid: String,
    pub(crate) credentials: Credentials,
    pub(crate) limits: Limits,
    pub(crate) callback_encoding: CallbackEncoding,
    pub(crate) transaction_id_spelling: TransactionIdSpelling,
    pub(crate) callback_targets: Vec<SocketAddr>,
    pub(crate) hosts: Vec<String>,
    pub(crate) seed: Option<u64>,
    pub(crate) clock: Option<std::time::SystemTime>,
}

/// How the emulator encodes the callbacks it sends. GreenPin's events page does not say;
/// Exotel's voice callbacks are forms and its newer webhooks JSON, so a receiver should read
/// both, and the emulator can send either.
///
/// ```
/// use greenpin_emulator::{CallbackEncoding, EmulatorConfig};
/// let c = EmulatorConfig::new().callback_encoding(CallbackEncoding::Form);
/// assert_eq!("form".parse::<CallbackEncoding>(), Ok(CallbackEncoding::Form));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallbackEncoding {
    /// `application/json` (the default).
    #[default]
    Json,
    /// `application/x-www-form-urlencoded`, every value as text.
    Form,
}

impl std::str::FromStr for CallbackEncoding {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "json" => Ok(CallbackEncoding::Json),
            "form" => Ok(CallbackEncoding::Form),
            other => Err(format!("{other:?} is not json or form")),
        }
    }
}

/// How a call record's transaction id is spelt. Exotel's callback table spells it
/// `transation_id`, its JSON sample `transaction_id`; a receiver should read both (the
/// SDK's does), and the emulator sends either, or both, to test one.
///
/// ```
/// use greenpin_emulator::TransactionIdSpelling;
/// assert_eq!("transaction_id".parse::<TransactionIdSpelling>(), Ok(TransactionIdSpelling::Sample));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransactionIdSpelling {
    /// `transation_id`, as the callback table spells it (the default).
    #[default]
    Table,
    /// `transaction_id`, as the JSON sample spells it.
    Sample,
    /// Both fields.
    Both,
}

impl std::str::FromStr for TransactionIdSpelling {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "transation_id" => Ok(TransactionIdSpelling::Table),
            "transaction_id" => Ok(TransactionIdSpelling::Sample),
            "both" => Ok(TransactionIdSpelling::Both),
            other => Err(format!(
                "{other:?} is not transation_id, transaction_id or both"
            )),
        }
    }
}

/// Largest request body the emulator handles (1 MiB, as GreenPin's own limit is not
/// published); a larger one is answered 413, code 5, after being read and thrown away.
pub const MAX_BODY: usize = 1 << 20;

/// What the emulator allows a client, so a slow or abusive one cannot take it down.
///
/// ```
/// use std::time::Duration;
/// use greenpin_emulator::Limits;
/// let l = Limits::default();
/// assert_eq!(l.header_timeout, Duration::from_secs(10));
/// assert_eq!(l.max_connections, 512);
/// assert_eq!(l.journal_bytes, 16 << 20);
/// assert_eq!(l.max_allocations, 100_000);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Time for a client to send a request's headers, and for an idle kept-alive
    /// connection to start its next request (10 s); then the connection is closed.
    pub header_timeout: Duration,
    /// Time for a client to send a request's body (30 s).
    pub body_timeout: Duration,
    /// Connections served at once (512); more wait to be accepted.
    pub max_connections: usize,
    /// Bytes the request journal keeps in all — headers, paths and bodies (16 MiB); the
    /// oldest entries go first.
    pub journal_bytes: usize,
    /// Bytes of one request body the journal keeps (64 KiB); the rest is cut.
    pub journal_body_bytes: usize,
    /// Active allocations held at most (100,000); a create past it is refused (403, code
    /// 8). As many deallocated allocations are kept readable; past that, the oldest are
    /// forgotten early.
    pub max_allocations: usize,
    /// How long a deallocated allocation stays readable (`state: vault`) before a GET
    /// answers 404 (7 days, on the emulator's clock; never shorter than the account's
    /// `deletion_time`).
    pub vault_retention: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: 512,
            journal_bytes: 16 << 20,
            journal_body_bytes: 64 << 10,
            max_allocations: 100_000,
            vault_retention: Duration::from_secs(7 * 86_400),
        }
    }
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig::new()
    }
}

impl EmulatorConfig {
    /// `127.0.0.1:0` (a free port), account `demo`, key `demo-key`, token `demo-token`.
    pub fn new() -> Self {
        EmulatorConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            account_sid: DEFAULT_ACCOUNT_SID.to_owned(),
            credentials: Credentials::new(DEFAULT_API_KEY, DEFAULT_API_TOKEN),
            limits: Limits::default(),
            callback_encoding: CallbackEncoding::Json,
            transaction_id_spelling: TransactionIdSpelling::Table,
            callback_targets: Vec::new(),
            hosts: Vec::new(),
            seed: None,
            clock: None,
        }
    }

    /// How callbacks are encoded (JSON by default).
    pub fn callback_encoding(mut self, encoding: CallbackEncoding) -> Self {
        self.callback_encoding = encoding;
        self
    }

    /// How a call record's transaction id is spelt (`transation_id` by default).
    pub fn transaction_id_spelling(mut self, spelling: TransactionIdSpelling) -> Self {
        self.transaction_id_spelling = spelling;
        self
    }

    /// Allows callbacks to `target`. Without any, an emulator on loopback delivers to any
    /// loopback address but its own, and one listening beyond loopback delivers nowhere;
    /// with some, it delivers only to them (never to itself).
    pub fn allow_callback_target(mut self, target: SocketAddr) -> Self {
        self.callback_targets.push(target);
        self
    }

    /// Answers requests from this machine that name the emulator `host` (a name a local
    /// reverse proxy or TLS front uses, or one in `/etc/hosts`) besides the loopback names.
    /// Without it such a request is refused (403, code 8): a web page whose name was made to
    /// resolve to 127.0.0.1 must not reach the emulator. Allow only names you control.
    ///
    /// ```
    /// let c = greenpin_emulator::EmulatorConfig::new().allow_host("greenpin.test");
    /// ```
    pub fn allow_host(mut self, host: impl Into<String>) -> Self {
        self.hosts.push(host.into().to_ascii_lowercase());
        self
    }

    /// Makes generated ids, PINs and call ids repeat from run to run: the same requests in
    /// the same order get the same answers. Without a seed they differ every run.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Starts the emulator's clock at `at`, standing still until advanced (the clock
    /// otherwise follows real time): with a [`seed`](Self::seed), every id, PIN and time
    /// repeats from run to run.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// let at = UNIX_EPOCH + Duration::from_secs(1_767_225_600); // 2026-01-01T00:00:00Z
    /// let emulator = greenpin_emulator::BlockingEmulator::try_start(
    ///     greenpin_emulator::EmulatorConfig::new().seed(7).clock(at),
    /// )?;
    /// assert_eq!(emulator.clock_ms(), 1_767_225_600_000);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn clock(mut self, at: std::time::SystemTime) -> Self {
        self.clock = Some(at);
        self
    }

    /// What clients are allowed (timeouts, connections, journal size, allocations).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Listens here.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// The address it will listen on.
    #[doc(hidden)] // for the CLI and the workspace's tests; not part of the API
    pub fn listen_addr(&self) -> SocketAddr {
        self.listen
    }

    /// Serves this account SID.
    pub fn account_sid(mut self, sid: impl Into<String>) -> Self {
        self.account_sid = sid.into();
        self
    }

    /// Accepts this API key.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.credentials = Credentials::new(key.into(), self.credentials.token().clone());
        self
    }

    /// Accepts this API token.
    pub fn api_token(mut self, token: impl Into<String>) -> Self {
        self.credentials = Credentials::new(self.credentials.key().clone(), token.into());
        self
    }

    /// Whether it accepts the public default token (`demo-token`), which anyone can use.
    #[doc(hidden)] // for the CLI and the workspace's tests; not part of the API
    pub fn uses_default_token(&self) -> bool {
        self.credentials.token().expose() == DEFAULT_API_TOKEN
    }
}
