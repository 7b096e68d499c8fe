//! The A- and B-party of an allocation: VNs, numbers, PIN and PIN length.
//!
//! Two types: [`PartySpec`] is what a caller (or a request body) *says*, as text, and can
//! be wrong; [`Party`] is what [`PartySpec::validate`] makes of it — E.164 numbers, a
//! checked PIN — and what the service answers with.

use serde::{Deserialize, Serialize};

use crate::body::ValidationContext;
use crate::phone::{Country, PhoneNumber, PhoneNumberError};
use crate::pin::{Pin, PinLength};
use crate::validation::{ValidationError, ValidationKind};

/// Most numbers (or VNs) in one list: GreenPin's documented limit.
pub const MAX_NUMBERS_PER_LIST: usize = 10;

/// A party as a request states it, not yet validated. Every field is optional: on update,
/// what is absent stays as it was.
///
/// # How a call finds its way (Exotel's routing model)
///
/// A caller dials one of a party's **VNs** and may enter a **PIN**. Documented: "any number
/// (other than b-party numbers) dialing on the virtual number and entering the correct pin
/// are considered as a-party". So **a PIN picks the allocation** (on a VN, a PIN belongs
/// to one live allocation, whichever party it was issued to) and **the caller's number
/// picks the party**:
///
/// | caller's number | enters | is | reaches |
/// |---|---|---|---|
/// | one of B's `numbers` | A's or B's PIN | party B | A (refused when `usage` is `oneway`) |
/// | any other number, A's included | A's or B's PIN | party A | B's first number |
/// | a number of a party **without** a PIN, on that party's VN | nothing | that party | the other party |
/// | anyone else | nothing, or a PIN no live allocation holds on the VN | nobody | a `call-attempt` callback |
///
/// Which parties have PINs is the account's setting (`aparty_pin_enabled`, on by default;
/// `bparty_pin_enabled`, off; `common_pin_enabled`: one PIN for both). A PIN given for a
/// party whose PIN is off is dropped by the service.
///
/// **Sizing a VN pool.** On one VN, a number belongs to one live allocation at a time: a
/// second allocation that puts the same number on the same VN under another PIN is
/// refused (409, code 19), and so is one whose every number is already there (code 13),
/// while an ended allocation keeps its keys for the account's `deletion_time`. So a rider
/// (or a customer) with `n` orders at once needs `n` VNs, and a pool needs as many VNs as
/// the most allocations any one number holds at a time, counting those in their vault
/// period.
///
/// So a PIN is a credential: **anyone** who knows one of an allocation's PINs reaches B
/// as party A, and changing a party's `numbers` does not stop them. To replace a party,
/// give it a new number *and* new PINs in one update: [`UpdateSpec::reassign_a`] and
/// [`UpdateSpec::reassign_b`] say how.
///
/// [`UpdateSpec::reassign_a`]: crate::UpdateSpec::reassign_a
/// [`UpdateSpec::reassign_b`]: crate::UpdateSpec::reassign_b
///
/// A PIN is kept out of `Debug` (only its presence shows) and out of error messages.
///
/// ```
/// # use greenpin_core::PinLength;
/// # use greenpin_core::{PartySpec, ValidationContext};
/// let ctx = ValidationContext::default();
/// let a = PartySpec::new().vn("6292134471").number("7987686144").pin("123").pin_length(PinLength::of::<3>());
/// let party = a.validate("a", &ctx).unwrap();
/// assert_eq!(party.numbers[0].as_str(), "+917987686144");
///
/// let bad = PartySpec::new().pin("23").pin_length(PinLength::of::<3>()).validate("b", &ctx);
/// assert_eq!(bad.unwrap_err().to_string(), "b.pin: a PIN of 2 digits does not match pin_length 3");
/// assert!(!format!("{a:?}").contains("123"));
/// ```
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct PartySpec {
    /// Virtual numbers this party is reached through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vns: Option<Vec<String>>,
    /// The party's real numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numbers: Option<Vec<String>>,
    /// This party's PIN. It picks the allocation on the party's VNs; who is calling is then
    /// told by the caller's number (see the routing model above), so anyone who knows it
    /// reaches the other party as A. Absent: the service generates one when the party's PIN
    /// is enabled.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::lenient::pin_text"
    )]
    #[cfg_attr(feature = "schema", schemars(schema_with = "crate::schema::pin_text"))]
    pub pin: Option<String>,
    /// The PIN's length; alone, asks the service to generate a PIN of that length.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::lenient::int_or_digits"
    )]
    #[cfg_attr(
        feature = "schema",
        schemars(schema_with = "crate::schema::int_or_digits")
    )]
    pub pin_length: Option<i64>,
}

