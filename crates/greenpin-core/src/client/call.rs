//! One call of an operation across its attempts: validate and build the request once,
//! then after each attempt decide — done, or retry after a wait — within the call's
//! deadline and the client's retry budget. It owns the call's tracing too, so the two
//! clients' loops are a few lines each and cannot differ in behaviour.

use std::time::{Duration, Instant};

use http::{Request, Response};
use tracing::{Span, field};

use crate::client::config::ClientConfig;
use crate::client::transport::AttemptLimits;
use crate::envelope::Reply;
use crate::error::{Error, TimeoutKind, TransportError, TransportErrorKind};
use crate::ops::Operation;
use crate::retry::RetryBudget;
use crate::retry::{Decision, RetryWait};

/// What to do after an attempt.
#[must_use]
pub(crate) enum Step<T> {
    /// The call is over.
    Done(Result<Reply<T>, Error>),
    /// Wait, then make the next attempt.
    Retry(RetryWait),
}

/// One call, across its attempts.
pub(crate) struct Call<'a, O: Operation> {
    op: &'a O,
    config: &'a ClientConfig,
    budget: &'a RetryBudget,
    request: Request<Vec<u8>>,
    attempt: u32,
    spent: u32,
    deadline: Instant,
    started: Instant,
    attempt_started: Instant,
    /// The current attempt's time limit (the attempt timeout, or what was left of the
    /// call's).
    attempt_limit: Duration,
    /// The error of the attempt a retry follows, until the next attempt answers.
    retrying: Option<Error>,
    span: Span,
}

impl<'a, O: Operation> Call<'a, O> {
    /// Validates and builds the request; nothing is sent when this fails.
    pub(crate) fn new(
        op: &'a O,
        config: &'a ClientConfig,
        budget: &'a RetryBudget,
    ) -> Result<Self, Error> {
        let span = tracing::info_span!(
            "greenpin.call",
            operation = op.kind().name(),
            greenpin_id = field::Empty,
            attempts = field::Empty,
            status = field::Empty,
            request_id = field::Empty,
            elapsed_ms = field::Empty,
        );
        if let Some(id) = op.greenpin_id() {
            span.record("greenpin_id", id.as_str());
        }
        let request = span.in_scope(|| {
            op.build_request(&config.context).inspect_err(|e| {
                tracing::debug!(error = %e, "request refused before sending");
            })
        })?;
        let now = Instant::now();
        Ok(Call {
            op,
            config,
            budget,
            request,
            attempt: 1,
            spent: 0,
            deadline: now + config.timeout,
            started: now,
            attempt_started: now,
            attempt_limit: config.attempt_timeout,
            retrying: None,
            span,
        })
    }

    /// The call's span: the loops instrument the whole call with it.
    pub(crate) fn span(&self) -> &Span {
        &self.span
    }

    /// Starts the next attempt: the request to send, its limits and its span.
    pub(crate) fn attempt(&mut self) -> (Request<Vec<u8>>, AttemptLimits, Span) {
        self.attempt_started = Instant::now();
        let left = self
            .deadline
            .saturating_duration_since(self.attempt_started);
        self.attempt_limit = self
            .config
            .attempt_timeout
            .min(left)
            .max(Duration::from_millis(1));
        let limits = AttemptLimits::new(self.attempt_limit, self.config.max_response_bytes);
        let span =
            tracing::debug_span!(parent: &self.span, "greenpin.attempt", attempt = self.attempt);
        (self.request.clone(), limits, span)
    }

    /// What the transport gave: an answer, or no answer.
    pub(crate) fn on_result(
        &mut self,
        result: Result<Response<Vec<u8>>, TransportError>,
    ) -> Step<O::Output> {
        match result {
            Ok(response) => self.on_response(&response),
            Err(error) => self.on_transport_error(error),
        }
    }

