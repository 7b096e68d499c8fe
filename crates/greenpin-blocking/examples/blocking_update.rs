//! Exotel's documented Update example, run against an emulator this example starts.
//!
//! Run: `cargo run -p greenpin-blocking --example blocking_update`

use greenpin_blocking::CreateSpec;
use greenpin_blocking::{Client, PartySpec, PinLength, UpdateSpec, Usage};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = greenpin_emulator::BlockingEmulator::start();
    let client = emulator.configure(Client::builder()).build()?;

    let created = client.create(
        &CreateSpec::new("order-42")
            .a(PartySpec::new().number("7987686144").vn("6292134471"))
            .b(PartySpec::new().number("9956555625")),
    )?;
    println!("created {} ({})", created.greenpin_id, created.state);

    // Exotel's documented Update, with real numbers for its masked placeholders.
    let documented = UpdateSpec::new()
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
        .deallocate_after("1200s");
    let updated = client.update(&created.greenpin_id, &documented)?;
    println!("{}", serde_json::to_string_pretty(&updated)?);
    Ok(())
}
