//! Bulk update bodies (`PUT /greenpin` with `{"greenpins": […]}`), and the documented
//! limit on their size.
//!
//! The SDK refuses a bulk update with any invalid item before sending it (nothing is sent
//! that the caller did not mean). A server applies the items that are "syntactically and
//! semantically correct" and answers the others item by item: [`BulkSpec::read_wire`] reads
//! a body that way, one item at a time, and [`BulkItemSpec::validate`] checks each.

use serde::{Deserialize, Serialize};

use crate::allocation::{DeallocationPolicySpec, DurationText, Usage};
use crate::body::ValidationContext;
use crate::body::allocation::{UpdateBody, allocation_setters, validate_fields};
#[cfg(feature = "unstable-wire")]
use crate::body::from_json;
#[cfg(feature = "unstable-wire")]
use crate::body::json::{from_value, refuse_newer_shape};
use crate::ids::GreenPinId;
use crate::party::PartySpec;
use crate::validation::{ValidationError, ValidationKind};

/// Most items in one bulk update; more is refused (code 17, HTTP 413).
pub const MAX_BULK_ITEMS: usize = 100;

/// One item of a bulk update: which allocation, and what to change in it (at least one
/// field, as in an update).
///
/// ```
/// # use greenpin_core::{BulkItemSpec, Usage, ValidationContext};
/// let item = BulkItemSpec::new("g-1").usage(Usage::Oneway);
/// assert!(item.validate(&ValidationContext::default()).is_ok());
/// let err = BulkItemSpec::new("g-1").validate(&ValidationContext::default()).unwrap_err();
/// assert_eq!(err.field(), "body");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct BulkItemSpec {
    /// The allocation to change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greenpin_id: Option<String>,
    /// The A-party.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::lenient::object"
    )]
    pub a: Option<PartySpec>,
    /// The B-party.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::lenient::object"
    )]
    pub b: Option<PartySpec>,
    /// Who may call whom.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// When the allocation ends.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::lenient::object"
    )]
    pub deallocation_policy: Option<DeallocationPolicySpec>,
}

impl BulkItemSpec {
    /// The fields an item has on the wire.
    #[cfg(feature = "unstable-wire")]
    pub(crate) const FIELDS: &'static [&'static str] =
        &["greenpin_id", "a", "b", "usage", "deallocation_policy"];

    /// An item for the allocation `greenpin_id`, changing nothing yet.
    pub fn new(greenpin_id: impl AsRef<str>) -> Self {
        BulkItemSpec {
            greenpin_id: Some(greenpin_id.as_ref().to_owned()),
            ..BulkItemSpec::default()
        }
    }

    allocation_setters!();

    /// Checks the item: an id, at least one field, every field valid. Fields are named
    /// within the item (`a.pin`); [`BulkSpec::validate`] puts `greenpins[i].` before them.
    pub fn validate(&self, ctx: &ValidationContext) -> Result<BulkItemBody, ValidationError> {
        let greenpin_id = match &self.greenpin_id {
            None => {
                return Err(ValidationError::new(
                    "greenpin_id",
                    ValidationKind::Missing,
                    "is required",
                ));
            }
            Some(id) => GreenPinId::new(id.as_str())?,
        };
        let nothing = self.a.as_ref().is_none_or(PartySpec::is_empty)
            && self.b.as_ref().is_none_or(PartySpec::is_empty)
            && self.usage.is_none()
            && self.deallocation_policy.is_none();
        if nothing {
            return Err(ValidationError::new(
                "body",
                ValidationKind::Missing,
                "an item must change at least one of a, b, usage, deallocation_policy",
            ));
        }
        let fields = validate_fields(
            self.a.as_ref(),
            self.b.as_ref(),
            self.usage.as_ref(),
            self.deallocation_policy.as_ref(),
            ctx,
        )?;
        Ok(BulkItemBody {
            greenpin_id,
            fields,
        })
    }
}

/// A validated [`BulkItemSpec`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct BulkItemBody {
    /// The allocation to change.
    pub greenpin_id: GreenPinId,
    /// What to change.
    #[serde(flatten)]
    pub fields: UpdateBody,
}

