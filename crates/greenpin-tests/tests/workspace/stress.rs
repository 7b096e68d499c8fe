//! Races: concurrent clients, mixed operations (create, update, PIN changes, bulk update,
//! delete, call simulation, clock advances) on a small shared pool of VNs and PINs, against
//! one emulator. Afterwards: a (VN, PIN) pair is unique among active allocations, every
//! acknowledged update is visible, no id was issued twice, no 5xx, and it all finished in
//! bounded time (no deadlock).
//!
//! Default (CI): 32 clients x 300 operations. Full: `GREENPIN_STRESS=full cargo test
//! --release -p greenpin-tests --test workspace stress` runs 64 clients x 1,000 operations.

use std::collections::{HashMap, HashSet};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use greenpin_core::retry::RetryPolicy;
use greenpin_core::{BulkItemSpec, BulkSpec, CreateSpec};
use greenpin_core::{Error, GreenPinId, PartySpec, State, UpdateSpec, Usage};
use greenpin_emulator::{BlockingEmulator, CallSpec};

const VNS: [&str; 3] = ["6292134471", "6292134472", "6292134473"];
const PINS: [&str; 6] = ["101", "202", "303", "404", "505", "606"];

struct Outcome {
    created: Vec<GreenPinId>,
    /// Last acknowledged usage of each allocation this client owns and has not deleted.
    acked: HashMap<GreenPinId, Usage>,
    server_errors: Vec<String>,
    operations: usize,
}

fn usage(n: u64) -> Usage {
    if n.is_multiple_of(2) {
        Usage::Oneway
    } else {
        Usage::Twoway
    }
}

fn client(
    emu_base: String,
    sid: String,
    key: String,
    token: String,
    me: u64,
    ops: usize,
    emu: &BlockingEmulator,
) -> Outcome {
    let sdk = greenpin_blocking::Client::builder()
        .base_url(emu_base)
        .account_sid(sid)
        .credentials(key, token)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ (me + 1).wrapping_mul(0x2545_f491_4f6c_dd1d);
    let mut rand = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut out = Outcome {
        created: Vec::new(),
        acked: HashMap::new(),
        server_errors: Vec::new(),
        operations: 0,
    };
    let check = |e: &Error, out: &mut Outcome| {
        let bad = match e {
            Error::Api(a) => a.status.is_server_error(),
            Error::Validation(_) => false,
            other => {
                out.server_errors.push(format!("client {me}: {other}"));
                return;
            }
        };
        if bad {
            out.server_errors.push(format!("client {me}: {e}"));
        }
    };
    for op in 0..ops {
        out.operations += 1;
        let r = rand();
        let owned: Vec<GreenPinId> = out.acked.keys().cloned().collect();
        let pick = |n: u64| owned.get((n % owned.len().max(1) as u64) as usize).cloned();
        match r % 10 {
            0..=2 => {
                let vn = VNS[(r >> 8) as usize % VNS.len()];
                let pin = PINS[(r >> 16) as usize % PINS.len()];
                let spec = CreateSpec::new(format!("c{me}-{op}"))
                    .a(PartySpec::new()
                        .number(format!("7{me:03}{op:06}"))
                        .vn(vn)
                        .pin(pin))
                    .b(PartySpec::new().number(format!("9{me:03}{op:06}")))
                    .usage(Usage::Twoway)
                    .deallocate_after("1h");
                match sdk.create(&spec) {
                    Ok(a) => {
                        out.created.push(a.greenpin_id.clone());
                        out.acked.insert(a.greenpin_id, Usage::Twoway);
                    }
                    Err(e) => check(&e, &mut out),
                }
            }
            3 | 4 => {
                if let Some(id) = pick(r >> 8) {
                    match sdk.update(&id, &UpdateSpec::new().usage(usage(r >> 20))) {
                        Ok(a) => {
                            out.acked.insert(id, a.usage);
                        }
                        Err(e) => check(&e, &mut out),
                    }
                }
            }
            5 => {
                if let Some(id) = pick(r >> 8) {
                    let pin = PINS[(r >> 16) as usize % PINS.len()];
                    if let Err(e) = sdk.update(&id, &UpdateSpec::new().a(PartySpec::new().pin(pin)))
                    {
                        check(&e, &mut out);
                    }
                }
            }
            6 => {
                let items: Vec<GreenPinId> = (0..3)
                    .filter_map(|k| pick(r >> (8 + k * 8)))
                    .collect::<HashSet<_>>()
                    .into_iter()
                    .collect();
                if !items.is_empty() {
                    let want = usage(r >> 40);
                    let bulk = items.iter().fold(BulkSpec::new(), |b, id| {
                        b.item(BulkItemSpec::new(id).usage(want.clone()))
                    });
                    match sdk.bulk_update(&bulk) {
                        Ok(results) => {
                            for (id, res) in items.iter().zip(results.greenpins) {
                                if res.success {
                                    out.acked.insert(id.clone(), want.clone());
                                } else if res.status >= 500 {
                                    out.server_errors
                                        .push(format!("client {me}: bulk item {}", res.status));
                                }
                            }
                        }
                        Err(e) => check(&e, &mut out),
                    }
                }
            }
            7 => {
                if let Some(id) = pick(r >> 8) {
                    match sdk.delete(&id) {
                        Ok(_) => {
                            out.acked.remove(&id);
                        }
                        Err(e) => check(&e, &mut out),
                    }
                }
            }
            8 => {
                let vn = VNS[(r >> 8) as usize % VNS.len()];
                let pin = PINS[(r >> 16) as usize % PINS.len()];
                if let Err(f) = emu.simulate_call(&CallSpec::new("7000000001", vn).pin(pin)) {
                    out.server_errors.push(format!(
                        "client {me}: call refused as bad input: {}",
                        f.message()
                    ));
                }
            }
            _ => {
                if r % 7 == 0 {
                    emu.advance_clock(Duration::from_secs(1)).unwrap();
                }
            }
        }
    }
    out
}

