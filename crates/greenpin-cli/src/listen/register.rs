//! `listen --register`: point the account's `greenpin_call_complete_event_endpoint` at the
//! receiver for as long as it runs, and put back what was there when it stops — however it
//! stops (its count reached, a signal, a closed stdout, an error). What it changed and
//! restored is said on stderr; when it cannot restore, it says what the account may now
//! hold and the command (quoted for the shell) that puts the old value back.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use greenpin_blocking::{Client, SettingsSpec};
use greenpin_core::wire::redact_userinfo;

use crate::exit::CommandError;
use crate::output::{printable, say, shell_quote};

/// The endpoint this run registered, and the one it replaced.
pub(crate) struct Registration {
    client: Client,
    /// The endpoint as the service stored it.
    ours: String,
    /// The endpoint before, `""` when none was set.
    previous: String,
    /// Set while the account points at this receiver and nothing was put back yet.
    pending: Arc<AtomicBool>,
}

/// How a value is named in what the command says: the account's value (any userinfo
/// hidden), or "not set".
fn shown(endpoint: &str) -> String {
    if endpoint.is_empty() {
        "not set".to_owned()
    } else {
        format!("{:?}", printable(&redact_userinfo(endpoint)))
    }
}

/// Whether `endpoint` looks like a `greenpin listen` receiver on this machine.
fn is_a_listener(endpoint: &str) -> bool {
    let Ok(uri) = endpoint.parse::<greenpin_blocking::http::Uri>() else {
        return false;
    };
    let loopback = uri.host().is_some_and(|h| {
        h == "localhost"
            || h.trim_matches(['[', ']'])
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    });
    loopback && uri.path().starts_with("/hooks/greenpin")
}

/// The command that sets `previous` back.
fn restore_command(previous: &str) -> String {
    format!(
        "greenpin settings set {}",
        shell_quote(&format!("greenpin_call_complete_event_endpoint={previous}"))
    )
}

impl Registration {
    /// Reads the current endpoint, checks it can be written back, then registers `ours`.
    /// `pending` is set while the account points at the receiver.
    pub(crate) fn register(
        client: Client,
        ours: &str,
        pending: Arc<AtomicBool>,
    ) -> Result<Registration, CommandError> {
        let previous = client
            .settings()?
            .greenpin_call_complete_event_endpoint
            .unwrap_or_default();
        let restore = SettingsSpec::new().call_complete_endpoint(&previous);
        if let Err(e) = restore.validate(&client.config().context().validation()) {
            return Err(CommandError::Usage(format!(
                "the account's greenpin_call_complete_event_endpoint ({}) could not be put back after listen ({}); --register changes nothing until it is a valid URL",
                shown(&previous),
                printable(&e.to_string())
            )));
        }
        if is_a_listener(&previous) {
            say!(
                "warning: the account's endpoint {} is itself a greenpin listen receiver: another listen is running, or one stopped without putting the original back; this run puts that receiver back when it stops, not the original",
                shown(&previous)
            );
        }
        let stored = match client.update_settings(&SettingsSpec::new().call_complete_endpoint(ours))
        {
            Ok(settings) => settings
                .greenpin_call_complete_event_endpoint
                .unwrap_or_else(|| ours.to_owned()),
            Err(e) => {
                if e.outcome_unknown() {
                    say!(
                        "greenpin: the change of greenpin_call_complete_event_endpoint may have been applied; it was {}. Check with `greenpin settings`, and put it back with: {}",
                        shown(&previous),
                        restore_command(&previous)
                    );
                }
                return Err(e.into());
            }
        };
        pending.store(true, Ordering::SeqCst);
        say!(
            "registered this receiver as the account's greenpin_call_complete_event_endpoint (it was {}); it is put back when listen stops",
            shown(&previous)
        );
        Ok(Registration {
            client,
            ours: stored,
            previous,
            pending,
        })
    }

    /// Puts the previous endpoint back, unless someone changed it meanwhile (then theirs
    /// stays). Says what happened; an error says what the account may now hold.
    pub(crate) fn restore(&mut self) -> Result<(), CommandError> {
        if !self.pending.swap(false, Ordering::SeqCst) {
            return Ok(());
        }
        let now = match self.client.settings() {
            Ok(s) => s.greenpin_call_complete_event_endpoint.unwrap_or_default(),
            Err(e) => return Err(self.not_restored(e)),
        };
        if now != self.ours {
            say!(
                "greenpin_call_complete_event_endpoint was changed to {} while listen ran; left as it is",
                shown(&now)
            );
            return Ok(());
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
            Err(e) => Err(self.not_restored(e)),
        }
    }

    fn not_restored(&self, e: greenpin_core::Error) -> CommandError {
        say!(
            "greenpin: could not restore greenpin_call_complete_event_endpoint: the account may still send its callbacks to this stopped receiver ({}). It was {}; put it back with: {}",
            shown(&self.ours),
            shown(&self.previous),
            restore_command(&self.previous)
        );
        e.into()
    }
}

/// A registration left behind by a panic is restored on the way out.
impl Drop for Registration {
    fn drop(&mut self) {
        let _ = self.restore();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_restore_command_runs_what_it_says() {
        let hostile = "https://192.0.2.1/x'&&id&&'";
        let command = restore_command(hostile);
        assert_eq!(
            command,
            r"greenpin settings set 'greenpin_call_complete_event_endpoint=https://192.0.2.1/x'\''&&id&&'\'''"
        );
        // The shell reads it back as one word, exactly the value.
        let out = std::process::Command::new("sh")
            .args([
                "-c",
                &format!("printf %s {}", &command["greenpin settings set ".len()..]),
            ])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("greenpin_call_complete_event_endpoint={hostile}")
        );
    }

    #[test]
    fn a_listener_is_told_from_another_endpoint() {
        assert!(is_a_listener(
            "http://127.0.0.1:4321/hooks/greenpin/abcdefghijklmnop"
        ));
        assert!(is_a_listener(
            "http://[::1]:4321/hooks/greenpin?greenpin_secret=x"
        ));
        assert!(!is_a_listener("https://example.com/hooks/greenpin"));
        assert!(!is_a_listener("http://127.0.0.1:9/old-hook"));
    }
}
