//! A program that imports `greenpin_async` alone (and the emulator, to have a service)
//! names every type it meets through that crate, matches every error kind, and
//! uses `?` on an id conversion.

use greenpin_async::retry::RetryPolicy;
use greenpin_async::transport::ClientConfig;
use greenpin_async::{
    ApiError, BulkItemSpec, BulkSpec, Client, ClientBuilder, ConfigError, CreateSpec, DecodeError,
    Error, ErrorCode, GreenPinId, PartySpec, Reply, Settings, SettingsSpec, Timezone,
    TransportError, TransportErrorKind, UpdateSpec, Usage, ValidationError, ValidationKind,
    ops::GetAllocation,
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
    let builder: ClientBuilder = emulator.configure(Client::builder());
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

/// Every type the crate's methods, bodies, answers and errors name, from its root or its
/// documented modules: this file does not compile if one is missing (a user would hit
/// E0425), and the test below says how many were named. The exhaustive check is
/// `cargo xtask public-api`, which walks every signature in the public-API snapshots.
fn named_from_the_root() -> Vec<&'static str> {
    use greenpin_async::callbacks::{
        CallCompleted, CallType, Callback, CallbackEvent, CallbackReceiver, CallbackSecret,
        DeallocationEvent, DeallocationReason, Encoding, EventKey, Rejection, SecretError,
        SecretPlacement,
    };
    use greenpin_async::ops::{
        BulkUpdate, CreateAllocation, DeleteAllocation, GetAllocation, GetSettings, Operation,
        OperationKind, UpdateAllocation, UpdateSettings,
    };
    use greenpin_async::retry::{Decision, Outcome, RetryBudget};
    use greenpin_async::transport::{
        AsyncClient, AsyncSend, AttemptLimits, ClientConfig, Transport,
    };
    use greenpin_async::{
        Allocation, ApiKey, ApiToken, Country, DeallocationDuration, DeallocationTime,
        DurationText, IdError, IdProblem, IntoGreenPinId, MaxDeallocationTime, Party, PhoneNumber,
        Pin, PinLength, Reqwest, State, TimeoutKind, TransactionId,
    };
    use greenpin_async::{BulkItemResult, BulkUpdateResults};
    use std::any::type_name;
    fn is_id<T: IntoGreenPinId>() -> &'static str {
        type_name::<T>()
    }
    fn is_op<T: Operation>() -> &'static str {
        type_name::<T>()
    }
    fn is_transport<T: Transport + AsyncSend>() -> &'static str {
        type_name::<T>()
    }
    vec![
        type_name::<Allocation>(),
        type_name::<ApiKey>(),
        type_name::<ApiToken>(),
        type_name::<Country>(),
        type_name::<DeallocationDuration>(),
        type_name::<DeallocationTime>(),
        type_name::<DurationText>(),
        type_name::<IdError>(),
        type_name::<IdProblem>(),
        is_id::<&GreenPinId>(),
        type_name::<MaxDeallocationTime>(),
        type_name::<Party>(),
        type_name::<PhoneNumber>(),
        type_name::<Pin>(),
        type_name::<PinLength>(),
        type_name::<State>(),
        type_name::<TimeoutKind>(),
        type_name::<TransactionId>(),
        type_name::<AttemptLimits>(),
        type_name::<AsyncClient<Reqwest>>(),
        type_name::<ClientConfig>(),
        type_name::<RetryBudget>(),
        is_transport::<Reqwest>(),
        type_name::<CallCompleted>(),
        type_name::<CallType>(),
        type_name::<Callback>(),
        type_name::<CallbackEvent>(),
        type_name::<CallbackReceiver>(),
        type_name::<CallbackSecret>(),
        type_name::<DeallocationEvent>(),
        type_name::<DeallocationReason>(),
        type_name::<Encoding>(),
        type_name::<EventKey>(),
        type_name::<Rejection>(),
        type_name::<SecretError>(),
        type_name::<SecretPlacement>(),
        type_name::<BulkItemResult>(),
        is_op::<BulkUpdate>(),
        type_name::<BulkUpdateResults>(),
        is_op::<CreateAllocation>(),
        is_op::<DeleteAllocation>(),
        is_op::<GetAllocation>(),
        is_op::<GetSettings>(),
        type_name::<OperationKind>(),
        is_op::<UpdateAllocation>(),
        is_op::<UpdateSettings>(),
        type_name::<Decision>(),
        type_name::<Outcome>(),
        type_name::<RetryPolicy>(),
        type_name::<Settings>(),
        type_name::<SettingsSpec>(),
        type_name::<Reply<Allocation>>(),
        type_name::<ErrorCode>(),
        type_name::<Usage>(),
        type_name::<Timezone>(),
        type_name::<ValidationKind>(),
        type_name::<TransportErrorKind>(),
    ]
}

#[test]
fn every_type_a_signature_names_is_reachable_from_the_crate() {
    let names = named_from_the_root();
    assert_eq!(names.len(), 57);
    // Each is the core's own type, re-exported (not a copy), but the transport itself.
    let own: Vec<_> = names
        .iter()
        .filter(|n| !n.contains("greenpin_core::"))
        .collect();
    assert_eq!(own.len(), 1, "{own:?}");
}
