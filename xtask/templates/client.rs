//! The {{flavour}} client: [`Client`], a GreenPin client over {{transport_crate}}, and its
//! builder. Every method is a line over the core's
//! [`{{Core}}`](crate::transport::{{Core}}), which owns validation, retries, the deadline and
//! parsing; this file only gives them a home on this crate's own type, where its
//! documentation shows them.

use crate::transport::{{{Core}}, ClientConfig, Transport};
use crate::{
    Allocation, BulkSpec, BulkUpdateResults, CreateOutcome, CreateSpec, Error, IntoGreenPinId,
    Reply, Settings, SettingsSpec, UpdateSpec, {{Transport}},
};
use greenpin_core::ops::Operation;
use greenpin_core::retry::{RetryBudget, RetryWait};

/// The builder of a [`Client`]: [`Client::builder`] or [`Client::from_env`]. Its setters
/// (`account_sid`, `credentials`, `base_url`, `country`, `international_numbers`, the
/// timeouts, `max_response_bytes`, `retry_policy`) each set one thing; `build()` checks them
/// all and refuses what cannot work, naming the setting. With the default features (TLS,
/// and every number checked):
///
/// ```
/// # #[cfg(all(feature = "rustls", feature = "international-numbers"))] {
/// use std::time::Duration;
/// use {{crate}}::{Client, retry::RetryPolicy};
/// let client = Client::builder()
///     .account_sid("your_sid")
///     .credentials("api_key", "api_token")
///     .timeout(Duration::from_secs(20))
///     .retry_policy(RetryPolicy::default().with_max_attempts(5))
///     .build()?;
/// assert!(client.config().checks_international_numbers());
/// # }
/// # Ok::<(), {{crate}}::Error>(())
/// ```
pub type ClientBuilder = greenpin_core::client::ClientBuilder<{{Transport}}>;

/// A GreenPin client over {{transport_crate}}{{flavour_note}}. Cheap to clone: clones share
/// their connections and their retry budget.
///
/// ```no_run
/// # {{async_block_start}}
/// let client = {{crate}}::Client::from_env().build()?; // EXOTEL_ACCOUNT_SID, EXOTEL_API_KEY, EXOTEL_API_TOKEN
/// let settings = client.settings(){{.await}}?;
/// println!("{:?}", settings.timezone);
/// # {{async_block_end}}
/// ```
#[derive(Debug, Clone)]
pub struct Client(pub(crate) {{Core}}<{{Transport}}>);

