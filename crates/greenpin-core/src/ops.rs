//! Every GreenPin operation, sans-IO: each builds an `http::Request<Vec<u8>>` and parses an
//! `http::Response` into its output. No client, no runtime — the caller owns the I/O.
//!
//! ```
//! use greenpin_core::{AccountSid, ApiContext, Credentials, GreenPinId, Operation};
//! use greenpin_core::ops::GetAllocation;
//!
//! let ctx = ApiContext::new(AccountSid::new("acme").unwrap(), Credentials::new("k", "t"));
//! let op = GetAllocation::new(GreenPinId::new("g-1").unwrap());
//! let req = op.build_request(&ctx).unwrap();
//! assert_eq!(req.uri(), "https://leadassist.exotel.in/v1/tenants/acme/greenpin/g-1");
//!
//! let body = br#"{"success":false,"status":404,"code":1,"message":"not found","data":null}"#;
//! let resp = http::Response::builder().status(404).body(&body[..]).unwrap();
//! let err = op.parse_response(&resp).unwrap_err();
//! assert_eq!(err.code().unwrap().code(), 1);
//! ```

use http::{Method, Request, Response};
use serde::{Deserialize, Serialize};

use crate::allocation::{Allocation, AllocationFields, AllocationSpec};
use crate::api::ApiContext;
use crate::envelope::{Reply, read, read_data};
use crate::error::{ApiError, Error};
use crate::error_code::ErrorCode;
use crate::ids::{GreenPinId, TransactionId};
use crate::phone::Country;
use crate::settings::Settings;
use crate::validation::{ValidationError, ValidationKind};

/// Which operation: for names in logs, methods and idempotency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OperationKind {
    /// `POST /greenpin`.
    Create,
    /// `GET /greenpin/{id}`.
    Get,
    /// `PUT /greenpin/{id}`.
    Update,
    /// `PUT /greenpin`.
    BulkUpdate,
    /// `DELETE /greenpin/{id}`.
    Delete,
    /// `GET /settings`.
    GetSettings,
    /// `PUT /settings`.
    UpdateSettings,
}

impl OperationKind {
    /// A short name, e.g. `update`.
    pub fn name(self) -> &'static str {
        match self {
            OperationKind::Create => "create",
            OperationKind::Get => "get",
            OperationKind::Update => "update",
            OperationKind::BulkUpdate => "bulk_update",
            OperationKind::Delete => "delete",
            OperationKind::GetSettings => "get_settings",
            OperationKind::UpdateSettings => "update_settings",
        }
    }

    /// Whether repeating it has the effect of doing it once (GET, PUT, DELETE), and so
    /// whether it may be retried after it may have been sent.
    pub fn is_idempotent(self) -> bool {
        !matches!(self, OperationKind::Create)
    }

    /// The HTTP method.
    pub fn method(self) -> Method {
        match self {
            OperationKind::Create => Method::POST,
            OperationKind::Get | OperationKind::GetSettings => Method::GET,
            OperationKind::Update | OperationKind::BulkUpdate | OperationKind::UpdateSettings => {
                Method::PUT
            }
            OperationKind::Delete => Method::DELETE,
        }
    }
}

/// A GreenPin operation: builds its request, parses its response.
pub trait Operation {
    /// What a successful call gives.
    type Output;

    /// Which operation this is.
    fn kind(&self) -> OperationKind;

    /// The allocation it is about, when one (for logs).
    fn greenpin_id(&self) -> Option<&GreenPinId> {
        None
    }

    /// Validates, then builds the request. Nothing invalid is ever built.
    fn build_request(&self, ctx: &ApiContext) -> Result<Request<Vec<u8>>, Error>;

    /// Parses the answer.
    fn parse_reply(
        &self,
        status: http::StatusCode,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<Reply<Self::Output>, Error>;

    /// Parses the answer, dropping the reply's metadata.
    fn parse_response<B: AsRef<[u8]>>(
        &self,
        response: &Response<B>,
    ) -> Result<Self::Output, Error> {
        self.parse_reply(
            response.status(),
            response.headers(),
            response.body().as_ref(),
        )
        .map(|r| r.data)
    }
}

fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    // Our own types serialise infallibly: string keys, no non-finite floats.
    serde_json::to_vec(value).expect("request bodies serialise")
}

fn id_path(id: &GreenPinId) -> String {
    format!("/greenpin/{id}")
}

