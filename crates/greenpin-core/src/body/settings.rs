//! The settings update body (`PUT /settings`): what is left out keeps its value.

use serde::{Deserialize, Serialize};

use crate::body::ValidationContext;
use crate::local_time::Timezone;
use crate::phone::{Country, UnknownCountry};
use crate::pin::PinLength;
use crate::settings::{MaxDeallocationTime, Settings};
use crate::validation::{ValidationError, ValidationKind};

/// A change of account settings: the [`Settings`] fields it sets. A field left out keeps
/// its value; settings this version does not model go in `other` and are sent as given.
/// On the wire it is exactly a settings object.
///
/// ```
/// # use greenpin_core::{SettingsSpec, Timezone, ValidationContext};
/// let ctx = ValidationContext::default();
/// let body = SettingsSpec::new().timezone(Timezone::Utc).validate(&ctx).unwrap();
/// assert_eq!(serde_json::to_string(&body).unwrap(), r#"{"timezone":"UTC"}"#);
///
/// let err = SettingsSpec::new().call_complete_endpoint("ftp://example.com").validate(&ctx);
/// assert_eq!(err.unwrap_err().field(), "greenpin_call_complete_event_endpoint");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(transparent)]
#[non_exhaustive]
pub struct SettingsSpec {
    /// The settings to change; `None` fields are left as they are.
    pub settings: Settings,
}

macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident($field:ident: $ty:ty);)+) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, value: $ty) -> Self {
                self.settings.$field = Some(value.into());
                self
            }
        )+
    };
}

impl SettingsSpec {
    /// No change yet.
    pub fn new() -> Self {
        SettingsSpec::default()
    }

    setters! {
        /// Sets `timezone`.
        timezone(timezone: Timezone);
        /// Sets `country`.
        country(country: Country);
        /// Sets `deletion_time`: the vault (cool-off) period in seconds, 0 to 86,400.
        deletion_time(deletion_time: u64);
        /// Sets `max_deallocation_time`.
        max_deallocation_time(max_deallocation_time: MaxDeallocationTime);
        /// Sets `intl_num_sup`.
        intl_num_sup(intl_num_sup: bool);
        /// Sets `greenpin_call_complete_event_endpoint`.
        call_complete_endpoint(greenpin_call_complete_event_endpoint: &str);
        /// Sets `aparty_pin_enabled`.
        aparty_pin_enabled(aparty_pin_enabled: bool);
        /// Sets `bparty_pin_enabled`.
        bparty_pin_enabled(bparty_pin_enabled: bool);
        /// Sets `aparty_pin_length`.
        aparty_pin_length(aparty_pin_length: PinLength);
        /// Sets `bparty_pin_length`.
        bparty_pin_length(bparty_pin_length: PinLength);
        /// Sets `common_pin_enabled`: one PIN for both parties.
        common_pin_enabled(common_pin_enabled: bool);
        /// Sets `common_pin_length`.
        common_pin_length(common_pin_length: PinLength);
        /// Sets `tag_enabled`: the parties' tags travel in call callbacks.
        tag_enabled(tag_enabled: bool);
        /// Sets `aparty_tag`.
        aparty_tag(aparty_tag: &str);
        /// Sets `bparty_tag`.
        bparty_tag(bparty_tag: &str);
        /// Sets `sms_config`: a JSON object, kept as given (its fields are not published).
        sms_config(sms_config: serde_json::Value);
        /// Sets `sticky_agent_enabled`.
        sticky_agent_enabled(sticky_agent_enabled: bool);
        /// Sets `lcr_enabled` (least-cost routing).
        lcr_enabled(lcr_enabled: bool);
        /// Sets `default_region`.
        default_region(default_region: &str);
    }

    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        self.settings == Settings::default()
    }

    /// Checks the change: each setting given is valid. An empty change is valid: a PUT
    /// keeps what it omits, so `{}` changes nothing and answers the settings.
    pub fn validate(&self, _ctx: &ValidationContext) -> Result<SettingsBody, ValidationError> {
        // A code the model could not read was kept in `other` (see `Settings::country`).
        if let Some(raw) = self.settings.other.get("country") {
            let problem = match raw.as_str() {
                Some(code) => UnknownCountry(code.to_owned()).to_string(),
                None => format!("{raw} is not a country code; expected text such as \"IN\""),
            };
            return Err(ValidationError::new(
                "country",
                ValidationKind::Invalid,
                problem,
            ));
        }
        if let Some(Timezone::Unknown(tz)) = &self.settings.timezone {
            return Err(ValidationError::new(
                "timezone",
                ValidationKind::Invalid,
                format!("{tz:?} is not a timezone GreenPin writes in; use \"IST\" or \"UTC\""),
            ));
        }
        if let Some(max) = self.settings.max_deallocation_time
            && let Some(secs) = max.secs()
            && !(MaxDeallocationTime::MIN_SECS..=MaxDeallocationTime::LIMIT_SECS).contains(&secs)
        {
            return Err(ValidationError::new(
                "max_deallocation_time",
                ValidationKind::Invalid,
                format!(
                    "\"{max}\" is outside what GreenPin allows: from \"5m\" to \"170d\", or \"-1\" for never"
                ),
            ));
        }
        if let Some(secs) = self.settings.deletion_time
            && secs > Settings::MAX_DELETION_TIME
        {
            return Err(ValidationError::new(
                "deletion_time",
                ValidationKind::Invalid,
                format!(
                    "{secs} is more than GreenPin's longest vault period, 86400 seconds (one day)"
                ),
            ));
        }
        if let Some(config) = &self.settings.sms_config
            && !config.is_object()
        {
            return Err(ValidationError::new(
                "sms_config",
                ValidationKind::Invalid,
                "must be a JSON object (its fields are not published; they are kept as sent)",
            ));
        }
        for (field, value) in [
            ("aparty_tag", &self.settings.aparty_tag),
            ("bparty_tag", &self.settings.bparty_tag),
            ("default_region", &self.settings.default_region),
        ] {
            if let Some(text) = value {
                check_label(field, text)?;
            }
        }
        if let Some(url) = &self.settings.greenpin_call_complete_event_endpoint
            && !url.is_empty()
        {
            check_endpoint(url)?;
        }
        Ok(SettingsBody(self.settings.clone()))
    }
}

/// The longest tag or region name accepted.
const MAX_LABEL: usize = 64;

/// A tag or a region: a short, printable, non-blank name (it travels in callbacks).
fn check_label(field: &str, text: &str) -> Result<(), ValidationError> {
    let bad = |why: &str| ValidationError::new(field, ValidationKind::Invalid, why.to_owned());
    if text.trim().is_empty() {
        return Err(bad("must not be blank"));
    }
    if text.chars().count() > MAX_LABEL {
        return Err(bad("is longer than 64 characters"));
    }
    if text.chars().any(char::is_control) {
        return Err(bad("must not hold control characters"));
    }
    Ok(())
}

fn check_endpoint(url: &str) -> Result<(), ValidationError> {
    let bad = |why: &str| {
        ValidationError::new(
            "greenpin_call_complete_event_endpoint",
            ValidationKind::Invalid,
            format!("{:?} {why}", crate::credentials::redact_userinfo(url)),
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
    // `http::Uri` takes a port it cannot read as a number (`:65536`) and answers `None`.
    let authority = uri.authority().map_or("", |a| a.as_str());
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some((_, port)) = host_port.rsplit_once(':')
        && !port.is_empty()
        && port.bytes().all(|b| b.is_ascii_digit())
        && uri.port_u16().is_none()
    {
        return Err(bad("has a port that is not 0 to 65535"));
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