impl Client {
    /// A builder with the defaults: numbers checked as this crate's `international-numbers`
    /// feature says, also for a configuration made with `build_config`.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new().international_numbers(<{{Transport}} as Transport>::INTERNATIONAL_NUMBERS)
    }

    /// A builder reading `EXOTEL_ACCOUNT_SID`, `EXOTEL_API_KEY`, `EXOTEL_API_TOKEN` and, when
    /// set, `GREENPIN_BASE_URL`. Later calls override what it read.
    pub fn from_env() -> ClientBuilder {
        ClientBuilder::from_env().international_numbers(<{{Transport}} as Transport>::INTERNATIONAL_NUMBERS)
    }

    /// The configuration this client was built with.
    pub fn config(&self) -> &ClientConfig {
        self.0.config()
    }

    /// The retry budget this client and its clones share.
    pub fn retry_budget(&self) -> &RetryBudget {
        self.0.retry_budget()
    }

    /// Runs any operation (see [`ops`](crate::ops)), retrying as the policy, the deadline and
    /// the budget allow. The [`Reply`] carries the service's `request_id` beside the data.
    ///
    /// # Errors
    /// Whatever the operation can answer; see the methods named after each.
    ///
    /// # Examples
    /// ```{{example}}
    /// use {{crate}}::ops::GetSettings;
    /// let reply = client.execute(&GetSettings::new()){{.await}}?;
    /// println!("{:?}", reply.request_id); // quote it to Exotel's support
    /// assert_eq!(reply.data.timezone, Some({{crate}}::Timezone::Ist));
    /// ```{{/example}}
    pub {{async}}fn execute<O: Operation + Sync>(&self, op: &O) -> Result<Reply<O::Output>, Error> {
        self.0.execute(op){{.await}}
    }

    /// [`execute`](Self::execute), with each wait before a retry left to `before_retry`:
    /// it is given the retry the client's policy, deadline and budget allow, does the
    /// waiting itself (it may wait longer: a program pacing many calls against one service
    /// holds them all), and answers whether to make the attempt; `false` ends the call with
    /// the error of the attempt that failed. Whether to retry stays the client's decision.
    ///
    /// # Errors
    /// As [`execute`](Self::execute).
    ///
    /// # Examples
    /// ```{{example}}
    /// use {{crate}}::ops::GetSettings;
    /// let mut waits = Vec::new();
    /// let reply = client.execute_with(&GetSettings::new(), |retry| {
    ///     waits.push(retry.wait);
    ///     {{sleep}}
    /// }){{.await}}?;
    /// assert!(waits.is_empty()); // answered at once: nothing to retry
    /// ```{{/example}}
    pub {{async}}fn execute_with<{{execute_with_params}}>(
        &self,
        op: &O,
        before_retry: F,
    ) -> Result<Reply<O::Output>, Error>
    where
        {{execute_with_bounds}}
    {
        self.0.execute_with(op, before_retry){{.await}}
    }

    {{doc:create}}
    ///
    /// # Examples
    /// ```{{example}}
    /// use {{crate}}::{CreateSpec, PartySpec, PinLength};
    /// let allocation = client.create(
    ///     &CreateSpec::new("order-42")
    ///         .a(PartySpec::new().number("7987686144").vn("6292134471").pin_length(PinLength::of::<4>()))
    ///         .b(PartySpec::new().number("9956555625"))
    ///         .deallocate_after("2h"),
    /// ){{.await}}?;
    /// assert_eq!(allocation.a.pin.unwrap().len(), 4);
    /// ```{{/example}}
    pub {{async}}fn create(&self, spec: &CreateSpec) -> Result<Allocation, Error> {
        self.0.create(spec){{.await}}
    }

    {{doc:create_recovering}}
    ///
    /// # Examples
    /// ```{{example}}
    /// use {{crate}}::{CreateOutcome, CreateSpec, PartySpec};
    /// let spec = CreateSpec::new("order-42")
    ///     .a(PartySpec::new().number("7987686144").vn("6292134471"))
    ///     .b(PartySpec::new().number("9956555625"))
    ///     .deallocate_after("2h");
    /// match client.create_recovering(&spec){{.await}}? {
    ///     CreateOutcome::Created(a) | CreateOutcome::CreatedOnResend(a) => println!("{}", a.greenpin_id),
    ///     CreateOutcome::Orphaned { .. } => println!("serve order-42 from another VN"),
    ///     _ => {}
    /// }
    /// ```{{/example}}
    pub {{async}}fn create_recovering(&self, spec: &CreateSpec) -> Result<CreateOutcome, Error> {
        self.0.create_recovering(spec){{.await}}
    }

    {{doc:get}}
    ///
    /// # Examples
    /// ```{{example}}
    /// # use {{crate}}::{CreateSpec, PartySpec};
    /// # let id = client.create(&CreateSpec::new("order-42").a(PartySpec::new().number("7987686144").vn("6292134471")).b(PartySpec::new().number("9956555625"))){{.await}}?.greenpin_id;
    /// let allocation = client.get(&id){{.await}}?;          // a GreenPinId, or its text
    /// assert_eq!(allocation.state, {{crate}}::State::Active);
    /// ```{{/example}}
    pub {{async}}fn get(&self, greenpin_id: impl IntoGreenPinId) -> Result<Allocation, Error> {
        self.0.get(greenpin_id){{.await}}
    }

    {{doc:update}}
    ///
    /// # Examples
    /// ```{{example}}
    /// # use {{crate}}::{CreateSpec, PartySpec};
    /// # let id = client.create(&CreateSpec::new("order-42").a(PartySpec::new().number("7987686144").vn("6292134471")).b(PartySpec::new().number("9956555625"))){{.await}}?.greenpin_id;
    /// use {{crate}}::{UpdateSpec, Usage};
    /// let allocation = client.update(&id, &UpdateSpec::new().usage(Usage::Oneway).deallocate_after("20m")){{.await}}?;
    /// assert_eq!(allocation.usage, Usage::Oneway);
    /// ```{{/example}}
    pub {{async}}fn update(
        &self,
        greenpin_id: impl IntoGreenPinId,
        spec: &UpdateSpec,
    ) -> Result<Allocation, Error> {
        self.0.update(greenpin_id, spec){{.await}}
    }

    {{doc:bulk_update}}
    ///
    /// # Examples
    /// ```{{example}}
    /// # use {{crate}}::{CreateSpec, PartySpec};
    /// # let id = client.create(&CreateSpec::new("order-42").a(PartySpec::new().number("7987686144").vn("6292134471")).b(PartySpec::new().number("9956555625"))){{.await}}?.greenpin_id;
    /// use {{crate}}::{BulkItemSpec, BulkSpec, Usage};
    /// let spec = BulkSpec::new().item(BulkItemSpec::new(&id).usage(Usage::Oneway));
    /// let results = client.bulk_update(&spec){{.await}}?;
    /// for r in &results.greenpins {
    ///     assert!(r.success, "{:?}", r.message); // match results by id, not position
    /// }
    /// ```{{/example}}
    pub {{async}}fn bulk_update(&self, spec: &BulkSpec) -> Result<BulkUpdateResults, Error> {
        self.0.bulk_update(spec){{.await}}
    }

    {{doc:delete}}
    ///
    /// # Examples
    /// ```{{example}}
    /// # use {{crate}}::{CreateSpec, PartySpec};
    /// # let id = client.create(&CreateSpec::new("order-42").a(PartySpec::new().number("7987686144").vn("6292134471")).b(PartySpec::new().number("9956555625"))){{.await}}?.greenpin_id;
    /// let now = client.delete(&id){{.await}}?;
    /// assert_eq!(now.map(|a| a.state), Some({{crate}}::State::Vault));
    /// let again = client.delete(&id){{.await}}.unwrap_err();
    /// assert_eq!(again.code(), Some({{crate}}::ErrorCode::AlreadyDeleted));
    /// ```{{/example}}
    pub {{async}}fn delete(&self, greenpin_id: impl IntoGreenPinId) -> Result<Option<Allocation>, Error> {
        self.0.delete(greenpin_id){{.await}}
    }

    {{doc:settings}}
    ///
    /// # Examples
    /// ```{{example}}
    /// let settings = client.settings(){{.await}}?;
    /// assert_eq!(settings.country, Some({{crate}}::Country::IN));
    /// ```{{/example}}
    pub {{async}}fn settings(&self) -> Result<Settings, Error> {
        self.0.settings(){{.await}}
    }

    {{doc:update_settings}}
    ///
    /// # Examples
    /// ```{{example}}
    /// use {{crate}}::{SettingsSpec, Timezone};
    /// let settings = client.update_settings(&SettingsSpec::new().timezone(Timezone::Utc)){{.await}}?;
    /// assert_eq!(settings.timezone, Some(Timezone::Utc));
    /// ```{{/example}}
    pub {{async}}fn update_settings(&self, spec: &SettingsSpec) -> Result<Settings, Error> {
        self.0.update_settings(spec){{.await}}
    }
}
