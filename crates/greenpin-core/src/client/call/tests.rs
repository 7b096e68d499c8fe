//! Tests of [`super`]: the call module's own, kept apart so its file holds the code.

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
    let op = crate::ops::UpdateAllocation::new(GreenPinId::new("g").unwrap(), UpdateSpec::new());
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
