//! The settings update body (`PUT /settings`): what is left out keeps its value.

use serde::{Deserialize, Serialize};

use crate::body::ValidationContext;
use crate::phone::Country;
use crate::pin::PinLength;
use crate::settings::{MaxDeallocationTime, Settings, Timezone};
use crate::validation::{ValidationError, ValidationKind};

/// A change of account settings. Every field is optional; a field left out keeps its
/// value. Settings this version does not model go in `other` and are sent as given.
///
/// ```
/// use greenpin_core::{SettingsSpec, Timezone, ValidationContext};
/// let ctx = ValidationContext::default();
/// let body = SettingsSpec::new().timezone(Timezone::Utc).validate(&ctx).unwrap();
/// assert_eq!(serde_json::to_string(&body).unwrap(), r#"{"timezone":"UTC"}"#);
///
/// let err = SettingsSpec::new().call_complete_endpoint("ftp://example.com").validate(&ctx);
/// assert_eq!(err.unwrap_err().field(), "greenpin_call_complete_event_endpoint");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct SettingsSpec {
    /// Country local numbers are read in (ISO 3166-1 alpha-2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Whether international numbers are allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intl_num_sup: Option<bool>,
    /// Cap on deallocation durations: a longer policy is cut to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_deallocation_time: Option<MaxDeallocationTime>,
    /// Timezone of `deallocation_time`: `IST` or `UTC`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<Timezone>,
    /// Seconds a vault allocation is kept before it is purged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_time: Option<u64>,
    /// Where call-completed callbacks are POSTed (an `http` or `https` URL; empty to stop).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greenpin_call_complete_event_endpoint: Option<String>,
    /// Default A-party PIN length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aparty_pin_length: Option<PinLength>,
    /// Default B-party PIN length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bparty_pin_length: Option<PinLength>,
    /// Whether A-party PINs are on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aparty_pin_enabled: Option<bool>,
    /// Whether B-party PINs are on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bparty_pin_enabled: Option<bool>,
    /// Length of a PIN common to both parties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub common_pin_length: Option<PinLength>,
    /// Whether a common PIN is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub common_pin_enabled: Option<bool>,
    /// Settings this version does not model (some are shared with GreenVN).
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

impl SettingsSpec {
    /// No change yet.
    pub fn new() -> Self {
        SettingsSpec::default()
    }

    /// Sets `timezone`.
    pub fn timezone(mut self, tz: Timezone) -> Self {
        self.timezone = Some(tz);
        self
    }

    /// Sets `country`.
    pub fn country(mut self, country: impl Into<String>) -> Self {
        self.country = Some(country.into());
        self
    }

    /// Sets `deletion_time`, in seconds.
    pub fn deletion_time(mut self, secs: u64) -> Self {
        self.deletion_time = Some(secs);
        self
    }

    /// Sets `max_deallocation_time`.
    pub fn max_deallocation_time(mut self, max: MaxDeallocationTime) -> Self {
        self.max_deallocation_time = Some(max);
        self
    }

    /// Sets `intl_num_sup`.
    pub fn intl_num_sup(mut self, on: bool) -> Self {
        self.intl_num_sup = Some(on);
        self
    }

    /// Sets `greenpin_call_complete_event_endpoint`.
    pub fn call_complete_endpoint(mut self, url: impl Into<String>) -> Self {
        self.greenpin_call_complete_event_endpoint = Some(url.into());
        self
    }

    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        self == &SettingsSpec::default()
    }

    /// Checks the change: at least one setting, each valid.
    pub fn validate(&self, _ctx: &ValidationContext) -> Result<SettingsBody, ValidationError> {
        if self.is_empty() {
            return Err(ValidationError::new(
                "body",
                ValidationKind::Missing,
                "a settings update must change at least one setting",
            ));
        }
        if let Some(c) = &self.country {
            c.parse::<Country>().map_err(|e| {
                ValidationError::new("country", ValidationKind::Invalid, e.to_string())
            })?;
        }
        if let Some(Timezone::Unknown(tz)) = &self.timezone {
            return Err(ValidationError::new(
                "timezone",
                ValidationKind::Invalid,
                format!("{tz:?} is not a timezone GreenPin writes in; use \"IST\" or \"UTC\""),
            ));
        }
        if let Some(MaxDeallocationTime::Secs(secs)) = self.max_deallocation_time
            && secs > MaxDeallocationTime::LIMIT_SECS
        {
            return Err(ValidationError::new(
                "max_deallocation_time",
                ValidationKind::Invalid,
                format!(
                    "{secs}s is more than the 170 days GreenPin allows; use at most \"170d\", or \"-1\" for never"
                ),
            ));
        }
        if let Some(url) = &self.greenpin_call_complete_event_endpoint
            && !url.is_empty()
        {
            check_endpoint(url)?;
        }
        let s = Settings {
            country: self.country.clone(),
            intl_num_sup: self.intl_num_sup,
            max_deallocation_time: self.max_deallocation_time,
            timezone: self.timezone.clone(),
            deletion_time: self.deletion_time,
            greenpin_call_complete_event_endpoint: self
                .greenpin_call_complete_event_endpoint
                .clone(),
            aparty_pin_length: self.aparty_pin_length,
            bparty_pin_length: self.bparty_pin_length,
            aparty_pin_enabled: self.aparty_pin_enabled,
            bparty_pin_enabled: self.bparty_pin_enabled,
            common_pin_length: self.common_pin_length,
            common_pin_enabled: self.common_pin_enabled,
            other: self.other.clone(),
        };
        Ok(SettingsBody(s))
    }
}

fn check_endpoint(url: &str) -> Result<(), ValidationError> {
    let bad = |why: &str| {
        ValidationError::new(
            "greenpin_call_complete_event_endpoint",
            ValidationKind::Invalid,
            format!("{url:?} {why}"),
        )
    };
    let uri: http::Uri = url.parse().map_err(|_| bad("is not a URL"))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => return Err(bad("is not an http or https URL")),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(bad("has no host"));
    }
    Ok(())
}

/// A validated [`SettingsSpec`]: the body a settings update sends, and what a server merges
/// into the account's settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct SettingsBody(Settings);

impl SettingsBody {
    /// The settings it changes (the rest are `None`).
    pub fn settings(&self) -> &Settings {
        &self.0
    }

    /// The settings it changes, owned.
    pub fn into_settings(self) -> Settings {
        self.0
    }
}
