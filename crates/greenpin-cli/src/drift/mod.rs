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
mod play;
mod report;
mod scenario;
mod side;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use clap::Args;
use serde_json::Value;

use crate::exit::{CommandError, Exit};
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
    /// Most requests the scenario sends each service (cleaning up is not counted).
    #[arg(long, default_value_t = 60)]
    max_requests: u32,
    /// Least time between two requests to a service that is not on this machine.
    #[arg(long, default_value = "500ms", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pace: Duration,
    /// Where the Markdown report goes; the journal of every request goes beside it
    /// (REPORT.journal.ndjson).
    #[arg(long, default_value = "greenpin-drift.md")]
    report: PathBuf,
    /// Play this scenario file instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    scenario: Option<PathBuf>,
}

/// Numbers an emulator takes, for a reference on this machine given none.
const LOOPBACK_NUMBERS: [(&str, &[&str]); 3] = [
    ("vn", &["6292134471", "6292134464"]),
    ("a", &["7987686144", "7000000001"]),
    ("b", &["9956555625"]),
];

/// The shortest deallocation policy GreenPin documents.
const SHORTEST: &str = "5m";

/// Runs `greenpin drift`.
pub(crate) fn run(
    reference: greenpin_core::client::ClientBuilder<greenpin_blocking::Ureq>,
    args: DriftArgs,
    json: bool,
) -> Result<Exit, CommandError> {
    let scenario = load(&args)?;
    let config = reference.build_config()?;
    // Requests to a service on this machine need no pace.
    let pace = if config.context().root().is_loopback() {
        Duration::ZERO
    } else {
        args.pace
    };
    let mut reference = Side::new("reference", config, args.max_requests, pace)?;
    let numbers = numbers(&args, &scenario, &reference)?;
    announce(&scenario, &reference, args.allow_settings);
    let journal_path = journal_path(&args.report);
    let mut journal = open_journal(&journal_path)?;
    let stop = stop_on_signals();
    let original = reference.send("settings", "GET", "/settings", None, &mut journal)?;
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
        journal: &mut journal,
        allow_settings: args.allow_settings,
        stop: &stop,
    };
    let (steps, differences, stopped) = play.steps();
    let cleaned_up = play.clean_up(&original.body);
    let _ = std::io::Write::flush(&mut journal);
    let report = Report {
        reference: reference.tenant.clone(),
        candidate: candidate.tenant.clone(),
        scenario: label(&args, &scenario),
        steps,
        differences,
        requests: report::Requests {
            reference: reference.sent,
            candidate: candidate.sent,
        },
        cleaned_up,
        stopped: stopped.as_ref().map(|(why, _)| why.clone()),
    };
    drop(emulator);
    finish(&args, &journal_path, &report, json)?;
    Ok(match stopped {
        Some((_, exit)) => exit,
        None if report.differences.is_empty() => Exit::Success,
        None => Exit::Drift,
    })
}

/// Says what the run will do to the reference before it does anything.
fn announce(scenario: &Scenario, reference: &Side, allow_settings: bool) {
    crate::output::say!(
        "drift: {} steps against {}; up to {} allocations are created there (transaction ids greenpin-drift-…, deallocated after {SHORTEST} at most) and deleted at the end{}",
        scenario.steps.len(),
        reference.tenant,
        scenario.creates(),
        if allow_settings {
            "; settings are written and put back"
        } else {
            "; settings are only read"
        }
    );
}

/// The journal of every request, beside the report.
fn open_journal(path: &std::path::Path) -> Result<std::io::BufWriter<std::fs::File>, CommandError> {
    std::fs::File::create(path)
        .map(std::io::BufWriter::new)
        .map_err(|e| CommandError::Usage(format!("cannot write {}: {e}", path.display())))
}

/// Set by Ctrl-C or SIGTERM: the run stops between steps and cleans up.
fn stop_on_signals() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let _ = signal_hook::flag::register(signal, stop.clone());
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

/// Writes the report and says where, or prints it as JSON.
fn finish(
    args: &DriftArgs,
    journal: &std::path::Path,
    report: &Report,
    json: bool,
) -> Result<(), CommandError> {
    std::fs::write(&args.report, report.markdown())
        .map_err(|e| CommandError::Usage(format!("cannot write {}: {e}", args.report.display())))?;
    if json {
        crate::output::print_json(&report.json());
    } else {
        crate::output::out!(
            "{} difference{} in {} steps; report: {}; journal: {}",
            report.differences.len(),
            if report.differences.len() == 1 {
                ""
            } else {
                "s"
            },
            report.steps.len(),
            args.report.display(),
            journal.display()
        );
        for d in &report.differences {
            crate::output::out!(
                "  {}: {}: reference {}, candidate {}",
                d.step,
                d.field,
                d.reference,
                d.candidate
            );
        }
    }
    Ok(())
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

fn journal_path(report: &std::path::Path) -> PathBuf {
    let mut name = report.as_os_str().to_owned();
    name.push(".journal.ndjson");
    PathBuf::from(name)
}

/// The numbers the scenario may use, by placeholder (`vn1`, `a2`, `b1`): the user's own on
/// a reference that is not on this machine (required, with `--allow-writes`), an
/// emulator's otherwise.
fn numbers(
    args: &DriftArgs,
    scenario: &Scenario,
    reference: &Side,
) -> Result<BTreeMap<String, String>, CommandError> {
    let needs = scenario.needs;
    let given = [
        ("vn", &args.vns, needs.vn, "--vn"),
        ("a", &args.a_numbers, needs.a_number, "--a-number"),
        ("b", &args.b_numbers, needs.b_number, "--b-number"),
    ];
    if !reference.is_loopback() {
        if !args.allow_writes {
            return Err(CommandError::Usage(format!(
                "{} is not on this machine: drift writes to it (it creates up to {} allocations and deletes them). Add --allow-writes, and the account's own numbers: --vn (×{}), --a-number (×{}), --b-number (×{})",
                reference.tenant,
                scenario.creates(),
                needs.vn,
                needs.a_number,
                needs.b_number
            )));
        }
        for (_, list, need, flag) in &given {
            if list.len() < *need {
                return Err(CommandError::Usage(format!(
                    "{flag}: the scenario needs {need} of the account's own numbers, {} given",
                    list.len()
                )));
            }
        }
    }
    let mut values = BTreeMap::new();
    for ((prefix, list, need, _), (_, defaults)) in given.iter().zip(LOOPBACK_NUMBERS) {
        for i in 0..*need {
            let n = list
                .get(i)
                .map(String::as_str)
                .or_else(|| defaults.get(i).copied())
                .ok_or_else(|| {
                    CommandError::Usage(format!("the scenario needs more {prefix} numbers"))
                })?;
            values.insert(format!("{prefix}{}", i + 1), n.to_owned());
        }
    }
    Ok(values)
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
            .map_err(|e| CommandError::Usage(format!("cannot start the emulator: {e}")))?;
    let config = emulator
        .configure(greenpin_blocking::Client::builder())
        .build_config()?;
    let mut side = Side::new("candidate", config, args.max_requests, Duration::ZERO)?;
    let copied = settings_to_copy(reference_settings);
    let mut sink = std::io::sink();
    let answer = side.request("configure", "PUT", "/settings", Some(&copied), &mut sink)?;
    if answer.status != 200 {
        return Err(CommandError::Usage(format!(
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
