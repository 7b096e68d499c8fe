//! `greenpin drift`: one scripted scenario played against two GreenPins — the *reference*
//! (the account the usual settings name) and the *candidate* (an emulator started here with
//! the reference's settings, or `--candidate URL`) — and every difference between their
//! answers reported, field by field, against the decision it contradicts.
//!
//! Safe on a real account by construction: a reference that is not on this machine needs
//! `--allow-writes` and the user's own numbers; the run says first how many allocations it
//! creates; each has the shortest policy and a transaction id marking the run, and is
//! deleted at the end, also after Ctrl-C or an error; settings are only read unless
//! `--allow-settings` (then restored); requests are budgeted and paced; every request and
//! answer is journaled beside the report.
//!
//! The rooms: [`scenario`] (the steps), [`side`] (a service and its rails), [`play`] (a
//! run in progress and its clean-up), [`compare`] (two answers field by field), [`report`]
//! (Markdown and JSON).

mod compare;
mod files;
mod numbers;
mod play;
mod report;
mod scenario;
mod side;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use clap::Args;
use serde_json::Value;

use crate::exit::{CommandError, Exit};
use files::Files;
use numbers::numbers;
use play::Play;
use report::Report;
use scenario::Scenario;
use side::Side;

#[derive(Args, Debug)]
pub(crate) struct DriftArgs {
    /// Compare with this GreenPin (a second emulator, say) instead of an emulator started
    /// here. Its credentials: GREENPIN_CANDIDATE_ACCOUNT_SID, GREENPIN_CANDIDATE_API_KEY,
    /// GREENPIN_CANDIDATE_API_TOKEN (default: an emulator's demo, demo-key, demo-token).
    #[arg(long, value_name = "URL")]
    candidate: Option<String>,
    /// Play the scenario on a reference that is not on this machine (a real account): it
    /// creates allocations with the numbers given below, says how many first, and deletes
    /// them at the end.
    #[arg(long)]
    allow_writes: bool,
    /// A VN of the account the run may use (repeat; the scenario needs 2).
    #[arg(long = "vn", value_name = "NUMBER")]
    vns: Vec<String>,
    /// An A-party number the run may use (repeat; the scenario needs 2).
    #[arg(long = "a-number", value_name = "NUMBER")]
    a_numbers: Vec<String>,
    /// A B-party number the run may use (the scenario needs 1).
    #[arg(long = "b-number", value_name = "NUMBER")]
    b_numbers: Vec<String>,
    /// Also play the steps that write settings; the settings are put back at the end.
    #[arg(long)]
    allow_settings: bool,
    /// Most requests the scenario may send each service (cleaning up is not counted); a
    /// scenario that needs more is refused before anything is sent.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..))]
    max_requests: u32,
    /// Least time between two requests to a service that is not on this machine.
    #[arg(long, default_value = "500ms", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pace: Duration,
    /// Where the Markdown report goes; the journal of every request goes beside it
    /// (REPORT.journal.ndjson).
    #[arg(long, default_value = "greenpin-drift.md")]
    report: PathBuf,
    /// Replace a report (and journal) an earlier run left; without it, drift refuses to
    /// start, since that report may list allocations to delete by hand.
    #[arg(long)]
    overwrite: bool,
    /// Play this scenario file instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    scenario: Option<PathBuf>,
}

/// The shortest deallocation policy GreenPin documents.
const SHORTEST: &str = "5m";

