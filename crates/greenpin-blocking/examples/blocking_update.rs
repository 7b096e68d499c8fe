//! The seed's Update call against an emulator this example starts.
//!
//! Run: `cargo run -p greenpin-blocking --example blocking_update`

/// The seed's Update body, with the docs' real numbers for its masked placeholders.
const SEED_UPDATE: &str = r#"{
    "a": {"vns": ["6292134471", "6292134464"], "numbers": ["7987686144"], "pin": "123", "pin_length": 3},
    "b": {"vns": ["6292134465", "6292134464"], "numbers": ["9956555625"], "pin": "234", "pin_length": "3"},
    "usage": "twoway",
    "deallocation_policy": {"duration": "1200s"}
}"#;

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

    let seed: UpdateSpec = serde_json::from_str(SEED_UPDATE)?;
    let updated = client.update(&created.greenpin_id, &seed)?;
    println!("{}", serde_json::to_string_pretty(&updated)?);
    Ok(())
}
