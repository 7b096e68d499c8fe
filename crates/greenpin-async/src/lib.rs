//! # greenpin-async
//!
//! An async client for Exotel's GreenPin number-masking API, on tokio and reqwest
//! (rustls by default; the `native-tls` feature for the platform's TLS).
//!
//! It is a thin transport: validation, request building, response parsing, the retry
//! decision and the error type all live in [`greenpin_core`], shared with
//! `greenpin-blocking`, which has the same API without a runtime.
//!
//! ```no_run
//! use greenpin_async::{Client, AllocationSpec, PartySpec, Usage};
//! use greenpin_async::ops::CreateAllocation;
//!
//! # async fn run() -> Result<(), greenpin_async::Error> {
//! let client = Client::from_env().build()?; // EXOTEL_ACCOUNT_SID, EXOTEL_API_KEY, EXOTEL_API_TOKEN
//! let allocation = client
//!     .create(&CreateAllocation::new("order-42").spec(
//!         AllocationSpec::new()
//!             .a(PartySpec::new().number("7987686144").vn("6292134471").pin_length(4))
//!             .b(PartySpec::new().number("9956555625"))
//!             .usage(Usage::Twoway)
//!             .deallocate_after("2h"),
//!     ))
//!     .await?;
//! println!("{} until {:?}", allocation.greenpin_id, allocation.deallocation_time);
//! # Ok(())
//! # }
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
use tracing::Instrument;

pub use greenpin_core::{
    self as core, Allocation, AllocationSpec, Country, Credentials, Error, ErrorCode, GreenPinId,
    PartySpec, RetryPolicy, Settings, State, Usage, ops,
};

/// The reqwest transport: `Client::builder()` is a `ClientBuilder<Reqwest>`.
#[derive(Debug, Clone, Copy)]
pub struct Reqwest;

impl Transport for Reqwest {
    type HttpClient = reqwest::Client;
    type Client = Client;

    fn build(config: ClientConfig, http: Option<reqwest::Client>) -> Result<Client, Error> {
        let http = match http {
            Some(c) => c,
            None => reqwest::Client::builder()
                .connect_timeout(config.connect_timeout)
                .timeout(config.timeout)
                .build()
                .map_err(|e| {
                    TransportError::new(
                        TransportErrorKind::Other,
                        false,
                        format!("building the HTTP client: {e}"),
                    )
                })?,
        };
        Ok(Client {
            http,
            config: Arc::new(config),
        })
    }
}

/// A GreenPin client. Cheap to clone: clones share the connection pool.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let emulator = greenpin_emulator::Emulator::start().await;
/// let client = emulator.configure(greenpin_async::Client::builder())
///     .build()
///     .unwrap();
/// let settings = client.settings().await.unwrap();
/// assert_eq!(settings.country.as_deref(), Some("IN"));
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
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
    pub fn builder() -> ClientBuilder<Reqwest> {
        ClientBuilder::new()
    }

    /// A builder reading `EXOTEL_ACCOUNT_SID`, `EXOTEL_API_KEY`, `EXOTEL_API_TOKEN` and
    /// `GREENPIN_BASE_URL`.
    pub fn from_env() -> ClientBuilder<Reqwest> {
        ClientBuilder::from_env()
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Runs any operation, retrying as the policy allows.
    pub async fn execute<O: Operation>(&self, op: &O) -> Result<Reply<O::Output>, Error> {
        let mut call = Call::new(op, &self.config)?;
        let span = call.span().clone();
        async move {
            loop {
                let attempt = call.attempt_span();
                let sent = self
                    .send(call.request(), call.timeout())
                    .instrument(attempt)
                    .await;
                let step = match sent {
                    Ok((status, headers, body)) => call.on_response(status, &headers, &body),
                    Err(e) => call.on_transport_error(e),
                };
                match step {
                    Step::Done(result) => return result,
                    Step::Retry(wait) => tokio::time::sleep(wait).await,
                }
            }
        }
        .instrument(span)
        .await
    }

    async fn send(
        &self,
        request: &http::Request<Vec<u8>>,
        timeout: Duration,
    ) -> Result<(StatusCode, HeaderMap, Vec<u8>), TransportError> {
        let mut req = reqwest::Request::try_from(request.clone()).map_err(transport_error)?;
        *req.timeout_mut() = Some(timeout);
        let resp = self.http.execute(req).await.map_err(transport_error)?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(transport_error)?;
        Ok((status, headers, body.to_vec()))
    }

    /// Creates an allocation (`POST /greenpin`). Not retried once it may have been sent.
    pub async fn create(&self, op: &CreateAllocation) -> Result<Allocation, Error> {
        self.execute(op).await.map(|r| r.data)
    }

    /// Reads an allocation.
    pub async fn get(&self, id: &GreenPinId) -> Result<Allocation, Error> {
        self.execute(&GetAllocation::new(id.clone()))
            .await
            .map(|r| r.data)
    }

    /// Changes an active allocation (the seed's Update).
    pub async fn update(&self, id: &GreenPinId, spec: AllocationSpec) -> Result<Allocation, Error> {
        self.execute(&UpdateAllocation::new(id.clone(), spec))
            .await
            .map(|r| r.data)
    }

    /// Changes many allocations; valid items are applied, each has its own result.
    pub async fn bulk_update(&self, op: &BulkUpdate) -> Result<BulkUpdateResults, Error> {
        self.execute(op).await.map(|r| r.data)
    }

    /// Deallocates; answers the allocation as it now is, when the service sends it.
    pub async fn delete(&self, id: &GreenPinId) -> Result<Option<Allocation>, Error> {
        self.execute(&DeleteAllocation::new(id.clone()))
            .await
            .map(|r| r.data)
    }

    /// Reads the account settings.
    pub async fn settings(&self) -> Result<Settings, Error> {
        self.execute(&GetSettings::new()).await.map(|r| r.data)
    }

    /// Changes account settings; what is left out keeps its value.
    pub async fn update_settings(&self, settings: Settings) -> Result<Settings, Error> {
        self.execute(&UpdateSettings::new(settings))
            .await
            .map(|r| r.data)
    }
}

/// Maps reqwest's error to the core's: what kind, and whether it may have been sent.
fn transport_error(e: reqwest::Error) -> TransportError {
    let kind = if e.is_timeout() {
        TransportErrorKind::Timeout
    } else if e.is_connect() {
        TransportErrorKind::Connect
    } else if e.is_request() || e.is_body() || e.is_decode() {
        TransportErrorKind::Io
    } else {
        TransportErrorKind::Other
    };
    // A connect failure never sent a byte; anything later may have reached the service.
    let sent = !e.is_connect() && !e.is_builder();
    TransportError::new(kind, sent, e.to_string()).with_source(e)
}
