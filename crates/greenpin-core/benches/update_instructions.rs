//! The same work as `update_cpu`, counted in instructions rather than timed, so the figure
//! holds on a busy machine: `xtask/scripts/update_instructions.sh` runs this under
//! valgrind's callgrind at two iteration counts for each side and divides the difference.
//!
//! Usage (what the script does): `update_instructions sdk|plain ITERATIONS`; `sdk-build`
//! and `sdk-parse` run one half of the SDK's side, for a profiler.
//!
//! `update_instructions ratio ROUNDS` times the two sides instead, interleaved in batches
//! of 2,000 calls within one process, so both meet the same machine (a VM's speed drifts
//! between criterion's separate runs): it prints each side's time a call and their ratio.
//! `update_instructions halves ROUNDS` times each half of each side the same way (the
//! SDK's build and parse, the floor's encode and decode), to show where the gap lies.

mod update;

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let side = args.next().unwrap_or_default();
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let update = update::Update::new();
    // Once before counting: first-use costs are not per call.
    update.sdk();
    update.plain();
    if side == "halves" {
        // Each half of each side, interleaved the same way: where the SDK's time goes.
        type Half = (&'static str, fn(&update::Update));
        let halves: [Half; 4] = [
            ("sdk build", update::Update::sdk_build),
            ("sdk parse", update::Update::sdk_parse),
            ("plain encode", update::Update::plain_encode),
            ("plain decode", update::Update::plain_decode),
        ];
        let mut spent = [std::time::Duration::ZERO; 4];
        for _ in 0..n {
            for (i, (_, half)) in halves.iter().enumerate() {
                let t = std::time::Instant::now();
                for _ in 0..2_000 {
                    half(&update);
                }
                spent[i] += t.elapsed();
            }
        }
        let calls = (n * 2_000) as f64;
        for (i, (name, _)) in halves.iter().enumerate() {
            println!("{name} {:.3} us", spent[i].as_secs_f64() * 1e6 / calls);
        }
        return;
    }
    if side == "ratio" {
        let (mut sdk, mut plain) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
        for _ in 0..n {
            let t = std::time::Instant::now();
            for _ in 0..2_000 {
                update.sdk();
            }
            sdk += t.elapsed();
            let t = std::time::Instant::now();
            for _ in 0..2_000 {
                update.plain();
            }
            plain += t.elapsed();
        }
        let calls = (n * 2_000) as f64;
        println!(
            "sdk {:.3} us, plain {:.3} us, ratio {:.3}",
            sdk.as_secs_f64() * 1e6 / calls,
            plain.as_secs_f64() * 1e6 / calls,
            sdk.as_secs_f64() / plain.as_secs_f64()
        );
        return;
    }
    for _ in 0..n {
        match side.as_str() {
            "sdk" => update.sdk(),
            "plain" => update.plain(),
            "sdk-build" => update.sdk_build(),
            "sdk-parse" => update.sdk_parse(),
            _ => panic!("usage: update_instructions sdk|plain ITERATIONS"),
        }
    }
}
