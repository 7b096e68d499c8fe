//! Flags and files into the SDK's caller-input types (`UpdateSpec`, `CreateSpec`,
//! `SettingsSpec`); every rule is then the core's, applied when the client validates.

use std::io::Read;
use std::path::PathBuf;

use greenpin_core::{GreenPinId, PartySpec, SettingsSpec, UpdateSpec, Usage};

use crate::args::SpecFlags;
use crate::exit::CommandError;

impl SpecFlags {
    pub(crate) fn to_spec(&self) -> UpdateSpec {
        let party = |numbers: &[String], vns: &[String], pin: &Option<String>, len: Option<i64>| {
            if numbers.is_empty() && vns.is_empty() && pin.is_none() && len.is_none() {
                return None;
            }
            let mut p = PartySpec::new();
            if !numbers.is_empty() {
                p = p.numbers(numbers.iter().cloned());
            }
            if !vns.is_empty() {
                p = p.vns(vns.iter().cloned());
            }
            if let Some(pin) = pin {
                p = p.pin(pin.clone());
            }
            if let Some(len) = len {
                // Kept as given: the core checks its range and names the flag.
                p.pin_length = Some(len);
            }
            Some(p)
        };
        let mut spec = UpdateSpec::new();
        spec.a = party(&self.a_numbers, &self.a_vns, &self.a_pin, self.a_pin_length);
        spec.b = party(&self.b_numbers, &self.b_vns, &self.b_pin, self.b_pin_length);
        spec.usage = self.usage.as_deref().map(Usage::from);
        if let Some(d) = &self.deallocate_after {
            spec = spec.deallocate_after(d.as_str());
        }
        spec
    }

    pub(crate) fn only_body(&self) -> Result<(), CommandError> {
        if self.to_spec() != UpdateSpec::new() {
            return Err(CommandError::Usage(
                "--body cannot be combined with field flags (--a-number, --usage, …)".into(),
            ));
        }
        Ok(())
    }
}

pub(crate) fn parse_body<T: serde::de::DeserializeOwned>(
    path: &PathBuf,
) -> Result<T, CommandError> {
    let text = if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| CommandError::Usage(format!("--body: cannot read stdin: {e}")))?;
        s
    } else {
        std::fs::read_to_string(path).map_err(|e| {
            CommandError::Usage(format!("--body: cannot read {}: {e}", path.display()))
        })?
    };
    // The core reads it, naming the field of any type error (`a.pin_length: …`).
    greenpin_core::wire::from_json(text.as_bytes())
        .map_err(|e| CommandError::Usage(format!("--body: {e}")))
}

pub(crate) fn greenpin_id(id: &str) -> Result<GreenPinId, CommandError> {
    Ok(GreenPinId::new(id).map_err(greenpin_core::Error::from)?)
}

pub(crate) fn settings_from_pairs(pairs: &[String]) -> Result<SettingsSpec, CommandError> {
    let mut map = serde_json::Map::new();
    for pair in pairs {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| CommandError::Usage(format!("{pair:?} is not KEY=VALUE")))?;
        let k = k.trim();
        if k.is_empty() {
            return Err(CommandError::Usage(format!("{pair:?} has no key")));
        }
        if !greenpin_core::wire::SETTINGS_FIELDS.contains(&k) {
            return Err(CommandError::Usage(format!(
                "{k}: not a GreenPin setting; the settings are {}",
                greenpin_core::wire::SETTINGS_FIELDS.join(", ")
            )));
        }
        let value =
            serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::String(v.to_owned()));
        map.insert(k.to_owned(), value);
    }
    // The core reads it, naming the key of a bad value (`intl_num_sup: "yes" is not …`).
    let text = serde_json::Value::Object(map).to_string();
    greenpin_core::wire::from_json(text.as_bytes()).map_err(|e| CommandError::Usage(e.to_string()))
}
