//! The settings a PUT may change, each rule at its boundary: the vault, `sms_config`, tags
//! and regions, the callback endpoint.

use greenpin_core::{SettingsSpec, ValidationContext, ValidationKind};

fn refused(spec: SettingsSpec) -> (String, String) {
    let err = spec.validate(&ValidationContext::default()).unwrap_err();
    assert_eq!(err.kind(), ValidationKind::Invalid, "{err}");
    (err.field().to_owned(), err.problem().to_owned())
}

fn accepted(spec: SettingsSpec) -> greenpin_core::Settings {
    spec.validate(&ValidationContext::default())
        .unwrap()
        .into_settings()
}

#[test]
fn an_empty_change_is_empty_and_any_setting_is_not() {
    assert!(SettingsSpec::new().is_empty());
    assert!(!SettingsSpec::new().deletion_time(0).is_empty());
    assert!(!SettingsSpec::new().intl_num_sup(false).is_empty());
}

#[test]
fn the_vault_is_zero_to_a_day() {
    let body = SettingsSpec::new()
        .deletion_time(86_400)
        .validate(&ValidationContext::default())
        .unwrap();
    assert_eq!(body.settings().deletion_time, Some(86_400));
    assert_eq!(
        accepted(SettingsSpec::new().deletion_time(0)).deletion_time,
        Some(0)
    );
    let (field, problem) = refused(SettingsSpec::new().deletion_time(86_401));
    assert_eq!(field, "deletion_time");
    assert!(problem.contains("86401"), "{problem}");
}

#[test]
fn sms_config_is_an_object_kept_as_sent() {
    let config = serde_json::json!({"sender": "EXOTEL", "template": 7});
    assert_eq!(
        accepted(SettingsSpec::new().sms_config(config.clone())).sms_config,
        Some(config)
    );
    assert_eq!(
        refused(SettingsSpec::new().sms_config(serde_json::json!("EXOTEL"))).0,
        "sms_config"
    );
}

#[test]
fn tags_and_regions_are_short_printable_names() {
    let longest = "é".repeat(64); // characters, not bytes
    assert_eq!(
        accepted(SettingsSpec::new().aparty_tag(&longest))
            .aparty_tag
            .as_deref(),
        Some(longest.as_str())
    );
    for (spec, field, problem) in [
        (
            SettingsSpec::new().aparty_tag(&"é".repeat(65)),
            "aparty_tag",
            "longer than 64",
        ),
        (SettingsSpec::new().bparty_tag("  "), "bparty_tag", "blank"),
        (
            SettingsSpec::new().default_region("south\u{7}"),
            "default_region",
            "control",
        ),
    ] {
        let (f, p) = refused(spec);
        assert_eq!(f, field);
        assert!(p.contains(problem), "{field}: {p}");
    }
}

#[test]
fn the_callback_endpoint_is_an_http_url_with_a_host_and_a_real_port() {
    for good in [
        "https://example.com/greenpin",
        "http://127.0.0.1:8080/cb",
        "http://127.0.0.1:65535/cb",
        "", // clears it
    ] {
        assert_eq!(
            accepted(SettingsSpec::new().call_complete_endpoint(good))
                .greenpin_call_complete_event_endpoint
                .as_deref(),
            Some(good)
        );
    }
    for (bad, problem) in [
        ("ftp://example.com/cb", "is not an http or https URL"),
        ("example.com:8080", "is not an http or https URL"),
        ("not a url", "is not a URL"),
        (
            "http://127.0.0.1:65536/cb",
            "has a port that is not 0 to 65535",
        ),
        ("http://user:secret@127.0.0.1:99999/cb", "has a port"),
    ] {
        let (field, p) = refused(SettingsSpec::new().call_complete_endpoint(bad));
        assert_eq!(field, "greenpin_call_complete_event_endpoint");
        assert!(p.contains(problem), "{bad}: {p}");
        assert!(
            !p.contains("secret"),
            "credentials in a URL are not repeated: {p}"
        );
    }
}
