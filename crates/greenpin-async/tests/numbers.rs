//! What a client checks is this crate's `international-numbers` feature alone: run with the
//! default features, and with `--no-default-features` (the slim build), by `cargo xtask ci`.
//! The emulator, a dev-dependency here, turns greenpin-core's feature on in both runs, as
//! it does in a user's test build: the slim client must refuse all the same.

use greenpin_async::{Client, CreateSpec, Error, PartySpec};
use greenpin_emulator::Emulator;

/// An A number of its own for each B number (one number holds one PIN on a VN).
fn a_number(b_number: &str) -> String {
    let n: u32 = b_number.bytes().map(u32::from).sum();
    format!("79876{:05}", n % 100_000)
}

/// Numbers in everyday forms that only the metadata can check, but the first.
#[cfg(feature = "international-numbers")]
const EVERYDAY: [&str; 3] = ["919876543210", "+65 9123 4567", "0091 98765 43210"];

async fn create(client: &Client, b_number: &str) -> Result<(), Error> {
    let created = client
        .create(
            &CreateSpec::new(format!("numbers-{b_number}"))
                .a(PartySpec::new().number(a_number(b_number)).vn("6292134471"))
                .b(PartySpec::new().number(b_number)),
        )
        .await?;
    // Free the numbers on the VN for the next (the vault period is 0 by default).
    client.delete(&created.greenpin_id).await.map(drop)
}

#[cfg(feature = "international-numbers")]
#[tokio::test]
async fn the_default_build_checks_and_sends_every_everyday_number() {
    use greenpin_async::{Country, PhoneNumber};
    for input in EVERYDAY {
        assert!(PhoneNumber::parse(input, Country::IN).is_ok(), "{input}");
    }
    let emulator = Emulator::start().await;
    let client = emulator.configure(Client::builder()).build().unwrap();
    assert!(client.config().checks_international_numbers());
    // The account takes numbers outside its country (the service's own check).
    client
        .update_settings(&greenpin_async::SettingsSpec::new().intl_num_sup(true))
        .await
        .unwrap();
    for input in EVERYDAY {
        create(&client, input)
            .await
            .unwrap_or_else(|e| panic!("{input}: {e}"));
    }
    // A client for another country builds.
    let ae = emulator
        .configure(Client::builder())
        .country("AE".parse().unwrap())
        .build();
    assert!(ae.is_ok());
}

#[cfg(not(feature = "international-numbers"))]
#[tokio::test]
async fn the_slim_build_refuses_what_it_cannot_check_whatever_the_emulator_turns_on() {
    use greenpin_async::ValidationKind;
    let emulator = Emulator::start().await;
    let client = emulator.configure(Client::builder()).build().unwrap();
    assert!(!client.config().checks_international_numbers());
    // Indian numbers in their usual forms are still checked, and sent.
    for input in ["919876543210", "0091 98765 43210", "+91 98765 43210"] {
        create(&client, input)
            .await
            .unwrap_or_else(|e| panic!("{input}: {e}"));
    }
    // A number outside India is refused as unchecked, never sent.
    let before = emulator.requests().len();
    let e = create(&client, "+65 9123 4567").await.unwrap_err();
    let Error::Unchecked(v) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(v.field(), "b.numbers[0]");
    assert_eq!(v.kind(), ValidationKind::UncheckedNumber);
    assert!(!e.may_have_been_sent());
    assert_eq!(emulator.requests().len(), before);
    // Another country is refused when the client is built, not one call at a time.
    let ae = emulator
        .configure(Client::builder())
        .country("AE".parse().unwrap())
        .build()
        .unwrap_err();
    assert!(
        matches!(&ae, Error::Config(c) if c.setting() == "country"),
        "{ae}"
    );
}

#[cfg(not(any(feature = "rustls", feature = "native-tls")))]
#[test]
fn a_build_without_tls_refuses_an_https_service_when_the_client_is_built() {
    let e = Client::builder()
        .account_sid("acme")
        .credentials("key", "token")
        .build()
        .unwrap_err();
    assert!(
        matches!(&e, Error::Config(c) if c.setting() == "base_url" && c.problem().contains("TLS feature")),
        "{e}"
    );
    // Plain http to an emulator on loopback needs no TLS.
    assert!(
        Client::builder()
            .account_sid("acme")
            .credentials("key", "token")
            .base_url("http://127.0.0.1:9")
            .build()
            .is_ok()
    );
}
