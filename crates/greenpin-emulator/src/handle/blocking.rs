//! [`BlockingEmulator`]: the emulator on a runtime of its own, for blocking code.

use std::io;
use std::time::Duration;

use super::{Emulator, Running, controls};
use crate::callbacks::CallbackRecord;
use crate::config::EmulatorConfig;

/// An emulator on a runtime of its own, for blocking code (tests of a blocking client, a
/// CLI): the same controls as [`Emulator`], with no runtime of yours needed.
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

    #[expect(clippy::expect_used, reason = "the emulator is taken only in drop")]
    fn running(&self) -> &Running {
        self.emulator
            .as_ref()
            .expect("present until drop")
            .running()
    }

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
        self.running()
            .shared
            .callbacks
            .wait_blocking(&matches, timeout)
    }
}

controls::controls!(BlockingEmulator);

impl Drop for BlockingEmulator {
    fn drop(&mut self) {
        drop(self.emulator.take());
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}
