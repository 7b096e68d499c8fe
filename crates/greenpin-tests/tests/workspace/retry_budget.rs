//! The retry budget across a client's clones, against a failing service: many workers
//! sharing a client add a bounded number of retries in all, not two more attempts each.

use std::time::Duration;

use greenpin_core::retry::RetryPolicy;
use greenpin_emulator::{Fault, FaultRule};
use greenpin_tests::{Make, Opts};

fn budget_bounds_retries(make: Make) {
    let emu = greenpin_tests::emulator();
    // Every settings read fails with 503 (retryable) for the whole test.
    let mut rule = FaultRule::new(Fault::Status {
        status: 503,
        retry_after: None,
        body: None,
        content_type: None,
    })
    .path(&format!("/v1/tenants/{}/settings", emu.account_sid()));
    rule.times = 10_000;
    emu.add_fault(rule).unwrap();
    // 50 tokens at 5 a retry: 10 retries for the client and all its clones together.
    let policy = RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(1))
        .with_budget(50);
    let sdk = make(
        &emu,
        &Opts {
            retry: Some(policy),
            ..Opts::default()
        },
    );
    let calls = 40;
    for _ in 0..calls {
        assert!(sdk.settings().is_err());
    }
    let sent = emu
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/settings"))
        .count();
    // Without a budget: 40 calls x 3 attempts = 120 requests.
    assert_eq!(sent, calls + 10, "{} flavour sent {sent}", sdk.flavor());
    assert_eq!(sdk.retry_budget(), 0);
}

#[test]
fn blocking_budget_bounds_retries() {
    budget_bounds_retries(greenpin_tests::blocking);
}

#[test]
fn async_budget_bounds_retries() {
    budget_bounds_retries(greenpin_tests::asynchronous);
}
