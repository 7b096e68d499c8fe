//! The account's settings: their documented defaults, and applying a validated change.

use super::*;

/// The documented defaults of every setting the emulator models.
pub fn default_settings() -> Settings {
    let four = routing::default_pin_length();
    let mut s = SettingsSpec::new()
        .country("IN")
        .intl_num_sup(false)
        .max_deallocation_time(MaxDeallocationTime::Cap(DeallocationDuration::MAX))
        .timezone(Timezone::Ist)
        .deletion_time(DEFAULT_DELETION_TIME)
        .aparty_pin_length(four)
        .bparty_pin_length(four)
        .aparty_pin_enabled(true)
        .bparty_pin_enabled(false)
        .settings;
    s.common_pin_length = Some(four);
    s.common_pin_enabled = Some(false);
    s
}

impl Store {
    // ----- settings ----------------------------------------------------------------

    /// The country local numbers are read in.
    pub fn country(&self) -> Country {
        self.country
    }

    /// What the core's validation needs from the account's settings.
    pub fn validation(&self) -> ValidationContext {
        ValidationContext::new(self.country)
            .international_numbers(self.settings.intl_num_sup == Some(true))
    }

    /// Every setting.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Applies a validated settings change; what it omits keeps its value.
    pub fn update_settings(&mut self, change: SettingsBody) -> Settings {
        let change = change.into_settings();
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
            common_pin_enabled
        );
        s.other.extend(change.other);
        self.country = self
            .settings
            .country
            .as_deref()
            .and_then(|c| c.parse().ok())
            .unwrap_or(Country::IN);
        self.settings.clone()
    }
}
