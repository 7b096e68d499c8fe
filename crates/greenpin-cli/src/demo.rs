//! `greenpin demo`: the whole lifecycle against an emulator started in-process — create,
//! Exotel's documented Update example, get, a call through the VN with the PIN and its
//! callback, the clock run past the deallocation time, and the account's vault period —
//! each step printed.

use std::time::Duration;

use greenpin_blocking::Client;
use greenpin_core::{CreateSpec, PartySpec, PinLength, UpdateSpec, Usage};
use greenpin_emulator::{BlockingEmulator, CallSpec};

use crate::exit::{CommandError, Exit};
use crate::output::{allocation_lines, print_lines};

/// The account's vault period (`deletion_time`) in the demo.
const VAULT_SECS: u64 = 600;

fn step(n: u32, title: &str) {
    crate::output::out!("\n{n}. {title}");
}

/// A call's outcome in a few words.
fn said(call: &greenpin_emulator::CallOutcome) -> String {
    match (&call.to, call.connected) {
        (Some(to), true) => format!("connected to {to}"),
        _ => format!("refused ({})", call.reason.map_or("?", |r| r.as_str())),
    }
}

/// The demo's emulator, client and callback receiver, and what each step did (for
/// `--json`).
struct Demo {
    emulator: BlockingEmulator,
    client: Client,
    callbacks: crate::listen::Running,
    transcript: Vec<serde_json::Value>,
}

pub(crate) fn run(json: bool, keep: bool) -> Result<Exit, CommandError> {
    let mut demo = Demo::start(keep)?;
    let id = demo.create()?;
    demo.update(&id)?;
    demo.get(&id)?;
    demo.call()?;
    demo.other_calls()?;
    demo.expire(&id)?;
    demo.vault()?;
    if json {
        crate::output::print_json(&serde_json::Value::Array(std::mem::take(
            &mut demo.transcript,
        )));
    }
    crate::output::out!(
        "\nDone: create → update → get → calls → expiry → vault, against {}.",
        demo.emulator.base_url()
    );
    if keep {
        demo.keep()?;
    }
    Ok(Exit::Success)
}

impl Demo {
    /// The emulator, a client of it, and a callback receiver (as `greenpin listen` runs
    /// it) registered as the account's endpoint, with a vault period of 10 minutes so the
    /// expiry shows one (the default is 0).
    fn start(keep: bool) -> Result<Demo, CommandError> {
        let emulator = BlockingEmulator::try_start(greenpin_emulator::EmulatorConfig::new())
            .map_err(|e| CommandError::Usage(format!("cannot start the emulator: {e}")))?;
        let client = emulator.configure(Client::builder()).build()?;
        let callbacks = crate::listen::start(crate::listen::Options {
            addr: "127.0.0.1:0"
                .parse()
                .map_err(|_| CommandError::Usage("loopback".into()))?,
            secret: greenpin_core::callbacks::CallbackSecret::generate(),
            placement: greenpin_core::callbacks::SecretPlacement::Path,
            country: greenpin_core::Country::IN,
            print: None,
            forward: None,
        })?;
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
        Ok(Demo {
            emulator,
            client,
            callbacks,
            transcript: Vec::new(),
        })
    }

    fn simulate(&self, call: CallSpec) -> Result<greenpin_emulator::CallOutcome, CommandError> {
        self.emulator
            .simulate_call(&call)
            .map_err(|f| CommandError::Usage(f.message().to_owned()))
    }

    fn advance(&self, secs: u64) -> Result<(), CommandError> {
        self.emulator
            .advance_clock(Duration::from_secs(secs))
            .map_err(|f| CommandError::Usage(f.message().to_owned()))
    }

    fn create(&mut self) -> Result<greenpin_core::GreenPinId, CommandError> {
        step(
            1,
            "Create an allocation: business 7987686144 (A) and customer 9956555625 (B) over VN 6292134471, A gets a PIN",
        );
        let created = self.client.create(
            &CreateSpec::new("order-1001")
                .a(PartySpec::new()
                    .number("7987686144")
                    .vn("6292134471")
                    .pin_length(PinLength::of::<4>()))
                .b(PartySpec::new().number("9956555625"))
                .deallocate_after("1h"),
        )?;
        print_lines(&allocation_lines(&created), "   ");
        let id = created.greenpin_id.clone();
        self.transcript
            .push(serde_json::json!({"step": "create", "allocation": created}));
        Ok(id)
    }

    fn update(&mut self, id: &greenpin_core::GreenPinId) -> Result<(), CommandError> {
        step(
            2,
            "Update it with Exotel's documented Update example (PUT /greenpin/{id}): two VNs a side, PINs 123 and 234, 1200s",
        );
        let spec = UpdateSpec::new()
            .a(PartySpec::new()
                .vns(["6292134471", "6292134464"])
                .number("7987686144")
                .pin("123")
                .pin_length(PinLength::of::<3>()))
            .b(PartySpec::new()
                .vns(["6292134465", "6292134464"])
                .number("9956555625")
                .pin("234")
                .pin_length(PinLength::of::<3>()))
            .usage(Usage::Twoway)
            .deallocate_after("1200s");
        let updated = self.client.update(id, &spec)?;
        print_lines(&allocation_lines(&updated), "   ");
        self.transcript
            .push(serde_json::json!({"step": "update", "allocation": updated}));
        Ok(())
    }

