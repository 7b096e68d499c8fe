//! Exotel's documented Update example, run against an emulator this example starts.
//!
//! Run: `cargo run -p greenpin-blocking --example blocking_update`

use greenpin_blocking::CreateSpec;
use greenpin_blocking::{Client, PartySpec, UpdateSpec};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = greenpin_emulator::BlockingEmulator::start();
    let client = emulator.configure(Client::builder()).build()?;

    let created = client.create(
        &CreateSpec::new("order-42")
            .a(PartySpec::new().number("7987686144").vn("6292134471"))
            .b(PartySpec::new().number("9956555625")),
    )?;
    println!("created {} ({})", created.greenpin_id, created.state);

    let documented: UpdateSpec = serde_json::from_str(greenpin_core::wire::DOCUMENTED_UPDATE)?;
    let updated = client.update(&created.greenpin_id, &documented)?;
    println!("{}", serde_json::to_string_pretty(&updated)?);
    Ok(())
}
