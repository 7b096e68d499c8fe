//! Reading bodies as a server does: the newer request shape refused with what to use
//! instead, bulk counts at their boundary, and errors that keep field and problem apart.

use greenpin_core::wire::from_json_noting_unknown;
use greenpin_core::{
    BulkItemSpec, BulkSpec, MAX_BULK_ITEMS, PartySpec, UpdateSpec, Usage, ValidationContext,
    ValidationKind,
};

#[test]
fn the_newer_shape_is_refused_naming_what_greenpin_reads() {
    for (field, instead) in [
        ("caller_id_number", "use a.vns or b.vns"),
        ("from", "use a.numbers"),
        ("to", "use b.numbers"),
        ("duration", "use deallocation_policy.duration"),
        ("record", "use nothing: GreenPin has no such setting"),
    ] {
        let body = format!(r#"{{"usage":"oneway","{field}":"x"}}"#);
        let err = from_json_noting_unknown::<UpdateSpec>(body.as_bytes()).unwrap_err();
        assert_eq!((err.field(), err.kind()), (field, ValidationKind::Invalid));
        assert!(err.problem().contains(instead), "{field}: {err}");
    }
    // In a bulk item, named under the item; a plain unknown field is only noted.
    let items = greenpin_core::wire::read_bulk_items(
        br#"{"greenpins":[{"greenpin_id":"g-1","to":"9956555625"},{"greenpin_id":"g-2","usage":"oneway","colour":1}]}"#,
    )
    .unwrap();
    let err = items[0].spec.as_ref().unwrap_err();
    assert_eq!(err.field(), "greenpins[0].to");
    assert!(err.problem().contains("use b.numbers"), "{err}");
    assert!(items[1].spec.is_ok());
}

#[test]
fn a_bulk_update_holds_one_to_a_hundred_items() {
    let ctx = ValidationContext::default();
    let bulk = |n: usize| {
        (0..n).fold(BulkSpec::new(), |b, i| {
            b.item(BulkItemSpec::new(format!("g-{i}")).usage(Usage::Oneway))
        })
    };
    assert_eq!(MAX_BULK_ITEMS, 100);
    assert_eq!(bulk(100).validate(&ctx).unwrap().greenpins.len(), 100);
    let err = bulk(101).validate(&ctx).unwrap_err();
    assert_eq!(
        (err.field(), err.kind()),
        ("greenpins", ValidationKind::TooManyInBulk)
    );
    assert!(err.problem().contains("has 101 items"), "{err}");
    // The same boundary on the wire, as the emulator reads it.
    let wire = |n: usize| {
        let items = vec![r#"{"greenpin_id":"g","usage":"oneway"}"#; n].join(",");
        greenpin_core::wire::read_bulk_items(format!(r#"{{"greenpins":[{items}]}}"#).as_bytes())
            .map(|v| v.len())
    };
    assert_eq!(wire(100).unwrap(), 100);
    assert_eq!(wire(101).unwrap_err().kind(), ValidationKind::TooManyInBulk);
}

#[test]
fn an_error_keeps_its_field_and_its_problem_apart() {
    let err = PartySpec::new()
        .number("12345")
        .validate("a", &ValidationContext::default())
        .unwrap_err();
    assert_eq!(err.field(), "a.numbers[0]");
    assert_eq!(err.problem(), "\"12345\" is not a valid phone number");
    assert_eq!(
        err.to_string(),
        format!("{}: {}", err.field(), err.problem())
    );
}

#[test]
fn reassigning_b_sends_its_new_number_and_a_fresh_pin_length() {
    let spec = UpdateSpec::new().reassign_b("9000000002", greenpin_core::PinLength::of::<4>());
    let body = serde_json::to_value(spec.validate(&ValidationContext::default()).unwrap()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"b": {"numbers": ["+919000000002"], "pin_length": 4}})
    );
}

#[test]
fn malformed_json_is_the_bodys_fault_and_a_wrong_type_the_fields() {
    for broken in [&br#"{"usage":"#[..], br#"{usage: 1}"#] {
        let err = from_json_noting_unknown::<UpdateSpec>(broken).unwrap_err();
        assert_eq!(err.field(), "body");
        assert!(
            err.problem().starts_with("is not well-formed JSON"),
            "{err}"
        );
    }
    let err = from_json_noting_unknown::<UpdateSpec>(br#"{"a":{"numbers":[7]}}"#).unwrap_err();
    assert_eq!(err.field(), "a.numbers[0]");
    // serde's words, without " at line 1 column 22": the field says where.
    assert!(
        err.problem().starts_with("invalid type: integer `7`"),
        "{err}"
    );
    assert!(!err.problem().contains(" at line "), "{err}");
}
