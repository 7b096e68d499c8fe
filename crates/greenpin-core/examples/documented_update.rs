//! Exotel's documented Update call, built with greenpin-core and printed: what would go on
//! the wire, and what the SDK says about the documentation's own masked placeholders.
//!
//! Run: `cargo run -p greenpin-core --example documented_update`

use greenpin_core::ops::Operation;
use greenpin_core::ops::UpdateAllocation;
use greenpin_core::{
    AccountSid, ApiContext, Credentials, GreenPinId, PartySpec, PinLength, UpdateSpec, Usage,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ctx = ApiContext::new(
        AccountSid::new("your_sid")?,
        Credentials::new("your_api_key", "your_api_token"),
    );
    let id = GreenPinId::new("d7ffd4b3-5c1e-4bda-a024-0b1d2a3b4c5d")?;

    // The documented body with real numbers in place of its placeholders.
    let update = UpdateAllocation::new(
        id.clone(),
        UpdateSpec::new()
            .a(PartySpec::new()
                .vns(["6292134471", "6292134464"])
                .number("7987686144")
                .pin("123")
                .pin_length(PinLength::of::<3>()))
            .b(PartySpec::new()
                .vns(["6292134465", "6292134464"])
                .number("9956555625")
                .pin("234")
                .pin_length(PinLength::of::<3>()))
            .usage(Usage::Twoway)
            .deallocate_after("1200s"),
    );
    let request = update.build_request(&ctx)?;
    println!("{} {}", request.method(), request.uri());
    for (name, value) in request.headers() {
        let shown = if value.is_sensitive() {
            "[sensitive]"
        } else {
            value.to_str()?
        };
        println!("{name}: {shown}");
    }
    let body: serde_json::Value = serde_json::from_slice(request.body())?;
    println!("\n{}", serde_json::to_string_pretty(&body)?);

    // The example as published, placeholders and all: refused before anything is sent.
    let published: UpdateSpec =
        serde_json::from_str(include_str!("../tests/fixtures/seed_update_request.json"))?;
    match UpdateAllocation::new(id, published).build_request(&ctx) {
        Ok(_) => return Err("the documentation's placeholders were accepted".into()),
        Err(e) => println!("\nthe documentation's placeholders: {e}"),
    }
    Ok(())
}
