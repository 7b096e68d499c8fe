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
//! - Numbers of every country, as the service reads them: it turns on greenpin-core's
//!   `international-numbers` feature, and so, in a test build, on your client too. A
//!   release build without the emulator refuses numbers outside India unless you enable
//!   the feature on your client crate as well.
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
// A link that does not resolve renders as plain text: an error, on every build of the docs.
#![deny(rustdoc::broken_intra_doc_links)]
// Library code states the invariant that makes a panic impossible (`#[expect]` with a
// reason) rather than unwrapping silently; tests unwrap freely.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod api;
mod callbacks;
mod config;
mod dashboard;
mod failure;
mod faults;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod ids;
mod journal;
mod locks;
mod respond;
mod routes;
mod server;
mod state;
mod stats;
mod store;

use std::io;
use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use greenpin_core::client::{ClientBuilder, Transport};
use greenpin_core::{AccountSid, Credentials, Settings};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use callbacks::{
    ATTEMPTS as CALLBACK_ATTEMPTS, AttemptResult, CallbackFault, CallbackFaultKind, CallbackKind,
    CallbackRecord, CallbackStatus, DeliveryAttempt,
};
pub use config::{
    CallbackEncoding, DEFAULT_ACCOUNT_SID, DEFAULT_API_KEY, DEFAULT_API_TOKEN, DEFAULT_LISTEN,
    EmulatorConfig, Limits, TransactionIdSpelling,
};
pub use dashboard::DASHBOARD_PATH;
pub use failure::Failure;
pub use faults::{Fault, FaultRule};
pub use journal::{JOURNAL_LIMIT, JournalEntry};
pub use server::MAX_BODY;
pub use stats::{OperationStats, Stats};
pub use store::{CallAnswer, CallOutcome, CallRefusal, CallSpec, Side};

