//! The clients, minus the I/O. The core owns everything a call does — validation, the
//! request, retries with backoff and `Retry-After`, the whole-call deadline, the retry
//! budget, the response-size cap, tracing and parsing — so the two flavours behave the
//! same by construction. A transport is a send function ([`BlockingSend`] or
//! [`AsyncSend`]); `greenpin-blocking` and `greenpin-async` are one each.
//!
//! | piece | file |
//! |---|---|
//! | configuration and the builder | `config.rs` |
//! | the seam to an HTTP client | `transport.rs` |
//! | one call across its attempts | `call.rs` |
//! | the retry budget | `budget.rs` |
//! | the blocking and async loops | `blocking.rs`, `nonblocking.rs` |
//! | the seven methods and the constructors, written once for both | `methods.rs` |

mod blocking;
mod budget;
mod call;
mod config;
mod methods;
mod nonblocking;
mod transport;

pub use blocking::BlockingClient;
pub use budget::RetryBudget;
pub use config::{
    ClientBuilder, ClientConfig, DEFAULT_ATTEMPT_TIMEOUT, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, ENV_ACCOUNT_SID, ENV_API_KEY, ENV_API_TOKEN,
    ENV_BASE_URL, MAX_TIMEOUT,
};
pub use nonblocking::AsyncClient;
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
