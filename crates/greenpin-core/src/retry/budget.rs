//! The retry budget: a token bucket shared by a client and its clones, in the manner of
//! the AWS SDKs' "standard" retry mode.
//!
//! Retries spend tokens (a retry after a timeout costs more, since timeouts are the costly
//! failures for a struggling service); a successful call refunds what its retries spent, or
//! one token when it needed none. When the bucket cannot pay for a retry, the call returns
//! its error at once. So when GreenPin is failing, 64 workers sharing a client add a
//! bounded number of retries in all, not two more attempts each.

use std::sync::atomic::{AtomicU32, Ordering};

use super::{Outcome, RetryPolicy};
use crate::error::TransportErrorKind;

/// A client's retry budget: a token bucket shared by the client and its clones, in the
/// manner of the AWS SDKs' "standard" retry mode.
///
/// Retries spend tokens (a retry after a timeout costs more, since timeouts are the costly
/// failures for a struggling service); a successful call refunds what its retries spent, or
/// one token when it needed none. When the bucket cannot pay for a retry, the call returns
/// its error at once. So when GreenPin is failing, 64 workers sharing a client add a
/// bounded number of retries in all, not two more attempts each. Read it from a client's
/// `retry_budget()`; size it with [`RetryPolicy::with_budget`].
///
/// ```
/// let client = greenpin_core::test_util::blocking_client(greenpin_core::test_util::SETTINGS);
/// assert_eq!(client.retry_budget().available(), 500); // RetryPolicy::default()'s size
/// ```
#[derive(Debug)]
pub struct RetryBudget {
    tokens: AtomicU32,
    capacity: u32,
    retry_cost: u32,
    timeout_retry_cost: u32,
}

impl RetryBudget {
    /// A full bucket of the policy's size.
    pub(crate) fn new(policy: &RetryPolicy) -> Self {
        RetryBudget {
            tokens: AtomicU32::new(policy.budget_capacity),
            capacity: policy.budget_capacity,
            retry_cost: policy.retry_cost,
            timeout_retry_cost: policy.timeout_retry_cost,
        }
    }

    /// Tokens left.
    pub fn available(&self) -> u32 {
        self.tokens.load(Ordering::Relaxed)
    }

    /// What a retry after `outcome` costs.
    pub(crate) fn cost_of(&self, outcome: &Outcome) -> u32 {
        match outcome {
            Outcome::Transport {
                kind: TransportErrorKind::Timeout,
                ..
            } => self.timeout_retry_cost,
            _ => self.retry_cost,
        }
    }

    /// Takes `cost` tokens when there are that many; `false` (and nothing taken) when not.
    pub(crate) fn try_spend(&self, cost: u32) -> bool {
        self.tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| t.checked_sub(cost))
            .is_ok()
    }

    /// A call succeeded after spending `spent`: refund that, or one token when it spent
    /// nothing, up to the capacity.
    pub(crate) fn refund(&self, spent: u32) {
        let back = spent.max(1);
        let _ = self
            .tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                Some(t.saturating_add(back).min(self.capacity))
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_spend_and_successes_refund_up_to_the_capacity() {
        let policy = RetryPolicy::default().with_budget(20);
        let budget = RetryBudget::new(&policy);
        let busy = Outcome::Status {
            status: http::StatusCode::SERVICE_UNAVAILABLE,
            retry_after: None,
        };
        let slow = Outcome::Transport {
            kind: TransportErrorKind::Timeout,
            may_have_been_sent: true,
        };
        assert_eq!(budget.cost_of(&busy), 5);
        assert_eq!(budget.cost_of(&slow), 10);
        assert!(budget.try_spend(10));
        assert!(budget.try_spend(5));
        assert_eq!(budget.available(), 5);
        assert!(!budget.try_spend(10), "cannot pay: nothing taken");
        assert_eq!(budget.available(), 5);
        budget.refund(10);
        assert_eq!(budget.available(), 15);
        budget.refund(0);
        assert_eq!(budget.available(), 16);
        budget.refund(100);
        assert_eq!(budget.available(), 20, "never above the capacity");
    }
}
