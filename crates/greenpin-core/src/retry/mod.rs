//! The retry decision, as a pure function, and the one place that says what is transient.
//!
//! [`is_transient`] is the single truth about whether an outcome may go away by itself:
//! 429, 499, 502, 503, 504, connection failures, timeouts and broken connections.
//! [`Error::is_retryable`](crate::Error::is_retryable), [`RetryPolicy::decide`] and the
//! error-code table's [`retryable`](crate::ErrorCodeInfo::retryable) column all ask it.
//!
//! Whether it is *safe* to retry is the second question: idempotent calls (GET, PUT,
//! DELETE) may be repeated; a create (POST) is retried only when the request provably never
//! left the machine (connection refused), since a retried create that had landed would make
//! a second allocation. Backoff is full-jitter exponential; `Retry-After` is honoured up to
//! a cap. A client also spends a [`RetryBudget`], so a failing
//! service sees at most a bounded share of extra load.

use std::time::Duration;

mod budget;

pub use crate::outcome::Outcome;
use crate::outcome::TransportErrorKind;
pub use budget::RetryBudget;

/// How often and how patiently to retry.
///
/// ```
/// use std::time::Duration;
/// # use greenpin_core::retry::RetryPolicy;
/// let p = RetryPolicy::default();
/// assert_eq!(p.max_attempts, 3);
/// let off = RetryPolicy::none();
/// assert_eq!(off.max_attempts, 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = no retry).
    pub max_attempts: u32,
    /// Backoff before the first retry, doubling after.
    pub initial_backoff: Duration,
    /// Largest backoff.
    pub max_backoff: Duration,
    /// Largest `Retry-After` honoured; a longer one stops the retries.
    pub max_retry_after: Duration,
    /// Tokens in a client's [retry budget](RetryBudget) (500).
    pub budget_capacity: u32,
    /// Tokens a retry costs (5).
    pub retry_cost: u32,
    /// Tokens a retry after a timeout costs (10).
    pub timeout_retry_cost: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(60),
            budget_capacity: 500,
            retry_cost: 5,
            timeout_retry_cost: 10,
        }
    }
}

/// Whether sending a request twice has the effect of sending it once: what makes a retry
/// of a request that may have reached the service safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Idempotency {
    /// GET, PUT, DELETE: repeating it changes nothing more.
    Idempotent,
    /// A create (POST): a second one that lands makes a second allocation; or an update
    /// asking the service to generate a PIN (a `pin_length` without a `pin`): a second one
    /// that lands makes another PIN. Sent again only when the first provably never left the
    /// machine.
    NotIdempotent,
}

/// A retry the client is about to make, as a caller's `before_retry` sees it (see
/// [`BlockingClient::execute_with`](crate::client::BlockingClient::execute_with)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryWait {
    /// How long the policy waits before the next attempt (backoff, or `Retry-After`).
    pub wait: Duration,
    /// The attempt that failed (1 for the first).
    pub attempt: u32,
    /// What it came to.
    pub outcome: Outcome,
    /// Whether it may have taken effect (see
    /// [`Error::outcome_unknown`](crate::Error::outcome_unknown)): once one attempt may
    /// have, the call's effect stays unknown whatever later attempts answer.
    pub outcome_unknown: bool,
}

/// Retry after a wait, or stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    /// Wait this long, then try again.
    Retry(Duration),
    /// Give up: return the last outcome.
    Stop,
}

/// Whether an outcome may go away by itself, so that the same request may succeed later.
/// The only definition of "transient" in the SDK.
///
/// 499 is Exotel's documented "response timeout exceeded": the service gave up waiting,
/// as a gateway does with a 504, so it is transient like a 504. Whether the request took
/// effect is unknown, so only an idempotent call is sent again (see
/// [`Error::outcome_unknown`](crate::Error::outcome_unknown)).
///
/// ```
/// use http::StatusCode;
/// # use greenpin_core::TransportErrorKind;
/// # use greenpin_core::retry::{Outcome, is_transient};
/// let busy = Outcome::Status { status: StatusCode::SERVICE_UNAVAILABLE, retry_after: None };
/// assert!(is_transient(&busy));
/// let broken = Outcome::Status { status: StatusCode::INTERNAL_SERVER_ERROR, retry_after: None };
/// assert!(!is_transient(&broken));
/// let refused = Outcome::Transport { kind: TransportErrorKind::Connect, may_have_been_sent: false };
/// assert!(is_transient(&refused));
/// ```
pub fn is_transient(outcome: &Outcome) -> bool {
    match *outcome {
        Outcome::Status { status, .. } => matches!(status.as_u16(), 429 | 499 | 502 | 503 | 504),
        Outcome::Transport { kind, .. } => matches!(
            kind,
            TransportErrorKind::Connect | TransportErrorKind::Timeout | TransportErrorKind::Io
        ),
    }
}

