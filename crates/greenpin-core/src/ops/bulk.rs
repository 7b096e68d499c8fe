//! Bulk update (`PUT /greenpin`) and its per-item results.

use std::borrow::{Borrow, Cow};

use serde::{Deserialize, Serialize};

use crate::allocation::Allocation;
use crate::body::{BulkItemBody, BulkSpec, ValidationContext};
use crate::error::ApiError;
use crate::error_code::ErrorCode;
use crate::ops::{Operation, OperationKind, to_json};
use crate::validation::ValidationError;

/// Change many allocations at once: `PUT /greenpin` with `{"greenpins": […]}`. The service
/// applies the valid items even when others fail; each item has its own result, carrying
/// its `greenpin_id` (results are matched by id, not by position).
///
/// ```
/// # use greenpin_core::ops::{Operation};
/// # use greenpin_core::{BulkItemSpec, BulkSpec, Usage, ValidationContext};
/// # use greenpin_core::ops::BulkUpdate;
/// let op = BulkUpdate::new(BulkSpec::new().item(BulkItemSpec::new("g-1").usage(Usage::Oneway)));
/// let body = op.body(&ValidationContext::default())?.unwrap();
/// assert_eq!(body, br#"{"greenpins":[{"greenpin_id":"g-1","usage":"oneway"}]}"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BulkUpdate<S = BulkSpec> {
    /// The items (owned, or borrowed as `&BulkSpec`).
    pub spec: S,
}

/// An empty one (so `BulkUpdate::default()` names the owned form).
impl Default for BulkUpdate {
    fn default() -> Self {
        BulkUpdate::new(BulkSpec::default())
    }
}

impl<S> BulkUpdate<S> {
    /// A bulk update of `spec`.
    pub fn new(spec: S) -> Self {
        BulkUpdate { spec }
    }
}

impl<S: Borrow<BulkSpec>> Operation for BulkUpdate<S> {
    type Output = BulkUpdateResults;
    fn kind(&self) -> OperationKind {
        OperationKind::BulkUpdate
    }
    fn path(&self) -> Cow<'static, str> {
        Cow::Borrowed("/greenpin")
    }
    fn body(&self, ctx: &ValidationContext) -> Result<Option<Vec<u8>>, ValidationError> {
        Ok(Some(to_json(&self.spec.borrow().validate(ctx)?)))
    }
    fn idempotency(&self) -> crate::retry::Idempotency {
        let items = self.spec.borrow().greenpins.iter().flatten();
        super::idempotency_of(items.flat_map(|i| [i.a.as_ref(), i.b.as_ref()]), |p| {
            p.pin_length.is_some() && p.pin.is_none()
        })
    }
}

/// A bulk update of items already validated one by one (each by
/// [`BulkItemSpec::validate`](crate::BulkItemSpec::validate)): for a program that checks
/// every item as it reads it, refuses the bad ones itself, and sends the rest (the
/// `greenpin` command's `bulk-update`). No item is checked twice; the count is checked as
/// [`BulkSpec::validate`] checks it. Its answer is read for each item's outcome only
/// ([`BulkItemOutcome`]), not for the allocations it carries.
///
/// ```
/// # use greenpin_core::ops::{Operation, ValidatedBulkUpdate};
/// # use greenpin_core::{BulkItemSpec, Usage, ValidationContext};
/// let ctx = ValidationContext::default();
/// let item = BulkItemSpec::new("g-1").usage(Usage::Oneway).validate(&ctx)?;
/// let op = ValidatedBulkUpdate::new(vec![item]);
/// assert_eq!(op.items()[0].greenpin_id.as_str(), "g-1");
/// let body = op.body(&ctx)?.unwrap();
/// assert_eq!(body, br#"{"greenpins":[{"greenpin_id":"g-1","usage":"oneway"}]}"#);
/// assert!(ValidatedBulkUpdate::new(vec![]).body(&ctx).is_err()); // at least one item
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedBulkUpdate {
    items: Vec<BulkItemBody>,
}

impl ValidatedBulkUpdate {
    /// A bulk update of these validated items, in this order.
    pub fn new(items: Vec<BulkItemBody>) -> Self {
        ValidatedBulkUpdate { items }
    }

