//! The blocking client: the call loop, with a thread sleep between attempts.

use std::sync::Arc;

use crate::body::{BulkSpec, CreateSpec, SettingsSpec, UpdateSpec};
use crate::client::budget::RetryBudget;
use crate::client::call::{Call, Step};
use crate::client::config::{ClientBuilder, ClientConfig};
use crate::client::methods::{client_common, client_methods};
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

client_common!(BlockingClient, BlockingSend);

impl<T: BlockingSend> BlockingClient<T> {
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
