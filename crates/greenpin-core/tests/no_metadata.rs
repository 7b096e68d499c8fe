//! The fast path never loads phonenumber's metadata (~76 ms on first use). This file is its
//! own test binary, so its own process: nothing else has touched the metadata.

use greenpin_core::ops::Operation;
use greenpin_core::ops::UpdateAllocation;
use greenpin_core::{AccountSid, ApiContext, Credentials, GreenPinId, PartySpec, UpdateSpec};

#[test]
fn common_indian_forms_do_not_load_metadata() {
    let loaded = || once_cell::sync::Lazy::get(&phonenumber::metadata::DATABASE).is_some();
    assert!(!loaded(), "loaded before the test began");

    // The seed's Update, with every common form of number in it.
    let ctx = ApiContext::new(AccountSid::new("acme").unwrap(), Credentials::new("k", "t"));
    let update = UpdateAllocation::new(
        GreenPinId::new("g-1").unwrap(),
        UpdateSpec::new()
            .a(PartySpec::new()
                .vns(["6292134471", "+91 62921 34464"])
                .number("07987686144"))
            .b(PartySpec::new()
                .vns(["+916292134465"])
                .number("099565-55625")),
    );
    update.build_request(&ctx).unwrap();
    assert!(!loaded(), "the fast path loaded phonenumber's metadata");

    // A form outside the fast path does load it: the check above can fail.
    greenpin_core::PhoneNumber::parse("(201) 555-0123", "US".parse().unwrap()).unwrap();
    assert!(loaded());
}