    /// The items, in the order they are sent.
    pub fn items(&self) -> &[BulkItemBody] {
        &self.items
    }
}

impl Operation for ValidatedBulkUpdate {
    type Output = BulkItemOutcomes;
    fn kind(&self) -> OperationKind {
        OperationKind::BulkUpdate
    }
    fn path(&self) -> Cow<'static, str> {
        Cow::Borrowed("/greenpin")
    }
    // The context is not consulted: each item was validated with one already.
    fn body(&self, _: &ValidationContext) -> Result<Option<Vec<u8>>, ValidationError> {
        BulkSpec::check_count(Some(self.items.len()))?;
        #[derive(Serialize)]
        struct Body<'a> {
            greenpins: &'a [BulkItemBody],
        }
        Ok(Some(to_json(&Body {
            greenpins: &self.items,
        })))
    }
    fn idempotency(&self) -> crate::retry::Idempotency {
        let parties = self
            .items
            .iter()
            .flat_map(|i| [i.fields.a.as_ref(), i.fields.b.as_ref()]);
        super::idempotency_of(parties, |p| p.pin_length.is_some() && p.pin.is_none())
    }
}

/// The `data` of a bulk update answer read for each item's outcome alone
/// ([`ValidatedBulkUpdate`]'s output).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct BulkItemOutcomes {
    /// One outcome an item, in the answer's order (match them by `greenpin_id`).
    pub greenpins: Vec<BulkItemOutcome>,
}

/// One item's outcome in a bulk update answer: [`BulkItemResult`] without the allocation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct BulkItemOutcome {
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
}

impl BulkItemOutcome {
    /// Whether this item may have been applied although its result says it failed: a 5xx
    /// or 499 for the item is no more definitive than one for a whole request
    /// ([`Error::outcome_unknown`](crate::Error::outcome_unknown), the same rule).
    ///
    /// ```
    /// # use greenpin_core::ops::BulkItemOutcome;
    /// let item: BulkItemOutcome = serde_json::from_str(r#"{"greenpin_id":"g-1","success":false,"status":500}"#)?;
    /// assert!(item.outcome_unknown());
    /// let item: BulkItemOutcome = serde_json::from_str(r#"{"greenpin_id":"g-1","success":false,"status":404,"code":1}"#)?;
    /// assert!(!item.outcome_unknown());
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn outcome_unknown(&self) -> bool {
        !self.success && crate::error::status_outcome_unknown(self.status)
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
    #[cfg(feature = "unstable-wire")]
    pub(crate) fn applied(greenpin_id: impl Into<String>, allocation: Allocation) -> Self {
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
    #[cfg(feature = "unstable-wire")]
    pub(crate) fn refused(
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

    /// Whether this item may have been applied although its result says it failed (see
    /// [`BulkItemOutcome::outcome_unknown`]).
    pub fn outcome_unknown(&self) -> bool {
        !self.success && crate::error::status_outcome_unknown(self.status)
    }

    /// The allocation, or the item's error ([`Error::Api`](crate::Error::Api), with the
    /// item's status, code and message).
    pub fn into_result(self) -> Result<Allocation, crate::Error> {
        match (self.success, self.data) {
            (true, Some(a)) => Ok(a),
            _ => {
                let mut e = ApiError::new(
                    http::StatusCode::from_u16(self.status)
                        .unwrap_or(http::StatusCode::BAD_REQUEST),
                )
                .with_message(self.message);
                e.code = self.code;
                Err(e.into())
            }
        }
    }
}

/// The `data` of a bulk update answer: one result per item. The service does not promise
/// their order: match them to items by [`BulkItemResult::greenpin_id`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct BulkUpdateResults {
    /// The results.
    pub greenpins: Vec<BulkItemResult>,
}

impl BulkUpdateResults {
    /// Results from a list.
    #[cfg(feature = "unstable-wire")]
    pub(crate) fn new(greenpins: Vec<BulkItemResult>) -> Self {
        BulkUpdateResults { greenpins }
    }
}