/// `parse_reply` for operations whose success carries non-null `data` of type `$t`.
macro_rules! data_reply {
    ($t:ty) => {
        fn parse_reply(
            &self,
            status: http::StatusCode,
            headers: &http::HeaderMap,
            body: &[u8],
        ) -> Result<Reply<$t>, Error> {
            read_data(status, headers, body)
        }
    };
}

/// Create an allocation: `POST /greenpin`. Not idempotent.
///
/// ```
/// use greenpin_core::{AllocationSpec, PartySpec};
/// use greenpin_core::ops::CreateAllocation;
/// let op = CreateAllocation::new("order-42")
///     .spec(AllocationSpec::new()
///         .a(PartySpec::new().number("7987686144").vn("6292134471"))
///         .b(PartySpec::new().number("9956555625"))
///         .deallocate_after("1h"));
/// let body = op.validate(Default::default()).unwrap();
/// assert_eq!(body.transaction_id.as_str(), "order-42");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct CreateAllocation {
    /// The caller's own id (mandatory).
    #[serde(default)]
    pub transaction_id: Option<String>,
    /// Parties, usage, deallocation policy.
    #[serde(flatten)]
    pub spec: AllocationSpec,
}

/// The validated body of a create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct CreateBody {
    /// The caller's id.
    pub transaction_id: TransactionId,
    /// The rest.
    #[serde(flatten)]
    pub fields: AllocationFields,
}

impl CreateAllocation {
    /// A create with this transaction id.
    pub fn new(transaction_id: impl Into<String>) -> Self {
        CreateAllocation {
            transaction_id: Some(transaction_id.into()),
            spec: AllocationSpec::default(),
        }
    }

    /// Sets parties, usage and policy.
    pub fn spec(mut self, spec: AllocationSpec) -> Self {
        self.spec = spec;
        self
    }

    /// Checks every rule of a create.
    pub fn validate(&self, country: Country) -> Result<CreateBody, ValidationError> {
        let transaction_id = match &self.transaction_id {
            None => {
                return Err(ValidationError::new(
                    "transaction_id",
                    ValidationKind::Missing,
                    "is required",
                ));
            }
            Some(t) => TransactionId::new(t.clone()).map_err(|e| {
                let kind = if t.trim().is_empty() {
                    ValidationKind::Missing
                } else {
                    ValidationKind::Invalid
                };
                ValidationError::new("transaction_id", kind, e.to_string())
            })?,
        };
        let fields = self.spec.validate(country)?;
        let has = |f: fn(&crate::party::Party) -> bool| {
            fields.a.as_ref().is_some_and(f) || fields.b.as_ref().is_some_and(f)
        };
        if !has(|p| !p.numbers.is_empty()) {
            return Err(ValidationError::new(
                "a.numbers",
                ValidationKind::Missing,
                "a or b must have numbers",
            ));
        }
        if !has(|p| !p.vns.is_empty()) {
            return Err(ValidationError::new(
                "a.vns",
                ValidationKind::Missing,
                "a or b must have vns",
            ));
        }
        Ok(CreateBody {
            transaction_id,
            fields,
        })
    }
}

impl Operation for CreateAllocation {
    type Output = Allocation;
    fn kind(&self) -> OperationKind {
        OperationKind::Create
    }
    fn build_request(&self, ctx: &ApiContext) -> Result<Request<Vec<u8>>, Error> {
        let body = self.validate(ctx.country())?;
        Ok(ctx.request(Method::POST, "/greenpin", Some(to_json(&body))))
    }
    data_reply!(Allocation);
}

/// Read an allocation: `GET /greenpin/{id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GetAllocation {
    /// Which one.
    pub greenpin_id: GreenPinId,
}

impl GetAllocation {
    /// A get of `greenpin_id`.
    pub fn new(greenpin_id: GreenPinId) -> Self {
        GetAllocation { greenpin_id }
    }
}

impl Operation for GetAllocation {
    type Output = Allocation;
    fn kind(&self) -> OperationKind {
        OperationKind::Get
    }
    fn greenpin_id(&self) -> Option<&GreenPinId> {
        Some(&self.greenpin_id)
    }
    fn build_request(&self, ctx: &ApiContext) -> Result<Request<Vec<u8>>, Error> {
        Ok(ctx.request(Method::GET, &id_path(&self.greenpin_id), None))
    }
    data_reply!(Allocation);
}

