//! # greenpin-blocking
//!
//! A blocking client for Exotel's GreenPin number-masking API, on ureq: no async runtime
//! in your build (CI checks that tokio never enters this crate's dependency tree).
//!
//! It is a thin transport: validation, request building, response parsing, the retry
//! decision and the error type all live in [`greenpin_core`], shared with
//! `greenpin-async`, which has the same API for tokio.
//!
//! ```
//! use greenpin_blocking::{Client, AllocationSpec, PartySpec};
//! use greenpin_blocking::ops::CreateAllocation;
//!
//! let emulator = greenpin_emulator::BlockingEmulator::start();
//! let client = emulator.configure(Client::builder()).build()?;
//! let allocation = client.create(&CreateAllocation::new("order-42").spec(
//!     AllocationSpec::new()
//!         .a(PartySpec::new().number("7987686144").vn("6292134471").pin_length(4))
//!         .b(PartySpec::new().number("9956555625"))
//!         .deallocate_after("2h"),
//! ))?;
//! assert_eq!(allocation.a.pin.unwrap().len(), 4);
//! # Ok::<(), greenpin_blocking::Error>(())
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use greenpin_core::client::{Call, ClientBuilder, ClientConfig, Step, Transport};
use greenpin_core::ops::{
    BulkUpdate, BulkUpdateResults, CreateAllocation, DeleteAllocation, GetAllocation, GetSettings,
    UpdateAllocation, UpdateSettings,
};
use greenpin_core::{Operation, Reply, TransportError, TransportErrorKind};
use http::{HeaderMap, StatusCode};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

pub use greenpin_core::{
    self as core, Allocation, AllocationSpec, Country, Credentials, Error, ErrorCode, GreenPinId,
    PartySpec, RetryPolicy, Settings, State, Usage, ops,
};

/// Largest answer body read.
const MAX_RESPONSE: u64 = 16 << 20;

/// The ureq transport: `Client::builder()` is a `ClientBuilder<Ureq>`.
#[derive(Debug, Clone, Copy)]
pub struct Ureq;

impl Transport for Ureq {
    type HttpClient = ureq::Agent;
    type Client = Client;

    fn build(config: ClientConfig, http: Option<ureq::Agent>) -> Result<Client, Error> {
        let agent = http.unwrap_or_else(|| {
            let agent_config = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_connect(Some(config.connect_timeout))
                .timeout_global(Some(config.timeout))
                .build();
            ureq::Agent::with_parts(
                agent_config,
                DefaultConnector::new(),
                IpLiteralResolver::default(),
            )
        });
        Ok(Client {
            agent,
            config: Arc::new(config),
        })
    }
}

