//! What one attempt came to — the service's status, or a transport failure of some kind —
//! as plain facts. The retry decision ([`crate::retry`]) reads them and the error type
//! ([`crate::Error::outcome`]) produces them, so neither needs the other: the arrows run
//! `error → retry → outcome`, never back.

use std::time::Duration;

use http::StatusCode;

/// What kind of transport failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// Could not connect (refused, no such host). The request never left.
    Connect,
    /// The TLS handshake failed: the service's certificate is not trusted (by the operating
    /// system's store, or a root the client was given), has expired or names another host,
    /// or no common protocol was found. The request never left. Not transient: trying
    /// again meets the same certificate.
    Tls,
    /// An attempt, or the whole call, ran out of time.
    Timeout,
    /// The connection broke while sending or receiving.
    Io,
    /// The answer was larger than the client's `max_response_bytes`; reading stopped there.
    ResponseTooLarge,
    /// Anything else.
    Other,
}

/// What one attempt came to, as far as retrying cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The service answered with this status (and maybe `Retry-After`).
    Status {
        /// The status.
        status: StatusCode,
        /// The `Retry-After` delay.
        retry_after: Option<Duration>,
    },
    /// No answer.
    Transport {
        /// What failed.
        kind: TransportErrorKind,
        /// Whether the request may have reached the service.
        may_have_been_sent: bool,
    },
}
