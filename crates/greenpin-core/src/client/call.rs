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
mod tests {
    use super::*;
    use crate::ErrorCode;
    use crate::body::{CreateSpec, UpdateSpec};
    use crate::client::ClientBuilder;
    use crate::ids::GreenPinId;
    use crate::ops::{CreateAllocation, GetAllocation};
    use crate::party::PartySpec;
    use crate::retry::RetryPolicy;

    fn config(policy: RetryPolicy) -> ClientConfig {
        ClientBuilder::<()>::new()
            .account_sid("acme")
            .credentials("k", "t")
            .retry_policy(policy)
            .build_config()
            .unwrap()
    }

    fn answer(status: u16, body: &str) -> Result<Response<Vec<u8>>, TransportError> {
        Ok(Response::builder()
            .status(status)
            .body(body.as_bytes().to_vec())
            .unwrap())
    }

    fn get() -> GetAllocation {
        GetAllocation::new(GreenPinId::new("g").unwrap())
    }

    #[test]
    fn a_get_is_retried_then_stops_after_three_attempts() {
        let config = config(RetryPolicy::default());
        let budget = RetryBudget::new(&config.retry);
        let op = get();
        let mut call = Call::new(&op, &config, &budget).unwrap();
        for attempt in 1..=2 {
            let (_, limits, _) = call.attempt();
            assert_eq!(limits.timeout, config.attempt_timeout);
            let Step::Retry(retry) = call.on_result(answer(503, "")) else {
                panic!("attempt {attempt} should retry")
            };
            assert!(retry.wait <= Duration::from_millis(100 << (attempt - 1)));
            assert_eq!(retry.attempt, attempt);
            assert!(retry.outcome_unknown, "a 503 may have taken effect");
        }
        let Step::Done(Err(e)) = call.on_result(answer(503, "")) else {
            panic!("should stop")
        };
        assert_eq!(e.status(), Some(http::StatusCode::SERVICE_UNAVAILABLE));
        assert_eq!(budget.available(), 490, "two retries at 5 tokens");
    }

    #[test]
    fn a_create_is_not_retried_once_sent() {
        let config = config(RetryPolicy::default());
        let budget = RetryBudget::new(&config.retry);
        let op = CreateAllocation::new(
            CreateSpec::new("t").a(PartySpec::new().number("7987686144").vn("6292134471")),
        );
        let mut call = Call::new(&op, &config, &budget).unwrap();
        assert!(matches!(
            call.on_result(answer(503, "")),
            Step::Done(Err(_))
        ));
        let mut call = Call::new(&op, &config, &budget).unwrap();
        let sent = TransportError::new(TransportErrorKind::Io, true);
        assert!(matches!(call.on_result(Err(sent)), Step::Done(Err(_))));
        let mut call = Call::new(&op, &config, &budget).unwrap();
        let refused = TransportError::new(TransportErrorKind::Connect, false);
        assert!(matches!(call.on_result(Err(refused)), Step::Retry(_)));
    }