/// The PIN shows as `"<set>"`: it is a credential.
impl std::fmt::Debug for PartySpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartySpec")
            .field("vns", &self.vns)
            .field("numbers", &self.numbers)
            .field("pin", &self.pin.as_ref().map(|_| "<set>"))
            .field("pin_length", &self.pin_length)
            .finish()
    }
}

impl PartySpec {
    /// An empty party spec.
    pub fn new() -> Self {
        PartySpec::default()
    }

    /// Adds a VN.
    pub fn vn(mut self, vn: impl Into<String>) -> Self {
        self.vns.get_or_insert_with(Vec::new).push(vn.into());
        self
    }

    /// Adds several VNs.
    pub fn vns<I: IntoIterator<Item = S>, S: Into<String>>(mut self, vns: I) -> Self {
        self.vns
            .get_or_insert_with(Vec::new)
            .extend(vns.into_iter().map(Into::into));
        self
    }

    /// Adds a number.
    pub fn number(mut self, number: impl Into<String>) -> Self {
        self.numbers
            .get_or_insert_with(Vec::new)
            .push(number.into());
        self
    }

    /// Adds several numbers.
    pub fn numbers<I: IntoIterator<Item = S>, S: Into<String>>(mut self, numbers: I) -> Self {
        self.numbers
            .get_or_insert_with(Vec::new)
            .extend(numbers.into_iter().map(Into::into));
        self
    }

    /// Sets the PIN (digits; its length sets `pin_length` when that is not given).
    pub fn pin(mut self, pin: impl Into<String>) -> Self {
        self.pin = Some(pin.into());
        self
    }

    /// Sets the PIN length. Without [`PartySpec::pin`], asks the service for a fresh PIN of
    /// this length (on update: replacing the current one).
    ///
    /// ```
    /// # use greenpin_core::{PartySpec, PinLength};
    /// let fixed = PartySpec::new().pin_length(PinLength::of::<4>());   // checked when compiled
    /// let chosen = PartySpec::new().pin_length(PinLength::new(6)?);     // checked when run
    /// # Ok::<(), greenpin_core::PinError>(())
    /// ```
    pub fn pin_length(mut self, len: PinLength) -> Self {
        self.pin_length = Some(i64::from(len.get()));
        self
    }

    /// Whether nothing at all is set.
    pub fn is_empty(&self) -> bool {
        self == &PartySpec::default()
    }

    /// Validates and normalises, naming fields under `path` (`"a"` or `"b"`).
    pub fn validate(&self, path: &str, ctx: &ValidationContext) -> Result<Party, ValidationError> {
        let vns = validate_list(path, "vns", self.vns.as_deref(), ctx)?;
        let numbers = validate_list(path, "numbers", self.numbers.as_deref(), ctx)?;
        let pin = match &self.pin {
            None => None,
            Some(p) => Some(Pin::from_text(p).map_err(|e| {
                ValidationError::new(
                    format!("{path}.pin"),
                    ValidationKind::Invalid,
                    e.to_string(),
                )
            })?),
        };
        let pin_length = match self.pin_length {
            None => None,
            Some(n) => Some(PinLength::new(n).map_err(|e| {
                ValidationError::new(
                    format!("{path}.pin_length"),
                    ValidationKind::Invalid,
                    e.to_string(),
                )
            })?),
        };
        if let (Some(pin), Some(len)) = (&pin, pin_length)
            && pin.pin_length() != len
        {
            return Err(ValidationError::new(
                format!("{path}.pin"),
                ValidationKind::Invalid,
                format!(
                    "a PIN of {} digits does not match pin_length {len}",
                    pin.len()
                ),
            ));
        }
        Ok(Party {
            vns,
            numbers,
            pin,
            pin_length,
        })
    }
}

