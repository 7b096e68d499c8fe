//! End to end: the emulator sends its callbacks (JSON and form-encoded) to an axum server
//! using the `GreenPinCallback` extractor; both event kinds arrive typed, and forged
//! requests are refused before the handler runs.
#![cfg(feature = "axum")]

use std::time::Duration;

use axum::extract::{FromRef, State};
use axum::routing::post;
use greenpin_async::callbacks::GreenPinCallback;
use greenpin_async::callbacks::{
    CallType, Callback, CallbackEvent, CallbackReceiver, CallbackSecret, DeallocationReason,
    SecretPlacement,
};
use greenpin_async::{Client, CreateSpec, PartySpec, SettingsSpec};
use greenpin_emulator::{CallSpec, CallbackEncoding, Emulator, EmulatorConfig};
use tokio::sync::mpsc;

#[derive(Clone)]
struct App {
    receiver: CallbackReceiver,
    events: mpsc::UnboundedSender<Callback>,
}

impl FromRef<App> for CallbackReceiver {
    fn from_ref(app: &App) -> Self {
        app.receiver.clone()
    }
}

async fn on_callback(
    State(app): State<App>,
    GreenPinCallback(cb): GreenPinCallback,
) -> &'static str {
    let _ = app.events.send(cb);
    "ok"
}

/// A receiver on loopback; its base URL and the events it accepted.
async fn receiver(secret: CallbackSecret) -> (String, mpsc::UnboundedReceiver<Callback>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = axum::Router::new()
        .route("/hooks/greenpin", post(on_callback))
        .route("/hooks/greenpin/{secret}", post(on_callback))
        .with_state(App {
            receiver: CallbackReceiver::new(secret),
            events: tx,
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks/greenpin", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, rx)
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Callback>) -> Callback {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("no callback arrived")
        .unwrap()
}

async fn round_trip(encoding: CallbackEncoding, placement: SecretPlacement) {
    let secret = CallbackSecret::generate();
    let (url, mut events) = receiver(secret.clone()).await;
    let emu = Emulator::try_start(EmulatorConfig::new().callback_encoding(encoding))
        .await
        .unwrap();
    let client: Client = emu.configure(Client::builder()).build().unwrap();
    let endpoint = secret.url(&url, placement).unwrap();
    client
        .update_settings(&SettingsSpec::new().call_complete_endpoint(&endpoint))
        .await
        .unwrap();

    let a = client
        .create(
            &CreateSpec::new("order-77")
                .a(PartySpec::new()
                    .number("7987686144")
                    .vn("6292134471")
                    .pin("1234"))
                .b(PartySpec::new().number("9956555625")),
        )
        .await
        .unwrap();
    // The customer (B) dials the VN and the business's PIN: the call-completed callback
    // arrives, typed.
    let call = emu
        .simulate_call(&CallSpec::new("9956555625", "6292134471").pin("1234"))
        .unwrap();
    assert!(call.connected, "{call:?}");
    let cb = next(&mut events).await;
    let CallbackEvent::CallCompleted(c) = &cb.event else {
        panic!("{encoding:?}: {cb:?}")
    };
    assert_eq!(c.greenpin_id.as_ref(), Some(&a.greenpin_id));
    // Sent as `transation_id`, as Exotel's table spells it; read either way.
    assert!(cb.fields.contains_key("transation_id"), "{:?}", cb.fields);
    assert_eq!(c.transaction_id.as_ref().unwrap().as_str(), "order-77");
    assert_eq!(c.from.as_ref().unwrap().as_str(), "+919956555625");
    assert_eq!(c.call_type, Some(CallType::Completed));
    assert_eq!(c.source.as_deref(), Some("exotel"));
    assert!(cb.key().unwrap().as_str().starts_with("call_completed:"));

    // Deleting it sends the deallocation.
    client.delete(&a.greenpin_id).await.unwrap();
    let cb = next(&mut events).await;
    let CallbackEvent::Deallocated(d) = &cb.event else {
        panic!("{encoding:?}: {cb:?}")
    };
    assert_eq!(d.greenpin_id, a.greenpin_id);
    assert_eq!(d.reason, DeallocationReason::Deleted);
    assert_eq!(
        cb.key().unwrap().to_string(),
        format!("deallocation:{}", a.greenpin_id)
    );

    // Forgeries: no secret, a wrong one. Refused with 403; the handler never runs.
    let http = greenpin_async::Reqwest::client_builder()
        .unwrap()
        .build()
        .unwrap();
    let wrong = CallbackSecret::generate().url(&url, placement).unwrap();
    for target in [url.clone(), wrong.clone()] {
        let (target, auth) = match target.split_once("greenpin:") {
            // userinfo: what a sender would do with it
            Some((scheme, rest)) => {
                let (password, host) = rest.split_once('@').unwrap();
                (format!("{scheme}{host}"), Some(password.to_owned()))
            }
            None => (target, None),
        };
        let mut req = http
            .post(&target)
            .header("content-type", "application/json")
            .body(r#"{"call_sid":"forged","greenpin_id":"x","call_type":"completed"}"#);
        if let Some(p) = auth {
            req = req.basic_auth("greenpin", Some(p));
        }
        let answer = req.send().await.unwrap();
        assert_eq!(answer.status(), 403, "{target}");
        let text = answer.text().await.unwrap();
        assert!(!text.contains(secret.expose()));
    }
    assert!(
        tokio::time::timeout(Duration::from_millis(300), events.recv())
            .await
            .is_err(),
        "a forged callback reached the handler"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_callbacks_with_the_secret_in_the_path() {
    round_trip(CallbackEncoding::Json, SecretPlacement::Path).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_callbacks_with_the_secret_as_basic_userinfo() {
    round_trip(CallbackEncoding::Form, SecretPlacement::BasicAuth).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_callbacks_with_the_secret_in_the_query() {
    round_trip(CallbackEncoding::Form, SecretPlacement::Query).await;
}
