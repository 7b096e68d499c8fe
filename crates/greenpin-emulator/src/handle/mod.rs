//! The emulator as a value in a program: [`Emulator`] (on the caller's tokio runtime) and
//! [`BlockingEmulator`] (on a runtime of its own). Both start the server (`server/`) and
//! hold it; their controls are the same methods, written once (`controls!`) over
//! [`Running`], what a started emulator is. This room sits above the server: it starts
//! the server, and nothing below imports it.

mod blocking;
mod controls;

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use blocking::BlockingEmulator;

use crate::config::EmulatorConfig;
use crate::state::{Shared, lock};
use crate::{callbacks, ids, journal, server, store};

/// A started emulator: what both handles hold.
#[derive(Debug)]
pub(crate) struct Running {
    pub(crate) shared: Arc<Shared>,
    pub(crate) addr: SocketAddr,
    pub(crate) base_url: String,
    shutdown: Mutex<Option<oneshot::Sender<()>>>,
}

impl Running {
    /// Binds, builds the state and spawns the server on the current runtime.
    pub(crate) async fn start(config: EmulatorConfig) -> io::Result<Running> {
        let account_sid =
            greenpin_core::AccountSid::new(config.account_sid.clone()).map_err(|e| {
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
        let start = config.clock.map(crate::store::ms_since_epoch);
        let shared = Arc::new(Shared {
            store: Mutex::new(store::Store::new(entropy.clone(), capacity, start)),
            journal: Mutex::new(journal::Journal::new(limits)),
            faults: Mutex::default(),
            callbacks: hub,
            account_sid,
            credentials: config.credentials,
            request_ids,
            stats: Mutex::default(),
            limits,
            hosts: config.hosts.clone(),
            fresh: crate::state::Fresh {
                entropy,
                capacity,
                clock: start,
            },
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
        Ok(Running {
            base_url: format!("http://{host}:{}", addr.port()),
            shared,
            addr,
            shutdown: Mutex::new(Some(tx)),
        })
    }

    /// Stops serving (idempotent).
    pub(crate) fn shutdown(&self) {
        if let Some(tx) = lock(&self.shutdown).take() {
            let _ = tx.send(());
        }
    }
}

/// A running emulator on the current tokio runtime. Shuts down when dropped.
///
/// Its server runs on the caller's runtime, so a *blocking* client must not call it from
/// a current-thread runtime (the runtime cannot serve while its only thread blocks): use
/// [`BlockingEmulator`] there, which has a runtime of its own and works from any test,
/// `#[tokio::test]` included. Both have the same controls.
#[derive(Debug)]
pub struct Emulator {
    running: Running,
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
        Ok(Emulator {
            running: Running::start(config).await?,
        })
    }

    pub(crate) fn running(&self) -> &Running {
        &self.running
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
        matches: impl Fn(&crate::callbacks::CallbackRecord) -> bool + Sync,
        timeout: std::time::Duration,
    ) -> Option<crate::callbacks::CallbackRecord> {
        self.running.shared.callbacks.wait(&matches, timeout).await
    }
}

controls::controls!(Emulator);

impl Drop for Emulator {
    fn drop(&mut self) {
        self.running.shutdown();
    }
}
