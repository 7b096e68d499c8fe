//! A program that imports one transport crate alone (and the emulator, to have a service)
//! names every type it meets through that crate, matches every error kind, and uses `?`
//! on an id conversion: written once, for `greenpin_blocking` and for `greenpin_async`.

/// The program, for one crate: its client and send trait, its transport, how a test is
/// marked and how the emulator starts, and (for async) the `async` and `.await` it needs.
macro_rules! one_dependency {
    (
        mod $name:ident,crate $krate:ident,client $client:ident,send $send:ident,
        transport $transport:ident,test $test:meta,emulator $start:expr,
        asyncness ($($asyncness:ident)?),await ($($aw:tt)*)
    ) => {
    mod $name {
        use $krate::retry::RetryPolicy;
        use $krate::transport::ClientConfig;
        use $krate::{
            ApiError, BulkItemSpec, BulkSpec, Client, ClientBuilder, ConfigError, CreateSpec,
            DecodeError, Error, ErrorCode, GreenPinId, PartySpec, Reply, Settings, SettingsSpec,
            Timezone, TransportError, TransportErrorKind, UpdateSpec, Usage, ValidationError,
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

        $($asyncness)? fn flow(client: &Client, raw_id: &str) -> Result<Reply<$krate::Allocation>, Error> {
            let id = GreenPinId::new(raw_id)?; // IdError converts into Error
            client.execute(&GetAllocation::new(id))$($aw)*
        }

        #[$test]
        $($asyncness)? fn every_type_is_named_through_the_transport_crate() -> Result<(), Error> {
            let emulator = $start;
            let builder: ClientBuilder = emulator.configure(Client::builder());
            let client: Client = builder.retry_policy(RetryPolicy::default()).build()?;
            let _config: &ClientConfig = client.config();

            let created = client
                .create(
                    &CreateSpec::new("order-1")
                        .a(PartySpec::new().number("7987686144").vn("6292134471"))
                        .b(PartySpec::new().number("9956555625")),
                )
                $($aw)*?;
            let reply = flow(&client, created.greenpin_id.as_str())$($aw)*?;
            assert!(
                reply.request_id.is_some(),
                "the request id of a success is reachable"
            );
            client
                .update(
                    &created.greenpin_id,
                    &UpdateSpec::new().usage(Usage::Oneway),
                )
                $($aw)*?;
            client
                .bulk_update(
                    &BulkSpec::new().item(BulkItemSpec::new(&created.greenpin_id).usage(Usage::Twoway)),
                )
                $($aw)*?;
            let settings: Settings = client
                .update_settings(&SettingsSpec::new().timezone(Timezone::Utc))
                $($aw)*?;
            assert_eq!(settings.timezone, Some(Timezone::Utc));

            let bad_id = flow(&client, "a/b")$($aw)*.unwrap_err();
            assert_eq!(describe(&bad_id), "validation greenpin_id Invalid");
            let missing = client.get("no-such-id")$($aw)*.unwrap_err();
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

        /// Every type the crate's methods, bodies, answers and errors name, from its root or its
        /// documented modules: this file does not compile if one is missing (a user would hit
        /// E0425), and the test below says how many were named. The exhaustive check is
        /// `cargo xtask public-api`, which walks every signature in the public-API snapshots.
        fn named_from_the_root() -> Vec<&'static str> {
            use $krate::callbacks::{
                CallCompleted, CallType, Callback, CallbackEvent, CallbackReceiver, CallbackSecret,
                DeallocationEvent, DeallocationReason, Encoding, EventKey, Rejection, SecretError,
                SecretPlacement,
            };
            use $krate::ops::{
                BulkUpdate, CreateAllocation, DeleteAllocation, GetAllocation, GetSettings, Operation,
                OperationKind, UpdateAllocation, UpdateSettings,
            };
            use $krate::retry::{Decision, Outcome, RetryBudget};
            use $krate::transport::{$client, $send, AttemptLimits, ClientConfig, Transport};
            use $krate::$transport;
            use $krate::{
                Allocation, ApiKey, ApiToken, Country, DeallocationDuration, DeallocationTime,
                DurationText, IdError, IdProblem, IntoGreenPinId, MaxDeallocationTime, Party, PhoneNumber,
                Pin, PinLength, State, TimeoutKind, TransactionId,
            };
            use $krate::{BulkItemResult, BulkUpdateResults};
            use std::any::type_name;
            fn is_id<T: IntoGreenPinId>() -> &'static str {
                type_name::<T>()
            }
            fn is_op<T: Operation>() -> &'static str {
                type_name::<T>()
            }
            fn is_transport<T: Transport + $send>() -> &'static str {
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
                type_name::<$client<$transport>>(),
                type_name::<ClientConfig>(),
                type_name::<RetryBudget>(),
                is_transport::<$transport>(),
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
    }
    };
}

one_dependency! {
    mod blocking, crate greenpin_blocking, client BlockingClient, send BlockingSend,
    transport Ureq, test test, emulator greenpin_emulator::BlockingEmulator::start(),
    asyncness (), await ()
}

one_dependency! {
    mod nonblocking, crate greenpin_async, client AsyncClient, send AsyncSend,
    transport Reqwest, test tokio::test, emulator greenpin_emulator::Emulator::start().await,
    asyncness (async), await (.await)
}

/// The async client's futures are `Send`: they can be spawned on a multi-threaded runtime.
#[expect(dead_code, reason = "compiled for its Send check, never called")]
fn futures_are_send(client: greenpin_async::Client, spec: greenpin_async::CreateSpec) {
    use greenpin_async::{Error, GreenPinId, ops::GetAllocation};
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