use state::{Shared, lock};

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
        // A blank key or token (an unset secret in CI, say) would accept a blank password.
        for (what, value) in [
            ("api key", config.credentials.key().expose()),
            ("api token", config.credentials.token().expose()),
        ] {
            if value.trim().is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{what}: must not be blank"),
                ));
            }
        }
        let listener = TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let entropy = Arc::new(match config.seed {
            Some(seed) => ids::Entropy::seeded(seed),
            None => ids::Entropy::default(),
        });
        let request_ids = match config.seed {
            Some(seed) => ids::Entropy::seeded(seed ^ 0x7265_7175_6573_7473),
            None => ids::Entropy::default(),
        };
        let limits = config.limits;
        let capacity = store::Capacity {
            max_active: limits.max_allocations.max(1),
            max_vault: limits.max_allocations.max(1),
            vault_retention_ms: i64::try_from(limits.vault_retention.as_millis())
                .unwrap_or(i64::MAX / 4),
        };
        let hub = callbacks::Hub::start(
            config.callback_encoding,
            config.transaction_id_spelling,
            callbacks::target::TargetPolicy {
                own: addr,
                allowed: config.callback_targets.clone(),
            },
        );
        let shared = Arc::new(Shared {
            store: Mutex::new(store::Store::new(entropy, capacity)),
            journal: Mutex::new(journal::Journal::new(limits)),
            faults: Mutex::default(),
            callbacks: hub,
            account_sid,
            credentials: config.credentials,
            request_ids,
            stats: Mutex::default(),
            limits,
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

    /// Moves the virtual clock forward, to the millisecond; expiries, the ends of vault
    /// periods and purges happen as it passes them. The clock runs at most 100 years ahead
    /// of real time: an advance past that is refused and the clock does not move.
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenpin_blocking::{Client, CreateSpec, PartySpec, State};
    /// let emulator = greenpin_emulator::BlockingEmulator::start();
    /// let client = emulator.configure(Client::builder()).build()?;
    /// let a = client.create(&CreateSpec::new("order-1")
    ///     .a(PartySpec::new().number("7987686144").vn("6292134471"))
    ///     .deallocate_after("1h"))?;
    /// emulator.advance_clock(Duration::from_secs(3601))?;
    /// assert_eq!(client.get(&a.greenpin_id)?.state, State::Vault);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn advance_clock(&self, by: Duration) -> Result<(), Failure> {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.shared.with_store(|s| s.advance_ms(ms))
    }

    /// Queues a fault: the next matching API request gets it.
    ///
    /// ```
    /// use greenpin_emulator::{Fault, FaultRule};
    /// let emulator = greenpin_emulator::BlockingEmulator::start();
    /// let client = emulator
    ///     .configure(greenpin_blocking::Client::builder())
    ///     .retry_policy(greenpin_blocking::retry::RetryPolicy::none())
    ///     .build()?;
    /// emulator.add_fault(FaultRule::new(Fault::status(503)))?;
    /// assert_eq!(client.settings().unwrap_err().status().map(|s| s.as_u16()), Some(503));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_fault(&self, rule: FaultRule) -> Result<(), Failure> {
        rule.check().map_err(Failure::bad)?;
        lock(&self.shared.faults).push(rule).map_err(Failure::bad)
    }

    /// Drops every queued fault.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// What the API answered so far, per operation, and what the journal and the store
    /// hold now.
    pub fn stats(&self) -> Stats {
        self.shared.stats_now()
    }

    /// The API requests received, oldest first (credentials reduced to their scheme).
    pub fn requests(&self) -> Vec<JournalEntry> {
        lock(&self.shared.journal).list()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        lock(&self.shared.journal).clear();
    }

    /// Places a simulated call: a caller dials a VN (entering a PIN if given) and the call
    /// ends as `call` says. Answers where it went; its callback follows asynchronously
    /// (see [`Emulator::wait_for_callback`]).
    ///
    /// ```
    /// use greenpin_blocking::{Client, CreateSpec, PartySpec};
    /// use greenpin_emulator::{CallRefusal, CallSpec};
    /// let emulator = greenpin_emulator::BlockingEmulator::start();
    /// let client = emulator.configure(Client::builder()).build()?;
    /// client.create(&CreateSpec::new("order-1")
    ///     .a(PartySpec::new().number("7987686144").vn("6292134471").pin("1234"))
    ///     .b(PartySpec::new().number("9956555625")))?;
    /// let call = emulator.simulate_call(&CallSpec::new("7000000001", "6292134471").pin("1234"))?;
    /// assert_eq!(call.to.as_deref(), Some("+919956555625"));
    /// let wrong = emulator.simulate_call(&CallSpec::new("7000000001", "6292134471").pin("9999"))?;
    /// assert_eq!(wrong.reason, Some(CallRefusal::WrongPin));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn simulate_call(&self, call: &CallSpec) -> Result<CallOutcome, Failure> {
        self.shared.with_store(|s| s.call(call))
    }

    /// The account settings.
    pub fn settings(&self) -> Settings {
        lock(&self.shared.store).settings().clone()
    }

    /// Every callback kept (the newest 1,000), oldest first, with its delivery attempts.
    pub fn callbacks(&self) -> Vec<CallbackRecord> {
        self.shared.callbacks.list()
    }

    /// Forgets the callbacks kept so far.
    pub fn clear_callbacks(&self) {
        self.shared.callbacks.clear();
    }

    /// Waits until a callback that `matches` has settled (delivered, failed, not sent or
    /// dropped), at most `timeout`; `None` when none did. Callbacks are delivered
    /// asynchronously, after the request that produced them has been answered: wait for
    /// them here rather than sleeping.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use std::time::Duration;
    /// let emulator = greenpin_emulator::Emulator::start().await;
    /// let none = emulator.wait_for_callback(|_| true, Duration::from_millis(10)).await;
    /// assert!(none.is_none());
    /// # }
    /// ```
    pub async fn wait_for_callback(
        &self,
        matches: impl Fn(&CallbackRecord) -> bool + Sync,
        timeout: Duration,
    ) -> Option<CallbackRecord> {
        self.shared.callbacks.wait(&matches, timeout).await
    }

    /// Queues a callback fault: the next matching callback is delivered twice, late, out of
    /// order or not at all.
    pub fn add_callback_fault(&self, fault: CallbackFault) -> Result<(), Failure> {
        self.shared
            .callbacks
            .add_fault(fault)
            .map(drop)
            .map_err(Failure::bad)
    }

    /// Drops every queued callback fault.
    pub fn clear_callback_faults(&self) {
        self.shared.callbacks.clear_faults();
    }

    /// Delivers a kept callback again, to the account's endpoint now.
    pub fn redeliver_callback(&self, id: u64) -> Result<(), Failure> {
        self.shared
            .callbacks
            .redeliver(id, self.shared.endpoint().as_deref())
    }

    /// Checks the store's invariants: every key of a live allocation (active, or in its
    /// vault period) is in the table exactly once, held by it, and nothing else is; the
    /// counts and schedules agree. `Err` names what broke. For property tests that drive
    /// the emulator hard.
    #[doc(hidden)] // for the CLI and the workspace's tests; not part of the API
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

impl BlockingEmulator {
    /// Waits, blocking the thread, until a callback that `matches` has settled, at most
    /// `timeout` (see [`Emulator::wait_for_callback`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenpin_blocking::{Client, CreateSpec, PartySpec};
    /// use greenpin_emulator::{CallbackStatus, CallSpec};
    /// let emulator = greenpin_emulator::BlockingEmulator::start();
    /// let client = emulator.configure(Client::builder()).build()?;
    /// client.create(&CreateSpec::new("order-1")
    ///     .a(PartySpec::new().number("7987686144").vn("6292134471").pin("1234"))
    ///     .b(PartySpec::new().number("9956555625")))?;
    /// let call = emulator.simulate_call(&CallSpec::new("7987686144", "6292134471").pin("1234"))?;
    /// // No endpoint is set, so it settles at once as not sent.
    /// let record = emulator
    ///     .wait_for_callback(|c| c.call_sid() == Some(&call.call_sid), Duration::from_secs(5))
    ///     .expect("the call's callback");
    /// assert_eq!(record.status, CallbackStatus::NotSent);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wait_for_callback(
        &self,
        matches: impl Fn(&CallbackRecord) -> bool,
        timeout: Duration,
    ) -> Option<CallbackRecord> {
        self.shared.callbacks.wait_blocking(&matches, timeout)
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
