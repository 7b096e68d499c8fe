//! The shared test suite's harness: one [`Sdk`] trait over both transports, so every
//! scenario in `tests/` is written once and run against `greenpin-async` and
//! `greenpin-blocking`, each talking to a real `greenpin-emulator` over loopback.

pub mod hostile;
pub mod tls;

use std::fmt::Debug;
use std::time::Duration;

use greenpin_core::BulkUpdateResults;
use greenpin_core::client::{ClientBuilder, Transport};
use greenpin_core::retry::RetryPolicy;
use greenpin_core::{
    Allocation, BulkSpec, CreateSpec, Error, GreenPinId, Settings, SettingsSpec, UpdateSpec,
};
use greenpin_emulator::BlockingEmulator;

/// The API key every client of the shared suite uses: distinctive, so a leak is findable.
pub const CANARY_KEY: &str = "canary-suite-key-4e1a97";
/// The API token every client of the shared suite uses.
pub const CANARY_TOKEN: &str = "canary-suite-token-b83f05";

/// An emulator that accepts only the canary credentials.
pub fn emulator() -> greenpin_emulator::BlockingEmulator {
    greenpin_emulator::BlockingEmulator::try_start(
        greenpin_emulator::EmulatorConfig::new()
            .api_key(CANARY_KEY)
            .api_token(CANARY_TOKEN),
    )
    .expect("start the emulator")
}

/// Fails when `text` holds either canary secret, or the Basic encoding of them.
pub fn assert_no_secret(text: &str) {
    let basic = greenpin_core::Credentials::new(CANARY_KEY, CANARY_TOKEN).authorization();
    let encoded = basic
        .to_str()
        .expect("ASCII")
        .trim_start_matches("Basic ")
        .to_owned();
    assert!(
        !text.contains(CANARY_KEY) && !text.contains(CANARY_TOKEN) && !text.contains(&encoded),
        "a secret leaked into: {text}"
    );
}

/// Scans what an emulator recorded (its request journal) for the canary secrets.
pub fn assert_journal_clean(emu: &BlockingEmulator) {
    assert_no_secret(&serde_json::to_string(&emu.requests()).expect("serialisable"));
}

/// Both clients, through one synchronous face.
pub trait Sdk {
    /// Which transport.
    fn flavor(&self) -> &'static str;
    /// `Debug` of the client and of the builder that made it.
    fn debug_strings(&self) -> Vec<String>;
    /// See the clients' `create`.
    fn create(&self, spec: &CreateSpec) -> Result<Allocation, Error>;
    /// See the clients' `get`.
    fn get(&self, id: &GreenPinId) -> Result<Allocation, Error>;
    /// See the clients' `get`, with the id as text.
    fn get_str(&self, id: &str) -> Result<Allocation, Error>;
    /// See the clients' `update`.
    fn update(&self, id: &GreenPinId, spec: &UpdateSpec) -> Result<Allocation, Error>;
    /// See the clients' `bulk_update`.
    fn bulk_update(&self, spec: &BulkSpec) -> Result<BulkUpdateResults, Error>;
    /// See the clients' `delete`.
    fn delete(&self, id: &GreenPinId) -> Result<Option<Allocation>, Error>;
    /// See the clients' `settings`.
    fn settings(&self) -> Result<Settings, Error>;
    /// See the clients' `update_settings`.
    fn update_settings(&self, spec: &SettingsSpec) -> Result<Settings, Error>;
    /// The client's retry budget, tokens left.
    fn retry_budget(&self) -> u32;
}

/// How a scenario wants its client.
#[derive(Debug, Clone, Default)]
pub struct Opts {
    /// Per-attempt timeout.
    pub attempt_timeout: Option<Duration>,
    /// Whole-call timeout.
    pub timeout: Option<Duration>,
    /// Retry policy (the default policy when absent, with a 1 ms initial backoff to keep
    /// tests quick).
    pub retry: Option<RetryPolicy>,
    /// Another API token than the emulator's.
    pub token: Option<String>,
    /// Another account SID than the emulator's.
    pub account_sid: Option<String>,
    /// Another service root than the emulator's (a hostile test server).
    pub base_url: Option<String>,
    /// The largest answer to read.
    pub max_response_bytes: Option<u64>,
    /// A certificate authority (PEM) to trust beside the operating system's store.
    pub root_ca_pem: Option<String>,
}

/// Makes a client of one flavour for an emulator.
pub type Make = fn(&BlockingEmulator, &Opts) -> Box<dyn Sdk>;

