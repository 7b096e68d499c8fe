//! The core's slim build, without its `international-numbers` feature (no `phonenumber`):
//! Indian numbers in their usual forms are checked as ever; every other form is refused,
//! naming the feature, and never sent unchecked. `cargo xtask ci` runs the core's tests with
//! `--no-default-features`, where this file's tests run (and fails if none did).
#![cfg(not(feature = "international-numbers"))]

use greenpin_core::ops::{CreateAllocation, Operation};
use greenpin_core::{
    Country, CreateSpec, PartySpec, PhoneNumber, PhoneNumberError, ValidationContext,
    ValidationKind,
};

fn parse(input: &str, country: Country) -> Result<String, PhoneNumberError> {
    PhoneNumber::parse(input, country).map(|n| n.as_str().to_owned())
}

#[test]
fn indian_numbers_in_their_usual_forms_are_checked_as_ever() {
    for input in [
        "9876543210",
        "+91 98765 43210",
        "098765-43210",
        "(0) 98765.43210",
        // The everyday form with the country code and no `+`, and India's international
        // prefix: both Indian numbers, checked without the metadata.
        "919876543210",
        "91 98765 43210",
        "0091 98765 43210",
        "00919876543210",
    ] {
        assert_eq!(
            parse(input, Country::IN).as_deref(),
            Ok("+919876543210"),
            "{input}"
        );
    }
    // The prefix table still refuses what no Indian number starts with.
    assert_eq!(
        parse("1000000000", Country::IN),
        Err(PhoneNumberError::Invalid)
    );
    assert_eq!(
        parse("+91 10000 00000", Country::IN),
        Err(PhoneNumberError::Invalid)
    );
    // Ten digits after a 0 that starts with 0 again is not a form the table decides.
    assert_eq!(
        parse("0000000000", Country::IN),
        Err(PhoneNumberError::Unchecked)
    );
    // Fewer digits than any Indian number: invalid, as with the feature.
    assert_eq!(parse("12345", Country::IN), Err(PhoneNumberError::Invalid));
    assert_eq!(
        parse("+91 1234", Country::IN),
        Err(PhoneNumberError::Invalid)
    );
}

#[test]
fn other_forms_are_refused_naming_the_feature() {
    let us: Country = "us".parse().unwrap();
    for (input, country) in [
        ("+44 7911 123456", Country::IN),
        ("+1 202 555 0123", Country::IN),
        ("2025550123", us),
        ("1800 123 4567", Country::IN),
        ("+65 9123 4567", Country::IN),
        ("919876543210", us),
        ("+91 98765 432101", Country::IN),
    ] {
        let e = parse(input, country).unwrap_err();
        assert_eq!(e, PhoneNumberError::Unchecked, "{input} in {country}");
        assert!(
            e.to_string().contains("`international-numbers` feature"),
            "{e}"
        );
    }
}

#[test]
fn countries_are_known_without_phonenumber() {
    let country = |s: &str| s.parse::<Country>();
    assert_eq!(country(" gb ").unwrap().calling_code(), Some(44));
    assert_eq!(country("US").unwrap().as_str(), "US");
    assert_eq!(country("AE").unwrap().calling_code(), Some(971));
    assert_eq!(Country::IN.calling_code(), Some(91));
    for unknown in ["XX", "IND", "I", "", "ÍN"] {
        assert!(country(unknown).is_err(), "{unknown:?}");
    }
}

#[test]
fn a_request_with_a_number_this_build_cannot_check_is_never_built() {
    let op = CreateAllocation::new(
        CreateSpec::new("order-42")
            .a(PartySpec::new().number("7987686144").vn("6292134471"))
            .b(PartySpec::new().number("+447911123456")),
    );
    let v = op.body(&ValidationContext::default()).unwrap_err();
    assert_eq!(v.field(), "b.numbers[0]");
    // Its own kind: the number may be valid, and a service can tell its user so.
    assert_eq!(v.kind(), ValidationKind::UncheckedNumber);
    // Not the caller's bad input: an error of its own kind.
    assert!(matches!(
        greenpin_core::Error::from(v.clone()),
        greenpin_core::Error::Unchecked(_)
    ));
    assert!(
        v.problem().contains("`international-numbers`"),
        "{}",
        v.problem()
    );
}

#[test]
fn a_client_for_another_country_is_refused_when_built() {
    let builder = || {
        greenpin_core::client::ClientConfig::builder()
            .account_sid("acme")
            .credentials("key", "token")
    };
    let e = builder()
        .country("AE".parse().unwrap())
        .build_config()
        .unwrap_err();
    // Nor can a client ask for what the build cannot check.
    let e2 = builder()
        .international_numbers(true)
        .build_config()
        .unwrap_err();
    assert!(
        matches!(&e2, greenpin_core::Error::Config(c) if c.setting() == "international_numbers"),
        "{e2}"
    );
    assert!(
        e.to_string()
            .contains("country: AE needs the SDK's `international-numbers` feature"),
        "{e}"
    );
    assert!(builder().country(Country::IN).build_config().is_ok());
}