/// Runs `greenpin drift`.
pub(crate) fn run(
    reference: greenpin_core::client::ClientBuilder<greenpin_blocking::Ureq>,
    args: DriftArgs,
    json: bool,
) -> Result<Exit, CommandError> {
    let Ready {
        scenario,
        mut reference,
        numbers,
        mut files,
    } = ready(reference, &args)?;
    announce(&scenario, &reference, args.allow_settings);
    let stop = stop_on_signals();
    let original = reference.send(
        "before the run: settings to copy",
        "GET",
        "/settings",
        None,
        &mut files.journal,
    )?;
    if let Some(refused) = side::refusal(&reference, &original) {
        return Err(refused);
    }
    let (emulator, mut candidate) = candidate(&args, &original.body)?;
    let run_id = format!(
        "greenpin-drift-{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    );
    for side in [&mut reference, &mut candidate] {
        side.values.extend(numbers.clone());
        side.values.insert("tx".into(), run_id.clone());
        side.values.insert("shortest".into(), SHORTEST.into());
    }
    let mut play = Play {
        scenario: &scenario,
        reference: &mut reference,
        candidate: &mut candidate,
        journal: &mut files.journal,
        allow_settings: args.allow_settings,
        stop: &stop,
        settings_written: Vec::new(),
    };
    let outcome = play.steps();
    let cleaned_up = play.clean_up(&original.body);
    drop(emulator);
    let report = Report {
        reference: reference.tenant.clone(),
        candidate: candidate.tenant.clone(),
        scenario: label(&args, &scenario),
        steps: outcome.steps,
        differences: outcome.differences,
        unexpected: outcome.unexpected,
        requests: report::Requests {
            reference: reference.sent,
            candidate: candidate.sent,
        },
        cleaned_up,
        stopped: outcome.stopped.as_ref().map(|(why, _)| why.clone()),
    };
    conclude(&report, &mut files, json)?;
    Ok(match outcome.stopped {
        Some((_, exit)) => exit,
        None if report.agrees() => Exit::Success,
        None => Exit::Drift,
    })
}

/// What a run needs before its first request, every refusal made.
struct Ready {
    scenario: Scenario,
    reference: Side,
    numbers: BTreeMap<String, String>,
    files: Files,
}

/// Everything that can be refused is refused here, before the first request: the
/// scenario, the configuration, a budget smaller than the scenario, the numbers, the report.
fn ready(
    reference: greenpin_core::client::ClientBuilder<greenpin_blocking::Ureq>,
    args: &DriftArgs,
) -> Result<Ready, CommandError> {
    let scenario = load(args)?;
    let config = reference.build_config()?;
    // Requests to a service on this machine need no pace.
    let pace = if config.context().root().is_loopback() {
        Duration::ZERO
    } else {
        args.pace
    };
    let requests = scenario.requests();
    if u64::from(args.max_requests) < requests {
        return Err(CommandError::Usage(format!(
            "--max-requests {}: the scenario sends up to {requests} requests to each service",
            args.max_requests
        )));
    }
    let reference = Side::new("reference", config, args.max_requests, pace)?;
    let numbers = numbers(args, &scenario, &reference)?;
    let files = Files::open(&args.report, args.overwrite)?;
    Ok(Ready {
        scenario,
        reference,
        numbers,
        files,
    })
}

/// What needs the user's attention reaches the terminal, not only the report; then the
/// report is written, and where it went is said (or the report printed as JSON).
fn conclude(report: &Report, files: &mut Files, json: bool) -> Result<(), CommandError> {
    if let Some(why) = &report.stopped {
        crate::output::say!(
            "greenpin: drift stopped early: {}",
            crate::output::printable(why)
        );
    }
    if !report.cleaned_up.left.is_empty() {
        crate::output::say!(
            "greenpin: not deleted on the reference, delete them yourself (one stopped mid-run may hold a policy of up to 170 days): {}",
            crate::output::printable(&report.cleaned_up.left.join(", "))
        );
    }
    files.finish(report)?;
    say_where(files, report, json);
    Ok(())
}

/// Says what the run will do to the reference before it does anything.
fn announce(scenario: &Scenario, reference: &Side, allow_settings: bool) {
    crate::output::say!(
        "drift: {} steps against {}; up to {} allocations are created there (transaction ids greenpin-drift-…, each with the shortest policy, {SHORTEST}, but for the steps that test the longest ones and set it back at once) and deleted at the end{}",
        scenario.steps.len(),
        reference.tenant,
        scenario.creates(),
        if allow_settings {
            "; the settings the scenario changes are written and put back"
        } else {
            "; settings are only read"
        }
    );
}

/// Set by Ctrl-C, SIGTERM or SIGHUP (a closed terminal): the run stops between steps and
/// cleans up. Holds the signal's number.
fn stop_on_signals() -> Arc<AtomicUsize> {
    let stop = Arc::new(AtomicUsize::new(0));
    #[cfg(unix)]
    let signals = [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ];
    #[cfg(not(unix))]
    let signals = [signal_hook::consts::SIGINT];
    for signal in signals {
        let number = usize::try_from(signal).unwrap_or(usize::MAX);
        let _ = signal_hook::flag::register_usize(signal, stop.clone(), number);
    }
    stop
}

/// The scenario, as the report names it.
fn label(args: &DriftArgs, scenario: &Scenario) -> String {
    match &args.scenario {
        Some(path) => path.display().to_string(),
        None => format!(
            "the built-in scenario (format 1, {} steps)",
            scenario.steps.len()
        ),
    }
}

/// Says where the report went, or prints it as JSON.
fn say_where(files: &Files, report: &Report, json: bool) {
    if json {
        crate::output::print_json(&report.json());
        return;
    }
    crate::output::out!(
        "{}; report: {}; journal: {}",
        report.headline(),
        crate::output::printable(&files.report_path.display().to_string()),
        crate::output::printable(&files.journal_path.display().to_string()),
    );
    for d in &report.differences {
        crate::output::out!(
            "  {}: {}: reference {}, candidate {}",
            crate::output::printable(&d.step),
            crate::output::printable(&d.field),
            crate::output::printable(&d.reference),
            crate::output::printable(&d.candidate)
        );
    }
    for u in &report.unexpected {
        crate::output::out!(
            "  {}: the {} answered {}, greenpin-rs expects {}",
            crate::output::printable(&u.step),
            u.side,
            crate::output::printable(&u.answered),
            u.expected
        );
    }
}

fn load(args: &DriftArgs) -> Result<Scenario, CommandError> {
    match &args.scenario {
        None => Scenario::parse(scenario::BUILT_IN, "the built-in scenario"),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CommandError::Usage(format!("--scenario {}: {e}", path.display())))?;
            Scenario::parse(&text, &format!("--scenario {}", path.display()))
        }
    }
}

