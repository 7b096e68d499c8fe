//! The same work as `update_cpu`, counted in instructions rather than timed, so the figure
//! holds on a busy machine: `xtask/scripts/update_instructions.sh` runs this under
//! valgrind's callgrind at two iteration counts for each side and divides the difference.
//!
//! Usage (what the script does): `update_instructions sdk|plain ITERATIONS`.

mod update;

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let side = args.next().unwrap_or_default();
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let update = update::Update::new();
    // Once before counting: first-use costs are not per call.
    update.sdk();
    update.plain();
    for _ in 0..n {
        match side.as_str() {
            "sdk" => update.sdk(),
            "plain" => update.plain(),
            _ => panic!("usage: update_instructions sdk|plain ITERATIONS"),
        }
    }
}
