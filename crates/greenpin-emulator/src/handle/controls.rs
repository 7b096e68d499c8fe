//! The controls both handles have, written once: each is a method of [`Emulator`] and of
//! [`BlockingEmulator`] (the same name, documentation and behaviour), over the running
//! emulator's shared state. A macro rather than `Deref` from one handle to the other, so
//! each type's documentation lists every method it has.
//!
//! [`Emulator`]: crate::handle::Emulator
//! [`BlockingEmulator`]: crate::handle::BlockingEmulator

/// The controls, as methods of `$handle` (which has `fn running(&self) -> &Running`).
macro_rules! controls {
    ($handle:ident) => {
        impl $handle {
            /// The service root, `http://127.0.0.1:PORT` — the counterpart of
            /// `https://leadassist.exotel.in`; the API lives under `/v1/tenants/{sid}/…`.
            pub fn base_url(&self) -> &str {
                &self.running().base_url
            }

            /// The dashboard's address: open it in a browser to see and drive the emulator.
            pub fn dashboard_url(&self) -> String {
                format!("{}{}", self.base_url(), $crate::dashboard::DASHBOARD_PATH)
            }

            /// The socket address.
            pub fn addr(&self) -> std::net::SocketAddr {
                self.running().addr
            }

            /// The account SID it serves.
            pub fn account_sid(&self) -> &str {
                self.running().shared.account_sid.as_str()
            }

            /// The credentials it accepts.
            pub fn credentials(&self) -> &greenpin_core::Credentials {
                &self.running().shared.credentials
            }

            /// `builder` pointed at this emulator: its base URL, account and credentials.
            ///
            /// ```
            /// let emulator = greenpin_emulator::BlockingEmulator::start();
            /// let client = emulator.configure(greenpin_blocking::Client::builder()).build().unwrap();
            /// assert_eq!(client.settings().unwrap().country, Some(greenpin_core::Country::IN));
            /// ```
            pub fn configure<T: greenpin_core::client::Transport>(
                &self,
                builder: greenpin_core::client::ClientBuilder<T>,
            ) -> greenpin_core::client::ClientBuilder<T> {
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
                $crate::state::lock(&self.running().shared.store).now_ms()
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
            pub fn advance_clock(
                &self,
                by: std::time::Duration,
            ) -> Result<(), $crate::failure::Failure> {
                let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
                self.running().shared.with_store(|s| s.advance_ms(ms))
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
            pub fn add_fault(
                &self,
                rule: $crate::faults::FaultRule,
            ) -> Result<(), $crate::failure::Failure> {
                rule.check().map_err($crate::failure::Failure::bad)?;
                $crate::state::lock(&self.running().shared.faults)
                    .push(rule)
                    .map_err($crate::failure::Failure::bad)
            }

            /// Drops every queued fault.
            pub fn clear_faults(&self) {
                $crate::state::lock(&self.running().shared.faults).clear();
            }

            /// What the API answered so far, per operation, and what the journal and the store
            /// hold now.
            pub fn stats(&self) -> $crate::stats::Stats {
                self.running().shared.stats_now()
            }

            /// The API requests received, oldest first (credentials reduced to their scheme).
            pub fn requests(&self) -> Vec<$crate::journal::JournalEntry> {
                $crate::state::lock(&self.running().shared.journal).list()
            }

            /// Forgets the requests received so far.
            pub fn clear_requests(&self) {
                $crate::state::lock(&self.running().shared.journal).clear();
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
            pub fn simulate_call(
                &self,
                call: &$crate::store::CallSpec,
            ) -> Result<$crate::store::CallOutcome, $crate::failure::Failure> {
                self.running().shared.with_store(|s| s.call(call))
            }

            /// The account settings.
            pub fn settings(&self) -> greenpin_core::Settings {
                $crate::state::lock(&self.running().shared.store)
                    .settings()
                    .clone()
            }

            /// Every callback kept (the newest 1,000), oldest first, with its delivery attempts.
            pub fn callbacks(&self) -> Vec<$crate::callbacks::CallbackRecord> {
                self.running().shared.callbacks.list()
            }

            /// Forgets the callbacks kept so far.
            pub fn clear_callbacks(&self) {
                self.running().shared.callbacks.clear();
            }

            /// Queues a callback fault: the next matching callback is delivered twice, late, out of
            /// order or not at all.
            pub fn add_callback_fault(
                &self,
                fault: $crate::callbacks::CallbackFault,
            ) -> Result<(), $crate::failure::Failure> {
                self.running()
                    .shared
                    .callbacks
                    .add_fault(fault)
                    .map(drop)
                    .map_err($crate::failure::Failure::bad)
            }

            /// Drops every queued callback fault.
            pub fn clear_callback_faults(&self) {
                self.running().shared.callbacks.clear_faults();
            }

            /// Delivers a kept callback again, to the account's endpoint now.
            pub fn redeliver_callback(&self, id: u64) -> Result<(), $crate::failure::Failure> {
                self.running()
                    .shared
                    .callbacks
                    .redeliver(id, self.running().shared.endpoint().as_deref())
            }

            /// Checks the store's invariants: every key of a live allocation (active, or in its
            /// vault period) is in the table exactly once, held by it, and nothing else is; the
            /// counts and schedules agree. `Err` names what broke. For property tests that drive
            /// the emulator hard.
            pub fn check_invariants(&self) -> Result<(), String> {
                $crate::state::lock(&self.running().shared.store).check_invariants()
            }

            /// Back to how it started: allocations, vault, settings, the journal, callbacks
            /// (records, faults, deliveries still waiting), API faults, counts and the
            /// clock; ids and PINs start their sequence again, so with a seed and a fixed
            /// clock ([`EmulatorConfig::clock`]($crate::config::EmulatorConfig::clock)) a test sees
            /// the same ids, PINs and times whichever tests ran before it.
            ///
            /// ```
            /// use greenpin_blocking::{Client, CreateSpec, PartySpec};
            /// let emulator = greenpin_emulator::BlockingEmulator::start();
            /// let client = emulator.configure(Client::builder()).build()?;
            /// let a = client.create(&CreateSpec::new("order-1")
            ///     .a(PartySpec::new().number("7987686144").vn("6292134471")))?;
            /// emulator.reset();
            /// assert_eq!(client.get(&a.greenpin_id).unwrap_err().status().map(|s| s.as_u16()), Some(404));
            /// assert!(emulator.requests().len() == 1); // the GET, after the reset
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            pub fn reset(&self) {
                self.running().shared.reset(None);
            }

            /// [`reset`](Self::reset), with the clock started again at `at`, standing still
            /// until advanced.
            pub fn reset_at(&self, at: std::time::SystemTime) {
                self.running()
                    .shared
                    .reset(Some(Some($crate::store::ms_since_epoch(at))));
            }

            /// Stops serving. Also done on drop.
            pub fn shutdown(&self) {
                self.running().shutdown();
            }
        }
    };
}

pub(crate) use controls;
