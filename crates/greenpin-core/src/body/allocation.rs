//! Create and update bodies: the parties, the usage and the deallocation policy, with the
//! transaction id on create. The fields are written out in each spec rather than flattened,
//! so that a type error on the wire names its full path (`a.pin_length`).

use serde::{Deserialize, Serialize};

use crate::allocation::{DeallocationPolicy, DeallocationPolicySpec, DurationText, Usage};
use crate::body::ValidationContext;
use crate::ids::TransactionId;
use crate::party::{Party, PartySpec, check_parties_disjoint};
use crate::pin::PinLength;
use crate::validation::{ValidationError, ValidationKind};

/// The builder methods shared by every spec with the four allocation fields.
macro_rules! allocation_setters {
    () => {
        /// Sets the A-party (the business side).
        pub fn a(mut self, a: PartySpec) -> Self {
            self.a = Some(a);
            self
        }

        /// Sets the B-party (the customer side).
        pub fn b(mut self, b: PartySpec) -> Self {
            self.b = Some(b);
            self
        }

        /// Sets who may call whom.
        pub fn usage(mut self, usage: Usage) -> Self {
            self.usage = Some(usage);
            self
        }

        /// Sets the deallocation policy's duration: `"20m"`, `"1200s"`, a
        /// `std::time::Duration`, or a [`DeallocationDuration`](crate::DeallocationDuration).
        pub fn deallocate_after(mut self, duration: impl Into<DurationText>) -> Self {
            self.deallocation_policy = Some(DeallocationPolicySpec {
                duration: Some(duration.into().into_string()),
            });
            self
        }
    };
}
pub(crate) use allocation_setters;

/// Checks the four allocation fields; shared by every spec that has them.
pub(crate) fn validate_fields(
    a: Option<&PartySpec>,
    b: Option<&PartySpec>,
    usage: Option<&Usage>,
    policy: Option<&DeallocationPolicySpec>,
    ctx: &ValidationContext,
) -> Result<UpdateBody, ValidationError> {
    let a = a.map(|p| p.validate("a", ctx)).transpose()?;
    let b = b.map(|p| p.validate("b", ctx)).transpose()?;
    if let (Some(a), Some(b)) = (&a, &b) {
        check_parties_disjoint(a, b)?;
    }
    let usage = match usage {
        Some(Usage::Unknown(other)) => {
            return Err(ValidationError::new(
                "usage",
                ValidationKind::Invalid,
                format!("{other:?} is not a usage; use \"oneway\" or \"twoway\""),
            ));
        }
        u => u.cloned(),
    };
    let deallocation_policy = policy.map(DeallocationPolicySpec::validate).transpose()?;
    Ok(UpdateBody {
        a,
        b,
        usage,
        deallocation_policy,
    })
}

/// What an update changes (`PUT /greenpin/{greenpin_id}`, the body of Exotel's documented
/// Update example): every field optional, at least one required. On the wire, what is left
/// out keeps its value — a party's PIN included.
///
/// A PIN picks the allocation and the caller's number picks the party (see
/// [`PartySpec`]'s routing model), so changing a party's numbers alone leaves its old PIN
/// working: whoever knows it still reaches the other party, as A. To hand a party over to
/// someone else, change its number and its PIN together — [`UpdateSpec::reassign_a`] and
/// [`UpdateSpec::reassign_b`].
///
/// ```
/// # use greenpin_core::{PartySpec, UpdateSpec, Usage, ValidationContext};
/// let ctx = ValidationContext::default();
/// assert!(UpdateSpec::new().validate(&ctx).is_err()); // nothing to change
/// let spec = UpdateSpec::new()
///     .a(PartySpec::new().vns(["6292134471", "6292134464"]).number("7987686144").pin("123"))
///     .usage(Usage::Oneway)
///     .deallocate_after("20m");
/// let body = spec.validate(&ctx).unwrap();
/// assert_eq!(body.deallocation_policy.unwrap().duration.as_secs(), 1200);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct UpdateSpec {
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

impl UpdateSpec {
    /// Nothing set yet.
    pub fn new() -> Self {
        UpdateSpec::default()
    }

    allocation_setters!();

