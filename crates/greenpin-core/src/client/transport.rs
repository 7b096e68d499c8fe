//! The seam between the SDK and an HTTP client: one send function.
//!
//! A transport takes a finished `http::Request<Vec<u8>>` and the limits of one attempt, and
//! gives back the whole `http::Response<Vec<u8>>` or a typed [`TransportError`]. It does
//! not retry, follow redirects, parse bodies or log: the core's clients do all of that, the
//! same way for every transport. `greenpin-blocking` (ureq) and `greenpin-async` (reqwest)
//! are a send function each; a test double or another HTTP client is a few lines.

use std::future::Future;
use std::time::Duration;

use http::{Request, Response};

use crate::error::TransportError;

use super::{ClientBuilder, ClientConfig};

/// The limits of one attempt, which a transport must enforce while it sends and reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct AttemptLimits {
    /// Time for the whole attempt, answer body included: the configured attempt timeout,
    /// shortened to what is left of the call's deadline.
    pub timeout: Duration,
    /// Largest answer body to read; a longer one is
    /// [`TransportErrorKind::ResponseTooLarge`](crate::TransportErrorKind::ResponseTooLarge).
    pub max_response_bytes: u64,
}

impl AttemptLimits {
    /// Limits of `timeout` and `max_response_bytes`.
    pub fn new(timeout: Duration, max_response_bytes: u64) -> Self {
        AttemptLimits {
            timeout,
            max_response_bytes,
        }
    }

    /// Refuses an answer whose `Content-Length` already says it is too large, before a
    /// byte of its body is read.
    pub fn check_declared_length(&self, headers: &http::HeaderMap) -> Result<(), TransportError> {
        let declared = headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        match declared {
            Some(n) if n > self.max_response_bytes => Err(TransportError::new(
                crate::TransportErrorKind::ResponseTooLarge,
                true,
            )),
            _ => Ok(()),
        }
    }
}

/// A blocking send function: what [`BlockingClient`](super::BlockingClient) needs.
///
/// A closure is one, so a test double is a line — here, a service that answers every
/// request with the account's settings:
///
/// ```
/// # use greenpin_core::client::{AttemptLimits, BlockingClient, ClientBuilder};
///
/// let config = ClientBuilder::<()>::new()
///     .account_sid("acme")
///     .credentials("key", "token")
///     .build_config()?;
/// let client = BlockingClient::new(config, |_: http::Request<Vec<u8>>, _: AttemptLimits| {
///     Ok(http::Response::new(
///         br#"{"success":true,"status":200,"data":{"country":"IN","timezone":"IST"}}"#.to_vec(),
///     ))
/// });
/// assert_eq!(client.settings()?.country, Some(greenpin_core::Country::IN));
/// # Ok::<(), greenpin_core::Error>(())
/// ```
///
/// A transport of your own implements it on its type, the way `greenpin-blocking` does
/// for ureq.
pub trait BlockingSend: Send + Sync {
    /// Sends `request` and reads the whole answer within `limits`. Answers of every status
    /// are answers (the core reads error envelopes); redirects must not be followed.
    fn send(
        &self,
        request: Request<Vec<u8>>,
        limits: AttemptLimits,
    ) -> Result<Response<Vec<u8>>, TransportError>;
}

/// Any function from a request and its limits to an answer is a blocking send function.
impl<F> BlockingSend for F
where
    F: Fn(Request<Vec<u8>>, AttemptLimits) -> Result<Response<Vec<u8>>, TransportError>
        + Send
        + Sync,
{
    fn send(
        &self,
        request: Request<Vec<u8>>,
        limits: AttemptLimits,
    ) -> Result<Response<Vec<u8>>, TransportError> {
        self(request, limits)
    }
}

/// An async send function and a timer: what [`AsyncClient`](super::AsyncClient) needs.
/// Both futures are `Send`, so a client can be used from any task.
pub trait AsyncSend: Send + Sync {
    /// Sends `request` and reads the whole answer within `limits`. Answers of every status
    /// are answers; redirects must not be followed.
    fn send(
        &self,
        request: Request<Vec<u8>>,
        limits: AttemptLimits,
    ) -> impl Future<Output = Result<Response<Vec<u8>>, TransportError>> + Send;

