//! Phone numbers: validation and E.164 normalisation.
//!
//! GreenPin's docs say "E.164", yet its Update example sends 10-digit Indian numbers and the
//! service answers with `+91…`. So every number a caller gives us is read in a default
//! country (the account's `country` setting, `IN` unless changed) and written as E.164.
//!
//! The general path is the `phonenumber` crate (Google's libphonenumber metadata): parse,
//! check *validity* (not just that it parsed), format as E.164. That costs microseconds per
//! number and about 76 ms to load the metadata on first use — too much for bulk updates of
//! thousands of numbers and for a CLI that wants to answer fast. So the common Indian forms
//! (`9876543210`, `+91 98765 43210`, `098765-43210`) take a fast path that gives exactly
//! phonenumber's answer without touching its metadata: for a 10-digit Indian national
//! number, validity is decided by its first six digits (every IN pattern ends in free
//! `\d` positions), and a generated table (`in_prefixes.rs`) holds the valid six-digit prefixes, generated from
//! phonenumber's own metadata and checked fresh by a test. A differential test over a
//! generated corpus proves the two paths agree.
//!
//! Letters are refused before either path: libphonenumber maps them to keypad digits, which
//! would silently turn the documentation's masked `629XXXXX71` into some other number.

mod countries;
mod country;
mod in_prefixes;

pub use country::{Country, UnknownCountry};

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::text::Text;

/// Longest input we attempt to read as a phone number. E.164 numbers have at most 15
/// digits; this leaves room for separators and refuses pathological input early.
const MAX_INPUT_LEN: usize = 40;

/// A phone number in E.164 form (`+919876543210`).
///
/// Built by [`PhoneNumber::parse`], which validates and normalises. When read from a
/// GreenPin *response* it is taken as the server wrote it, unvalidated: the service is the
/// authority on what it allocated, and its documented examples are masked (`+916XXXXXX471`).
///
/// ```
/// # use greenpin_core::{Country, PhoneNumber};
///
/// let n = PhoneNumber::parse("098765-43210", Country::IN).unwrap();
/// assert_eq!(n.as_str(), "+919876543210");
/// assert!(PhoneNumber::parse("629XXXXX71", Country::IN).is_err());
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PhoneNumber(Text<16>);

impl PhoneNumber {
    /// Validates `input` and normalises it to E.164, reading a number without a `+` prefix
    /// as a number of `country`.
    ///
    /// Accepts ASCII digits, a leading `+`, and the separators space, `-`, `.`, `(` and `)`.
    /// Anything else — letters in particular — is refused rather than guessed at.
    ///
    /// Without the `international-numbers` feature (on by default), only Indian numbers
    /// written as ten digits (alone, or after `+91`, `91`, `0091` or `0`) can be checked;
    /// any other number is refused as [`PhoneNumberError::Unchecked`], never passed on
    /// unchecked.
    pub fn parse(input: &str, country: Country) -> Result<Self, PhoneNumberError> {
        Self::parse_checking(input, country, true)
    }

    /// [`PhoneNumber::parse`], with the metadata's path only when `international` (and
    /// this build has it): a client checks what its own crate's feature says, whatever
    /// another crate in the build (an emulator in a test build) turned on in the core.
    pub(crate) fn parse_checking(
        input: &str,
        country: Country,
        international: bool,
    ) -> Result<Self, PhoneNumberError> {
        let mut digits = [0; MAX_INPUT_LEN];
        let compact = compact(input, &mut digits)?;
        match fast_path(&compact, country) {
            Some(Ok(n)) => Ok(n),
            Some(Err(())) => Err(PhoneNumberError::Invalid),
            #[cfg(feature = "international-numbers")]
            None if international => slow_path(&compact, country),
            None => {
                let _ = international;
                Err(unchecked(&compact, country))
            }
        }
    }

    /// Wraps a string the server sent, without validation. Prefer [`PhoneNumber::parse`].
    #[cfg(feature = "unstable-wire")]
    pub(crate) fn from_server(value: impl Into<String>) -> Self {
        PhoneNumber(Text::from(value.into()))
    }

    /// The E.164 text, e.g. `+919876543210`.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.as_str())
    }
}

impl AsRef<str> for PhoneNumber {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Serialize for PhoneNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for PhoneNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::text::deserialize(d).map(PhoneNumber)
    }
}

