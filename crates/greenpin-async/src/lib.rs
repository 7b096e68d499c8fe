//! # greenpin-async
//!
//! An async client for Exotel's GreenPin number-masking API, on tokio and reqwest
//! (rustls by default; the `native-tls` feature for the platform's TLS).
//!
//! This crate is a send function over reqwest and a tokio timer. Validation, request
//! building, retries, the deadline, the response-size cap, parsing and the error type all
//! live in [`greenpin_core`], shared with `greenpin-blocking`, which has the same API
//! without a runtime. Every type the client's signatures name is re-exported here, and the
//! client's futures are `Send`.
//!
//! ```no_run
//! # use greenpin_async::PinLength;
//! use greenpin_async::{Client, CreateSpec, PartySpec, Usage};
//!
//! # async fn run() -> Result<(), greenpin_async::Error> {
//! let client = Client::from_env().build()?; // EXOTEL_ACCOUNT_SID, EXOTEL_API_KEY, EXOTEL_API_TOKEN
//! let allocation = client
//!     .create(
//!         &CreateSpec::new("order-42")
//!             .a(PartySpec::new().number("7987686144").vn("6292134471").pin_length(PinLength::of::<4>()))
//!             .b(PartySpec::new().number("9956555625"))
//!             .usage(Usage::Twoway)
//!             .deallocate_after("2h"),
//!     )
//!     .await?;
//! println!("{} until {:?}", allocation.greenpin_id, allocation.deallocation_time);
//! # Ok(())
//! # }
//! ```
//!
//! Requests never follow redirects (a 3xx is answered as an error) and never go through a
//! proxy to a loopback service root; to other roots, reqwest's proxy environment variables
//! apply. To configure reqwest yourself, start from [`Reqwest::client_builder`] (a
//! `reqwest::Client::builder()` of your own has no cryptography provider with this crate's
//! TLS, and reqwest panics when it builds: see there), build, and pass
//! [`Reqwest::with_client`] to [`ClientBuilder::build_with`].
//!
//! Every number is checked before it is sent, Indian or not: the `international-numbers`
//! feature (on by default) brings Google's libphonenumber metadata. `default-features =
//! false, features = ["rustls"]` is the slim build: Indian numbers in their usual forms
//! (ten digits, alone or after `+91`, `91`, `0091` or `0`) are still checked, and every other
//! number is refused as [`Error::Unchecked`], never sent unchecked. What a client checks is
//! this crate's feature alone, so a test build in which the emulator turns the core's
//! feature on accepts exactly the numbers your release build does
//! ([`ClientConfig::checks_international_numbers`](transport::ClientConfig::checks_international_numbers)
//! tells, once built).

// Feature badges on docs.rs (its nightly rustdoc); nothing changes for other builds.
#![cfg_attr(docsrs, feature(doc_cfg))]
// A link that does not resolve renders as plain text: an error, on every build of the docs.
#![deny(rustdoc::broken_intra_doc_links)]
// Library code states the invariant that makes a panic impossible (`#[expect]` with a
// reason) rather than unwrapping silently; tests unwrap freely.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

use std::time::Duration;

use http::{Request, Response};

#[cfg(feature = "axum")]
mod axum_extractor;
mod client;
#[cfg(feature = "rustls")]
mod tls;

// What a user of this crate names, once each, at the root: the client and its builder,
// and every type its methods take and answer, declared once in greenpin-core (its root's list). The
// groupings — operations for `execute`, receiving callbacks, the retry policy, the seam
// for another HTTP client — are modules. `cargo xtask public-api` walks every signature
// and fails if it names a type a user of this crate cannot name.
/// axum, whose extractor traits the callback receiver implements (feature `axum`).
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use axum;
pub use client::{Client, ClientBuilder};
// The core's user-facing types and modules, generated from its one list.
include!("sdk.rs");
/// The `http` crate, whose `Request`, `Response`, `StatusCode`, `Method`, `Uri` and
/// `HeaderMap` the SDK's signatures use (a transport's send function, callbacks).
pub use http;
/// The `serde_json` crate, whose `Value` holds a callback's fields the SDK does not model.
pub use serde_json;

pub mod callbacks {
    //! Receiving GreenPin's callbacks: the [`CallbackReceiver`] (secret, JSON or form,
    //! typed event) for any server, and with the `axum` feature the `GreenPinCallback`
    //! extractor that runs it in an axum handler. See the receiver's documentation for the
    //! secret and the events.
    #[cfg(feature = "axum")]
    #[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
    pub use crate::axum_extractor::{CallbackRejection, GreenPinCallback};
    pub use greenpin_core::callbacks::*;
}

/// The seam between the client and an HTTP client, for a transport of your own or a test
/// double: an [`AsyncSend`] and [`AsyncClient::new`], with a configuration from
/// [`Client::builder`]'s `build_config`.
pub mod transport {
    pub use greenpin_core::client::{
        AsyncClient, AsyncSend, AttemptLimits, ClientConfig, Transport,
    };
}
/// reqwest, so a client you configure yourself ([`Reqwest::with_client`]) is of the version
/// the SDK speaks to.
pub use reqwest;
use transport::{AsyncClient, AsyncSend, AttemptLimits, ClientConfig, Transport};

/// The reqwest transport: a send function over a [`reqwest::Client`], and tokio's timer.
#[derive(Debug, Clone)]
pub struct Reqwest {
    http: reqwest::Client,
}

impl Reqwest {
    /// The transport over your own client. It must not follow redirects
    /// (`redirect(Policy::none())`) for the SDK's no-redirect promise to hold; the SDK sets
    /// each request's timeout itself. Your client's TLS, connect timeout and proxies are
    /// used as you set them: [`ClientBuilder::build_with`] refuses root certificates given
    /// to the SDK's builder, which could not reach it.
    ///
    /// Start from [`Reqwest::client_builder`] (or [`Reqwest::client_builder_with_roots`] for
    /// a private authority), which sets both the redirects and the TLS this crate's own
    /// clients use. A bare `reqwest::Client::builder()` has no cryptography provider in
    /// this crate's default build, and reqwest panics when it is built (why, and the other
    /// ways out, under [`Reqwest::client_builder`]).
    ///
    /// ```
    /// use greenpin_async::{Client, Reqwest};
    /// let http = Reqwest::client_builder()?
    ///     .pool_max_idle_per_host(16)
    ///     .build()
    ///     .expect("a client");
    /// let client = Client::builder()
    ///     .account_sid("acme")
    ///     .credentials("key", "token")
    ///     .build_with(Reqwest::with_client(http))?;
    /// # Ok::<(), greenpin_async::Error>(())
    /// ```
    pub fn with_client(http: reqwest::Client) -> Self {
        Reqwest { http }
    }

    /// A reqwest client builder set as this crate's own clients are: redirects not followed,
    /// and, with the `rustls` feature (the default), TLS on ring trusting the operating
    /// system's certificate store. Add your own settings, build, and pass the client to
    /// [`Reqwest::with_client`].
    ///
    /// With the `rustls` feature, greenpin-async turns on reqwest's TLS without a
    /// cryptography provider (its `rustls-no-provider`), so that no build compiles
    /// aws-lc-rs. A `reqwest::Client::builder()` of your own then needs a provider: this
    /// builder, reqwest's `rustls` feature in your own `Cargo.toml`, or one your program
    /// installs with `rustls::crypto::CryptoProvider::install_default`. Without any,
    /// reqwest panics when the client is built ("No rustls crypto provider is configured").
    /// The ring provider greenpin-async uses is one line at the start of `main`, with
    /// `rustls = { version = "0.23", default-features = false, features = ["ring"] }`:
    ///
    /// ```text
    /// let _ = rustls::crypto::ring::default_provider().install_default();
    /// ```
    ///
    /// Its settings for TLS (reqwest's `add_root_certificate`, `tls_*`) are not read: the
    /// TLS is already set. For a private authority, use
    /// [`Reqwest::client_builder_with_roots`].
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] (`tls`) if the operating system's certificate verifier cannot be
    /// set up.
    pub fn client_builder() -> Result<reqwest::ClientBuilder, Error> {
        Ok(Reqwest::client_builder_roots(&[])?)
    }

    /// [`Reqwest::client_builder`], trusting `roots` beside the operating system's store:
    /// what [`add_root_certificate`](ClientBuilder::add_root_certificate) gives the clients
    /// this crate builds, for one you build yourself.
    ///
    /// ```no_run
    /// use greenpin_async::{Client, Reqwest, RootCertificate};
    /// let roots = RootCertificate::from_pem(&std::fs::read("gateway-ca.pem")?)?;
    /// let http = Reqwest::client_builder_with_roots(&roots)?
    ///     .pool_max_idle_per_host(16)
    ///     .build()?;
    /// let client = Client::from_env().build_with(Reqwest::with_client(http))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming `root_certificate` for a root the TLS library refuses, or
    /// `tls` if the operating system's certificate verifier cannot be set up.
    pub fn client_builder_with_roots(
        roots: &[RootCertificate],
    ) -> Result<reqwest::ClientBuilder, Error> {
        Ok(Reqwest::client_builder_roots(roots)?)
    }

    fn client_builder_roots(
        roots: &[RootCertificate],
    ) -> Result<reqwest::ClientBuilder, ConfigError> {
        Ok(tls_builder(roots)?.redirect(reqwest::redirect::Policy::none()))
    }
}

/// A reqwest builder with the crate's TLS: the operating system's store and `roots`.
fn tls_builder(roots: &[RootCertificate]) -> Result<reqwest::ClientBuilder, ConfigError> {
    let builder = reqwest::Client::builder();
    #[cfg(feature = "rustls")]
    let builder = builder.tls_backend_preconfigured(tls::config(roots)?);
    #[cfg(all(feature = "native-tls", not(feature = "rustls")))]
    let builder = {
        let mut extra = Vec::with_capacity(roots.len());
        for c in roots {
            extra.push(reqwest::Certificate::from_der(c.der()).map_err(|e| {
                ConfigError::new("root_certificate", format!("not a certificate: {e}"))
            })?);
        }
        builder.tls_certs_merge(extra)
    };
    #[cfg(not(any(feature = "rustls", feature = "native-tls")))]
    let _ = roots;
    Ok(builder)
}

impl Transport for Reqwest {
    type Client = Client;
    const INTERNATIONAL_NUMBERS: bool = cfg!(feature = "international-numbers");

    fn from_config(config: &ClientConfig) -> Result<Self, Error> {
        // Without a TLS feature an `https` service cannot be reached: refused now, rather
        // than every call failing as if a certificate were at fault.
        if !cfg!(any(feature = "rustls", feature = "native-tls"))
            && config.context().root().as_str().starts_with("https:")
        {
            return Err(ConfigError::new(
                "base_url",
                "an https service needs a TLS feature of greenpin-async (rustls, the default, or native-tls); this build has none",
            )
            .into());
        }
        let mut builder = Reqwest::client_builder_roots(config.root_certificates())?
            .connect_timeout(config.connect_timeout())
            .timeout(config.attempt_timeout());
        if config.is_loopback() {
            builder = builder.no_proxy();
        }
        let http = builder.build().map_err(|e| {
            ConfigError::new(
                "http_client",
                format!("reqwest could not build a client: {e}"),
            )
        })?;
        Ok(Reqwest { http })
    }

    fn into_client(self, config: ClientConfig) -> Client {
        Client(AsyncClient::new(config, self))
    }
}

impl AsyncSend for Reqwest {
    async fn send(
        &self,
        request: Request<Vec<u8>>,
        limits: AttemptLimits,
    ) -> Result<Response<Vec<u8>>, TransportError> {
        let mut request = reqwest::Request::try_from(request).map_err(transport_error)?;
        *request.timeout_mut() = Some(limits.timeout);
        let mut response = self.http.execute(request).await.map_err(transport_error)?;
        limits.check_declared_length(response.headers())?;
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
            if (body.len() + chunk.len()) as u64 > limits.max_response_bytes {
                return Err(TransportError::new(
                    TransportErrorKind::ResponseTooLarge,
                    true,
                ));
            }
            body.extend_from_slice(&chunk);
        }
        let mut out = Response::new(body);
        *out.status_mut() = response.status();
        *out.version_mut() = response.version();
        *out.headers_mut() = std::mem::take(response.headers_mut());
        Ok(out)
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// Maps reqwest's error to the core's: what kind, and whether it may have been sent.
fn transport_error(e: reqwest::Error) -> TransportError {
    let kind = if e.is_timeout() {
        TransportErrorKind::Timeout
    } else if e.is_connect() && is_tls(&e) {
        // No TLS session: the request never left (greenpin-blocking says the same).
        TransportErrorKind::Tls
    } else if e.is_connect() {
        TransportErrorKind::Connect
    } else if e.is_request() || e.is_body() || e.is_decode() {
        TransportErrorKind::Io
    } else {
        TransportErrorKind::Other
    };
    // A connect failure never sent a byte; anything later may have reached the service.
    let sent = !e.is_connect() && !e.is_builder();
    TransportError::new(kind, sent).with_source(e.without_url())
}

/// Whether a connect failure is the TLS library's refusal (a handshake or certificate
/// failure): its error is somewhere in reqwest's chain of sources.
fn is_tls(e: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        // An I/O error's `source()` skips the error it wraps (hyper wraps rustls' in two):
        // look inside each.
        let mut candidate = Some(inner);
        while let Some(error) = candidate {
            #[cfg(feature = "rustls")]
            if error.downcast_ref::<rustls::Error>().is_some() {
                return true;
            }
            #[cfg(feature = "native-tls")]
            if error.downcast_ref::<native_tls::Error>().is_some() {
                return true;
            }
            candidate = error
                .downcast_ref::<std::io::Error>()
                .and_then(std::io::Error::get_ref)
                .map(|e| e as &(dyn std::error::Error + 'static));
        }
        source = inner.source();
    }
    false
}

/// The README's examples, compiled and run as doctests so they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
