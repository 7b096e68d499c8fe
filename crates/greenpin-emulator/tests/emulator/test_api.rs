//! The emulator as a test dependency: usable from sync and async tests, with `?`.

use std::time::Duration;

use greenpin_emulator::{BlockingEmulator, CallSpec, Fault, FaultRule};

#[tokio::test]
async fn a_blocking_emulator_starts_and_stops_inside_a_tokio_test() {
    let emu = BlockingEmulator::start();
    assert!(emu.base_url().starts_with("http://127.0.0.1:"));
    drop(emu); // no "cannot drop a runtime" panic
}

#[test]
fn the_clock_moves_to_the_millisecond_and_failures_work_with_question_mark()
-> Result<(), Box<dyn std::error::Error>> {
    let emu = BlockingEmulator::start();
    let before = emu.clock_ms();
    emu.advance_clock(Duration::from_millis(1500)).unwrap();
    emu.advance_clock(Duration::from_millis(1500)).unwrap();
    let moved = emu.clock_ms() - before;
    assert!((3000..3500).contains(&moved), "moved {moved} ms");
    emu.add_fault(FaultRule::new(Fault::status(503)))?;
    let refused = emu.simulate_call(&CallSpec::new("not a number", "6292134471"));
    let e = refused.unwrap_err();
    let boxed: Box<dyn std::error::Error> = Box::new(e.clone());
    assert!(boxed.to_string().contains("code 16"), "{boxed}");
    Ok(())
}