/// Why a string is not a phone number. Each message reads alone (`not a valid phone
/// number`), and after the text it is about with an "is" (`"12345" is not a valid phone
/// number`), which is how a refusal of a field quotes it.
///
/// ```
/// # use greenpin_core::{Country, PhoneNumber};
/// let e = PhoneNumber::parse("629XXXXX71", Country::IN).unwrap_err();
/// assert_eq!(e.to_string(), "not a valid phone number: 'X' is neither a digit nor a separator");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PhoneNumberError {
    /// Empty or only separators.
    #[error("empty, not a phone number")]
    Empty,
    /// Longer than any phone number can be.
    #[error("too long to be a phone number")]
    TooLong,
    /// A character that has no place in a phone number (letters, `#`, `*`, …).
    #[error("not a valid phone number: {0:?} is neither a digit nor a separator")]
    BadCharacter(char),
    /// A `+` anywhere but at the start (after blanks or an opening bracket).
    #[error("not a valid phone number: a '+' may only begin it")]
    MisplacedPlus,
    /// Well-formed characters, but no valid number in any numbering plan we know.
    #[error("not a valid phone number")]
    Invalid,
    /// A number this build cannot check. Built with `default-features = false` (without
    /// the `international-numbers` feature), the SDK checks Indian numbers written as ten
    /// digits (alone, or after `+91`, `91`, `0091` or `0`), and refuses the rest rather
    /// than send them unchecked. The number may well be valid.
    #[error(
        "not checked: numbers outside India, and Indian numbers in other forms than ten digits (alone, or after +91, 91, 0091 or 0), are checked only with the SDK's `international-numbers` feature (on by default), which this client does not use"
    )]
    Unchecked,
}

/// Checks the characters of `input` and drops the separators, keeping the digits and a
/// leading `+`. Separators are formatting, not content; dropping them before phonenumber
/// also avoids its overflow on `+9198765-43210`.
// The digits go into the caller's buffer, and what comes back is a view of it: a copy of
// the buffer on its way out stalled on the byte-wise stores that filled it (`perf
// annotate`; a number took 50 ns, now about 30).
fn compact<'b>(
    input: &str,
    digits: &'b mut [u8; MAX_INPUT_LEN],
) -> Result<Compact<'b>, PhoneNumberError> {
    if input.len() > MAX_INPUT_LEN {
        return Err(PhoneNumberError::TooLong);
    }
    let (mut len, mut plus) = (0, false);
    // Byte by byte: every accepted character is ASCII, so the first other byte starts the
    // character to name.
    let mut only_spaces = true;
    for (i, &b) in input.as_bytes().iter().enumerate() {
        match b {
            b'0'..=b'9' => {
                digits[len] = b;
                len += 1;
            }
            b'+' if !plus && only_spaces => plus = true,
            b'+' => return Err(PhoneNumberError::MisplacedPlus),
            b' ' | b'-' | b'.' | b'(' | b')' => {}
            _ => {
                let other = input[i..].chars().next().unwrap_or('\u{fffd}');
                return Err(PhoneNumberError::BadCharacter(other));
            }
        }
        // A `+` may follow blanks or an opening bracket: `(+91) 98765 43210`.
        only_spaces &= b == b' ' || b == b'(';
    }
    if len == 0 {
        return Err(PhoneNumberError::Empty);
    }
    Ok(Compact {
        plus,
        digits: &digits[..len],
    })
}

/// An input reduced to an optional `+` and its ASCII digits.
pub(crate) struct Compact<'b> {
    plus: bool,
    digits: &'b [u8],
}

impl Compact<'_> {
    fn digits(&self) -> &[u8] {
        self.digits
    }

    /// The compact text, e.g. `+919876543210`.
    #[cfg(feature = "international-numbers")]
    fn text(&self) -> String {
        let mut s = String::with_capacity(self.digits.len() + 1);
        if self.plus {
            s.push('+');
        }
        s.extend(self.digits().iter().map(|&b| b as char));
        s
    }
}

/// The metadata-free path for Indian numbers: `+91` and ten digits, or — read in `IN` —
/// ten digits, `0` and ten digits, `91` and ten digits (the everyday form with the country
/// code and no `+`), or `0091` and ten digits (India's international prefix). `None` means
/// "not a form this path knows" and the caller falls back to phonenumber; `Some` is
/// phonenumber's validity verdict and E.164.
pub(crate) fn fast_path(c: &Compact, country: Country) -> Option<Result<PhoneNumber, ()>> {
    let home = country == Country::IN;
    let national: &[u8] = match (c.plus, c.digits()) {
        (true, [b'9', b'1', rest @ ..]) if rest.len() == 10 => rest,
        (false, rest) if home && rest.len() == 10 => rest,
        (false, [b'0', rest @ ..]) if home && rest.len() == 10 => rest,
        (false, [b'9', b'1', rest @ ..]) if home && rest.len() == 10 => rest,
        (false, [b'0', b'0', b'9', b'1', rest @ ..]) if home && rest.len() == 10 => rest,
        _ => return None,
    };
    if national[0] == b'0' {
        return None;
    }
    let prefix = national[..6]
        .iter()
        .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
    if !is_valid_in_prefix(prefix) {
        return Some(Err(()));
    }
    // ASCII digits are always UTF-8, and `+91` and ten digits always fit inline.
    let mut e164 = arrayvec::ArrayString::<16>::new();
    e164.push_str("+91");
    e164.try_push_str(std::str::from_utf8(national).ok()?)
        .ok()?;
    Some(Ok(PhoneNumber(Text::Inline(e164))))
}

