//! A program that imports `greenpin_async` alone (and the emulator, to have a service)
//! names every type it meets through that crate, matches every error kind, and
//! uses `?` on an id conversion.

use greenpin_async::{
    ApiError, BulkItemSpec, BulkSpec, Client, ClientBuilder, ClientConfig, ConfigError, CreateSpec,
    DecodeError, Error, ErrorCode, GreenPinId, PartySpec, Reply, Reqwest, RetryPolicy, Settings,
    SettingsSpec, Timezone, TransportError, TransportErrorKind, UpdateSpec, Usage, ValidationError,
    ValidationKind, ops::GetAllocation,
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

async fn flow(client: &Client, raw_id: &str) -> Result<Reply<greenpin_async::Allocation>, Error> {
    let id = GreenPinId::new(raw_id)?; // IdError converts into Error
    client.execute(&GetAllocation::new(id)).await
}

#[tokio::test]
async fn every_type_is_named_through_the_transport_crate() -> Result<(), Error> {
    let emulator = greenpin_emulator::Emulator::start().await;
    let builder: ClientBuilder<Reqwest> = emulator.configure(Client::builder());
    let client: Client = builder.retry_policy(RetryPolicy::default()).build()?;
    let _config: &ClientConfig = client.config();

    let created = client
        .create(
            &CreateSpec::new("order-1")
                .a(PartySpec::new().number("7987686144").vn("6292134471"))
                .b(PartySpec::new().number("9956555625")),
        )
        .await?;
    let reply = flow(&client, created.greenpin_id.as_str()).await?;
    assert!(
        reply.request_id.is_some(),
        "the request id of a success is reachable"
    );
    client
        .update(
            &created.greenpin_id,
            &UpdateSpec::new().usage(Usage::Oneway),
        )
        .await?;
    client
        .bulk_update(
            &BulkSpec::new().item(BulkItemSpec::new(&created.greenpin_id).usage(Usage::Twoway)),
        )
        .await?;
    let settings: Settings = client
        .update_settings(&SettingsSpec::new().timezone(Timezone::Utc))
        .await?;
    assert_eq!(settings.timezone, Some(Timezone::Utc));

    let bad_id = flow(&client, "a/b").await.unwrap_err();
    assert_eq!(describe(&bad_id), "validation greenpin_id Invalid");
    let missing = client.get("no-such-id").await.unwrap_err();
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

/// The client's futures are `Send`: they can be spawned on a multi-threaded runtime.
#[expect(dead_code, reason = "compiled for its Send check, never called")]
fn futures_are_send(client: Client, spec: CreateSpec) {
    fn send<T: Send>(_: T) {}
    send(async move {
        let _ = client.create(&spec).await;
        let _ = client.get("g-1").await;
        let _ = client.settings().await;
        let _ = client
            .execute(&GetAllocation::new(GreenPinId::new("g")?))
            .await;
        Ok::<(), Error>(())
    });
}
