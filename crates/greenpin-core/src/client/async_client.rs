//! The async client: the call loop, with the transport's timer between attempts. Its
//! futures are `Send` whenever the transport's are.

use std::sync::Arc;

use tracing::Instrument;

use crate::BulkUpdateResults;
use crate::body::{BulkSpec, CreateSpec, SettingsSpec, UpdateSpec};
use crate::client::call::{Call, Step};
use crate::client::common::client_common;
use crate::client::config::{ClientBuilder, ClientConfig};
use crate::client::recover::{self, CreateOutcome};
use crate::client::transport::AsyncSend;
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
    ///
    /// # Examples
    /// ```
    /// # let client = greenpin_core::test_util::async_client(greenpin_core::test_util::ALLOCATION);
    /// # greenpin_core::test_util::block_on(async {
    /// # use greenpin_core::GreenPinId;
    /// use greenpin_core::ops::GetAllocation;
    /// let reply = client.execute(&GetAllocation::new(GreenPinId::new("d7ffd4b3-5c1e-4bda-a024-0b1d2a3b4c5d")?)).await?;
    /// assert_eq!(reply.request_id.as_deref(), Some("r-1")); // quote it to Exotel's support
    /// # Ok::<(), greenpin_core::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn execute<O: Operation + Sync>(&self, op: &O) -> Result<Reply<O::Output>, Error> {
        let transport = &*self.transport;
        self.execute_with(op, |retry: RetryWait| async move {
            transport.sleep(retry.wait).await;
            true
        })
        .await
    }

    /// [`execute`](Self::execute), with each wait before a retry left to `before_retry`:
    /// it is called with the retry the client's policy, deadline and budget allow, and its
    /// future does the waiting (it may wait longer: a caller pacing many calls against one
    /// service holds them all) and answers whether to make the attempt; `false` ends the
    /// call with the error of the attempt that failed. The retry decision stays the
    /// client's.
    ///
    /// # Errors
    /// As [`execute`](Self::execute).
    pub async fn execute_with<O, F, W>(
        &self,
        op: &O,
        mut before_retry: F,
    ) -> Result<Reply<O::Output>, Error>
    where
        O: Operation + Sync,
        F: FnMut(RetryWait) -> W,
        W: Future<Output = bool>,
    {
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
                    Step::Retry(retry) => {
                        if !before_retry(retry).await {
                            return Err(call.give_up());
                        }
                    }
                }
            }
        }
        .instrument(span)
        .await
    }

    #[doc = include_str!("docs/create.md")]
    ///
    /// # Examples
    /// ```
    /// # use greenpin_core::PinLength;
    /// # greenpin_core::test_util::block_on(async {
    /// # let client = greenpin_core::test_util::async_client(greenpin_core::test_util::ALLOCATION);
    /// # use greenpin_core::{CreateSpec, PartySpec};
    /// let allocation = client.create(
    ///     &CreateSpec::new("order-42")
    ///         .a(PartySpec::new().number("7987686144").vn("6292134471").pin_length(PinLength::of::<4>()))
    ///         .b(PartySpec::new().number("9956555625"))
    ///         .deallocate_after("2h"),
    /// ).await?;
    /// assert_eq!(allocation.a.pin.unwrap().len(), 4);
    /// # Ok::<(), greenpin_core::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn create(&self, spec: &CreateSpec) -> Result<Allocation, Error> {
        self.execute(&CreateAllocation::new(spec))
            .await
            .map(|r| r.data)
    }

    #[doc = include_str!("docs/create_recovering.md")]
    ///
    /// # Examples
    /// ```
    /// # greenpin_core::test_util::block_on(async {
    /// # let client = greenpin_core::test_util::async_client(greenpin_core::test_util::ALLOCATION);
    /// # use greenpin_core::{CreateSpec, PartySpec};
    /// # use greenpin_core::CreateOutcome;
    /// let spec = CreateSpec::new("order-42")
    ///     .a(PartySpec::new().number("7987686144").vn("6292134471"))
    ///     .b(PartySpec::new().number("9956555625"))
    ///     .deallocate_after("2h");
    /// match client.create_recovering(&spec).await? {
    ///     CreateOutcome::Created(a) | CreateOutcome::CreatedOnResend(a) => println!("{}", a.greenpin_id),
    ///     CreateOutcome::Orphaned { .. } => println!("serve order-42 from another VN"),
    ///     _ => {}
    /// }
    /// # Ok::<(), greenpin_core::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn create_recovering(&self, spec: &CreateSpec) -> Result<CreateOutcome, Error> {
        let op = CreateAllocation::new(spec);
        match recover::after_first(self.execute(&op).await.map(|r| r.data)) {
            recover::AfterFirst::Done(outcome) => outcome,
            recover::AfterFirst::Resend(first) => {
                tracing::info!(error = %first, "create's outcome unknown: sending it again with the same transaction_id");
                recover::after_resend(first, self.execute(&op).await.map(|r| r.data))
            }
        }
    }

    #[doc = include_str!("docs/get.md")]
    ///
    /// # Examples
    /// ```
    /// # greenpin_core::test_util::block_on(async {
    /// # let client = greenpin_core::test_util::async_client(greenpin_core::test_util::ALLOCATION);
    /// let allocation = client.get("d7ffd4b3-5c1e-4bda-a024-0b1d2a3b4c5d").await?;
    /// assert_eq!(allocation.state, greenpin_core::State::Active);
    /// # Ok::<(), greenpin_core::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn get(&self, greenpin_id: impl IntoGreenPinId) -> Result<Allocation, Error> {
        let op = GetAllocation::new(greenpin_id.into_greenpin_id()?);
        self.execute(&op).await.map(|r| r.data)
    }

    #[doc = include_str!("docs/update.md")]
    ///
    /// # Examples
    /// ```
    /// # greenpin_core::test_util::block_on(async {
    /// # let client = greenpin_core::test_util::async_client(greenpin_core::test_util::ALLOCATION);
    /// # use greenpin_core::{UpdateSpec, Usage};
    /// let id = "d7ffd4b3-5c1e-4bda-a024-0b1d2a3b4c5d";
    /// let allocation = client.update(id, &UpdateSpec::new().usage(Usage::Twoway).deallocate_after("20m")).await?;
    /// assert_eq!(allocation.usage, Usage::Twoway);
    /// # Ok::<(), greenpin_core::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn update(
        &self,
        greenpin_id: impl IntoGreenPinId,
        spec: &UpdateSpec,
    ) -> Result<Allocation, Error> {
        let op = UpdateAllocation::new(greenpin_id.into_greenpin_id()?, spec);
        self.execute(&op).await.map(|r| r.data)
    }

    #[doc = include_str!("docs/bulk_update.md")]
    ///
    /// # Examples
    /// ```
    /// # greenpin_core::test_util::block_on(async {
    /// # let client = greenpin_core::test_util::async_client(greenpin_core::test_util::BULK);
    /// # use greenpin_core::{BulkItemSpec, BulkSpec, Usage};
    /// let spec = BulkSpec::new()
    ///     .item(BulkItemSpec::new("d7ffd4b3-5c1e-4bda-a024-0b1d2a3b4c5d").usage(Usage::Oneway));
    /// let results = client.bulk_update(&spec).await?;
    /// for r in &results.greenpins {
    ///     println!("{:?} applied: {}", r.greenpin_id, r.success); // match by id, not position
    /// }
    /// # Ok::<(), greenpin_core::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn bulk_update(&self, spec: &BulkSpec) -> Result<BulkUpdateResults, Error> {
        self.execute(&BulkUpdate::new(spec)).await.map(|r| r.data)
    }

    #[doc = include_str!("docs/delete.md")]
    ///
    /// # Examples
    /// ```
    /// # greenpin_core::test_util::block_on(async {
    /// # let client = greenpin_core::test_util::async_client(greenpin_core::test_util::ALLOCATION);
    /// let now = client.delete("d7ffd4b3-5c1e-4bda-a024-0b1d2a3b4c5d").await?;
    /// println!("{:?}", now.map(|a| a.state));
    /// # Ok::<(), greenpin_core::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn delete(
        &self,
        greenpin_id: impl IntoGreenPinId,
    ) -> Result<Option<Allocation>, Error> {
        let op = DeleteAllocation::new(greenpin_id.into_greenpin_id()?);
        self.execute(&op).await.map(|r| r.data)
    }

    #[doc = include_str!("docs/settings.md")]
    ///
    /// # Examples
    /// ```
    /// # greenpin_core::test_util::block_on(async {
    /// # let client = greenpin_core::test_util::async_client(greenpin_core::test_util::SETTINGS);
    /// let settings = client.settings().await?;
    /// assert_eq!(settings.country, Some(greenpin_core::Country::IN));
    /// # Ok::<(), greenpin_core::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn settings(&self) -> Result<Settings, Error> {
        self.execute(&GetSettings::new()).await.map(|r| r.data)
    }

    #[doc = include_str!("docs/update_settings.md")]
    ///
    /// # Examples
    /// ```
    /// # greenpin_core::test_util::block_on(async {
    /// # let client = greenpin_core::test_util::async_client(greenpin_core::test_util::SETTINGS);
    /// # use greenpin_core::{SettingsSpec, Timezone};
    /// let settings = client.update_settings(&SettingsSpec::new().timezone(Timezone::Ist)).await?;
    /// assert_eq!(settings.timezone, Some(Timezone::Ist));
    /// # Ok::<(), greenpin_core::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn update_settings(&self, spec: &SettingsSpec) -> Result<Settings, Error> {
        self.execute(&UpdateSettings::new(spec))
            .await
            .map(|r| r.data)
    }
}
