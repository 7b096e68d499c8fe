//! Tests of [`super`]: the config module's own, kept apart so its file holds the code.

use super::*;

#[test]
fn the_built_configuration_reads_back_its_settings() {
    let c = builder()
        .connect_timeout(Duration::from_millis(1_500))
        .attempt_timeout(Duration::from_secs(7))
        .timeout(Duration::from_secs(20))
        .max_response_bytes(4096)
        .build_config()
        .unwrap();
    assert_eq!(
        (
            c.connect_timeout(),
            c.attempt_timeout(),
            c.timeout(),
            c.max_response_bytes()
        ),
        (
            Duration::from_millis(1_500),
            Duration::from_secs(7),
            Duration::from_secs(20),
            4096
        )
    );
    assert!(!c.is_loopback());
    // The smallest answer cap allowed, a retry policy, an emulator's root.
    let c = builder()
        .max_response_bytes(1024)
        .retry_policy(RetryPolicy::default().with_max_attempts(5))
        .base_url("http://127.0.0.1:8080")
        .build_config()
        .unwrap();
    assert_eq!(c.max_response_bytes(), 1024);
    assert_eq!(c.retry_policy().max_attempts, 5);
    assert!(c.is_loopback());
    assert!(builder().max_response_bytes(1023).build_config().is_err());
}

#[test]
fn another_country_needs_international_numbers() {
    let ae: Country = "AE".parse().unwrap();
    assert!(checkable_country(Country::IN, false).is_ok());
    assert!(checkable_country(Country::IN, true).is_ok());
    assert!(checkable_country(ae, true).is_ok());
    let e = checkable_country(ae, false).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid client configuration: country: AE needs the SDK's `international-numbers` feature (on by default), which this client does not use: without it only Indian numbers can be checked"
    );
}

fn builder() -> ClientBuilder<()> {
    ClientBuilder::new()
        .account_sid("acme")
        .credentials("k", "t")
}

#[test]
fn absurd_timeouts_are_refused_naming_the_setting() {
    let e = builder().timeout(Duration::MAX).build_config().unwrap_err();
    assert!(
        matches!(&e, Error::Config(c) if c.setting() == "timeout"),
        "{e}"
    );
    let e = builder()
        .attempt_timeout(Duration::ZERO)
        .build_config()
        .unwrap_err();
    assert!(
        matches!(&e, Error::Config(c) if c.setting() == "attempt_timeout"),
        "{e}"
    );
    assert!(builder().timeout(MAX_TIMEOUT).build_config().is_ok());
}

#[test]
fn configuration_errors_are_their_own_kind() {
    let e = builder()
        .base_url("http://example.com")
        .build_config()
        .unwrap_err();
    assert!(
        matches!(&e, Error::Config(c) if c.setting() == "base_url"),
        "{e}"
    );
    let e = builder().account_sid("a/b").build_config().unwrap_err();
    assert!(
        matches!(&e, Error::Config(c) if c.setting() == "account_sid"),
        "{e}"
    );
    let e = builder().max_response_bytes(10).build_config().unwrap_err();
    assert!(
        matches!(&e, Error::Config(c) if c.setting() == "max_response_bytes"),
        "{e}"
    );
}
