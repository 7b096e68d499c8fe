//! The async client: the call loop, with the transport's timer between attempts. Its
//! futures are `Send` whenever the transport's are.

use std::fmt;
use std::sync::Arc;

use tracing::Instrument;

use crate::body::{BulkSpec, CreateSpec, SettingsSpec, UpdateSpec};
use crate::client::budget::RetryBudget;
use crate::client::call::{Call, Step};
use crate::client::config::{ClientBuilder, ClientConfig};
use crate::client::methods::client_methods;
use crate::client::transport::AsyncSend;
use crate::envelope::Reply;
use crate::error::Error;
use crate::ids::IntoGreenPinId;
use crate::ops::{
    BulkUpdate, BulkUpdateResults, CreateAllocation, DeleteAllocation, GetAllocation, GetSettings,
    Operation, UpdateAllocation, UpdateSettings,
};
use crate::{Allocation, Settings};

/// An async GreenPin client over an [`AsyncSend`] transport. `greenpin_async::Client` is
/// this over reqwest. Cheap to clone: clones share the transport (its connection pool) and
/// the retry budget.
pub struct AsyncClient<T> {
    transport: Arc<T>,
    config: Arc<ClientConfig>,
    budget: Arc<RetryBudget>,
}

impl<T> Clone for AsyncClient<T> {
    fn clone(&self) -> Self {
        AsyncClient {
            transport: Arc::clone(&self.transport),
            config: Arc::clone(&self.config),
            budget: Arc::clone(&self.budget),
        }
    }
}

impl<T> fmt::Debug for AsyncClient<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncClient")
            .field("config", &self.config)
            .field("retry_budget", &self.budget.available())
            .finish_non_exhaustive()
    }
}

impl<T: AsyncSend> AsyncClient<T> {
    /// A client of `config` over `transport`.
    pub fn new(config: ClientConfig, transport: T) -> Self {
        let budget = Arc::new(RetryBudget::new(&config.retry));
        AsyncClient {
            transport: Arc::new(transport),
            config: Arc::new(config),
            budget,
        }
    }

    /// A builder with the defaults.
    pub fn builder() -> ClientBuilder<T> {
        ClientBuilder::new()
    }

    /// A builder reading `EXOTEL_ACCOUNT_SID`, `EXOTEL_API_KEY`, `EXOTEL_API_TOKEN` and
    /// `GREENPIN_BASE_URL`.
    pub fn from_env() -> ClientBuilder<T> {
        ClientBuilder::from_env()
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The retry budget this client and its clones share.
    pub fn retry_budget(&self) -> &RetryBudget {
        &self.budget
    }

    /// Runs any operation, retrying as the policy, the deadline and the budget allow. The
    /// [`Reply`] carries the service's `request_id` beside the data.
    ///
    /// # Errors
    /// Whatever the operation can answer; see the seven methods.
    pub async fn execute<O: Operation + Sync>(&self, op: &O) -> Result<Reply<O::Output>, Error> {
        let mut call = Call::new(op, &self.config, &self.budget)?;
        let span = call.span().clone();
        async move {
            loop {
                let (request, limits, attempt) = call.attempt();
                let result = self
                    .transport
                    .send(request, limits)
                    .instrument(attempt)
                    .await;
                match call.on_result(result) {
                    Step::Done(result) => return result,
                    Step::Retry(wait) => self.transport.sleep(wait).await,
                }
            }
        }
        .instrument(span)
        .await
    }

    client_methods!(
        ctor = "nonblocking",
        open = "# greenpin_core::client::doc_support::block_on(async {\n",
        close = "# Ok::<(), greenpin_core::Error>(())\n# }).unwrap();",
        awaiting = ".await";
        async; .await
    );
}
