//! Create, get, update and delete of one allocation.

use std::borrow::{Borrow, Cow};

use crate::allocation::Allocation;
use crate::body::{CreateSpec, UpdateSpec, ValidationContext};
use crate::ids::GreenPinId;
use crate::ops::{Operation, OperationKind, id_path, to_json};
use crate::validation::ValidationError;

/// Create an allocation: `POST /greenpin`. Not idempotent: never retried once it may have
/// reached the service.
///
/// ```
/// # use greenpin_core::ops::{Operation};
/// # use greenpin_core::{AccountSid, ApiContext, CreateSpec, Credentials, PartySpec};
/// # use greenpin_core::ops::CreateAllocation;
/// let ctx = ApiContext::new(AccountSid::new("acme")?, Credentials::new("k", "t"));
/// let op = CreateAllocation::new(CreateSpec::new("order-42")
///     .a(PartySpec::new().number("7987686144").vn("6292134471"))
///     .b(PartySpec::new().number("9956555625")));
/// let req = op.build_request(&ctx)?;
/// assert_eq!(req.method(), "POST");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// The spec is owned or borrowed (`S` is `CreateSpec` or `&CreateSpec`): the clients build
/// the operation over the caller's spec without copying it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CreateAllocation<S = CreateSpec> {
    /// The allocation to create.
    pub spec: S,
}

impl<S> CreateAllocation<S> {
    /// A create of `spec`.
    pub fn new(spec: S) -> Self {
        CreateAllocation { spec }
    }
}

impl<S: Borrow<CreateSpec>> Operation for CreateAllocation<S> {
    type Output = Allocation;
    fn kind(&self) -> OperationKind {
        OperationKind::Create
    }
    fn path(&self) -> Cow<'static, str> {
        Cow::Borrowed("/greenpin")
    }
    fn body(&self, ctx: &ValidationContext) -> Result<Option<Vec<u8>>, ValidationError> {
        Ok(Some(to_json(&self.spec.borrow().validate(ctx)?)))
    }
}

/// Read an allocation, active or in the vault: `GET /greenpin/{greenpin_id}`.
///
/// ```
/// # use greenpin_core::ops::{Operation};
/// # use greenpin_core::{GreenPinId};
/// # use greenpin_core::ops::GetAllocation;
/// let op = GetAllocation::new(GreenPinId::new("g-1")?);
/// assert_eq!(op.path(), "/greenpin/g-1");
/// # Ok::<(), greenpin_core::IdError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GetAllocation {
    /// The allocation to read.
    pub greenpin_id: GreenPinId,
}

impl GetAllocation {
    /// A read of `greenpin_id`.
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
    fn path(&self) -> Cow<'static, str> {
        id_path(&self.greenpin_id)
    }
    fn body(&self, _: &ValidationContext) -> Result<Option<Vec<u8>>, ValidationError> {
        Ok(None)
    }
}

/// Change an active allocation: `PUT /greenpin/{greenpin_id}`, as in Exotel's documented
/// Update example. At least one field.
///
/// ```
/// # use greenpin_core::ops::{Operation};
/// # use greenpin_core::{GreenPinId, UpdateSpec, Usage, ValidationContext};
/// # use greenpin_core::ops::UpdateAllocation;
/// let id = GreenPinId::new("g-1")?;
/// let ctx = ValidationContext::default();
/// assert!(UpdateAllocation::new(id.clone(), UpdateSpec::new()).body(&ctx).is_err());
/// let op = UpdateAllocation::new(id, UpdateSpec::new().usage(Usage::Oneway));
/// assert_eq!(op.body(&ctx)?.unwrap(), br#"{"usage":"oneway"}"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// The spec is owned or borrowed (`S` is `UpdateSpec` or `&UpdateSpec`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UpdateAllocation<S = UpdateSpec> {
    /// The allocation to change.
    pub greenpin_id: GreenPinId,
    /// What to change.
    pub spec: S,
}

impl<S> UpdateAllocation<S> {
    /// An update of `greenpin_id`.
    pub fn new(greenpin_id: GreenPinId, spec: S) -> Self {
        UpdateAllocation { greenpin_id, spec }
    }
}

impl<S: Borrow<UpdateSpec>> Operation for UpdateAllocation<S> {
    type Output = Allocation;
    fn kind(&self) -> OperationKind {
        OperationKind::Update
    }
    fn greenpin_id(&self) -> Option<&GreenPinId> {
        Some(&self.greenpin_id)
    }
    fn path(&self) -> Cow<'static, str> {
        id_path(&self.greenpin_id)
    }
    fn body(&self, ctx: &ValidationContext) -> Result<Option<Vec<u8>>, ValidationError> {
        Ok(Some(to_json(&self.spec.borrow().validate(ctx)?)))
    }
    fn idempotency(&self) -> crate::retry::Idempotency {
        let spec = self.spec.borrow();
        super::idempotency_of([spec.a.as_ref(), spec.b.as_ref()], |p| {
            p.pin_length.is_some() && p.pin.is_none()
        })
    }
}

/// Deallocate now: `DELETE /greenpin/{greenpin_id}`. The allocation goes to the vault and
/// its PINs are freed. The answer's `data` is the allocation as it now is, when the service
/// sends it.
///
/// ```
/// # use greenpin_core::ops::{Operation, OperationKind};
/// # use greenpin_core::{GreenPinId};
/// # use greenpin_core::ops::DeleteAllocation;
/// let op = DeleteAllocation::new(GreenPinId::new("g-1")?);
/// assert_eq!(op.kind().method(), "DELETE");
/// # Ok::<(), greenpin_core::IdError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeleteAllocation {
    /// The allocation to deallocate.
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
    fn path(&self) -> Cow<'static, str> {
        id_path(&self.greenpin_id)
    }
    fn body(&self, _: &ValidationContext) -> Result<Option<Vec<u8>>, ValidationError> {
        Ok(None)
    }
}