/// A bulk update: `{"greenpins": [item, …]}`, 1 to [`MAX_BULK_ITEMS`] items.
///
/// ```
/// # use greenpin_core::{BulkItemSpec, BulkSpec, Usage, ValidationContext};
/// let ctx = ValidationContext::default();
/// let spec = BulkSpec::new()
///     .item(BulkItemSpec::new("g-1").usage(Usage::Oneway))
///     .item(BulkItemSpec::new("g-2").deallocate_after("1h"));
/// assert_eq!(spec.validate(&ctx).unwrap().greenpins.len(), 2);
///
/// let bad = BulkSpec::new().item(BulkItemSpec::new("g-1").deallocate_after("soon"));
/// assert_eq!(bad.validate(&ctx).unwrap_err().field(), "greenpins[0].deallocation_policy.duration");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct BulkSpec {
    /// The items, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greenpins: Option<Vec<BulkItemSpec>>,
}

/// One item of a bulk body as a server reads it: the id as sent (for the item's result),
/// and the item, or why it could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[cfg(feature = "unstable-wire")]
pub struct WireBulkItem {
    /// The item's `greenpin_id` when it was a string.
    pub greenpin_id: Option<String>,
    /// The item, or why it is malformed (fields named `greenpins[i]…`).
    pub spec: Result<BulkItemSpec, ValidationError>,
}

impl BulkSpec {
    /// No items yet.
    pub fn new() -> Self {
        BulkSpec::default()
    }

    /// Adds an item.
    pub fn item(mut self, item: BulkItemSpec) -> Self {
        self.greenpins.get_or_insert_with(Vec::new).push(item);
        self
    }

    /// The items (none when `greenpins` is absent).
    pub fn items(&self) -> &[BulkItemSpec] {
        self.greenpins.as_deref().unwrap_or_default()
    }

    /// Checks the number of items: present, not empty, at most [`MAX_BULK_ITEMS`].
    pub(crate) fn check_count(count: Option<usize>) -> Result<(), ValidationError> {
        match count {
            None => Err(ValidationError::new(
                "greenpins",
                ValidationKind::Missing,
                "is required",
            )),
            Some(0) => Err(ValidationError::new(
                "greenpins",
                ValidationKind::Missing,
                "must not be empty",
            )),
            Some(n) if n > MAX_BULK_ITEMS => Err(ValidationError::new(
                "greenpins",
                ValidationKind::TooManyInBulk,
                format!("has {n} items; at most {MAX_BULK_ITEMS} are allowed in one bulk update"),
            )),
            Some(_) => Ok(()),
        }
    }

    /// Checks the whole bulk update: the count, then every item, naming the first bad
    /// one (`greenpins[3].b.pin`). Nothing is sent unless every item is valid.
    pub fn validate(&self, ctx: &ValidationContext) -> Result<BulkBody, ValidationError> {
        Self::check_count(self.greenpins.as_ref().map(Vec::len))?;
        let greenpins = self
            .items()
            .iter()
            .enumerate()
            .map(|(i, item)| {
                item.validate(ctx)
                    .map_err(|e| e.within(&format!("greenpins[{i}]")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(BulkBody { greenpins })
    }

    /// Reads a bulk body as a server must: the envelope and the count strictly, each item
    /// on its own, so that one malformed item does not sink the others (`wire::read_bulk_items`).
    #[cfg(feature = "unstable-wire")]
    pub(crate) fn read_wire(body: &[u8]) -> Result<Vec<WireBulkItem>, ValidationError> {
        #[derive(Deserialize)]
        struct Wire {
            greenpins: Option<Vec<serde_json::Value>>,
        }
        let Wire { greenpins } = from_json::<Wire>(body)?;
        Self::check_count(greenpins.as_ref().map(Vec::len))?;
        Ok(greenpins
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, value)| {
                let field = format!("greenpins[{i}]");
                WireBulkItem {
                    greenpin_id: value
                        .get("greenpin_id")
                        .and_then(|v| v.as_str())
                        .map(str::to_owned),
                    // Derived structs also read arrays (as tuples); an item is an object.
                    spec: if let Some(object) = value.as_object() {
                        let unknown: Vec<String> = object
                            .keys()
                            .filter(|k| !BulkItemSpec::FIELDS.contains(&k.as_str()))
                            .cloned()
                            .collect();
                        refuse_newer_shape(&unknown, &field)
                            .and_then(|()| from_value(value, &field))
                    } else {
                        Err(ValidationError::new(
                            field,
                            ValidationKind::Invalid,
                            "expected a JSON object",
                        ))
                    },
                }
            })
            .collect())
    }
}

/// A validated [`BulkSpec`]: the body a bulk update sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct BulkBody {
    /// The items, in order.
    pub greenpins: Vec<BulkItemBody>,
}