fn stress(clients: u64, ops: usize, limit: Duration) {
    let emu = BlockingEmulator::start();
    let (tx, rx) = mpsc::channel();
    let started = Instant::now();
    std::thread::scope(|scope| {
        for me in 0..clients {
            let tx = tx.clone();
            let emu = &emu;
            let (base, sid) = (emu.base_url().to_owned(), emu.account_sid().to_owned());
            let key = emu.credentials().key().expose().to_owned();
            let token = emu.credentials().token().expose().to_owned();
            scope.spawn(move || {
                let _ = tx.send(client(base, sid, key, token, me, ops, emu));
            });
        }
        drop(tx);
        let mut outcomes = Vec::new();
        while outcomes.len() < clients as usize {
            let left = limit
                .checked_sub(started.elapsed())
                .unwrap_or_else(|| panic!("not finished after {limit:?}: a deadlock?"));
            outcomes.push(
                rx.recv_timeout(left)
                    .unwrap_or_else(|_| panic!("not finished after {limit:?}: a deadlock?")),
            );
        }

        let total_ops: usize = outcomes.iter().map(|o| o.operations).sum();
        assert_eq!(total_ops, clients as usize * ops);
        let errors: Vec<&String> = outcomes.iter().flat_map(|o| &o.server_errors).collect();
        assert!(errors.is_empty(), "server errors: {errors:?}");
        // No id issued twice.
        let created: Vec<&GreenPinId> = outcomes.iter().flat_map(|o| &o.created).collect();
        let distinct: HashSet<&GreenPinId> = created.iter().copied().collect();
        assert_eq!(distinct.len(), created.len(), "an id was issued twice");
        assert!(
            created.len() > clients as usize,
            "too few creates succeeded to prove anything: {}",
            created.len()
        );
        // The routing table is consistent: each (VN, PIN) held by at most one active allocation.
        emu.check_invariants().unwrap();
        // Every acknowledged update is visible.
        let reader = greenpin_blocking::Client::builder()
            .base_url(emu.base_url())
            .account_sid(emu.account_sid())
            .credentials(
                emu.credentials().key().clone(),
                emu.credentials().token().clone(),
            )
            .build()
            .unwrap();
        let mut checked = 0;
        for o in &outcomes {
            for (id, want) in &o.acked {
                let a = reader.get(id).unwrap();
                if a.state == State::Active {
                    assert_eq!(&a.usage, want, "{id}: an acknowledged update was lost");
                    checked += 1;
                }
            }
        }
        assert!(checked > 0);
        eprintln!(
            "stress: {clients} clients x {ops} operations in {:.1?}; {} allocations created, {checked} checked",
            started.elapsed(),
            created.len()
        );
    });
}

#[test]
fn concurrent_clients_keep_every_invariant() {
    if std::env::var("GREENPIN_STRESS").as_deref() == Ok("full") {
        stress(64, 1_000, Duration::from_secs(900));
    } else {
        stress(32, 300, Duration::from_secs(120));
    }
}