/// Change an active allocation: `PUT /greenpin/{id}` (the seed). At least one field.
///
/// ```
/// use greenpin_core::{AllocationSpec, GreenPinId, Usage};
/// use greenpin_core::ops::UpdateAllocation;
/// let id = GreenPinId::new("g-1").unwrap();
/// let empty = UpdateAllocation::new(id.clone(), AllocationSpec::new());
/// assert!(empty.validate(Default::default()).is_err());
/// let ok = UpdateAllocation::new(id, AllocationSpec::new().usage(Usage::Oneway));
/// assert!(ok.validate(Default::default()).is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UpdateAllocation {
    /// Which one.
    pub greenpin_id: GreenPinId,
    /// What to change.
    pub spec: AllocationSpec,
}

impl UpdateAllocation {
    /// An update of `greenpin_id`.
    pub fn new(greenpin_id: GreenPinId, spec: AllocationSpec) -> Self {
        UpdateAllocation { greenpin_id, spec }
    }

    /// Checks the update: at least one field, every field valid.
    pub fn validate(&self, country: Country) -> Result<AllocationFields, ValidationError> {
        validate_update(&self.spec, country)
    }
}

fn validate_update(
    spec: &AllocationSpec,
    country: Country,
) -> Result<AllocationFields, ValidationError> {
    if spec.is_empty() {
        return Err(ValidationError::new(
            "",
            ValidationKind::Missing,
            "an update must change at least one of a, b, usage, deallocation_policy",
        )
        .within("body"));
    }
    spec.validate(country)
}

impl Operation for UpdateAllocation {
    type Output = Allocation;
    fn kind(&self) -> OperationKind {
        OperationKind::Update
    }
    fn greenpin_id(&self) -> Option<&GreenPinId> {
        Some(&self.greenpin_id)
    }
    fn build_request(&self, ctx: &ApiContext) -> Result<Request<Vec<u8>>, Error> {
        let body = self.validate(ctx.country())?;
        Ok(ctx.request(
            Method::PUT,
            &id_path(&self.greenpin_id),
            Some(to_json(&body)),
        ))
    }
    data_reply!(Allocation);
}

/// One item of a bulk update: an id and what to change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct BulkUpdateItem {
    /// Which allocation.
    pub greenpin_id: GreenPinId,
    /// What to change.
    #[serde(flatten)]
    pub spec: AllocationSpec,
}

impl BulkUpdateItem {
    /// An item.
    pub fn new(greenpin_id: GreenPinId, spec: AllocationSpec) -> Self {
        BulkUpdateItem { greenpin_id, spec }
    }
}

#[derive(Serialize)]
struct BulkBody<'a> {
    greenpins: Vec<BulkBodyItem<'a>>,
}

#[derive(Serialize)]
struct BulkBodyItem<'a> {
    greenpin_id: &'a GreenPinId,
    #[serde(flatten)]
    fields: AllocationFields,
}

/// Change many allocations: `PUT /greenpin` with `{"greenpins": […]}`. Valid items are
/// applied even when others fail; each gets its own result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BulkUpdate {
    /// The items, in order.
    pub items: Vec<BulkUpdateItem>,
}

impl BulkUpdate {
    /// A bulk update of `items`.
    pub fn new(items: Vec<BulkUpdateItem>) -> Self {
        BulkUpdate { items }
    }

    /// Adds an item.
    pub fn item(mut self, greenpin_id: GreenPinId, spec: AllocationSpec) -> Self {
        self.items.push(BulkUpdateItem::new(greenpin_id, spec));
        self
    }
}

/// One item's result in a bulk update answer: an envelope of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct BulkItemResult {
    /// The item's allocation id, as sent.
    #[serde(default)]
    pub greenpin_id: Option<String>,
    /// Whether it was applied.
    pub success: bool,
    /// Its status.
    pub status: u16,
    /// Its error code.
    #[serde(default)]
    pub code: Option<ErrorCode>,
    /// Its error message.
    #[serde(default)]
    pub message: Option<String>,
    /// The allocation after the change.
    #[serde(default)]
    pub data: Option<Allocation>,
}

impl BulkItemResult {
    /// An applied item.
    pub fn applied(greenpin_id: impl Into<String>, allocation: Allocation) -> Self {
        BulkItemResult {
            greenpin_id: Some(greenpin_id.into()),
            success: true,
            status: 200,
            code: None,
            message: None,
            data: Some(allocation),
        }
    }

    /// A refused item.
    pub fn refused(
        greenpin_id: Option<String>,
        status: u16,
        code: ErrorCode,
        message: impl Into<String>,
    ) -> Self {
        BulkItemResult {
            greenpin_id,
            success: false,
            status,
            code: Some(code),
            message: Some(message.into()),
            data: None,
        }
    }