    /// Waits `duration` (between attempts).
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send;
}

/// A transport a [`ClientBuilder`](super::ClientBuilder) can make from a configuration,
/// and the client it makes. Implemented by `greenpin_blocking::Ureq` and
/// `greenpin_async::Reqwest`; a transport of your own only needs it to be built by
/// `ClientBuilder::build` (use [`BlockingClient::new`](super::BlockingClient::new) or
/// [`AsyncClient::new`](super::AsyncClient::new) otherwise).
pub trait Transport: Sized {
    /// The client: `BlockingClient<Self>` or `AsyncClient<Self>`, or a type of the
    /// transport's crate around one.
    type Client;

    /// Whether clients over this transport check numbers that need libphonenumber's
    /// metadata unless told otherwise ([`ClientBuilder::international_numbers`](super::ClientBuilder::international_numbers)): the
    /// transport crate's own `international-numbers` feature, not greenpin-core's, which
    /// any crate in the build can turn on.
    const INTERNATIONAL_NUMBERS: bool;

    /// The transport this configuration asks for (timeouts, no redirects, proxies).
    fn from_config(config: &ClientConfig) -> Result<Self, crate::Error>;

    /// The client over this transport.
    fn into_client(self, config: ClientConfig) -> Self::Client;
}

/// Building a client needs a transport: these live beside the trait that makes one.
impl<T: Transport> ClientBuilder<T> {
    /// Builds the client over the transport this configuration asks for.
    pub fn build(self) -> Result<T::Client, crate::Error> {
        let config = self.config_with(T::INTERNATIONAL_NUMBERS)?;
        let transport = T::from_config(&config)?;
        Ok(transport.into_client(config))
    }

    /// Builds the client over a transport you made (your own HTTP client, say).
    ///
    /// The transport is used as you built it: its TLS, connect timeout and proxies are its
    /// own, and the SDK still sets each attempt's timeout and reads no redirect. Root
    /// certificates cannot reach a client already built, so a builder holding any
    /// ([`add_root_certificate`](ClientBuilder::add_root_certificate)) is refused here
    /// rather than left to fail at the first handshake: give them to your HTTP client.
    ///
    /// # Errors
    ///
    /// What [`build`](Self::build) refuses in the configuration, and a
    /// [`ConfigError`](crate::ConfigError) naming `root_certificate` when root certificates
    /// were given to this builder.
    pub fn build_with(self, transport: T) -> Result<T::Client, crate::Error> {
        let config = self.config_with(T::INTERNATIONAL_NUMBERS)?;
        if !config.root_certificates().is_empty() {
            return Err(crate::ConfigError::new(
                "root_certificate",
                "a transport you built keeps its own TLS: give these roots to your HTTP client when you build it",
            )
            .into());
        }
        Ok(transport.into_client(config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RootCertificate;

    /// A transport whose client is the configuration it was given.
    struct Made;

    impl Transport for Made {
        type Client = ClientConfig;
        const INTERNATIONAL_NUMBERS: bool = false;

        fn from_config(_: &ClientConfig) -> Result<Self, crate::Error> {
            Ok(Made)
        }

        fn into_client(self, config: ClientConfig) -> ClientConfig {
            config
        }
    }

    fn builder() -> ClientBuilder<Made> {
        ClientBuilder::new()
            .account_sid("acme")
            .credentials("key", "token")
    }

    #[test]
    fn roots_go_to_the_transport_the_sdk_makes_and_are_refused_for_one_you_made() {
        let root = RootCertificate::from_der(b"a root".to_vec());
        let made = builder()
            .add_root_certificate(root.clone())
            .build()
            .unwrap();
        assert_eq!(made.root_certificates().len(), 1);
        let e = builder()
            .add_root_certificate(root)
            .build_with(Made)
            .unwrap_err();
        assert!(
            matches!(&e, crate::Error::Config(c) if c.setting() == "root_certificate"),
            "{e}"
        );
        assert!(e.to_string().contains("your HTTP client"), "{e}");
        assert!(builder().build_with(Made).is_ok());
    }
}
