//! The account's settings: their documented defaults, and applying a validated change.

use super::*;

/// The documented defaults of every setting the emulator models: `country` `IN`,
/// `intl_num_sup` `"false"`, `max_deallocation_time` `"170d"`, `timezone` `IST`,
/// `deletion_time` 0, PINs of 4 digits with the A-party's on and the B-party's and the
/// common PIN off (as Exotel's Update example answers), and the settings shared with
/// GreenVN: `tag_enabled` `"false"`, `aparty_tag` `aparty`, `bparty_tag` `bparty`,
/// `sticky_agent_enabled` and `lcr_enabled` `"false"`. `sms_config` and `default_region`
/// have no documented default and are absent until set.
pub(crate) fn default_settings() -> Settings {
    let four = routing::default_pin_length();
    SettingsSpec::new()
        .country(Country::IN)
        .intl_num_sup(false)
        .max_deallocation_time(MaxDeallocationTime::Cap(DeallocationDuration::MAX))
        .timezone(Timezone::Ist)
        .deletion_time(0)
        .aparty_pin_length(four)
        .bparty_pin_length(four)
        .aparty_pin_enabled(true)
        .bparty_pin_enabled(false)
        .common_pin_length(four)
        .common_pin_enabled(false)
        .tag_enabled(false)
        .aparty_tag("aparty")
        .bparty_tag("bparty")
        .sticky_agent_enabled(false)
        .lcr_enabled(false)
        .settings
}

/// Most settings the emulator does not model that it keeps.
pub(crate) const MAX_OTHER_SETTINGS: usize = 64;
/// Most bytes (as JSON) of settings the emulator does not model that it keeps.
pub(crate) const MAX_OTHER_BYTES: usize = 64 << 10;

impl Store {
    // ----- settings ----------------------------------------------------------------

    /// The country local numbers are read in.
    pub(crate) fn country(&self) -> Country {
        self.country
    }

    /// What the core's validation needs from the account's settings.
    pub(crate) fn validation(&self) -> ValidationContext {
        ValidationContext::new(self.country).intl_num_sup(self.settings.intl_num_sup == Some(true))
    }

    /// Every setting.
    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The tags of the parties, when `tag_enabled` is on.
    pub(crate) fn tags(&self) -> Option<(String, String)> {
        let s = &self.settings;
        (s.tag_enabled == Some(true)).then(|| {
            (
                s.aparty_tag.clone().unwrap_or_else(|| "aparty".into()),
                s.bparty_tag.clone().unwrap_or_else(|| "bparty".into()),
            )
        })
    }

    /// Applies a validated settings change; what it omits keeps its value. Settings the
    /// emulator does not model are kept as given (a `null` removes one), at most
    /// [`MAX_OTHER_SETTINGS`] of them in [`MAX_OTHER_BYTES`].
    pub(crate) fn update_settings(&mut self, change: SettingsBody) -> Result<Settings, Failure> {
        let change = change.into_settings();
        let mut other = self.settings.other.clone();
        for (k, v) in change.other.iter() {
            if v.is_null() {
                other.remove(k);
            } else {
                other.insert(k.clone(), v.clone());
            }
        }
        let bytes = serde_json::to_vec(&other).map_or(usize::MAX, |b| b.len());
        if other.len() > MAX_OTHER_SETTINGS || bytes > MAX_OTHER_BYTES {
            return Err(Failure::bad(format!(
                "settings: the emulator keeps at most {MAX_OTHER_SETTINGS} settings it does not model, in {MAX_OTHER_BYTES} bytes; this change would make {} in {bytes}",
                other.len()
            )));
        }
        let s = &mut self.settings;
        macro_rules! take {
            ($($f:ident),+) => { $( if change.$f.is_some() { s.$f = change.$f; } )+ };
        }
        take!(
            country,
            intl_num_sup,
            max_deallocation_time,
            timezone,
            deletion_time,
            greenpin_call_complete_event_endpoint,
            aparty_pin_length,
            bparty_pin_length,
            aparty_pin_enabled,
            bparty_pin_enabled,
            common_pin_length,
            common_pin_enabled,
            tag_enabled,
            aparty_tag,
            bparty_tag,
            sms_config,
            sticky_agent_enabled,
            lcr_enabled,
            default_region
        );
        s.other = other;
        self.country = self.settings.country.unwrap_or(Country::IN);
        Ok(self.settings.clone())
    }
}
