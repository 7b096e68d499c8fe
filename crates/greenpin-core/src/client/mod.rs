//! The clients, minus the I/O. The core owns everything a call does — validation, the
//! request, retries with backoff and `Retry-After`, the whole-call deadline, the retry
//! budget, the response-size cap, tracing and parsing — so the two flavours behave the
//! same by construction. A transport is a send function ([`BlockingSend`] or
//! [`AsyncSend`]); `greenpin-blocking` (ureq) and `greenpin-async` (reqwest) are one each,
//! and another HTTP client or a test double is a few lines (see [`BlockingSend`]).

// config: the builder and its limits, and `Transport` (how a builder makes a transport);
// transport: the send seam; call: one call across its attempts (its retry budget is in
// `retry`); blocking / async_client: the two loops and the methods written out; recover:
// the create that recovers from an unknown outcome; common: what the two client structs
// share (Clone, Debug, constructors).
mod async_client;
mod blocking;
mod call;
mod common;
mod config;
pub(crate) mod recover;
pub(crate) mod tls;
mod transport;

pub use async_client::AsyncClient;
pub use blocking::BlockingClient;
pub use config::{
    ClientBuilder, ClientConfig, DEFAULT_ATTEMPT_TIMEOUT, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, ENV_ACCOUNT_SID, ENV_API_KEY, ENV_API_TOKEN,
    ENV_BASE_URL, MAX_TIMEOUT,
};
pub use transport::{AsyncSend, AttemptLimits, BlockingSend, Transport};

// What users rely on, checked at compile time: clients can be shared across threads and
// cloned; errors can cross threads and live in `Box<dyn Error + Send + Sync>`.
const _: () = {
    const fn shareable<T: Send + Sync + Clone>() {}
    const fn error<T: std::error::Error + Send + Sync + 'static>() {}
    struct AnySend;
    impl BlockingSend for AnySend {
        fn send(
            &self,
            _: http::Request<Vec<u8>>,
            _: AttemptLimits,
        ) -> Result<http::Response<Vec<u8>>, crate::TransportError> {
            Err(crate::TransportError::new(
                crate::TransportErrorKind::Other,
                false,
            ))
        }
    }
    shareable::<BlockingClient<AnySend>>();
    shareable::<AsyncClient<AnySend>>();
    error::<crate::Error>();
    error::<crate::ValidationError>();
    error::<crate::ConfigError>();
    error::<crate::IdError>();
};
