//! A program that imports `greenpin_blocking` alone (and the emulator, to have a service)
//! names every type it meets through that crate, matches every error kind, and
//! uses `?` on an id conversion.

use greenpin_blocking::{
    ApiError, BulkItemSpec, BulkSpec, Client, ClientBuilder, ClientConfig, ConfigError, CreateSpec,
    DecodeError, Error, ErrorCode, GreenPinId, PartySpec, Reply, RetryPolicy, Settings,
    SettingsSpec, Timezone, TransportError, TransportErrorKind, UpdateSpec, Ureq, Usage,
    ValidationError, ValidationKind, ops::GetAllocation,
};

fn describe(e: &Error) -> String {
    match e {
        Error::Config(c) => format!("config {}", c.setting()),
        Error::Validation(v) => format!("validation {} {:?}", v.field(), v.kind()),
        Error::Api(a) => format!("api {} {:?}", a.status, a.code),
        Error::Decode(d) => format!("decode {}", d.status),
        Error::Transport(t) => format!("transport {:?}", t.kind),
        _ => "newer kind".to_owned(),
    }
}

fn flow(client: &Client, raw_id: &str) -> Result<Reply<greenpin_blocking::Allocation>, Error> {
    let id = GreenPinId::new(raw_id)?; // IdError converts into Error
    client.execute(&GetAllocation::new(id))
}

#[test]
fn every_type_is_named_through_the_transport_crate() -> Result<(), Error> {
    let emulator = greenpin_emulator::BlockingEmulator::start();
    let builder: ClientBuilder<Ureq> = emulator.configure(Client::builder());
    let client: Client = builder.retry_policy(RetryPolicy::default()).build()?;
    let _config: &ClientConfig = client.config();

    let created = client.create(
        &CreateSpec::new("order-1")
            .a(PartySpec::new().number("7987686144").vn("6292134471"))
            .b(PartySpec::new().number("9956555625")),
    )?;
    let reply = flow(&client, created.greenpin_id.as_str())?;
    assert!(
        reply.request_id.is_some(),
        "the request id of a success is reachable"
    );
    client.update(
        &created.greenpin_id,
        &UpdateSpec::new().usage(Usage::Oneway),
    )?;
    client.bulk_update(
        &BulkSpec::new().item(BulkItemSpec::new(&created.greenpin_id).usage(Usage::Twoway)),
    )?;
    let settings: Settings =
        client.update_settings(&SettingsSpec::new().timezone(Timezone::Utc))?;
    assert_eq!(settings.timezone, Some(Timezone::Utc));

    let bad_id = flow(&client, "a/b").unwrap_err();
    assert_eq!(describe(&bad_id), "validation greenpin_id Invalid");
    let missing = client.get("no-such-id").unwrap_err();
    assert_eq!(missing.code(), Some(ErrorCode::NotFound));
    assert!(describe(&missing).starts_with("api 404"));
    let config = Client::builder().build().unwrap_err();
    assert!(describe(&config).starts_with("config "));

    // The error parts are nameable too.
    let _: Option<&ApiError> = None;
    let _: Option<&DecodeError> = None;
    let _: Option<&TransportError> = None;
    let _: Option<&ConfigError> = None;
    let _: Option<(&ValidationError, ValidationKind, TransportErrorKind)> = None;
    Ok(())
}
