//! `greenpin demo`: the whole lifecycle against an emulator started in-process — create,
//! Exotel's documented Update example, get, a call through the VN with the PIN and its
//! callback, the clock run past the deallocation time, and the account's vault period —
//! each step printed.

use std::time::Duration;

use greenpin_blocking::Client;
use greenpin_core::{CreateSpec, PartySpec, UpdateSpec};
use greenpin_emulator::{BlockingEmulator, CallSpec};

use crate::exit::Failure;
use crate::output::{allocation_lines, print_lines};

/// The account's vault period (`deletion_time`) in the demo.
const VAULT_SECS: u64 = 600;

fn step(n: u32, title: &str) {
    crate::output::out!("\n{n}. {title}");
}

pub(crate) fn run(json: bool, keep: bool) -> Result<u8, Failure> {
    let emulator = BlockingEmulator::try_start(greenpin_emulator::EmulatorConfig::new())
        .map_err(|e| Failure::Usage(format!("cannot start the emulator: {e}")))?;
    let client = emulator.configure(Client::builder()).build()?;
    let mut transcript = Vec::new();
    // A callback receiver, as `greenpin listen` runs it, registered as the account's
    // endpoint: the simulated call's record arrives there.
    let mut callbacks = crate::listen::start(
        "127.0.0.1:0"
            .parse()
            .map_err(|_| Failure::Usage("loopback".into()))?,
        greenpin_core::callbacks::CallbackSecret::generate(),
        greenpin_core::callbacks::SecretPlacement::Path,
        greenpin_core::Country::IN,
        None,
        None,
    )?;
    // A vault period of 10 minutes, so the expiry below shows one (the default is 0).
    client.update_settings(
        &greenpin_core::SettingsSpec::new()
            .call_complete_endpoint(&callbacks.url)
            .deletion_time(VAULT_SECS),
    )?;
    crate::output::out!(
        "GreenPin emulator listening on {} (account {}); every step below is a real HTTP call to it.",
        emulator.base_url(),
        emulator.account_sid()
    );
    crate::output::out!(
        "Watch it in a browser: {}{}",
        emulator.dashboard_url(),
        if keep {
            ""
        } else {
            " (add --keep to leave it running after the demo)"
        }
    );

    step(
        1,
        "Create an allocation: business 7987686144 (A) and customer 9956555625 (B) over VN 6292134471, A gets a PIN",
    );
    let created = client.create(
        &CreateSpec::new("order-1001")
            .a(PartySpec::new()
                .number("7987686144")
                .vn("6292134471")
                .pin_length(4))
            .b(PartySpec::new().number("9956555625"))
            .deallocate_after("1h"),
    )?;
    print_lines(&allocation_lines(&created), "   ");
    transcript.push(serde_json::json!({"step": "create", "allocation": created}));
    let id = created.greenpin_id.clone();

    step(
        2,
        "Update it with Exotel's documented Update example (PUT /greenpin/{id}): two VNs a side, PINs 123 and 234, 1200s",
    );
    let spec: UpdateSpec = serde_json::from_str(greenpin_core::wire::DOCUMENTED_UPDATE)
        .map_err(|e| Failure::Usage(e.to_string()))?;
    let updated = client.update(&id, &spec)?;
    print_lines(&allocation_lines(&updated), "   ");
    transcript.push(serde_json::json!({"step": "update", "allocation": updated}));

    step(3, "Get it back (GET /greenpin/{id})");
    let got = client.get(&id)?;
    crate::output::out!(
        "   state {}, usage {}, deallocates at {}",
        got.state,
        got.usage,
        got.deallocation_time
            .map(|t| t.to_string())
            .unwrap_or_default()
    );
    transcript.push(serde_json::json!({"step": "get", "allocation": got}));

    step(
        4,
        "The business calls VN 6292134471 from 7987686144 and enters PIN 123",
    );
    let call = emulator
        .simulate_call(&CallSpec::new("7987686144", "6292134471").pin("123"))
        .map_err(|f| Failure::Usage(f.message))?;
    match (&call.to, call.connected) {
        (Some(to), true) => {
            crate::output::out!(
                "   connected to {to} (the B-party), neither side sees the other's number"
            )
        }
        _ => crate::output::out!(
            "   not connected: {}",
            call.reason.map_or("unknown", |r| r.as_str())
        ),
    }
    match callbacks.next(std::time::Duration::from_secs(5)) {
        Some(cb) => {
            crate::output::out!(
                "   callback received (secret checked): {}",
                crate::listen::describe(&cb)
            );
            transcript.push(serde_json::json!({"step": "call", "outcome": call, "callback": crate::listen::to_json(&cb, false)}));
        }
        None => {
            crate::output::out!("   no callback arrived within 5 s");
            transcript.push(serde_json::json!({"step": "call", "outcome": call, "callback": null}));
        }
    }

    step(
        5,
        "A stranger calls VN 6292134471 with a wrong PIN; the customer calls VN 6292134465 from 9956555625 (B-party PINs are off: the number is known, no PIN asked)",
    );
    let wrong = emulator
        .simulate_call(&CallSpec::new("9000000001", "6292134471").pin("999"))
        .map_err(|f| Failure::Usage(f.message))?;
    crate::output::out!(
        "   PIN 999: {}",
        if wrong.connected {
            "connected".to_owned()
        } else {
            format!("refused ({})", wrong.reason.map_or("?", |r| r.as_str()))
        }
    );
    let right = emulator
        .simulate_call(&CallSpec::new("9956555625", "6292134465"))
        .map_err(|f| Failure::Usage(f.message))?;
    crate::output::out!(
        "   the customer: {}",
        right
            .to
            .as_deref()
            .map(|t| format!("connected to {t} (the A-party)"))
            .unwrap_or_else(|| "not connected".into())
    );
    transcript.push(serde_json::json!({"step": "calls", "wrong_pin": wrong, "customer": right}));

    step(
        6,
        "Let the clock run 1201 seconds, past the deallocation time",
    );
    emulator
        .advance_clock(Duration::from_secs(1201))
        .map_err(|f| Failure::Usage(f.message))?;
    let after = client.get(&id)?;
    crate::output::out!(
        "   state {} — the allocation has gone to the vault",
        after.state
    );
    let late = emulator
        .simulate_call(&CallSpec::new("7987686144", "6292134471").pin("123"))
        .map_err(|f| Failure::Usage(f.message))?;
    crate::output::out!(
        "   a call now: {}",
        if late.connected {
            "connected".into()
        } else {
            format!("refused ({})", late.reason.map_or("?", |r| r.as_str()))
        }
    );
    transcript.push(serde_json::json!({"step": "expired", "allocation": after, "call": late}));

    step(
        7,
        "Another order asks for VN 6292134471 with PIN 123: the account's vault period (deletion_time, 600 s) still reserves them",
    );
    let reuse = CreateSpec::new("order-1002")
        .a(PartySpec::new()
            .number("7000000001")
            .vn("6292134471")
            .pin("123"))
        .b(PartySpec::new().number("9000000001"));
    match client.create(&reuse) {
        Ok(_) => crate::output::out!("   created (the vault period had already passed)"),
        Err(e) => crate::output::out!(
            "   refused, {} code {}: {}",
            e.status().map_or(0, |s| s.as_u16()),
            e.code().map_or(0, |c| c.code()),
            crate::output::printable(&e.to_string())
        ),
    }
    emulator
        .advance_clock(Duration::from_secs(VAULT_SECS))
        .map_err(|f| Failure::Usage(f.message))?;
    let reused = client.create(&reuse)?;
    crate::output::out!(
        "   {} s later: created {}, PIN {}",
        VAULT_SECS,
        reused.greenpin_id,
        reused.a.pin.as_ref().map_or("?", |p| p.as_str())
    );
    transcript.push(serde_json::json!({"step": "vault", "allocation": reused}));

    if json {
        crate::output::print_json(&serde_json::Value::Array(transcript));
    }
    crate::output::out!(
        "\nDone: create → update → get → calls → expiry → vault, against {}.",
        emulator.base_url()
    );
    if keep {
        // Ready for Ctrl-C before saying so.
        #[cfg(unix)]
        let signals = [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM];
        #[cfg(not(unix))]
        let signals = [signal_hook::consts::SIGINT];
        let mut incoming = signal_hook::iterator::Signals::new(signals)
            .map_err(|e| Failure::Usage(format!("cannot wait for Ctrl-C: {e}")))?;
        crate::output::out!(
            "The emulator keeps running: dashboard at {} · API at {} (account {}, key {}, token {}: the emulator's public defaults). Ctrl-C to stop.",
            emulator.dashboard_url(),
            emulator.base_url(),
            emulator.account_sid(),
            greenpin_emulator::DEFAULT_API_KEY,
            greenpin_emulator::DEFAULT_API_TOKEN
        );
        let _ = incoming.forever().next();
        drop(callbacks);
    }
    Ok(0)
}
