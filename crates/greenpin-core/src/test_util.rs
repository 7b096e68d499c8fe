//! Test doubles for code that uses the clients (feature `test-util`): clients over a canned
//! transport that answers every request with one body, the documented answers, and a
//! minimal executor for the async client (its canned futures are ready at once). The
//! rustdoc examples of the clients' methods run on these.
//!
//! A test double of your own is one closure — a blocking send function:
//!
//! ```
//! # use greenpin_core::client::{BlockingClient, ClientBuilder};
//! let config = ClientBuilder::<greenpin_core::test_util::Canned>::new()
//!     .account_sid("sid").credentials("key", "token").build_config()?;
//! let client = BlockingClient::new(config, |_req: http::Request<Vec<u8>>, _limits| {
//!     Ok(http::Response::new(greenpin_core::test_util::SETTINGS.as_bytes().to_vec()))
//! });
//! assert_eq!(client.settings()?.country, Some(greenpin_core::Country::IN));
//! # Ok::<(), greenpin_core::Error>(())
//! ```

use std::future::Future;
use std::time::Duration;

use http::{Request, Response};

use crate::client::{
    AsyncClient, AsyncSend, AttemptLimits, BlockingClient, BlockingSend, ClientBuilder,
    ClientConfig,
};
use crate::error::TransportError;

/// The body of Exotel's documented Update example (`PUT /greenpin/{greenpin_id}`), with
/// real numbers in place of the documentation's masked placeholders (`629XXXXX71`). Note
/// `pin_length` written once as a number and once as a string, as the documentation does.
///
/// ```
/// # use greenpin_core::{UpdateSpec, ValidationContext, test_util::DOCUMENTED_UPDATE};
/// let spec: UpdateSpec = serde_json::from_str(DOCUMENTED_UPDATE).unwrap();
/// assert!(spec.validate(&ValidationContext::default()).is_ok());
/// ```
pub const DOCUMENTED_UPDATE: &str = r#"{
  "a": {"vns": ["6292134471", "6292134464"], "numbers": ["7987686144"], "pin": "123", "pin_length": 3},
  "b": {"vns": ["6292134465", "6292134464"], "numbers": ["9956555625"], "pin": "234", "pin_length": "3"},
  "usage": "twoway",
  "deallocation_policy": {"duration": "1200s"}
}"#;

/// An allocation, as the service answers create, get, update and delete.
pub const ALLOCATION: &str = r#"{"request_id":"r-1","success":true,"status":200,"data":{"greenpin_id":"d7ffd4b3-5c1e-4bda-a024-0b1d2a3b4c5d","transaction_id":"order-42","a":{"vns":["+916292134471"],"numbers":["+917987686144"],"pin":"1234"},"b":{"numbers":["+919956555625"]},"usage":"twoway","state":"active","deallocation_time":"2026-11-29 18:00:00"}}"#;
/// A bulk answer with one applied item.
pub const BULK: &str = r#"{"success":true,"status":200,"data":{"greenpins":[{"greenpin_id":"d7ffd4b3-5c1e-4bda-a024-0b1d2a3b4c5d","success":true,"status":200,"data":{"greenpin_id":"d7ffd4b3-5c1e-4bda-a024-0b1d2a3b4c5d","usage":"oneway","state":"active"}}]}}"#;
/// The account settings.
pub const SETTINGS: &str = r#"{"success":true,"status":200,"data":{"country":"IN","intl_num_sup":"false","max_deallocation_time":"170d","timezone":"IST"}}"#;

/// A transport that answers every request with the same body.
#[derive(Debug, Clone, Copy)]
pub struct Canned(pub &'static str);

impl BlockingSend for Canned {
    fn send(
        &self,
        _: Request<Vec<u8>>,
        _: AttemptLimits,
    ) -> Result<Response<Vec<u8>>, TransportError> {
        Ok(Response::new(self.0.as_bytes().to_vec()))
    }
}

impl AsyncSend for Canned {
    async fn send(
        &self,
        _: Request<Vec<u8>>,
        _: AttemptLimits,
    ) -> Result<Response<Vec<u8>>, TransportError> {
        Ok(Response::new(self.0.as_bytes().to_vec()))
    }

    async fn sleep(&self, _: Duration) {}
}

fn config() -> ClientConfig {
    match ClientBuilder::<Canned>::new()
        .account_sid("your_sid")
        .credentials("api_key", "api_token")
        .build_config()
    {
        Ok(c) => c,
        Err(e) => unreachable!("a fixed, valid configuration: {e}"),
    }
}

/// A blocking client answering `body` to everything.
pub fn blocking_client(body: &'static str) -> BlockingClient<Canned> {
    BlockingClient::new(config(), Canned(body))
}

/// An async client answering `body` to everything.
pub fn async_client(body: &'static str) -> AsyncClient<Canned> {
    AsyncClient::new(config(), Canned(body))
}

/// Runs a future whose awaits are all ready at once (the canned client's).
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

/// Fails unless the generated file at `path` holds `want`, naming `cargo xtask codegen`;
/// with `GREENPIN_CODEGEN=write` (what that command sets) it writes `want` there instead.
/// The one freshness check of the workspace's generated files (the prefix table, the
/// countries, the OpenAPI documents, the error codes).
///
/// ```no_run
/// greenpin_core::test_util::assert_generated_fresh(std::path::Path::new("docs/x.md"), "# x\n");
/// ```
pub fn assert_generated_fresh(path: &std::path::Path, want: &str) {
    if std::env::var("GREENPIN_CODEGEN").as_deref() == Ok("write") {
        if let Err(e) = std::fs::write(path, want) {
            panic!("cannot write {}: {e}", path.display());
        }
        return;
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        have == want,
        "{} is stale: run `cargo xtask codegen` and commit the result",
        path.display()
    );
}
