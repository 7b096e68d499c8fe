//! The numbers a drift run may use, by placeholder (`{vn1}`, `{a2}`, `{b1}`): the user's
//! own on a reference that is not on this machine, an emulator's otherwise; each checked
//! and normalised as the SDK would send it, and all distinct, before the first request.

use std::collections::BTreeMap;

use super::DriftArgs;
use super::scenario::Scenario;
use super::side::Side;
use crate::exit::CommandError;

/// Numbers an emulator takes, for a reference on this machine given none.
const LOOPBACK_NUMBERS: [(&str, &[&str]); 3] = [
    ("vn", &["6292134471", "6292134464"]),
    ("a", &["7987686144", "7000000001"]),
    ("b", &["9956555625"]),
];

/// The numbers the scenario may use, by placeholder (`vn1`, `a2`, `b1`): the user's own on
/// a reference that is not on this machine (required, with `--allow-writes`), an
/// emulator's otherwise.
pub(super) fn numbers(
    args: &DriftArgs,
    scenario: &Scenario,
    reference: &Side,
) -> Result<BTreeMap<String, String>, CommandError> {
    let needs = scenario.needs;
    let given = [
        ("vn", &args.vns, needs.vn, "--vn"),
        ("a", &args.a_numbers, needs.a_number, "--a-number"),
        ("b", &args.b_numbers, needs.b_number, "--b-number"),
    ];
    if !reference.is_loopback() {
        if !args.allow_writes {
            return Err(CommandError::Usage(format!(
                "{} is not on this machine: drift writes to it (it creates up to {} allocations and deletes them). Add --allow-writes, and the account's own numbers: --vn (×{}), --a-number (×{}), --b-number (×{})",
                reference.tenant,
                scenario.creates(),
                needs.vn,
                needs.a_number,
                needs.b_number
            )));
        }
        for (_, list, need, flag) in &given {
            if list.len() < *need {
                return Err(CommandError::Usage(format!(
                    "{flag}: the scenario needs {need} of the account's own numbers, {} given",
                    list.len()
                )));
            }
        }
    }
    let mut values = BTreeMap::new();
    for ((prefix, list, need, _), (_, defaults)) in given.iter().zip(LOOPBACK_NUMBERS) {
        for i in 0..*need {
            let n = list
                .get(i)
                .map(String::as_str)
                .or_else(|| defaults.get(i).copied())
                .ok_or_else(|| {
                    CommandError::Usage(format!("the scenario needs more {prefix} numbers"))
                })?;
            let flag = given.iter().find(|g| g.0 == *prefix).map_or("", |g| g.3);
            let number =
                greenpin_core::PhoneNumber::parse(n, reference.country()).map_err(|e| {
                    CommandError::Usage(format!("{flag} {}: {e}", crate::output::printable(n)))
                })?;
            values.insert(format!("{prefix}{}", i + 1), number.as_str().to_owned());
        }
    }
    distinct(&values)?;
    Ok(values)
}

/// Refuses numbers the scenario cannot tell apart: the same VN twice, the same A-party
/// number twice, or one number in two roles (a B-party number that is also an A-party
/// number or a VN) — GreenPin would refuse the creates, and the steps after them would
/// compare nothing.
fn distinct(values: &BTreeMap<String, String>) -> Result<(), CommandError> {
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, number) in values {
        if let Some(earlier) = seen.insert(number, name) {
            return Err(CommandError::Usage(format!(
                "{number} is given twice, as {} and as {}: the scenario needs distinct numbers",
                flag_of(earlier),
                flag_of(name)
            )));
        }
    }
    Ok(())
}

/// A placeholder as the user gave it: `vn2` is the 2nd --vn.
fn flag_of(placeholder: &str) -> String {
    let (flag, nth) = match placeholder.split_at(placeholder.len().min(1)) {
        ("v", rest) => ("--vn", rest.trim_start_matches('n')),
        ("a", rest) => ("--a-number", rest),
        ("b", rest) => ("--b-number", rest),
        _ => return placeholder.to_owned(),
    };
    let ordinal = match nth {
        "1" => "1st",
        "2" => "2nd",
        "3" => "3rd",
        other => return format!("{flag} #{other}"),
    };
    format!("the {ordinal} {flag}")
}
