//! The async client: the call loop, with the transport's timer between attempts. Its
//! futures are `Send` whenever the transport's are.

use std::sync::Arc;

use tracing::Instrument;

use crate::body::{BulkSpec, CreateSpec, SettingsSpec, UpdateSpec};
use crate::client::budget::RetryBudget;
use crate::client::call::{Call, Step};
use crate::client::config::{ClientBuilder, ClientConfig};
use crate::client::methods::{client_common, client_methods};
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

client_common!(AsyncClient, AsyncSend);

impl<T: AsyncSend> AsyncClient<T> {
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
        open = "# greenpin_core::test_util::block_on(async {\n",
        close = "# Ok::<(), greenpin_core::Error>(())\n# }).unwrap();",
        awaiting = ".await";
        async; .await
    );
}