    fn on_response(&mut self, response: &Response<Vec<u8>>) -> Step<O::Output> {
        if response.body().len() as u64 > self.config.max_response_bytes {
            // A transport that did not enforce the limit: the answer is refused all the same.
            return self.on_transport_error(TransportError::new(
                TransportErrorKind::ResponseTooLarge,
                true,
            ));
        }
        let status = response.status();
        let result = self.op.parse_response(response);
        let request_id = match &result {
            Ok(r) => r.request_id.clone(),
            Err(e) => e.request_id().map(str::to_owned),
        };
        tracing::debug!(
            parent: &self.span,
            attempt = self.attempt,
            status = status.as_u16(),
            request_id = request_id.as_deref().unwrap_or(""),
            elapsed_ms = self.attempt_started.elapsed().as_millis() as u64,
            "attempt answered"
        );
        self.span.record("status", status.as_u16());
        if let Some(id) = &request_id {
            self.span.record("request_id", id.as_str());
        }
        self.next(result)
    }

    fn on_transport_error(&mut self, mut error: TransportError) -> Step<O::Output> {
        if error.kind == TransportErrorKind::Timeout && error.timeout.is_none() {
            error.timeout = Some(if !error.may_have_been_sent {
                TimeoutKind::Connect(self.config.connect_timeout)
            } else if self.attempt_limit < self.config.attempt_timeout {
                TimeoutKind::Call(self.config.timeout)
            } else {
                TimeoutKind::Attempt(self.config.attempt_timeout)
            });
        }
        tracing::debug!(
            parent: &self.span,
            attempt = self.attempt,
            kind = ?error.kind,
            may_have_been_sent = error.may_have_been_sent,
            elapsed_ms = self.attempt_started.elapsed().as_millis() as u64,
            error = %error,
            "attempt failed"
        );
        self.next(Err(Error::Transport(error)))
    }

    fn next(&mut self, result: Result<Reply<O::Output>, Error>) -> Step<O::Output> {
        self.retrying = None;
        if let Err(e) = &result
            && let Some(wait) = self.retry_wait(e)
            && let Some(outcome) = e.outcome()
        {
            tracing::info!(parent: &self.span, attempt = self.attempt, wait_ms = wait.as_millis() as u64, error = %e, "retrying");
            let retry = RetryWait {
                wait,
                attempt: self.attempt,
                outcome,
                outcome_unknown: e.outcome_unknown(),
            };
            self.attempt += 1;
            self.retrying = result.err();
            return Step::Retry(retry);
        }
        self.span.record("attempts", self.attempt);
        self.span
            .record("elapsed_ms", self.started.elapsed().as_millis() as u64);
        match &result {
            Ok(_) => {
                self.budget.refund(self.spent);
                tracing::debug!(parent: &self.span, "call succeeded");
            }
            Err(e) => tracing::debug!(parent: &self.span, error = %e, "call failed"),
        }
        Step::Done(result)
    }

    /// Ends the call before the retry [`Step::Retry`] asked for (its caller declined it):
    /// the error of the attempt that failed.
    pub(crate) fn give_up(&mut self) -> Error {
        self.span.record("attempts", self.attempt - 1);
        self.span
            .record("elapsed_ms", self.started.elapsed().as_millis() as u64);
        tracing::debug!(parent: &self.span, "retry declined by the caller");
        self.retrying.take().unwrap_or_else(|| {
            Error::Transport(TransportError::new(TransportErrorKind::Other, false))
        })
    }

    /// The wait before a retry, when the policy, the deadline and the budget all allow one.
    fn retry_wait(&mut self, error: &Error) -> Option<Duration> {
        let outcome = error.outcome()?;
        let idempotency = self.op.idempotency();
        let Decision::Retry(wait) =
            self.config
                .retry
                .decide(self.attempt, &outcome, idempotency, crate::retry::jitter())
        else {
            return None;
        };
        if Instant::now() + wait >= self.deadline {
            tracing::debug!(parent: &self.span, wait_ms = wait.as_millis() as u64, "no retry: the call's deadline would pass");
            return None;
        }
        let cost = self.budget.cost_of(&outcome);
        if !self.budget.try_spend(cost) {
            tracing::debug!(parent: &self.span, available = self.budget.available(), "no retry: the retry budget is spent");
            return None;
        }
        self.spent += cost;
        Some(wait)
    }
}

#[cfg(test)]
mod tests;