    fn get(&mut self, id: &greenpin_core::GreenPinId) -> Result<(), CommandError> {
        step(3, "Get it back (GET /greenpin/{id})");
        let got = self.client.get(id)?;
        crate::output::out!(
            "   state {}, usage {}, deallocates at {}",
            got.state,
            got.usage,
            got.deallocation_time
                .map(|t| t.to_string())
                .unwrap_or_default()
        );
        self.transcript
            .push(serde_json::json!({"step": "get", "allocation": got}));
        Ok(())
    }

    fn call(&mut self) -> Result<(), CommandError> {
        step(
            4,
            "The business calls VN 6292134471 from 7987686144 and enters PIN 123",
        );
        let call = self.simulate(CallSpec::new("7987686144", "6292134471").pin("123"))?;
        if call.connected {
            crate::output::out!(
                "   {} (the B-party), neither side sees the other's number",
                said(&call)
            );
        } else {
            crate::output::out!("   not connected: {}", said(&call));
        }
        let callback = self.callbacks.next(Duration::from_secs(5));
        match &callback {
            Some(cb) => crate::output::out!(
                "   callback received (secret checked): {}",
                crate::listen::describe(cb)
            ),
            None => crate::output::out!("   no callback arrived within 5 s"),
        }
        let callback = callback.map(|cb| crate::listen::to_json(&cb, false));
        self.transcript
            .push(serde_json::json!({"step": "call", "outcome": call, "callback": callback}));
        Ok(())
    }

    fn other_calls(&mut self) -> Result<(), CommandError> {
        step(
            5,
            "A stranger calls VN 6292134471 with a wrong PIN; the customer calls VN 6292134465 from 9956555625 (B-party PINs are off: the number is known, no PIN asked)",
        );
        let wrong = self.simulate(CallSpec::new("9000000001", "6292134471").pin("999"))?;
        crate::output::out!("   PIN 999: {}", said(&wrong));
        let right = self.simulate(CallSpec::new("9956555625", "6292134465"))?;
        crate::output::out!("   the customer: {} (the A-party)", said(&right));
        self.transcript
            .push(serde_json::json!({"step": "calls", "wrong_pin": wrong, "customer": right}));
        Ok(())
    }

    fn expire(&mut self, id: &greenpin_core::GreenPinId) -> Result<(), CommandError> {
        step(
            6,
            "Let the clock run 1201 seconds, past the deallocation time",
        );
        self.advance(1201)?;
        let after = self.client.get(id)?;
        crate::output::out!(
            "   state {} — the allocation has gone to the vault",
            after.state
        );
        let late = self.simulate(CallSpec::new("7987686144", "6292134471").pin("123"))?;
        crate::output::out!("   a call now: {}", said(&late));
        self.transcript
            .push(serde_json::json!({"step": "expired", "allocation": after, "call": late}));
        Ok(())
    }

    fn vault(&mut self) -> Result<(), CommandError> {
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
        match self.client.create(&reuse) {
            Ok(_) => crate::output::out!("   created (the vault period had already passed)"),
            Err(e) => crate::output::out!(
                "   refused, {} code {}: {}",
                e.status().map_or(0, |s| s.as_u16()),
                e.code().map_or(0, |c| c.code()),
                crate::output::printable(&e.to_string())
            ),
        }
        self.advance(VAULT_SECS)?;
        let reused = self.client.create(&reuse)?;
        crate::output::out!(
            "   {} s later: created {}, PIN {}",
            VAULT_SECS,
            reused.greenpin_id,
            reused.a.pin.as_ref().map_or("?", |p| p.as_str())
        );
        self.transcript
            .push(serde_json::json!({"step": "vault", "allocation": reused}));
        Ok(())
    }

    /// `--keep`: the emulator stays up until Ctrl-C (listening for it before saying so).
    fn keep(self) -> Result<(), CommandError> {
        #[cfg(unix)]
        let signals = [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM];
        #[cfg(not(unix))]
        let signals = [signal_hook::consts::SIGINT];
        let mut incoming = signal_hook::iterator::Signals::new(signals)
            .map_err(|e| CommandError::Usage(format!("cannot wait for Ctrl-C: {e}")))?;
        crate::output::out!(
            "The emulator keeps running: dashboard at {} · API at {} (account {}, key {}, token {}: the emulator's public defaults). Ctrl-C to stop.",
            self.emulator.dashboard_url(),
            self.emulator.base_url(),
            self.emulator.account_sid(),
            greenpin_emulator::DEFAULT_API_KEY,
            greenpin_emulator::DEFAULT_API_TOKEN
        );
        let _ = incoming.forever().next();
        Ok(())
    }
}
