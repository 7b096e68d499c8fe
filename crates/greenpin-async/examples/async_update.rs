//! Exotel's documented Update example, run against an emulator this example starts.
//!
//! Run: `cargo run -p greenpin-async --example async_update`

use greenpin_async::CreateSpec;
use greenpin_async::{Client, PartySpec, UpdateSpec};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = greenpin_emulator::Emulator::start().await;
    let client = emulator.configure(Client::builder()).build()?;

    let created = client
        .create(
            &CreateSpec::new("order-42")
                .a(PartySpec::new().number("7987686144").vn("6292134471"))
                .b(PartySpec::new().number("9956555625")),
        )
        .await?;
    println!("created {} ({})", created.greenpin_id, created.state);

    let documented: UpdateSpec = serde_json::from_str(greenpin_core::wire::DOCUMENTED_UPDATE)?;
    let updated = client.update(&created.greenpin_id, &documented).await?;
    println!("{}", serde_json::to_string_pretty(&updated)?);
    Ok(())
}
