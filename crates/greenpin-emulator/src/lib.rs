//! # greenpin-emulator
//!
//! A faithful, stateful local GreenPin server for tests, examples and demos. Exotel ships no
//! sandbox, and stateless mock servers cannot tell you that a PIN clashes, that an
//! allocation expired, or where a call would be routed; this can.
//!
//! - The API under `/v1/tenants/{sid}/…` as GreenPin serves it, answered in its envelope
//!   with its error codes, validated by the same rules as the SDK (greenpin-core).
//! - State: allocations, a (VN, PIN) routing table that stays unique among active
//!   allocations, expiry on a virtual clock, a vault kept for `deletion_time`, settings.
//! - Test controls under `/__emulator/…` (loopback only), mirrored as methods here: move
//!   the clock, queue faults, read the request journal, simulate a call.
//!
//! One line in an async test:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let emulator = greenpin_emulator::Emulator::start().await;
//! assert!(emulator.base_url().starts_with("http://127.0.0.1:"));
//! # }
//! ```
//!
//! And in blocking code, with no runtime of your own:
//!
//! ```
//! let emulator = greenpin_emulator::BlockingEmulator::start();
//! let url = format!("{}/v1/tenants/{}/settings", emulator.base_url(), emulator.account_sid());
//! assert!(url.ends_with("/v1/tenants/demo/settings"));
//! ```

// Feature badges on docs.rs (its nightly rustdoc); nothing changes for other builds.
#![cfg_attr(docsrs, feature(doc_cfg))]
// Library code states the invariant that makes a panic impossible (`#[expect]` with a
// reason) rather than unwrapping silently; tests unwrap freely.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod callbacks;
mod dashboard;
mod failure;
mod faults;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod ids;
mod journal;
mod routes;
mod server;
mod stats;

pub use dashboard::DASHBOARD_PATH;
pub use stats::{OperationStats, Stats};
pub mod store;

use std::io;
use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use greenpin_core::client::{ClientBuilder, Transport};
use greenpin_core::{AccountSid, Credentials, Settings};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use failure::Failure;
pub use faults::{Fault, FaultRule};
pub use journal::{JOURNAL_LIMIT, JournalEntry};
pub use server::MAX_BODY;
pub use store::{CallOutcome, CallRefusal, Side};

use server::{Shared, lock};

/// Default account SID.
pub const DEFAULT_ACCOUNT_SID: &str = "demo";
/// Default API key.
pub const DEFAULT_API_KEY: &str = "demo-key";
/// Default API token.
pub const DEFAULT_API_TOKEN: &str = "demo-token";
/// Default address of the binary.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4010";

/// How to start an emulator.
///
/// ```
/// use greenpin_emulator::EmulatorConfig;
/// let c = EmulatorConfig::new().account_sid("acme").api_key("k").api_token("t");
/// assert_eq!(c.listen_addr().port(), 0);
/// ```
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    listen: SocketAddr,
    account_sid: String,
    credentials: Credentials,
    limits: Limits,
    callback_encoding: CallbackEncoding,
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

/// What the emulator allows a client, so a slow or abusive one cannot take it down.
///
/// ```
/// use std::time::Duration;
/// use greenpin_emulator::Limits;
/// let l = Limits::default();
/// assert_eq!(l.header_timeout, Duration::from_secs(10));
/// assert_eq!(l.max_connections, 512);
/// assert_eq!(l.journal_bytes, 16 << 20);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Time for a client to send a request's headers, and for an idle kept-alive
    /// connection to start its next request (10 s); then the connection is closed.
    pub header_timeout: std::time::Duration,
    /// Time for a client to send a request's body (30 s).
    pub body_timeout: std::time::Duration,
    /// Connections served at once (512); more wait to be accepted.
    pub max_connections: usize,
    /// Bytes of request bodies the journal keeps in all (16 MiB); the oldest entries go
    /// first.
    pub journal_bytes: usize,
    /// Bytes of one request body the journal keeps (64 KiB); the rest is cut.
    pub journal_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: std::time::Duration::from_secs(10),
            body_timeout: std::time::Duration::from_secs(30),
            max_connections: 512,
            journal_bytes: 16 << 20,
            journal_body_bytes: 64 << 10,
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
        }
    }

    /// How callbacks are encoded (JSON by default).
    pub fn callback_encoding(mut self, encoding: CallbackEncoding) -> Self {
        self.callback_encoding = encoding;
        self
    }

    /// What clients are allowed (timeouts, connections, journal size).
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
}

/// A running emulator on the current tokio runtime. Shuts down when dropped.
///
/// Its server runs on the caller's runtime, so a *blocking* client must not call it from
/// a current-thread runtime (the runtime cannot serve while its only thread blocks): use
/// [`BlockingEmulator`] there, which has a runtime of its own and works from any test,
/// `#[tokio::test]` included.
#[derive(Debug)]
pub struct Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    base_url: String,
    shutdown: Mutex<Option<oneshot::Sender<()>>>,
}

