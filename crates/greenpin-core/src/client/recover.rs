//! A create that recovers from an unknown outcome, as the SDK's documentation describes it,
//! in one call: the decisions are here, as plain functions; each flavour's
//! `create_recovering` runs them around its two sends.
//!
//! A create is never retried once it may have reached the service: a second one that lands
//! is a second allocation. When the first try's outcome is unknown (a 5xx or 499, a reset or
//! a timeout after sending, an unreadable answer), the documented recovery is to send the
//! *same* create again, with the same `transaction_id`, and read the answer: GreenPin refuses
//! a second live allocation for one `transaction_id` (409, code 18), so the resend either
//! makes the allocation (the first never landed, or has already ended) or says that the
//! first holds it.

use crate::Allocation;
use crate::error::Error;
use crate::error_code::ErrorCode;

/// How a [create with recovery](crate::client::BlockingClient::create_recovering) ended,
/// when it did not end in an error.
///
/// ```no_run
/// # use greenpin_core::CreateOutcome;
/// # fn serve_from_another_vn() {}
/// # let outcome: CreateOutcome = unimplemented!();
/// match outcome {
///     CreateOutcome::Created(allocation) | CreateOutcome::CreatedOnResend(allocation) => {
///         println!("{}", allocation.greenpin_id)
///     }
///     CreateOutcome::Orphaned { .. } => serve_from_another_vn(),
///     _ => {}
/// }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum CreateOutcome {
    /// The create answered: the allocation.
    Created(Allocation),
    /// The first try's outcome was unknown, and the resend with the same `transaction_id`
    /// made this allocation: the first never landed, or landed and has already ended.
    CreatedOnResend(Allocation),
    /// The first try's outcome was unknown, and the resend was refused because the numbers
    /// are taken: 409 code 18 (the first landed and is live; its `greenpin_id` is not said),
    /// 19 or 13 (a live or cooling-off allocation, the first or another, holds these numbers
    /// or this PIN on the VN). Serve the order from another VN with a new `transaction_id`;
    /// an orphan ends by its own deallocation policy, and a call through it ends in a
    /// call-completed callback that carries its `greenpin_id` and `transaction_id`.
    Orphaned {
        /// What the first try met (its outcome unknown).
        first: Error,
        /// The resend's refusal.
        resend: Error,
    },
}

impl CreateOutcome {
    /// The allocation, when one was made by this call.
    pub fn allocation(&self) -> Option<&Allocation> {
        match self {
            CreateOutcome::Created(a) | CreateOutcome::CreatedOnResend(a) => Some(a),
            CreateOutcome::Orphaned { .. } => None,
        }
    }

    /// The allocation, when one was made by this call.
    pub fn into_allocation(self) -> Option<Allocation> {
        match self {
            CreateOutcome::Created(a) | CreateOutcome::CreatedOnResend(a) => Some(a),
            CreateOutcome::Orphaned { .. } => None,
        }
    }
}

/// After the first try: done, or send the same create again (keeping what the first met).
#[expect(
    clippy::large_enum_variant,
    reason = "made once a call and matched at once; boxing would only add an allocation"
)]
pub(crate) enum AfterFirst {
    Done(Result<CreateOutcome, Error>),
    Resend(Error),
}

/// The first try's answer decides: an answer or a definitive refusal ends the call; an
/// unknown outcome asks for the resend.
pub(crate) fn after_first(result: Result<Allocation, Error>) -> AfterFirst {
    match result {
        Ok(allocation) => AfterFirst::Done(Ok(CreateOutcome::Created(allocation))),
        Err(e) if e.outcome_unknown() => AfterFirst::Resend(e),
        Err(e) => AfterFirst::Done(Err(e)),
    }
}

/// The resend's answer: made, taken (orphaned), or an error to return (a resend whose
/// outcome is unknown too has taught nothing: its error is returned, to try again later).
pub(crate) fn after_resend(
    first: Error,
    result: Result<Allocation, Error>,
) -> Result<CreateOutcome, Error> {
    match result {
        Ok(allocation) => Ok(CreateOutcome::CreatedOnResend(allocation)),
        Err(resend)
            if matches!(
                resend.code(),
                Some(
                    ErrorCode::AllocationExists
                        | ErrorCode::PinClash
                        | ErrorCode::AllNumbersDuplicate
                )
            ) =>
        {
            Ok(CreateOutcome::Orphaned { first, resend })
        }
        Err(resend) => Err(resend),
    }
}

#[cfg(test)]
mod tests {
    use http::StatusCode;

    use super::*;
    use crate::error::{ApiError, TransportError, TransportErrorKind};

    fn api(status: u16, code: Option<i64>) -> Error {
        let mut e = ApiError::new(StatusCode::from_u16(status).unwrap());
        e.code = code.map(ErrorCode::from_code);
        e.into()
    }

    fn allocation() -> Allocation {
        serde_json::from_str(r#"{"greenpin_id":"g-1","usage":"twoway","state":"active"}"#).unwrap()
    }

    #[test]
    fn only_an_unknown_outcome_asks_for_the_resend() {
        assert!(matches!(
            after_first(Ok(allocation())),
            AfterFirst::Done(Ok(CreateOutcome::Created(_)))
        ));
        for unknown in [
            api(500, Some(0)),
            api(503, None),
            api(499, None),
            Error::Transport(TransportError::new(TransportErrorKind::Timeout, true)),
        ] {
            assert!(matches!(after_first(Err(unknown)), AfterFirst::Resend(_)));
        }
        for definitive in [
            api(409, Some(18)),
            api(400, Some(5)),
            Error::Transport(TransportError::new(TransportErrorKind::Connect, false)),
        ] {
            assert!(matches!(
                after_first(Err(definitive)),
                AfterFirst::Done(Err(_))
            ));
        }
    }

    #[test]
    fn the_resend_tells_made_from_taken() {
        let first = || api(502, None);
        let made = after_resend(first(), Ok(allocation())).unwrap();
        assert_eq!(made.allocation().unwrap().greenpin_id.as_str(), "g-1");
        assert!(matches!(made, CreateOutcome::CreatedOnResend(_)));
        for code in [18, 19, 13] {
            let taken = after_resend(first(), Err(api(409, Some(code)))).unwrap();
            assert!(taken.allocation().is_none());
            let CreateOutcome::Orphaned { first, resend } = taken else {
                panic!("code {code}");
            };
            assert_eq!(first.status(), Some(StatusCode::BAD_GATEWAY));
            assert_eq!(resend.code(), Some(ErrorCode::from_code(code)));
        }
        let again = after_resend(first(), Err(api(504, None))).unwrap_err();
        assert_eq!(again.status(), Some(StatusCode::GATEWAY_TIMEOUT));
        let refused = after_resend(first(), Err(api(400, Some(16)))).unwrap_err();
        assert_eq!(refused.code(), Some(ErrorCode::InvalidNumber));
    }
}
