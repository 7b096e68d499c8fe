//! What went wrong, and the exit code a script reads from it: 0 success · 2 usage or
//! validation error (nothing was sent) · 3 the API answered with an error · 4 transport
//! failure or timeout · 5 a local failure during a run (its results or report could not be written:
//! sending stopped) · 6 `greenpin drift` found drift · 130 interrupted.

use greenpin_core::{Error, ValidationError};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The command's exit status, by what happened. Ordered by weight: a run reports the
/// worst (highest) of what its rows came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Exit {
    /// It all went through.
    Success,
    /// Usage or validation: nothing was sent (or, in a bulk run, some rows were invalid).
    Usage,
    /// The API answered with an error.
    Api,
    /// No answer: a transport failure or a timeout.
    Transport,
    /// Interrupted (Ctrl-C, SIGTERM or SIGHUP).
    Interrupted,
    /// `greenpin drift` found the two services answering differently (6).
    Drift,
    /// A local failure mid-run (the results file could not be written): sending stopped.
    /// Heaviest: what the run recorded is incomplete, whatever else happened.
    Local,
}

impl Exit {
    /// The process exit code.
    pub(crate) fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Usage => 2,
            Exit::Api => 3,
            Exit::Transport => 4,
            Exit::Interrupted => 130,
            Exit::Local => 5,
            Exit::Drift => 6,
        }
    }

    /// The exit an SDK error means.
    pub(crate) fn of(e: &Error) -> Exit {
        match e {
            Error::Validation(_) | Error::Config(_) => Exit::Usage,
            Error::Transport(_) => Exit::Transport,
            _ => Exit::Api,
        }
    }
}

/// Written as its number (results files record `"exit": 3`).
impl Serialize for Exit {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.code())
    }
}

impl<'de> Deserialize<'de> for Exit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match u8::deserialize(d)? {
            0 => Exit::Success,
            2 => Exit::Usage,
            3 => Exit::Api,
            4 => Exit::Transport,
            130 => Exit::Interrupted,
            5 => Exit::Local,
            6 => Exit::Drift,
            other => {
                return Err(serde::de::Error::custom(format!(
                    "{other} is not an exit code of greenpin"
                )));
            }
        })
    }
}

/// What went wrong, and the exit code it means.
#[derive(Debug)]
pub(crate) enum CommandError {
    /// Usage or validation: nothing was sent (2).
    Usage(String),
    /// An SDK error.
    Sdk(Error),
    /// A local failure once sending had begun (5): the results file could not be written.
    Local(String),
    /// A service refused what the whole command needs (3): `greenpin drift` stops at a
    /// refusal of the credentials rather than reporting every later refusal as drift.
    #[cfg_attr(
        not(feature = "demo"),
        expect(
            dead_code,
            reason = "only `greenpin drift` (the demo feature) refuses a whole run"
        )
    )]
    Refused(String),
}

impl From<Error> for CommandError {
    fn from(e: Error) -> Self {
        CommandError::Sdk(e)
    }
}

impl From<ValidationError> for CommandError {
    fn from(e: ValidationError) -> Self {
        CommandError::Sdk(Error::Validation(e))
    }
}