impl Emulator {
    /// Starts on `127.0.0.1:0` with the default account and credentials.
    ///
    /// # Panics
    /// If no loopback port can be bound; use [`Emulator::try_start`] to handle that.
    #[expect(
        clippy::expect_used,
        reason = "documented panic; try_start is the fallible form"
    )]
    pub async fn start() -> Emulator {
        Emulator::try_start(EmulatorConfig::new())
            .await
            .expect("bind a loopback port for the GreenPin emulator")
    }

    /// Starts with `config`.
    pub async fn try_start(config: EmulatorConfig) -> io::Result<Emulator> {
        let account_sid = AccountSid::new(config.account_sid.clone()).map_err(|e| {
            io::Error::new(io::ErrorKind::InvalidInput, format!("account sid: {e}"))
        })?;
        let listener = TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            store: Mutex::new(store::Store::new()),
            journal: Mutex::new(journal::Journal::new(config.limits)),
            faults: Mutex::default(),
            account_sid,
            credentials: config.credentials,
            runtime: tokio::runtime::Handle::current(),
            entropy: ids::Entropy::default(),
            stats: Mutex::default(),
            limits: config.limits,
            callback_encoding: config.callback_encoding,
        });
        let (tx, rx) = oneshot::channel();
        tokio::spawn(server::serve(listener, shared.clone(), rx));
        // A wildcard address is not one to connect to: name loopback, which it includes,
        // so the printed URL is always one the SDK accepts.
        let host = match addr {
            SocketAddr::V4(v4) if v4.ip().is_unspecified() => "127.0.0.1".to_owned(),
            SocketAddr::V4(v4) => v4.ip().to_string(),
            SocketAddr::V6(v6) if v6.ip().is_unspecified() => "[::1]".to_owned(),
            SocketAddr::V6(v6) => format!("[{}]", v6.ip()),
        };
        Ok(Emulator {
            base_url: format!("http://{host}:{}", addr.port()),
            shared,
            addr,
            shutdown: Mutex::new(Some(tx)),
        })
    }

    /// The service root, `http://127.0.0.1:PORT` — the counterpart of
    /// `https://leadassist.exotel.in`; the API lives under `/v1/tenants/{sid}/…`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The dashboard's address: open it in a browser to see and drive the emulator.
    pub fn dashboard_url(&self) -> String {
        format!("{}{DASHBOARD_PATH}", self.base_url())
    }

    /// The socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The account SID it serves.
    pub fn account_sid(&self) -> &str {
        self.shared.account_sid.as_str()
    }

    /// The credentials it accepts.
    pub fn credentials(&self) -> &Credentials {
        &self.shared.credentials
    }

    /// `builder` pointed at this emulator: its base URL, account and credentials.
    ///
    /// ```
    /// let emulator = greenpin_emulator::BlockingEmulator::start();
    /// let client = emulator.configure(greenpin_blocking::Client::builder()).build().unwrap();
    /// assert_eq!(client.settings().unwrap().country.as_deref(), Some("IN"));
    /// ```
    pub fn configure<T: Transport>(&self, builder: ClientBuilder<T>) -> ClientBuilder<T> {
        builder
            .base_url(self.base_url())
            .account_sid(self.account_sid())
            .credentials(
                self.credentials().key().clone(),
                self.credentials().token().clone(),
            )
    }

    /// The virtual clock's now, in milliseconds since the Unix epoch (real time plus every
    /// advance).
    pub fn clock_ms(&self) -> i64 {
        lock(&self.shared.store).now_ms()
    }

    /// Moves the virtual clock forward, to the millisecond; expiries and purges happen as it
    /// passes them.
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenpin_blocking::{Client, CreateSpec, PartySpec, State};
    /// let emulator = greenpin_emulator::BlockingEmulator::start();
    /// let client = emulator.configure(Client::builder()).build()?;
    /// let a = client.create(&CreateSpec::new("order-1")
    ///     .a(PartySpec::new().number("7987686144").vn("6292134471"))
    ///     .deallocate_after("1h"))?;
    /// emulator.advance_clock(Duration::from_secs(3601));
    /// assert_eq!(client.get(&a.greenpin_id)?.state, State::Vault);
    /// # Ok::<(), greenpin_blocking::Error>(())
    /// ```
    pub fn advance_clock(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.shared.with_store(|s| s.advance_ms(ms));
    }

    /// Queues a fault: the next matching API request gets it.
    ///
    /// ```
    /// use greenpin_emulator::{Fault, FaultRule};
    /// let emulator = greenpin_emulator::BlockingEmulator::start();
    /// let client = emulator
    ///     .configure(greenpin_blocking::Client::builder())
    ///     .retry_policy(greenpin_blocking::RetryPolicy::none())
    ///     .build()?;
    /// emulator.add_fault(FaultRule::new(Fault::status(503)))?;
    /// assert_eq!(client.settings().unwrap_err().status().map(|s| s.as_u16()), Some(503));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_fault(&self, rule: FaultRule) -> Result<(), Failure> {
        rule.check().map_err(Failure::bad)?;
        lock(&self.shared.faults).push(rule);
        Ok(())
    }

    /// Drops every queued fault.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// The API requests received so far (controls excluded), oldest first.
    /// What the API answered so far, per operation, and the journal's size in bytes.
    pub fn stats(&self) -> Stats {
        let mut stats = lock(&self.shared.stats).clone();
        stats.journal_bytes = lock(&self.shared.journal).bytes();
        stats
    }

    /// The requests received, oldest first (credentials reduced to their scheme).
    pub fn requests(&self) -> Vec<JournalEntry> {
        lock(&self.shared.journal).list()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        lock(&self.shared.journal).clear();
    }

    /// A caller dials `vn` from `from`, entering `pin` if given: where does it go?
    ///
    /// ```
    /// use greenpin_blocking::{Client, CreateSpec, PartySpec};
    /// use greenpin_emulator::CallRefusal;
    /// let emulator = greenpin_emulator::BlockingEmulator::start();
    /// let client = emulator.configure(Client::builder()).build()?;
    /// client.create(&CreateSpec::new("order-1")
    ///     .a(PartySpec::new().number("7987686144").vn("6292134471").pin("1234"))
    ///     .b(PartySpec::new().number("9956555625")))?;
    /// let call = emulator.simulate_call("7000000001", "6292134471", Some("1234"))?;
    /// assert_eq!(call.to.as_deref(), Some("+919956555625"));
    /// let wrong = emulator.simulate_call("7000000001", "6292134471", Some("9999"))?;
    /// assert_eq!(wrong.reason, Some(CallRefusal::WrongPin));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn simulate_call(
        &self,
        from: &str,
        vn: &str,
        pin: Option<&str>,
    ) -> Result<CallOutcome, Failure> {
        self.shared.with_store(|s| s.call(from, vn, pin))
    }

    /// The account settings.
    pub fn settings(&self) -> Settings {
        lock(&self.shared.store).settings().clone()
    }

    /// Checks the store's invariants: every route of an active allocation is in the table
    /// exactly once, and nothing else is. `Err` names what broke.
    pub fn check_invariants(&self) -> Result<(), String> {
        lock(&self.shared.store).check_invariants()
    }

    /// Stops serving. Also done on drop.
    pub fn shutdown(&self) {
        if let Some(tx) = lock(&self.shutdown).take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// An emulator on a runtime of its own, for blocking code (tests of a blocking client, a
/// CLI). Every method of [`Emulator`] is available through `Deref`.
#[derive(Debug)]
pub struct BlockingEmulator {
    emulator: Option<Emulator>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl BlockingEmulator {
    /// Starts on `127.0.0.1:0` with the default account and credentials.
    ///
    /// # Panics
    /// If no loopback port can be bound or no runtime started; see [`BlockingEmulator::try_start`].
    #[expect(
        clippy::expect_used,
        reason = "documented panic; try_start is the fallible form"
    )]
    pub fn start() -> BlockingEmulator {
        BlockingEmulator::try_start(EmulatorConfig::new()).expect("start the GreenPin emulator")
    }

    /// Starts with `config`.
    ///
    /// Usable anywhere, a `#[tokio::test]` included: the emulator's runtime is built and
    /// started on a thread of its own, and shut down in the background when dropped.
    pub fn try_start(config: EmulatorConfig) -> io::Result<BlockingEmulator> {
        let (runtime, emulator) = std::thread::scope(|scope| {
            scope
                .spawn(|| -> io::Result<_> {
                    let runtime = tokio::runtime::Builder::new_multi_thread()
                        .worker_threads(2)
                        .thread_name("greenpin-emulator")
                        .enable_all()
                        .build()?;
                    let emulator = runtime.block_on(Emulator::try_start(config))?;
                    Ok((runtime, emulator))
                })
                .join()
                .map_err(|_| io::Error::other("the emulator's start-up thread panicked"))?
        })?;
        Ok(BlockingEmulator {
            emulator: Some(emulator),
            runtime: Some(runtime),
        })
    }
}

impl Deref for BlockingEmulator {
    type Target = Emulator;
    #[expect(clippy::expect_used, reason = "the emulator is taken only in drop")]
    fn deref(&self) -> &Emulator {
        self.emulator.as_ref().expect("present until drop")
    }
}

impl Drop for BlockingEmulator {
    fn drop(&mut self) {
        drop(self.emulator.take());
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// The README's examples, compiled and run as doctests so they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
