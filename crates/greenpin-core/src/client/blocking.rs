//! The blocking client: the call loop, with a thread sleep between attempts.

use std::fmt;
use std::sync::Arc;

use crate::body::{BulkSpec, CreateSpec, SettingsSpec, UpdateSpec};
use crate::client::budget::RetryBudget;
use crate::client::call::{Call, Step};
use crate::client::config::{ClientBuilder, ClientConfig};
use crate::client::methods::client_methods;
use crate::client::transport::BlockingSend;
use crate::envelope::Reply;
use crate::error::Error;
use crate::ids::IntoGreenPinId;
use crate::ops::{
    BulkUpdate, BulkUpdateResults, CreateAllocation, DeleteAllocation, GetAllocation, GetSettings,
    Operation, UpdateAllocation, UpdateSettings,
};
use crate::{Allocation, Settings};

/// A blocking GreenPin client over a [`BlockingSend`] transport. `greenpin_blocking::Client`
/// is this over ureq. Cheap to clone: clones share the transport (its connection pool) and
/// the retry budget.
pub struct BlockingClient<T> {
    transport: Arc<T>,
    config: Arc<ClientConfig>,
    budget: Arc<RetryBudget>,
}

impl<T> Clone for BlockingClient<T> {
    fn clone(&self) -> Self {
        BlockingClient {
            transport: Arc::clone(&self.transport),
            config: Arc::clone(&self.config),
            budget: Arc::clone(&self.budget),
        }
    }
}

impl<T> fmt::Debug for BlockingClient<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingClient")
            .field("config", &self.config)
            .field("retry_budget", &self.budget.available())
            .finish_non_exhaustive()
    }
}

impl<T: BlockingSend> BlockingClient<T> {
    /// A client of `config` over `transport`.
    pub fn new(config: ClientConfig, transport: T) -> Self {
        let budget = Arc::new(RetryBudget::new(&config.retry));
        BlockingClient {
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
    pub fn execute<O: Operation + Sync>(&self, op: &O) -> Result<Reply<O::Output>, Error> {
        let mut call = Call::new(op, &self.config, &self.budget)?;
        let span = call.span().clone();
        let _entered = span.enter();
        loop {
            let (request, limits, attempt) = call.attempt();
            let result = attempt.in_scope(|| self.transport.send(request, limits));
            match call.on_result(result) {
                Step::Done(result) => return result,
                Step::Retry(wait) => std::thread::sleep(wait),
            }
        }
    }

    client_methods!(
        ctor = "blocking",
        open = "",
        close = "# Ok::<(), greenpin_core::Error>(())",
        awaiting = "";
        ;
    );
}