/// Whether a 10-digit Indian national number starting with these six digits is valid: one
/// bit of a bitmap of the 900,000 six-digit prefixes, made from the generated ranges on
/// first use (112 KiB). A binary search of the 2,182 ranges took a dozen unpredictable
/// branches a number, the update's costliest step (docs/BENCHMARKS.md).
fn is_valid_in_prefix(prefix: u32) -> bool {
    static BITS: std::sync::OnceLock<Box<[u64]>> = std::sync::OnceLock::new();
    let bits = BITS.get_or_init(|| {
        let mut bits = vec![0u64; (900_000usize).div_ceil(64)];
        for &(start, end) in in_prefixes::VALID_RANGES {
            for p in start.max(100_000)..end.min(1_000_000) {
                let at = (p - 100_000) as usize;
                bits[at / 64] |= 1 << (at % 64);
            }
        }
        bits.into_boxed_slice()
    });
    let Some(at) = prefix.checked_sub(100_000).map(|a| a as usize) else {
        return false;
    };
    bits.get(at / 64)
        .is_some_and(|word| word >> (at % 64) & 1 == 1)
}

/// The general path: phonenumber's parse, validity check and E.164 formatting — kept only
/// when that E.164 text is itself a valid number that formats the same. phonenumber can
/// call a national form valid whose E.164 form is not (`000008000001414` in India formats
/// as `+910008000001414`, which it then refuses): sent as is, the service would refuse
/// the number too, so it is refused here, by the field that holds it.
#[cfg(feature = "international-numbers")]
#[cold]
#[inline(never)]
pub(crate) fn slow_path(c: &Compact, country: Country) -> Result<PhoneNumber, PhoneNumberError> {
    let e164 = |text: &str, country: Option<phonenumber::country::Id>| {
        let parsed = phonenumber::parse(country, text).map_err(|_| PhoneNumberError::Invalid)?;
        if !parsed.is_valid() {
            return Err(PhoneNumberError::Invalid);
        }
        Ok(parsed.format().mode(phonenumber::Mode::E164).to_string())
    };
    // A number with its `+` names its own country: read in a default region, phonenumber
    // drops an Italian number's leading zero (`+39 02…` became the invalid `+39 2…`).
    let region = if c.plus { None } else { country.id() };
    let formatted = e164(&c.text(), region)?;
    if e164(&formatted, None)? != formatted {
        return Err(PhoneNumberError::Invalid);
    }
    Ok(PhoneNumber(Text::from(formatted)))
}

/// The fewest digits an Indian national number has: the shortest of the `IN` metadata's
/// possible lengths (a test checks it against phonenumber).
const MIN_IN_DIGITS: usize = 8;

/// Where the metadata's path is not taken (a build without the `international-numbers`
/// feature, or a client whose crate was built without it), what the Indian fast path cannot
/// decide is refused as a form this build cannot check, never guessed at. Only what no
/// numbering plan could call a number is refused as invalid: an Indian number (with `+91`,
/// or read in `IN`) of fewer digits than any Indian number has.
#[cold]
pub(crate) fn unchecked(c: &Compact, country: Country) -> PhoneNumberError {
    let indian_digits = match (c.plus, c.digits()) {
        (true, [b'9', b'1', national @ ..]) => national.len(),
        // A trunk `0` is not part of the number.
        (false, [b'0', national @ ..]) if country == Country::IN => national.len(),
        (false, digits) if country == Country::IN => digits.len(),
        _ => return PhoneNumberError::Unchecked,
    };
    if indian_digits < MIN_IN_DIGITS {
        PhoneNumberError::Invalid
    } else {
        PhoneNumberError::Unchecked
    }
}

#[cfg(feature = "schema")]
crate::schema::json_schema_for!(PhoneNumber, "PhoneNumber", {
    "type": "string",
    "description": "A phone number in E.164 form, as the service writes it.",
    "examples": ["+917987686144"]
});

#[cfg(all(test, feature = "international-numbers"))]
mod tests;

#[cfg(feature = "schema")]
crate::schema::json_schema_for!(Country, "Country", {
    "type": "string",
    "description": "An ISO 3166-1 alpha-2 country code (`IN`), read in either case and written in capitals.",
    "pattern": "^[A-Za-z]{2}$",
    "examples": ["IN"]
});
