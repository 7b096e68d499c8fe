//! Bulk update (`PUT /greenpin`) and its per-item results.

use std::borrow::{Borrow, Cow};

use serde::{Deserialize, Serialize};

use crate::allocation::Allocation;
use crate::body::{BulkSpec, ValidationContext};
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
    #[doc(hidden)] // for the workspace's servers and tools; not part of the API
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
    #[doc(hidden)] // for the workspace's servers and tools; not part of the API
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
    #[doc(hidden)] // for the workspace's servers and tools; not part of the API
    pub fn new(greenpins: Vec<BulkItemResult>) -> Self {
        BulkUpdateResults { greenpins }
    }
}