impl RetryPolicy {
    /// No retries.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The policy with `n` attempts in all.
    pub fn with_max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// The policy with a retry budget of `capacity` tokens (see
    /// [`RetryBudget`]).
    pub fn with_budget(mut self, capacity: u32) -> Self {
        self.budget_capacity = capacity;
        self
    }

    /// The policy with this initial backoff.
    pub fn with_initial_backoff(mut self, d: Duration) -> Self {
        self.initial_backoff = d;
        self
    }

    /// Sets the largest backoff.
    pub fn with_max_backoff(mut self, d: Duration) -> Self {
        self.max_backoff = d;
        self
    }

    /// Sets the largest `Retry-After` honoured; a longer one stops the retries.
    pub fn with_max_retry_after(mut self, d: Duration) -> Self {
        self.max_retry_after = d;
        self
    }

    /// Sets the tokens a retry costs, and a retry after a timeout.
    pub fn with_retry_costs(mut self, retry: u32, after_timeout: u32) -> Self {
        self.retry_cost = retry;
        self.timeout_retry_cost = after_timeout;
        self
    }

    /// Decides what to do after attempt number `attempt` (1-based) came to `outcome`.
    ///
    /// `jitter` in `[0, 1)` picks the wait within the full-jitter window
    /// `[0, min(max_backoff, initial_backoff * 2^(attempt-1))]`; callers pass a random
    /// number, tests a fixed one.
    ///
    /// ```
    /// use std::time::Duration;
    /// use http::StatusCode;
    /// # use greenpin_core::retry::{Decision, Outcome, RetryPolicy};
    /// let p = RetryPolicy::default();
    /// use greenpin_core::retry::Idempotency::{Idempotent, NotIdempotent};
    /// let busy = Outcome::Status { status: StatusCode::SERVICE_UNAVAILABLE, retry_after: None };
    /// assert_eq!(p.decide(1, &busy, Idempotent, 0.5), Decision::Retry(Duration::from_millis(50)));
    /// assert_eq!(p.decide(3, &busy, Idempotent, 0.5), Decision::Stop);
    /// assert_eq!(p.decide(1, &busy, NotIdempotent, 0.5), Decision::Stop);
    /// ```
    pub fn decide(
        &self,
        attempt: u32,
        outcome: &Outcome,
        idempotency: Idempotency,
        jitter: f64,
    ) -> Decision {
        let idempotent = idempotency == Idempotency::Idempotent;
        if attempt >= self.max_attempts {
            return Decision::Stop;
        }
        if !is_transient(outcome) {
            return Decision::Stop;
        }
        let retry_after = match *outcome {
            Outcome::Status { retry_after, .. } if idempotent => retry_after,
            Outcome::Transport {
                may_have_been_sent, ..
            } if idempotent || !may_have_been_sent => None,
            _ => return Decision::Stop,
        };
        if let Some(wait) = retry_after {
            return if wait <= self.max_retry_after {
                Decision::Retry(wait)
            } else {
                Decision::Stop
            };
        }
        let exp = attempt.saturating_sub(1).min(31);
        let window = self
            .initial_backoff
            .saturating_mul(1u32 << exp)
            .min(self.max_backoff);
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        Decision::Retry(window.mul_f64(jitter))
    }
}