fn configure<T: Transport>(emu: &BlockingEmulator, opts: &Opts) -> ClientBuilder<T> {
    let token = opts
        .token
        .clone()
        .unwrap_or_else(|| emu.credentials().token().expose().to_owned());
    let mut b = ClientBuilder::<T>::new()
        .base_url(opts.base_url.as_deref().unwrap_or(emu.base_url()))
        .account_sid(
            opts.account_sid
                .clone()
                .unwrap_or_else(|| emu.account_sid().to_owned()),
        )
        .credentials(emu.credentials().key().clone(), token)
        .retry_policy(opts.retry.unwrap_or_else(|| {
            RetryPolicy::default().with_initial_backoff(Duration::from_millis(1))
        }));
    if let Some(n) = opts.max_response_bytes {
        b = b.max_response_bytes(n);
    }
    if let Some(pem) = &opts.root_ca_pem {
        for ca in
            greenpin_core::RootCertificate::from_pem(pem.as_bytes()).expect("a PEM certificate")
        {
            b = b.add_root_certificate(ca);
        }
    }
    if let Some(t) = opts.attempt_timeout {
        b = b.attempt_timeout(t);
    }
    if let Some(t) = opts.timeout {
        b = b.timeout(t);
    }
    b
}

/// The blocking flavour.
pub fn blocking(emu: &BlockingEmulator, opts: &Opts) -> Box<dyn Sdk> {
    let builder = configure::<greenpin_blocking::Ureq>(emu, opts);
    let builder_debug = format!("{builder:?}");
    let client = builder.build().expect("blocking client");
    Box::new(Blocking {
        client,
        builder_debug,
    })
}

/// The async flavour, driven by a current-thread runtime.
pub fn asynchronous(emu: &BlockingEmulator, opts: &Opts) -> Box<dyn Sdk> {
    let builder = configure::<greenpin_async::Reqwest>(emu, opts);
    let builder_debug = format!("{builder:?}");
    let client = builder.build().expect("async client");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    Box::new(Async {
        client,
        rt,
        builder_debug,
    })
}

struct Blocking {
    client: greenpin_blocking::Client,
    builder_debug: String,
}

struct Async {
    client: greenpin_async::Client,
    rt: tokio::runtime::Runtime,
    builder_debug: String,
}

fn debugs(client: &impl Debug, builder: &str) -> Vec<String> {
    vec![
        format!("{client:?}"),
        format!("{client:#?}"),
        builder.to_owned(),
    ]
}

impl Sdk for Blocking {
    fn flavor(&self) -> &'static str {
        "blocking"
    }
    fn debug_strings(&self) -> Vec<String> {
        debugs(&self.client, &self.builder_debug)
    }
    fn create(&self, spec: &CreateSpec) -> Result<Allocation, Error> {
        self.client.create(spec)
    }
    fn get(&self, id: &GreenPinId) -> Result<Allocation, Error> {
        self.client.get(id)
    }
    fn get_str(&self, id: &str) -> Result<Allocation, Error> {
        self.client.get(id)
    }
    fn update(&self, id: &GreenPinId, spec: &UpdateSpec) -> Result<Allocation, Error> {
        self.client.update(id, spec)
    }
    fn bulk_update(&self, spec: &BulkSpec) -> Result<BulkUpdateResults, Error> {
        self.client.bulk_update(spec)
    }
    fn delete(&self, id: &GreenPinId) -> Result<Option<Allocation>, Error> {
        self.client.delete(id)
    }
    fn settings(&self) -> Result<Settings, Error> {
        self.client.settings()
    }
    fn update_settings(&self, spec: &SettingsSpec) -> Result<Settings, Error> {
        self.client.update_settings(spec)
    }
    fn retry_budget(&self) -> u32 {
        self.client.retry_budget().available()
    }
}

impl Sdk for Async {
    fn flavor(&self) -> &'static str {
        "async"
    }
    fn debug_strings(&self) -> Vec<String> {
        debugs(&self.client, &self.builder_debug)
    }
    fn create(&self, spec: &CreateSpec) -> Result<Allocation, Error> {
        self.rt.block_on(self.client.create(spec))
    }
    fn get(&self, id: &GreenPinId) -> Result<Allocation, Error> {
        self.rt.block_on(self.client.get(id))
    }
    fn get_str(&self, id: &str) -> Result<Allocation, Error> {
        self.rt.block_on(self.client.get(id))
    }
    fn update(&self, id: &GreenPinId, spec: &UpdateSpec) -> Result<Allocation, Error> {
        self.rt.block_on(self.client.update(id, spec))
    }
    fn bulk_update(&self, spec: &BulkSpec) -> Result<BulkUpdateResults, Error> {
        self.rt.block_on(self.client.bulk_update(spec))
    }
    fn delete(&self, id: &GreenPinId) -> Result<Option<Allocation>, Error> {
        self.rt.block_on(self.client.delete(id))
    }
    fn settings(&self) -> Result<Settings, Error> {
        self.rt.block_on(self.client.settings())
    }
    fn update_settings(&self, spec: &SettingsSpec) -> Result<Settings, Error> {
        self.rt.block_on(self.client.update_settings(spec))
    }
    fn retry_budget(&self) -> u32 {
        self.client.retry_budget().available()
    }
}

/// The workspace README's examples, compiled (and, where they need no credentials, run) as
/// doctests, so the front page cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct WorkspaceReadmeDoctests;
