//! # greenpin-blocking
//!
//! A blocking client for Exotel's GreenPin number-masking API, on ureq: no async runtime
//! in your build (CI checks that tokio never enters this crate's dependency tree).
//!
//! This crate is a send function over ureq. Validation, request building, retries, the
//! deadline, the response-size cap, parsing and the error type all live in
//! [`greenpin_core`], shared with `greenpin-async`, which has the same API for tokio. Every
//! type the client's signatures name is re-exported here.
//!
//! ```
//! # use greenpin_blocking::PinLength;
//! use greenpin_blocking::{Client, CreateSpec, PartySpec};
//!
//! let emulator = greenpin_emulator::BlockingEmulator::start();
//! let client = emulator.configure(Client::builder()).build()?;
//! let allocation = client.create(
//!     &CreateSpec::new("order-42")
//!         .a(PartySpec::new().number("7987686144").vn("6292134471").pin_length(PinLength::of::<4>()))
//!         .b(PartySpec::new().number("9956555625"))
//!         .deallocate_after("2h"),
//! )?;
//! assert_eq!(allocation.a.pin.unwrap().len(), 4);
//! # Ok::<(), greenpin_blocking::Error>(())
//! ```
//!
//! Requests never follow redirects (a 3xx is answered as an error) and never go through a
//! proxy to a loopback service root; to other roots, ureq's proxy environment variables
//! (`HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`) apply. To configure ureq yourself, build an
//! [`ureq::Agent`] and pass [`Ureq::with_agent`] to [`ClientBuilder::build_with`].
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

use http::{Request, Response};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

mod client;

// What a user of this crate names, once each, at the root: the client and its builder,
// and every type its methods take and answer, declared once in greenpin-core (its root's list). The
// groupings — operations for `execute`, receiving callbacks, the retry policy, the seam
// for another HTTP client — are modules. `cargo xtask public-api` walks every signature
// and fails if it names a type a user of this crate cannot name.
pub use client::{Client, ClientBuilder};
// The core's user-facing types and modules, generated from its one list.
include!("sdk.rs");
/// The `http` crate, whose `Request`, `Response`, `StatusCode`, `Method`, `Uri` and
/// `HeaderMap` the SDK's signatures use (a transport's send function, callbacks).
pub use http;
/// The `serde_json` crate, whose `Value` holds a callback's fields the SDK does not model.
pub use serde_json;

/// The seam between the client and an HTTP client, for a transport of your own or a test
/// double: a [`BlockingSend`] (a closure will do) and [`BlockingClient::new`], with a
/// configuration from [`Client::builder`]'s `build_config`.
///
/// ```
/// use greenpin_blocking::{Client, http};
/// use greenpin_blocking::transport::BlockingClient;
/// let config = Client::builder().account_sid("acme").credentials("k", "t").build_config()?;
/// let client = BlockingClient::new(config, |_req: http::Request<Vec<u8>>, _limits| {
///     let body = r#"{"success":true,"status":200,"data":{"country":"IN","timezone":"IST"}}"#;
///     Ok(http::Response::new(body.as_bytes().to_vec()))
/// });
/// assert_eq!(client.settings()?.country, Some(greenpin_blocking::Country::IN));
/// # Ok::<(), greenpin_blocking::Error>(())
/// ```
pub mod transport {
    pub use greenpin_core::client::{
        AttemptLimits, BlockingClient, BlockingSend, ClientConfig, Transport,
    };
}
use transport::{AttemptLimits, BlockingClient, BlockingSend, ClientConfig, Transport};
/// ureq, so an agent you configure yourself ([`Ureq::with_agent`]) is of the version the
/// SDK speaks to.
pub use ureq;

/// The ureq transport: a send function over an [`ureq::Agent`].
#[derive(Debug, Clone)]
pub struct Ureq {
    agent: ureq::Agent,
}

impl Ureq {
    /// The transport over your own agent. It must not follow redirects
    /// (`max_redirects(0)`) for the SDK's no-redirect promise to hold; the SDK sets the
    /// timeout and status handling of each request itself. Your agent's TLS, connect
    /// timeout and proxy are used as you set them: for a private authority, give its roots
    /// to the agent (ureq's `TlsConfig::builder().root_certs(…)`);
    /// [`ClientBuilder::build_with`] refuses root certificates given to the SDK's builder,
    /// which could not reach it.
    ///
    /// ```
    /// use greenpin_blocking::{Client, Ureq};
    /// let agent: ureq::Agent = ureq::Agent::config_builder()
    ///     .max_redirects(0)
    ///     .max_idle_connections_per_host(16)
    ///     .build()
    ///     .into();
    /// let client = Client::builder()
    ///     .account_sid("acme")
    ///     .credentials("key", "token")
    ///     .build_with(Ureq::with_agent(agent))?;
    /// # Ok::<(), greenpin_blocking::Error>(())
    /// ```
    pub fn with_agent(agent: ureq::Agent) -> Self {
        Ureq { agent }
    }
}

impl Transport for Ureq {
    type Client = Client;
    const INTERNATIONAL_NUMBERS: bool = cfg!(feature = "international-numbers");

    fn from_config(config: &ClientConfig) -> Result<Self, Error> {
        refuse_https_without_tls(config)?;
        check_roots(config)?;
        let mut builder = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(config.connect_timeout()))
            .timeout_global(Some(config.attempt_timeout()))
            .user_agent(greenpin_core::USER_AGENT);
        if config.is_loopback() {
            builder = builder.proxy(None);
        }
        #[cfg(any(feature = "rustls", feature = "native-tls"))]
        {
            builder = builder.tls_config(tls_config(config));
        }
        let agent = ureq::Agent::with_parts(
            builder.build(),
            DefaultConnector::new(),
            IpLiteralResolver::default(),
        );
        Ok(Ureq { agent })
    }

    fn into_client(self, config: ClientConfig) -> Client {
        Client(BlockingClient::new(config, self))
    }
}

impl BlockingSend for Ureq {
    fn send(
        &self,
        request: Request<Vec<u8>>,
        limits: AttemptLimits,
    ) -> Result<Response<Vec<u8>>, TransportError> {
        let request = self
            .agent
            .configure_request(request)
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(limits.timeout))
            .build();
        let response = self.agent.run(request).map_err(transport_error)?;
        let (parts, mut body) = response.into_parts();
        limits.check_declared_length(&parts.headers)?;
        let body = body
            .with_config()
            .limit(limits.max_response_bytes)
            .read_to_vec()
            .map_err(transport_error)?;
        Ok(Response::from_parts(parts, body))
    }
}

/// The TLS set-up: the operating system's certificate store, as greenpin-async (reqwest)
/// and browsers trust it, so a company's TLS proxy or a private gateway whose authority is
/// installed there is trusted (`SSL_CERT_FILE` and `SSL_CERT_DIR` apply on Linux). ureq's
/// platform verifier takes no roots beside the system's, so a client given roots of its
/// own trusts the system's certificates, read with rustls-native-certs, and those.
#[cfg(any(feature = "rustls", feature = "native-tls"))]
fn tls_config(config: &ClientConfig) -> ureq::tls::TlsConfig {
    use ureq::tls::{Certificate, RootCerts, TlsConfig};
    let builder = TlsConfig::builder();
    #[cfg(all(feature = "native-tls", not(feature = "rustls")))]
    let builder = builder.provider(ureq::tls::TlsProvider::NativeTls);
    if config.root_certificates().is_empty() {
        return builder.root_certs(RootCerts::PlatformVerifier).build();
    }
    let system = rustls_native_certs::load_native_certs();
    let mut roots: Vec<Certificate<'static>> = system
        .certs
        .into_iter()
        .map(|c| Certificate::from_der(c.as_ref()).to_owned())
        .collect();
    roots.extend(
        config
            .root_certificates()
            .iter()
            .map(|c| Certificate::from_der(c.der()).to_owned()),
    );
    builder
        .root_certs(RootCerts::new_with_certs(&roots))
        .build()
}

/// A build without a TLS feature cannot speak to an `https` service: refused when the
/// client is built, rather than every call failing as if a certificate were at fault.
fn refuse_https_without_tls(config: &ClientConfig) -> Result<(), Error> {
    if cfg!(any(feature = "rustls", feature = "native-tls"))
        || !config.context().root().as_str().starts_with("https:")
    {
        return Ok(());
    }
    Err(ConfigError::new(
        "base_url",
        "an https service needs a TLS feature of greenpin-blocking (rustls, the default, or native-tls); this build has none",
    )
    .into())
}

/// Each root the client was given must be a certificate (read by rustls when it is the TLS
/// library): a wrong file is refused when the client is built, not met as a handshake
/// failure at the first call.
fn check_roots(config: &ClientConfig) -> Result<(), Error> {
    #[cfg(feature = "rustls")]
    for (i, root) in config.root_certificates().iter().enumerate() {
        let mut store = rustls::RootCertStore::empty();
        store
            .add(rustls::pki_types::CertificateDer::from(root.der().to_vec()))
            .map_err(|e| {
                ConfigError::new(
                    "root_certificate",
                    format!("certificate {i} cannot be read: {e}"),
                )
            })?;
    }
    let _ = config;
    Ok(())
}

/// Whether an I/O error from ureq is a TLS library's refusal (a handshake or certificate
/// failure), which ureq passes on as I/O.
fn is_tls(io: &std::io::Error) -> bool {
    let mut inner = io.get_ref();
    while let Some(e) = inner {
        #[cfg(feature = "rustls")]
        if e.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        // An I/O error around another: look inside.
        inner = e
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref);
    }
    false
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
        ureq::Error::BodyExceedsLimit(_) => (TransportErrorKind::ResponseTooLarge, true),
        ureq::Error::Timeout(Timeout::Resolve | Timeout::Connect) => {
            (TransportErrorKind::Timeout, false)
        }
        ureq::Error::Timeout(_) => (TransportErrorKind::Timeout, true),
        // Nothing reached the service: no host, no connection, no proxy tunnel (reqwest
        // reports the same failures as connect errors).
        ureq::Error::HostNotFound
        | ureq::Error::ConnectionFailed
        | ureq::Error::ConnectProxyFailed(_) => (TransportErrorKind::Connect, false),
        // No TLS session: the request never left (greenpin-async says the same).
        ureq::Error::TlsRequired | ureq::Error::Tls(_) => (TransportErrorKind::Tls, false),
        #[cfg(feature = "rustls")]
        ureq::Error::Rustls(_) => (TransportErrorKind::Tls, false),
        #[cfg(feature = "native-tls")]
        ureq::Error::NativeTls(_) => (TransportErrorKind::Tls, false),
        ureq::Error::Io(io) if is_tls(io) => (TransportErrorKind::Tls, false),
        ureq::Error::BodyStalled => (TransportErrorKind::Timeout, true),
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
    TransportError::new(kind, sent).with_source(e)
}

/// The README's examples, compiled and run as doctests so they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
