//! The blocking client: the call loop, with a thread sleep between attempts.

use std::sync::Arc;

use crate::BulkUpdateResults;
use crate::body::{BulkSpec, CreateSpec, SettingsSpec, UpdateSpec};
use crate::client::call::{Call, Step};
use crate::client::common::client_common;
use crate::client::config::{ClientBuilder, ClientConfig};
use crate::client::recover::{self, CreateOutcome};
use crate::client::transport::BlockingSend;
use crate::envelope::Reply;
use crate::error::Error;
use crate::ids::IntoGreenPinId;
use crate::ops::{
    BulkUpdate, CreateAllocation, DeleteAllocation, GetAllocation, GetSettings, Operation,
    UpdateAllocation, UpdateSettings,
};
use crate::retry::RetryBudget;
use crate::retry::RetryWait;
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
    ///
    /// # Examples
    /// ```
    /// # let client = greenpin_core::test_util::blocking_client(greenpin_core::test_util::ALLOCATION);
    /// # use greenpin_core::GreenPinId;
    /// use greenpin_core::ops::GetAllocation;
    /// let reply = client.execute(&GetAllocation::new(GreenPinId::new("d7ffd4b3-5c1e-4bda-a024-0b1d2a3b4c5d")?))?;
    /// assert_eq!(reply.request_id.as_deref(), Some("r-1")); // quote it to Exotel's support
    /// assert_eq!(reply.data.transaction_id.unwrap().as_str(), "order-42");
    /// # Ok::<(), greenpin_core::Error>(())
    /// ```
    pub fn execute<O: Operation + Sync>(&self, op: &O) -> Result<Reply<O::Output>, Error> {
        self.execute_with(op, |retry| {
            std::thread::sleep(retry.wait);
            true
        })
    }

    /// [`execute`](Self::execute), with each wait before a retry left to `before_retry`:
    /// it is called with the retry the client's policy, deadline and budget allow, does the
    /// waiting itself (it may wait longer: a caller pacing many calls against one service
    /// holds them all), and answers whether to make the attempt; `false` ends the call with
    /// the error of the attempt that failed. The retry decision stays the client's.
    ///
    /// # Errors
    /// As [`execute`](Self::execute).
    ///
    /// # Examples
    /// ```
    /// # let client = greenpin_core::test_util::blocking_client(greenpin_core::test_util::SETTINGS);
    /// use greenpin_core::ops::GetSettings;
    /// let mut waits = Vec::new();
    /// let reply = client.execute_with(&GetSettings::new(), |retry| {
    ///     waits.push(retry.wait);
    ///     std::thread::sleep(retry.wait);
    ///     true
    /// })?;
    /// assert!(waits.is_empty()); // answered at once: nothing to retry
    /// # Ok::<(), greenpin_core::Error>(())
    /// ```
    pub fn execute_with<O: Operation + Sync>(
        &self,
        op: &O,
        mut before_retry: impl FnMut(RetryWait) -> bool,
    ) -> Result<Reply<O::Output>, Error> {
        let mut call = Call::new(op, &self.config, &self.budget)?;
        let span = call.span().clone();
        let _entered = span.enter();
        loop {
            let (request, limits, attempt) = call.attempt();
            let result = attempt.in_scope(|| self.transport.send(request, limits));
            match call.on_result(result) {
                Step::Done(result) => return result,
                Step::Retry(retry) => {
                    if !before_retry(retry) {
                        return Err(call.give_up());
                    }
                }
            }
        }
    }

    #[doc = include_str!("docs/create.md")]
    ///
    /// # Examples
    /// ```
    /// # let client = greenpin_core::test_util::blocking_client(greenpin_core::test_util::ALLOCATION);
    /// # use greenpin_core::{CreateSpec, PartySpec};
    /// let allocation = client.create(
    ///     &CreateSpec::new("order-42")
    ///         .a(PartySpec::new().number("7987686144").vn("6292134471").pin_length(greenpin_core::PinLength::of::<4>()))
    ///         .b(PartySpec::new().number("9956555625"))
    ///         .deallocate_after("2h"),
    /// )?;
    /// assert_eq!(allocation.a.pin.unwrap().len(), 4);
    /// # Ok::<(), greenpin_core::Error>(())
    /// ```
    pub fn create(&self, spec: &CreateSpec) -> Result<Allocation, Error> {
        self.execute(&CreateAllocation::new(spec)).map(|r| r.data)
    }

    #[doc = include_str!("docs/create_recovering.md")]
    ///
    /// # Examples
    /// ```
    /// # let client = greenpin_core::test_util::blocking_client(greenpin_core::test_util::ALLOCATION);
    /// # use greenpin_core::{CreateSpec, PartySpec};
    /// # use greenpin_core::CreateOutcome;
    /// let spec = CreateSpec::new("order-42")
    ///     .a(PartySpec::new().number("7987686144").vn("6292134471"))
    ///     .b(PartySpec::new().number("9956555625"))
    ///     .deallocate_after("2h");
    /// match client.create_recovering(&spec)? {
    ///     CreateOutcome::Created(a) | CreateOutcome::CreatedOnResend(a) => println!("{}", a.greenpin_id),
    ///     CreateOutcome::Orphaned { .. } => println!("serve order-42 from another VN"),
    ///     _ => {}
    /// }
    /// # Ok::<(), greenpin_core::Error>(())
    /// ```
    pub fn create_recovering(&self, spec: &CreateSpec) -> Result<CreateOutcome, Error> {
        let op = CreateAllocation::new(spec);
        match recover::after_first(self.execute(&op).map(|r| r.data)) {
            recover::AfterFirst::Done(outcome) => outcome,
            recover::AfterFirst::Resend(first) => {
                tracing::info!(error = %first, "create's outcome unknown: sending it again with the same transaction_id");
                recover::after_resend(first, self.execute(&op).map(|r| r.data))
            }
        }
    }

    #[doc = include_str!("docs/get.md")]
    ///
    /// # Examples
    /// ```
    /// # let client = greenpin_core::test_util::blocking_client(greenpin_core::test_util::ALLOCATION);
    /// let allocation = client.get("d7ffd4b3-5c1e-4bda-a024-0b1d2a3b4c5d")?;
    /// assert_eq!(allocation.state, greenpin_core::State::Active);
    /// # Ok::<(), greenpin_core::Error>(())
    /// ```
    pub fn get(&self, greenpin_id: impl IntoGreenPinId) -> Result<Allocation, Error> {
        let op = GetAllocation::new(greenpin_id.into_greenpin_id()?);
        self.execute(&op).map(|r| r.data)
    }

    #[doc = include_str!("docs/update.md")]
    ///
    /// # Examples
    /// ```
    /// # let client = greenpin_core::test_util::blocking_client(greenpin_core::test_util::ALLOCATION);
    /// # use greenpin_core::{UpdateSpec, Usage};
    /// let id = "d7ffd4b3-5c1e-4bda-a024-0b1d2a3b4c5d";
    /// let allocation = client.update(id, &UpdateSpec::new().usage(Usage::Twoway).deallocate_after("20m"))?;
    /// assert_eq!(allocation.usage, Usage::Twoway);
    /// # Ok::<(), greenpin_core::Error>(())
    /// ```
    pub fn update(
        &self,
        greenpin_id: impl IntoGreenPinId,
        spec: &UpdateSpec,
    ) -> Result<Allocation, Error> {
        let op = UpdateAllocation::new(greenpin_id.into_greenpin_id()?, spec);
        self.execute(&op).map(|r| r.data)
    }

    #[doc = include_str!("docs/bulk_update.md")]
    ///
    /// # Examples
    /// ```
    /// # let client = greenpin_core::test_util::blocking_client(greenpin_core::test_util::BULK);
    /// # use greenpin_core::{BulkItemSpec, BulkSpec, Usage};
    /// let spec = BulkSpec::new()
    ///     .item(BulkItemSpec::new("d7ffd4b3-5c1e-4bda-a024-0b1d2a3b4c5d").usage(Usage::Oneway));
    /// let results = client.bulk_update(&spec)?;
    /// for r in &results.greenpins {
    ///     println!("{:?} applied: {}", r.greenpin_id, r.success); // match by id, not position
    /// }
    /// # Ok::<(), greenpin_core::Error>(())
    /// ```
    pub fn bulk_update(&self, spec: &BulkSpec) -> Result<BulkUpdateResults, Error> {
        self.execute(&BulkUpdate::new(spec)).map(|r| r.data)
    }

    #[doc = include_str!("docs/delete.md")]
    ///
    /// # Examples
    /// ```
    /// # let client = greenpin_core::test_util::blocking_client(greenpin_core::test_util::ALLOCATION);
    /// let now = client.delete("d7ffd4b3-5c1e-4bda-a024-0b1d2a3b4c5d")?;
    /// println!("{:?}", now.map(|a| a.state));
    /// # Ok::<(), greenpin_core::Error>(())
    /// ```
    pub fn delete(&self, greenpin_id: impl IntoGreenPinId) -> Result<Option<Allocation>, Error> {
        let op = DeleteAllocation::new(greenpin_id.into_greenpin_id()?);
        self.execute(&op).map(|r| r.data)
    }

    #[doc = include_str!("docs/settings.md")]
    ///
    /// # Examples
    /// ```
    /// # let client = greenpin_core::test_util::blocking_client(greenpin_core::test_util::SETTINGS);
    /// let settings = client.settings()?;
    /// assert_eq!(settings.country, Some(greenpin_core::Country::IN));
    /// # Ok::<(), greenpin_core::Error>(())
    /// ```
    pub fn settings(&self) -> Result<Settings, Error> {
        self.execute(&GetSettings::new()).map(|r| r.data)
    }

    #[doc = include_str!("docs/update_settings.md")]
    ///
    /// # Examples
    /// ```
    /// # let client = greenpin_core::test_util::blocking_client(greenpin_core::test_util::SETTINGS);
    /// # use greenpin_core::{SettingsSpec, Timezone};
    /// let settings = client.update_settings(&SettingsSpec::new().timezone(Timezone::Ist))?;
    /// assert_eq!(settings.timezone, Some(Timezone::Ist));
    /// # Ok::<(), greenpin_core::Error>(())
    /// ```
    pub fn update_settings(&self, spec: &SettingsSpec) -> Result<Settings, Error> {
        self.execute(&UpdateSettings::new(spec)).map(|r| r.data)
    }
}