/// The candidate: the service `--candidate` names, or an emulator started here with the
/// reference's settings (all but its callback endpoint).
fn candidate(
    args: &DriftArgs,
    reference_settings: &Value,
) -> Result<(Option<greenpin_emulator::BlockingEmulator>, Side), CommandError> {
    let env =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    if let Some(url) = &args.candidate {
        let config = greenpin_blocking::Client::builder()
            .base_url(url.clone())
            .account_sid(env("GREENPIN_CANDIDATE_ACCOUNT_SID", "demo"))
            .credentials(
                env("GREENPIN_CANDIDATE_API_KEY", "demo-key"),
                env("GREENPIN_CANDIDATE_API_TOKEN", "demo-token"),
            )
            .build_config()?;
        let pace = if config.context().root().is_loopback() {
            Duration::ZERO
        } else {
            args.pace
        };
        return Ok((
            None,
            Side::new("candidate", config, args.max_requests, pace)?,
        ));
    }
    let emulator =
        greenpin_emulator::BlockingEmulator::try_start(greenpin_emulator::EmulatorConfig::new())
            .map_err(|e| CommandError::Local(format!("cannot start the emulator: {e}")))?;
    let config = emulator
        .configure(greenpin_blocking::Client::builder())
        .build_config()?;
    let mut side = Side::new("candidate", config, args.max_requests, Duration::ZERO)?;
    let copied = settings_to_copy(reference_settings);
    if copied.as_object().is_none_or(serde_json::Map::is_empty) {
        return Ok((Some(emulator), side));
    }
    let mut sink = std::io::sink();
    let answer = side.request("configure", "PUT", "/settings", Some(&copied), &mut sink)?;
    if answer.status != 200 {
        return Err(CommandError::Local(format!(
            "the emulator refused the reference's settings ({}): {}",
            answer.status,
            greenpin_core::cut_message(&answer.body.to_string())
        )));
    }
    Ok((Some(emulator), side))
}

/// The settings a GreenPin answered, as a settings change: every setting GreenPin has but
/// the callback endpoint (an emulator must not call the account's receiver).
fn settings_to_copy(answer: &Value) -> Value {
    let mut out = serde_json::Map::new();
    if let Some(data) = answer["data"].as_object() {
        for (k, v) in data {
            if greenpin_core::wire::SETTINGS_FIELDS.contains(&k.as_str())
                && k != "greenpin_call_complete_event_endpoint"
                && !v.is_null()
            {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(out)
}
