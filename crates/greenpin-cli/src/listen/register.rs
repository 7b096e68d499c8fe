//! `listen --register`: point the account's `greenpin_call_complete_event_endpoint` at the
//! receiver for as long as it runs, and put back what was there when it stops — however it
//! stops (its count reached, Ctrl-C, SIGTERM, an error). What it changed and restored is
//! said on stderr; when it cannot restore, it says what the account now holds and the
//! command that puts the old value back.

use greenpin_blocking::{Client, SettingsSpec};

use crate::exit::CommandError;
use crate::output::{printable, say};

/// The endpoint this run registered, and the one it replaced.
pub(crate) struct Registration {
    client: Client,
    ours: String,
    /// The endpoint before, `""` when none was set.
    previous: String,
    restored: bool,
}

/// How a value is named in what the command says: the account's value, or "not set".
fn shown(endpoint: &str) -> String {
    if endpoint.is_empty() {
        "not set".to_owned()
    } else {
        format!("{:?}", printable(endpoint))
    }
}

impl Registration {
    /// Reads the current endpoint, then registers `ours`.
    pub(crate) fn register(client: Client, ours: &str) -> Result<Registration, CommandError> {
        let previous = client
            .settings()?
            .greenpin_call_complete_event_endpoint
            .unwrap_or_default();
        client.update_settings(&SettingsSpec::new().call_complete_endpoint(ours))?;
        say!(
            "registered this receiver as the account's greenpin_call_complete_event_endpoint (it was {}); it is put back when listen stops",
            shown(&previous)
        );
        Ok(Registration {
            client,
            ours: ours.to_owned(),
            previous,
            restored: false,
        })
    }

    /// Puts the previous endpoint back, unless someone changed it meanwhile (then theirs
    /// stays). Says what happened; an error says what the account now holds.
    pub(crate) fn restore(&mut self) -> Result<(), CommandError> {
        if self.restored {
            return Ok(());
        }
        self.restored = true;
        let now = self
            .client
            .settings()
            .map(|s| s.greenpin_call_complete_event_endpoint.unwrap_or_default());
        match now {
            Ok(now) if now != self.ours => {
                say!(
                    "greenpin_call_complete_event_endpoint was changed to {} while listen ran; left as it is",
                    shown(&now)
                );
                return Ok(());
            }
            Ok(_) => {}
            Err(e) => return Err(self.not_restored(&e)),
        }
        match self
            .client
            .update_settings(&SettingsSpec::new().call_complete_endpoint(&self.previous))
        {
            Ok(_) => {
                say!(
                    "restored greenpin_call_complete_event_endpoint to {}",
                    shown(&self.previous)
                );
                Ok(())
            }
            Err(e) => Err(self.not_restored(&e)),
        }
    }

    fn not_restored(&self, e: &greenpin_core::Error) -> CommandError {
        CommandError::Usage(format!(
            "could not restore greenpin_call_complete_event_endpoint ({}): the account may still send its callbacks to this stopped receiver, {:?}. It was {}; put it back with: greenpin settings set 'greenpin_call_complete_event_endpoint={}'",
            printable(&e.to_string()),
            printable(&self.ours),
            shown(&self.previous),
            printable(&self.previous),
        ))
    }
}

/// A registration left behind by a panic is restored on the way out.
impl Drop for Registration {
    fn drop(&mut self) {
        if !self.restored
            && let Err(CommandError::Usage(message)) = self.restore()
        {
            say!("greenpin: {message}");
        }
    }
}