    /// Hands the A-party over to `number`: its numbers become `[number]` and it gets a
    /// fresh PIN of `pin_length` digits (generated by the service). The old A-party's number
    /// no longer routes, and the old PIN no longer finds the allocation. Read the new PIN
    /// from the answer and give it to the new A-party (and to B, if B enters A's PIN to call:
    /// B is told by its number, so it needs no PIN on a VN where its number is registered).
    ///
    /// If the old A-party ever learnt B's PIN (B-party PINs on), refresh B's PIN in the same
    /// update too (`.b(PartySpec::new().pin_length(n))`): any PIN of the allocation lets a
    /// caller through as party A (see the routing model on [`PartySpec`]).
    ///
    /// ```
    /// # use greenpin_core::{PinLength, UpdateSpec, ValidationContext};
    /// let spec = UpdateSpec::new().reassign_a("7000000001", PinLength::of::<4>());
    /// let body = serde_json::to_value(spec.validate(&ValidationContext::default())?)?;
    /// assert_eq!(body, serde_json::json!({"a": {"numbers": ["+917000000001"], "pin_length": 4}}));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reassign_a(self, number: impl Into<String>, pin_length: PinLength) -> Self {
        self.a(PartySpec::new().number(number).pin_length(pin_length))
    }

    /// Hands the B-party over to `number`, asking for a fresh B PIN of `pin_length` digits
    /// (dropped by the service where B-party PINs are off, the default).
    ///
    /// The old B-party's number no longer routes as B. But a caller who is not one of B's
    /// numbers and enters *any* PIN of the allocation is party A and reaches the new B: if
    /// the old B-party knows a PIN — A's, or its own where B PINs are on — refresh A's PIN
    /// in the same update as well, and give it to the A-party:
    ///
    /// ```
    /// # use greenpin_core::{PartySpec, PinLength, UpdateSpec, ValidationContext};
    /// let spec = UpdateSpec::new()
    ///     .reassign_b("9000000002", PinLength::of::<4>())
    ///     .a(PartySpec::new().pin_length(PinLength::of::<4>())); // the old B knew A's PIN
    /// let body = serde_json::to_value(spec.validate(&ValidationContext::default())?)?;
    /// assert_eq!(body["a"], serde_json::json!({"pin_length": 4}));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reassign_b(self, number: impl Into<String>, pin_length: PinLength) -> Self {
        self.b(PartySpec::new().number(number).pin_length(pin_length))
    }

    /// Whether no field at all is set (an update must set one).
    pub fn is_empty(&self) -> bool {
        self.a.as_ref().is_none_or(PartySpec::is_empty)
            && self.b.as_ref().is_none_or(PartySpec::is_empty)
            && self.usage.is_none()
            && self.deallocation_policy.is_none()
    }

    /// Checks every rule of an update: at least one field, every field valid.
    pub fn validate(&self, ctx: &ValidationContext) -> Result<UpdateBody, ValidationError> {
        if self.is_empty() {
            return Err(ValidationError::new(
                "body",
                ValidationKind::Missing,
                "an update must change at least one of a, b, usage, deallocation_policy",
            ));
        }
        validate_fields(
            self.a.as_ref(),
            self.b.as_ref(),
            self.usage.as_ref(),
            self.deallocation_policy.as_ref(),
            ctx,
        )
    }
}

/// A validated [`UpdateSpec`]: E.164 numbers, checked PINs, a parsed duration. It is the
/// body an update sends, and the part of a create or bulk item with the same fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct UpdateBody {
    /// The A-party.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub a: Option<Party>,
    /// The B-party.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub b: Option<Party>,
    /// Who may call whom.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// When the allocation ends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deallocation_policy: Option<DeallocationPolicy>,
}

/// A new allocation (`POST /greenpin`): the caller's `transaction_id` and the allocation's
/// fields. Either party may carry the numbers and the VNs, but numbers and VNs must each be
/// given for one of them; a party with no VNs uses the other party's.
///
/// Who reaches whom: a caller dials a party's VN and enters its PIN; the PIN picks this
/// allocation, and the caller's number picks the party — one of B's numbers is B, *any
/// other number* is A (see [`PartySpec`]). Without a PIN for the A-party, the service
/// generates one when A-party PINs are enabled (the default); read it from the answer.
///
/// ```
/// # use greenpin_core::PinLength;
/// # use greenpin_core::{CreateSpec, PartySpec, Usage, ValidationContext};
/// let spec = CreateSpec::new("order-42")
///     .a(PartySpec::new().number("7987686144").vn("6292134471").pin_length(PinLength::of::<4>()))
///     .b(PartySpec::new().number("9956555625"))
///     .usage(Usage::Twoway)
///     .deallocate_after("2h");
/// let body = spec.validate(&ValidationContext::default()).unwrap();
/// assert_eq!(body.fields.a.unwrap().numbers[0].as_str(), "+917987686144");
///
/// let no_vns = CreateSpec::new("order-43").a(PartySpec::new().number("7987686144"));
/// let err = no_vns.validate(&ValidationContext::default()).unwrap_err();
/// assert_eq!(err.to_string(), "a.vns: a or b must have vns");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct CreateSpec {
    /// The caller's own id for the allocation (an order id, say). Mandatory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
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
    /// Who may call whom (`twoway` when left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// When the allocation ends (the `max_deallocation_time` setting when left out).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::lenient::object"
    )]
    pub deallocation_policy: Option<DeallocationPolicySpec>,
}

impl CreateSpec {
    /// A create with this transaction id and nothing else yet.
    pub fn new(transaction_id: impl Into<String>) -> Self {
        CreateSpec {
            transaction_id: Some(transaction_id.into()),
            ..CreateSpec::default()
        }
    }

    allocation_setters!();

    /// Checks every rule of a create.
    pub fn validate(&self, ctx: &ValidationContext) -> Result<CreateBody, ValidationError> {
        let transaction_id = match &self.transaction_id {
            None => {
                return Err(ValidationError::new(
                    TransactionId::FIELD,
                    ValidationKind::Missing,
                    "is required",
                ));
            }
            Some(t) => TransactionId::new(t.as_str())?,
        };
        let fields = validate_fields(
            self.a.as_ref(),
            self.b.as_ref(),
            self.usage.as_ref(),
            self.deallocation_policy.as_ref(),
            ctx,
        )?;
        let has = |f: fn(&Party) -> bool| {
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

/// A validated [`CreateSpec`]: the body a create sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct CreateBody {
    /// The caller's id.
    pub transaction_id: TransactionId,
    /// Parties, usage and policy.
    #[serde(flatten)]
    pub fields: UpdateBody,
}