/// A GreenPin client. Cheap to clone: clones share the connection pool.
#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
    config: Arc<ClientConfig>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A builder with the defaults.
    pub fn builder() -> ClientBuilder<Ureq> {
        ClientBuilder::new()
    }

    /// A builder reading `EXOTEL_ACCOUNT_SID`, `EXOTEL_API_KEY`, `EXOTEL_API_TOKEN` and
    /// `GREENPIN_BASE_URL`.
    pub fn from_env() -> ClientBuilder<Ureq> {
        ClientBuilder::from_env()
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Runs any operation, retrying as the policy allows.
    pub fn execute<O: Operation>(&self, op: &O) -> Result<Reply<O::Output>, Error> {
        let mut call = Call::new(op, &self.config)?;
        let span = call.span().clone();
        let _call = span.enter();
        loop {
            let attempt = call.attempt_span();
            let sent = attempt.in_scope(|| self.send(call.request(), call.timeout()));
            let step = match sent {
                Ok((status, headers, body)) => call.on_response(status, &headers, &body),
                Err(e) => call.on_transport_error(e),
            };
            match step {
                Step::Done(result) => return result,
                Step::Retry(wait) => std::thread::sleep(wait),
            }
        }
    }

    fn send(
        &self,
        request: &http::Request<Vec<u8>>,
        timeout: Duration,
    ) -> Result<(StatusCode, HeaderMap, Vec<u8>), TransportError> {
        // Per request: answers of any status are answers (the core reads error envelopes),
        // and the whole-request timeout holds even on a user's own agent.
        let req = self
            .agent
            .configure_request(request.clone())
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .build();
        let mut resp = self.agent.run(req).map_err(transport_error)?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE)
            .read_to_vec()
            .map_err(transport_error)?;
        Ok((status, headers, body))
    }

    /// Creates an allocation (`POST /greenpin`). Not retried once it may have been sent.
    pub fn create(&self, op: &CreateAllocation) -> Result<Allocation, Error> {
        self.execute(op).map(|r| r.data)
    }

    /// Reads an allocation.
    pub fn get(&self, id: &GreenPinId) -> Result<Allocation, Error> {
        self.execute(&GetAllocation::new(id.clone()))
            .map(|r| r.data)
    }

    /// Changes an active allocation (the seed's Update).
    pub fn update(&self, id: &GreenPinId, spec: AllocationSpec) -> Result<Allocation, Error> {
        self.execute(&UpdateAllocation::new(id.clone(), spec))
            .map(|r| r.data)
    }

    /// Changes many allocations; valid items are applied, each has its own result.
    pub fn bulk_update(&self, op: &BulkUpdate) -> Result<BulkUpdateResults, Error> {
        self.execute(op).map(|r| r.data)
    }

    /// Deallocates; answers the allocation as it now is, when the service sends it.
    pub fn delete(&self, id: &GreenPinId) -> Result<Option<Allocation>, Error> {
        self.execute(&DeleteAllocation::new(id.clone()))
            .map(|r| r.data)
    }

    /// Reads the account settings.
    pub fn settings(&self) -> Result<Settings, Error> {
        self.execute(&GetSettings::new()).map(|r| r.data)
    }

    /// Changes account settings; what is left out keeps its value.
    pub fn update_settings(&self, settings: Settings) -> Result<Settings, Error> {
        self.execute(&UpdateSettings::new(settings)).map(|r| r.data)
    }
}

/// ureq's default resolver, except that a host that is already an IP address is answered
/// at once. With a timeout set, the default resolver spawns a thread for every lookup —
/// every request, even on a pooled connection and even for `127.0.0.1` — which costs
/// tens of microseconds per call (see docs/BENCHMARKS.md).
#[derive(Debug, Default)]
struct IpLiteralResolver(DefaultResolver);

impl Resolver for IpLiteralResolver {
    fn resolve(
        &self,
        uri: &http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        if let Some(authority) = uri.authority() {
            let host = authority
                .host()
                .trim_start_matches('[')
                .trim_end_matches(']');
            if let Ok(ip) = host.parse::<std::net::IpAddr>() {
                let default_port = if uri.scheme_str() == Some("https") {
                    443
                } else {
                    80
                };
                let mut addrs = self.empty();
                addrs.push(std::net::SocketAddr::new(
                    ip,
                    authority.port_u16().unwrap_or(default_port),
                ));
                return Ok(addrs);
            }
        }
        self.0.resolve(uri, config, timeout)
    }
}

/// Maps ureq's error to the core's: what kind, and whether it may have been sent.
fn transport_error(e: ureq::Error) -> TransportError {
    use ureq::Timeout;
    let (kind, sent) = match &e {
        ureq::Error::Timeout(Timeout::Resolve | Timeout::Connect) => {
            (TransportErrorKind::Timeout, false)
        }
        ureq::Error::Timeout(_) => (TransportErrorKind::Timeout, true),
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => {
            (TransportErrorKind::Connect, false)
        }
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            (TransportErrorKind::Connect, false)
        }
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
            (TransportErrorKind::Timeout, true)
        }
        ureq::Error::Io(_) | ureq::Error::Protocol(_) => (TransportErrorKind::Io, true),
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => (TransportErrorKind::Other, false),
        _ => (TransportErrorKind::Other, true),
    };
    TransportError::new(kind, sent, e.to_string()).with_source(e)
}