    #[test]
    fn a_timeout_says_which_limit_fired() {
        let config = config(RetryPolicy::none());
        let budget = RetryBudget::new(&config.retry);
        let op = get();
        let timeout = |sent| TransportError::new(TransportErrorKind::Timeout, sent);
        let fired = |call: &mut Call<'_, GetAllocation>, sent| {
            let _ = call.attempt();
            match call.on_result(Err(timeout(sent))) {
                Step::Done(Err(e)) => e.timeout(),
                _ => panic!("no retry with RetryPolicy::none()"),
            }
        };
        let mut call = Call::new(&op, &config, &budget).unwrap();
        assert_eq!(
            fired(&mut call, false),
            Some(TimeoutKind::Connect(config.connect_timeout))
        );
        let mut call = Call::new(&op, &config, &budget).unwrap();
        assert_eq!(
            fired(&mut call, true),
            Some(TimeoutKind::Attempt(config.attempt_timeout))
        );
        // An attempt cut short by the call's deadline: the call's timeout fired.
        let mut call = Call::new(&op, &config, &budget).unwrap();
        call.deadline = Instant::now() + Duration::from_millis(50);
        assert_eq!(
            fired(&mut call, true),
            Some(TimeoutKind::Call(config.timeout))
        );
    }

    #[test]
    fn a_transports_own_timeout_is_kept_and_other_failures_have_none() {
        let config = config(RetryPolicy::none());
        let budget = RetryBudget::new(&config.retry);
        let op = get();
        let fail = |error: TransportError| {
            let mut call = Call::new(&op, &config, &budget).unwrap();
            let _ = call.attempt();
            match call.on_result(Err(error)) {
                Step::Done(Err(e)) => e.timeout(),
                _ => panic!("no retry with RetryPolicy::none()"),
            }
        };
        let mut own = TransportError::new(TransportErrorKind::Timeout, true);
        own.timeout = Some(TimeoutKind::Connect(Duration::from_millis(7)));
        assert_eq!(
            fail(own),
            Some(TimeoutKind::Connect(Duration::from_millis(7)))
        );
        assert_eq!(
            fail(TransportError::new(TransportErrorKind::Connect, false)),
            None
        );
        assert_eq!(
            fail(TransportError::new(TransportErrorKind::Io, true)),
            None
        );
    }

    #[test]
    fn an_answer_of_exactly_the_cap_is_read() {
        let body = r#"{"success":false,"status":404,"code":1,"message":"nope","data":null}"#;
        let mut config = config(RetryPolicy::none());
        config.max_response_bytes = body.len() as u64;
        let budget = RetryBudget::new(&config.retry);
        let op = get();
        let mut call = Call::new(&op, &config, &budget).unwrap();
        let Step::Done(Err(e)) = call.on_result(answer(404, body)) else {
            panic!("should be done")
        };
        assert_eq!(e.code(), Some(ErrorCode::NotFound), "{e}");
    }

    #[test]
    fn an_empty_budget_means_no_retry() {
        let config = config(RetryPolicy::default().with_budget(5));
        let budget = RetryBudget::new(&config.retry);
        let op = get();
        let mut call = Call::new(&op, &config, &budget).unwrap();
        assert!(matches!(call.on_result(answer(503, "")), Step::Retry(_)));
        assert!(matches!(
            call.on_result(answer(503, "")),
            Step::Done(Err(_))
        ));
        assert_eq!(budget.available(), 0);
        let ok = r#"{"success":true,"status":200,"data":{"greenpin_id":"g","usage":"twoway","state":"active"}}"#;
        let mut call = Call::new(&op, &config, &budget).unwrap();
        assert!(matches!(call.on_result(answer(200, ok)), Step::Done(Ok(_))));
        assert_eq!(
            budget.available(),
            1,
            "a success without retries refunds one token"
        );
    }

    #[test]
    fn a_retry_after_past_the_deadline_ends_the_call() {
        let mut config = config(RetryPolicy::default());
        config.timeout = Duration::from_secs(5);
        let budget = RetryBudget::new(&config.retry);
        let op = get();
        let mut call = Call::new(&op, &config, &budget).unwrap();
        let busy = Response::builder()
            .status(429)
            .header("retry-after", "60")
            .body(Vec::new())
            .unwrap();
        let Step::Done(Err(e)) = call.on_result(Ok(busy)) else {
            panic!("a 60 s wait cannot fit in a 5 s call")
        };
        assert_eq!(e.status(), Some(http::StatusCode::TOO_MANY_REQUESTS));
        let (_, limits, _) = call.attempt();
        assert!(
            limits.timeout <= Duration::from_secs(5),
            "attempts fit the deadline"
        );
    }

    #[test]
    fn an_oversized_answer_is_refused_even_from_a_lax_transport() {
        let config = config(RetryPolicy::none());
        let budget = RetryBudget::new(&config.retry);
        let op = get();
        let mut call = Call::new(&op, &config, &budget).unwrap();
        let huge = " ".repeat(config.max_response_bytes as usize + 1);
        let Step::Done(Err(Error::Transport(e))) = call.on_result(answer(200, &huge)) else {
            panic!("should refuse")
        };
        assert_eq!(e.kind, TransportErrorKind::ResponseTooLarge);
    }

    #[test]
    fn success_and_api_errors_are_done_at_once() {
        let config = config(RetryPolicy::default());
        let budget = RetryBudget::new(&config.retry);
        let op = get();
        let mut call = Call::new(&op, &config, &budget).unwrap();
        let body = r#"{"success":false,"status":404,"code":1,"message":"nope","data":null}"#;
        let Step::Done(Err(e)) = call.on_result(answer(404, body)) else {
            panic!()
        };
        assert_eq!(e.code(), Some(ErrorCode::NotFound));
    }

    #[test]
    fn invalid_requests_never_become_calls() {
        let config = config(RetryPolicy::default());
        let budget = RetryBudget::new(&config.retry);
        let op =
            crate::ops::UpdateAllocation::new(GreenPinId::new("g").unwrap(), UpdateSpec::new());
        assert!(matches!(
            Call::new(&op, &config, &budget),
            Err(Error::Validation(_))
        ));
    }

    #[test]
    fn jitter_is_in_range_and_varies() {
        let xs: Vec<f64> = (0..100).map(|_| crate::retry::jitter()).collect();
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
        assert!(xs.windows(2).any(|w| w[0] != w[1]));
    }
}
