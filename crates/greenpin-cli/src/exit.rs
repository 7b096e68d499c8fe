//! What went wrong, and the exit code a script reads from it: 0 success · 2 usage or
//! validation error (nothing was sent) · 3 the API answered with an error · 4 transport
//! failure or timeout.

use greenpin_core::{Error, ValidationError};

/// What went wrong, and the exit code it means.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Usage or validation: nothing was sent (2).
    Usage(String),
    /// An SDK error.
    Sdk(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Sdk(e)
    }
}

impl From<ValidationError> for Failure {
    fn from(e: ValidationError) -> Self {
        Failure::Sdk(Error::Validation(e))
    }
}

pub(crate) fn exit_code(e: &Error) -> u8 {
    match e {
        Error::Validation(_) | Error::Config(_) => 2,
        Error::Transport(_) => 4,
        _ => 3,
    }
}
