//! Allocations: what create, update and bulk update say, and what the service answers.

use serde::{Deserialize, Serialize};

use crate::duration::DeallocationDuration;
use crate::ids::{GreenPinId, TransactionId};
use crate::local_time::DeallocationTime;
use crate::party::Party;
use crate::string_enum::string_enum;
use crate::validation::{ValidationError, ValidationKind};

string_enum!(
    /// Who may call whom.
    ///
    /// ```
    /// # use greenpin_core::Usage;
    /// assert_eq!("oneway".parse::<Usage>().unwrap(), Usage::Oneway);
    /// assert_eq!("threeway".parse::<Usage>().unwrap(), Usage::Unknown("threeway".into()));
    /// ```
    Usage {
        /// Only the A-party calls the B-party.
        Oneway => "oneway",
        /// Both call each other (the service's default).
        Twoway => "twoway",
    }
);

string_enum!(
    /// Where an allocation is in its life.
    State {
        /// Live: calls are connected.
        Active => "active",
        /// Deallocated (expired or deleted), kept for the `deletion_time` setting.
        Vault => "vault",
    }
);

/// When an allocation is deallocated, as a request states it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct DeallocationPolicySpec {
    /// A count and a unit, e.g. `"1200s"`; see [`DeallocationDuration`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
}

impl DeallocationPolicySpec {
    /// Checks the policy: a duration is required when a policy is given.
    pub fn validate(&self) -> Result<DeallocationPolicy, ValidationError> {
        let Some(text) = &self.duration else {
            return Err(ValidationError::new(
                "deallocation_policy.duration",
                ValidationKind::Missing,
                "is required when deallocation_policy is given",
            ));
        };
        text.parse()
            .map(DeallocationPolicy::after)
            .map_err(|e: crate::duration::DurationError| {
                ValidationError::new(
                    "deallocation_policy.duration",
                    ValidationKind::Invalid,
                    e.to_string(),
                )
            })
    }
}

/// A validated deallocation policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct DeallocationPolicy {
    /// How long the allocation lives from now.
    pub duration: DeallocationDuration,
}

impl DeallocationPolicy {
    /// A policy of `duration`.
    pub fn after(duration: DeallocationDuration) -> Self {
        DeallocationPolicy { duration }
    }
}

/// Anything that can say a deallocation duration: `"20m"`, a `std::time::Duration`, or a
/// [`DeallocationDuration`]. Checked when the request is validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationText(String);

impl DurationText {
    /// The text, as it will be checked.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl From<&str> for DurationText {
    fn from(s: &str) -> Self {
        DurationText(s.to_owned())
    }
}
impl From<String> for DurationText {
    fn from(s: String) -> Self {
        DurationText(s)
    }
}
impl From<std::time::Duration> for DurationText {
    /// Whole seconds, `"{n}s"`. A fraction of a second is kept in the text, so validation
    /// refuses it rather than rounding it away.
    fn from(d: std::time::Duration) -> Self {
        DurationText(match d.subsec_nanos() {
            0 => format!("{}s", d.as_secs()),
            nanos => format!("{}.{nanos:09}s", d.as_secs()),
        })
    }
}
impl From<DeallocationDuration> for DurationText {
    fn from(d: DeallocationDuration) -> Self {
        DurationText(d.to_string())
    }
}

/// An allocation as the service reports it: the `data` of create, get and update.
///
/// Unknown fields are ignored, so additions on the service side do not break parsing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Allocation {
    /// The service's id for the allocation.
    pub greenpin_id: GreenPinId,
    /// The caller's id, echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<TransactionId>,
    /// The A-party.
    #[serde(default)]
    pub a: Party,
    /// The B-party.
    #[serde(default)]
    pub b: Party,
    /// Who may call whom.
    pub usage: Usage,
    /// Active or in the vault.
    pub state: State,
    /// When it ends, in the account's timezone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deallocation_time: Option<DeallocationTime>,
}

impl Allocation {
    /// An allocation with no transaction id or deallocation time (servers and tests).
    #[cfg(feature = "unstable-wire")]
    pub(crate) fn new(
        greenpin_id: GreenPinId,
        a: Party,
        b: Party,
        usage: Usage,
        state: State,
    ) -> Self {
        Allocation {
            greenpin_id,
            transaction_id: None,
            a,
            b,
            usage,
            state,
            deallocation_time: None,
        }
    }
}