/// A number in `[0, 1)` for [`RetryPolicy::decide`]'s full jitter: std's randomly keyed
/// hasher over a counter, so no random-number crate is needed.
pub(crate) fn jitter() -> f64 {
    use std::hash::BuildHasher;
    use std::sync::atomic::{AtomicU64, Ordering};
    static STATE: std::sync::OnceLock<std::collections::hash_map::RandomState> =
        std::sync::OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let h = STATE
        .get_or_init(std::collections::hash_map::RandomState::new)
        .hash_one(COUNTER.fetch_add(1, Ordering::Relaxed));
    (h >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use http::StatusCode;

    use super::Idempotency::{Idempotent, NotIdempotent};
    use super::*;

    fn status(code: u16) -> Outcome {
        Outcome::Status {
            status: StatusCode::from_u16(code).unwrap(),
            retry_after: None,
        }
    }

    #[test]
    fn exact_full_jitter_delays() {
        let p = RetryPolicy::default().with_max_attempts(10);
        let ms = |attempt, jitter| match p.decide(attempt, &status(503), Idempotent, jitter) {
            Decision::Retry(d) => d.as_millis(),
            Decision::Stop => panic!("stopped"),
        };
        assert_eq!(ms(1, 1.0), 100);
        assert_eq!(ms(2, 1.0), 200);
        assert_eq!(ms(3, 0.5), 200);
        assert_eq!(ms(1, 0.0), 0);
        // Capped at 20 s from attempt 9 on (100 ms * 2^8 = 25.6 s).
        assert_eq!(ms(9, 1.0), 20_000);
        assert_eq!(ms(8, 1.0), 12_800);
        assert_eq!(ms(2, f64::NAN), 0);
    }

    #[test]
    fn the_setters_change_what_decide_does() {
        let p = RetryPolicy::default()
            .with_max_attempts(10)
            .with_initial_backoff(Duration::from_millis(30))
            .with_max_backoff(Duration::from_millis(100))
            .with_max_retry_after(Duration::from_secs(2))
            .with_retry_costs(7, 11);
        let wait = |attempt, outcome: &Outcome| p.decide(attempt, outcome, Idempotent, 1.0);
        assert_eq!(
            wait(1, &status(503)),
            Decision::Retry(Duration::from_millis(30))
        );
        assert_eq!(
            wait(3, &status(503)),
            Decision::Retry(Duration::from_millis(100))
        );
        let after = |secs| Outcome::Status {
            status: StatusCode::TOO_MANY_REQUESTS,
            retry_after: Some(Duration::from_secs(secs)),
        };
        assert_eq!(wait(1, &after(2)), Decision::Retry(Duration::from_secs(2)));
        assert_eq!(wait(1, &after(3)), Decision::Stop);
        assert_eq!((p.retry_cost, p.timeout_retry_cost), (7, 11));
        assert_eq!(RetryPolicy::default().with_max_attempts(0).max_attempts, 1);
    }

    #[test]
    fn bounded_attempts() {
        let p = RetryPolicy::default();
        assert!(matches!(
            p.decide(1, &status(503), Idempotent, 0.3),
            Decision::Retry(_)
        ));
        assert!(matches!(
            p.decide(2, &status(503), Idempotent, 0.3),
            Decision::Retry(_)
        ));
        assert_eq!(p.decide(3, &status(503), Idempotent, 0.3), Decision::Stop);
        assert_eq!(
            RetryPolicy::none().decide(1, &status(503), Idempotent, 0.3),
            Decision::Stop
        );
    }

    #[test]
    fn only_transient_statuses() {
        let p = RetryPolicy::default();
        for code in [429, 502, 503, 504] {
            assert!(
                matches!(
                    p.decide(1, &status(code), Idempotent, 0.1),
                    Decision::Retry(_)
                ),
                "{code}"
            );
        }
        for code in [400, 401, 404, 409, 410, 413, 452, 500, 501] {
            assert_eq!(
                p.decide(1, &status(code), Idempotent, 0.1),
                Decision::Stop,
                "{code}"
            );
        }
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let p = RetryPolicy::default();
        let ra = |secs| Outcome::Status {
            status: StatusCode::TOO_MANY_REQUESTS,
            retry_after: Some(Duration::from_secs(secs)),
        };
        assert_eq!(
            p.decide(1, &ra(1), Idempotent, 0.9),
            Decision::Retry(Duration::from_secs(1))
        );
        assert_eq!(
            p.decide(1, &ra(60), Idempotent, 0.9),
            Decision::Retry(Duration::from_secs(60))
        );
        assert_eq!(p.decide(1, &ra(61), Idempotent, 0.9), Decision::Stop);
    }

    #[test]
    fn create_is_never_retried_once_it_may_have_been_sent() {
        let p = RetryPolicy::default();
        for kind in [
            TransportErrorKind::Timeout,
            TransportErrorKind::Io,
            TransportErrorKind::Connect,
        ] {
            let sent = Outcome::Transport {
                kind,
                may_have_been_sent: true,
            };
            assert_eq!(
                p.decide(1, &sent, NotIdempotent, 0.5),
                Decision::Stop,
                "{kind:?}"
            );
        }
        for code in [429, 502, 503, 504, 500] {
            assert_eq!(
                p.decide(1, &status(code), NotIdempotent, 0.5),
                Decision::Stop,
                "{code}"
            );
        }
        let never_left = Outcome::Transport {
            kind: TransportErrorKind::Connect,
            may_have_been_sent: false,
        };
        assert_eq!(
            p.decide(1, &never_left, NotIdempotent, 0.5),
            Decision::Retry(Duration::from_millis(50))
        );
    }

    #[test]
    fn idempotent_calls_retry_transport_failures() {
        let p = RetryPolicy::default();
        let t = Outcome::Transport {
            kind: TransportErrorKind::Timeout,
            may_have_been_sent: true,
        };
        assert_eq!(
            p.decide(2, &t, Idempotent, 0.25),
            Decision::Retry(Duration::from_millis(50))
        );
        let other = Outcome::Transport {
            kind: TransportErrorKind::Other,
            may_have_been_sent: false,
        };
        assert_eq!(p.decide(1, &other, Idempotent, 0.25), Decision::Stop);
    }
}