fn validate_list(
    path: &str,
    name: &str,
    list: Option<&[String]>,
    ctx: &ValidationContext,
) -> Result<Vec<PhoneNumber>, ValidationError> {
    let country: Country = ctx.country;
    let Some(list) = list else {
        return Ok(Vec::new());
    };
    // Field names are written only for a refusal: a valid list costs no formatting.
    let field = || format!("{path}.{name}");
    let at = |i: usize| format!("{path}.{name}[{i}]");
    if list.is_empty() {
        return Err(ValidationError::new(
            field(),
            ValidationKind::Invalid,
            "must not be empty when given; leave it out to keep the current list",
        ));
    }
    if list.len() > MAX_NUMBERS_PER_LIST {
        return Err(ValidationError::new(
            field(),
            ValidationKind::Invalid,
            format!(
                "has {} entries; at most {MAX_NUMBERS_PER_LIST} are allowed",
                list.len()
            ),
        ));
    }
    let mut out: Vec<PhoneNumber> = Vec::with_capacity(list.len());
    for (i, raw) in list.iter().enumerate() {
        let n =
            PhoneNumber::parse_checking(raw, country, ctx.checks_international).map_err(|e| {
                let kind = if e == PhoneNumberError::Unchecked {
                    ValidationKind::UncheckedNumber
                } else {
                    ValidationKind::InvalidNumber
                };
                ValidationError::new(at(i), kind, format!("{raw:?} is {e}"))
            })?;
        if !ctx.intl_num_sup && !country.contains(&n) {
            return Err(ValidationError::new(
                at(i),
                ValidationKind::RegionNotSupported,
                format!(
                    "{n} is outside {country}; international numbers need the intl_num_sup setting"
                ),
            ));
        }
        if let Some(j) = out.iter().position(|m| m == &n) {
            return Err(ValidationError::new(
                at(i),
                ValidationKind::Duplicate,
                format!("{n} is already listed as {}", at(j)),
            ));
        }
        out.push(n);
    }
    Ok(out)
}

/// A validated party, as sent to and answered by the service.
///
/// Empty lists and absent PINs are left out of the JSON, so an update carries only what
/// it changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Party {
    /// Virtual numbers, E.164.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vns: Vec<PhoneNumber>,
    /// Real numbers, E.164.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub numbers: Vec<PhoneNumber>,
    /// The PIN, when the party has one (responses omit it for parties without).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<Pin>,
    /// The PIN length; sent as a number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_length: Option<PinLength>,
}

/// Refuses a number present in both parties' `numbers`, naming it in `b` (API code 14).
/// Validation calls it on a body; a server also calls it on an allocation after merging an
/// update into it (`wire::check_parties_disjoint`).
pub(crate) fn check_parties_disjoint(a: &Party, b: &Party) -> Result<(), ValidationError> {
    for (i, n) in b.numbers.iter().enumerate() {
        if let Some(j) = a.numbers.iter().position(|m| m == n) {
            return Err(ValidationError::new(
                format!("b.numbers[{i}]"),
                ValidationKind::SameNumberInBothParties,
                format!("{n} is also a.numbers[{j}]; a number cannot be on both sides"),
            ));
        }
    }
    Ok(())
}