    /// The allocation, or the item's error.
    pub fn into_result(self) -> Result<Allocation, ApiError> {
        match (self.success, self.data) {
            (true, Some(a)) => Ok(a),
            _ => {
                let mut e = ApiError::new(
                    http::StatusCode::from_u16(self.status)
                        .unwrap_or(http::StatusCode::BAD_REQUEST),
                );
                e.code = self.code;
                e.message = self.message;
                Err(e)
            }
        }
    }
}

/// The `data` of a bulk update answer: one result per item, in request order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct BulkUpdateResults {
    /// The results.
    pub greenpins: Vec<BulkItemResult>,
}

impl BulkUpdateResults {
    /// Results from a list.
    pub fn new(greenpins: Vec<BulkItemResult>) -> Self {
        BulkUpdateResults { greenpins }
    }
}

impl Operation for BulkUpdate {
    type Output = BulkUpdateResults;
    fn kind(&self) -> OperationKind {
        OperationKind::BulkUpdate
    }
    fn build_request(&self, ctx: &ApiContext) -> Result<Request<Vec<u8>>, Error> {
        if self.items.is_empty() {
            return Err(ValidationError::new(
                "greenpins",
                ValidationKind::Missing,
                "must not be empty",
            )
            .into());
        }
        let greenpins = self
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                validate_update(&item.spec, ctx.country())
                    .map(|fields| BulkBodyItem {
                        greenpin_id: &item.greenpin_id,
                        fields,
                    })
                    .map_err(|e| e.within(&format!("greenpins[{i}]")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ctx.request(
            Method::PUT,
            "/greenpin",
            Some(to_json(&BulkBody { greenpins })),
        ))
    }
    data_reply!(BulkUpdateResults);
}

/// Deallocate: `DELETE /greenpin/{id}`. The allocation goes to the vault and its PINs are
/// freed. The answer's `data` is the allocation as it now is, when the service sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeleteAllocation {
    /// Which one.
    pub greenpin_id: GreenPinId,
}

impl DeleteAllocation {
    /// A delete of `greenpin_id`.
    pub fn new(greenpin_id: GreenPinId) -> Self {
        DeleteAllocation { greenpin_id }
    }
}

impl Operation for DeleteAllocation {
    type Output = Option<Allocation>;
    fn kind(&self) -> OperationKind {
        OperationKind::Delete
    }
    fn greenpin_id(&self) -> Option<&GreenPinId> {
        Some(&self.greenpin_id)
    }
    fn build_request(&self, ctx: &ApiContext) -> Result<Request<Vec<u8>>, Error> {
        Ok(ctx.request(Method::DELETE, &id_path(&self.greenpin_id), None))
    }
    fn parse_reply(
        &self,
        status: http::StatusCode,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<Reply<Option<Allocation>>, Error> {
        read(status, headers, body)
    }
}

/// Read the account settings: `GET /settings`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GetSettings;

impl GetSettings {
    /// A settings read.
    pub fn new() -> Self {
        GetSettings
    }
}

impl Operation for GetSettings {
    type Output = Settings;
    fn kind(&self) -> OperationKind {
        OperationKind::GetSettings
    }
    fn build_request(&self, ctx: &ApiContext) -> Result<Request<Vec<u8>>, Error> {
        Ok(ctx.request(Method::GET, "/settings", None))
    }
    data_reply!(Settings);
}

/// Change account settings: `PUT /settings`. What is left out keeps its value.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct UpdateSettings {
    /// The settings to change.
    pub settings: Settings,
}

impl UpdateSettings {
    /// An update of `settings`.
    pub fn new(settings: Settings) -> Self {
        UpdateSettings { settings }
    }
}

impl Operation for UpdateSettings {
    type Output = Settings;
    fn kind(&self) -> OperationKind {
        OperationKind::UpdateSettings
    }
    fn build_request(&self, ctx: &ApiContext) -> Result<Request<Vec<u8>>, Error> {
        if self.settings.is_empty() {
            return Err(ValidationError::new(
                "settings",
                ValidationKind::Missing,
                "an update must change at least one setting",
            )
            .into());
        }
        if let Some(c) = &self.settings.country {
            c.parse::<Country>().map_err(|e| {
                ValidationError::new("country", ValidationKind::Invalid, e.to_string())
            })?;
        }
        Ok(ctx.request(Method::PUT, "/settings", Some(to_json(&self.settings))))
    }
    data_reply!(Settings);
}
