//! Secret canary: with a distinctive key and token, nothing the SDK produces — `Debug` of
//! clients, builders and errors, `Display` of errors, every tracing event and span field
//! at TRACE — contains either.

use std::io::Write;
use std::sync::{Arc, Mutex};

use greenpin_core::CreateSpec;
use greenpin_core::retry::RetryPolicy;
use greenpin_core::{GreenPinId, PartySpec, UpdateSpec};
use greenpin_emulator::{BlockingEmulator, EmulatorConfig, Fault, FaultRule};
use greenpin_tests::{Make, Opts};
use tracing_subscriber::fmt::format::FmtSpan;

const KEY: &str = "canary-key-5b1d0c";
const TOKEN: &str = "canary-token-e7f2a9";

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn run(make: Make) {
    let emu =
        BlockingEmulator::try_start(EmulatorConfig::new().api_key(KEY).api_token(TOKEN)).unwrap();
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();

    let mut produced: Vec<String> = Vec::new();
    tracing::subscriber::with_default(subscriber, || {
        let sdk = make(
            &emu,
            &Opts {
                retry: Some(
                    RetryPolicy::default()
                        .with_initial_backoff(std::time::Duration::from_millis(1)),
                ),
                ..Opts::default()
            },
        );
        produced.extend(sdk.debug_strings());
        // Successes, retries, API errors, validation errors, transport errors.
        let a = sdk
            .create(
                &CreateSpec::new("order-c")
                    .a(PartySpec::new().number("7987686144").vn("6292134471")),
            )
            .unwrap();
        emu.add_fault(FaultRule::new(Fault::Status {
            status: 503,
            retry_after: None,
            body: None,
            content_type: None,
        }))
        .unwrap();
        sdk.get(&a.greenpin_id).unwrap();
        let errors = vec![
            sdk.get(&GreenPinId::new("missing").unwrap()).unwrap_err(),
            sdk.update(&a.greenpin_id, &UpdateSpec::new()).unwrap_err(),
            make(
                &emu,
                &Opts {
                    token: Some(format!("{TOKEN}-wrong")),
                    ..Opts::default()
                },
            )
            .settings()
            .unwrap_err(),
        ];
        emu.add_fault(FaultRule::new(Fault::Close).times(3))
            .unwrap();
        let mut errors = errors;
        errors.push(sdk.settings().unwrap_err());
        for e in &errors {
            produced.push(format!("{e}"));
            produced.push(format!("{e:?}"));
            produced.push(format!("{e:#?}"));
        }
    });
    let log = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("greenpin.call") && log.contains("retrying"),
        "tracing captured nothing useful:\n{log}"
    );
    produced.push(log);
    for text in produced {
        assert!(
            !text.contains(KEY) && !text.contains(TOKEN),
            "a secret leaked:\n{text}"
        );
        // Nor the Basic header's encoding of them.
        assert!(
            !text.contains("Basic Y2FuYXJ5"),
            "the Authorization header leaked:\n{text}"
        );
    }
    // And the emulator's journal keeps no credentials either.
    let journal = serde_json::to_string(&emu.requests()).unwrap();
    assert!(
        !journal.contains("Y2FuYXJ5") && !journal.contains(TOKEN),
        "{journal}"
    );
}

#[test]
fn blocking_never_shows_secrets() {
    run(greenpin_tests::blocking);
}

#[test]
fn async_never_shows_secrets() {
    run(greenpin_tests::asynchronous);
}
