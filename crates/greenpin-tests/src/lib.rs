//! The shared test suite's harness: one [`Sdk`] trait over both transports, so every
//! scenario in `tests/` is written once and run against `greenpin-async` and
//! `greenpin-blocking`, each talking to a real `greenpin-emulator` over loopback.

use std::fmt::Debug;
use std::time::Duration;

use greenpin_core::client::{ClientBuilder, Transport};
use greenpin_core::ops::{BulkUpdate, BulkUpdateResults, CreateAllocation};
use greenpin_core::{Allocation, AllocationSpec, Error, GreenPinId, RetryPolicy, Settings};
use greenpin_emulator::Emulator;

/// Both clients, through one synchronous face.
pub trait Sdk {
    /// Which transport.
    fn flavor(&self) -> &'static str;
    /// `Debug` of the client and of the builder that made it.
    fn debug_strings(&self) -> Vec<String>;
    /// See the clients' `create`.
    fn create(&self, op: &CreateAllocation) -> Result<Allocation, Error>;
    /// See the clients' `get`.
    fn get(&self, id: &GreenPinId) -> Result<Allocation, Error>;
    /// See the clients' `update`.
    fn update(&self, id: &GreenPinId, spec: AllocationSpec) -> Result<Allocation, Error>;
    /// See the clients' `bulk_update`.
    fn bulk_update(&self, op: &BulkUpdate) -> Result<BulkUpdateResults, Error>;
    /// See the clients' `delete`.
    fn delete(&self, id: &GreenPinId) -> Result<Option<Allocation>, Error>;
    /// See the clients' `settings`.
    fn settings(&self) -> Result<Settings, Error>;
    /// See the clients' `update_settings`.
    fn update_settings(&self, s: Settings) -> Result<Settings, Error>;
}

/// How a scenario wants its client.
#[derive(Debug, Clone, Default)]
pub struct Opts {
    /// Whole-request timeout.
    pub timeout: Option<Duration>,
    /// Retry policy (the default policy when absent, with a 1 ms initial backoff to keep
    /// tests quick).
    pub retry: Option<RetryPolicy>,
    /// Another API token than the emulator's.
    pub token: Option<String>,
    /// Another account SID than the emulator's.
    pub account_sid: Option<String>,
}

/// Makes a client of one flavour for an emulator.
pub type Make = fn(&Emulator, &Opts) -> Box<dyn Sdk>;

fn configure<T: Transport>(emu: &Emulator, opts: &Opts) -> ClientBuilder<T> {
    let token = opts
        .token
        .clone()
        .unwrap_or_else(|| emu.credentials().token().expose().to_owned());
    let mut b = ClientBuilder::<T>::new()
        .base_url(emu.base_url())
        .account_sid(
            opts.account_sid
                .clone()
                .unwrap_or_else(|| emu.account_sid().to_owned()),
        )
        .credentials(emu.credentials().key().clone(), token)
        .retry_policy(opts.retry.unwrap_or_else(|| {
            RetryPolicy::default().with_initial_backoff(Duration::from_millis(1))
        }));
    if let Some(t) = opts.timeout {
        b = b.timeout(t);
    }
    b
}

/// The blocking flavour.
pub fn blocking(emu: &Emulator, opts: &Opts) -> Box<dyn Sdk> {
    let builder = configure::<greenpin_blocking::Ureq>(emu, opts);
    let builder_debug = format!("{builder:?}");
    let client = builder.build().expect("blocking client");
    Box::new(Blocking {
        client,
        builder_debug,
    })
}

/// The async flavour, driven by a current-thread runtime.
pub fn asynchronous(emu: &Emulator, opts: &Opts) -> Box<dyn Sdk> {
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
    fn create(&self, op: &CreateAllocation) -> Result<Allocation, Error> {
        self.client.create(op)
    }
    fn get(&self, id: &GreenPinId) -> Result<Allocation, Error> {
        self.client.get(id)
    }
    fn update(&self, id: &GreenPinId, spec: AllocationSpec) -> Result<Allocation, Error> {
        self.client.update(id, spec)
    }
    fn bulk_update(&self, op: &BulkUpdate) -> Result<BulkUpdateResults, Error> {
        self.client.bulk_update(op)
    }
    fn delete(&self, id: &GreenPinId) -> Result<Option<Allocation>, Error> {
        self.client.delete(id)
    }
    fn settings(&self) -> Result<Settings, Error> {
        self.client.settings()
    }
    fn update_settings(&self, s: Settings) -> Result<Settings, Error> {
        self.client.update_settings(s)
    }
}

impl Sdk for Async {
    fn flavor(&self) -> &'static str {
        "async"
    }
    fn debug_strings(&self) -> Vec<String> {
        debugs(&self.client, &self.builder_debug)
    }
    fn create(&self, op: &CreateAllocation) -> Result<Allocation, Error> {
        self.rt.block_on(self.client.create(op))
    }
    fn get(&self, id: &GreenPinId) -> Result<Allocation, Error> {
        self.rt.block_on(self.client.get(id))
    }
    fn update(&self, id: &GreenPinId, spec: AllocationSpec) -> Result<Allocation, Error> {
        self.rt.block_on(self.client.update(id, spec))
    }
    fn bulk_update(&self, op: &BulkUpdate) -> Result<BulkUpdateResults, Error> {
        self.rt.block_on(self.client.bulk_update(op))
    }
    fn delete(&self, id: &GreenPinId) -> Result<Option<Allocation>, Error> {
        self.rt.block_on(self.client.delete(id))
    }
    fn settings(&self) -> Result<Settings, Error> {
        self.rt.block_on(self.client.settings())
    }
    fn update_settings(&self, s: Settings) -> Result<Settings, Error> {
        self.rt.block_on(self.client.update_settings(s))
    }
}
