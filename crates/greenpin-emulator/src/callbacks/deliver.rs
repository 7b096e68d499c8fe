//! Delivering callbacks: the dispatcher that takes queued callbacks in order and applies
//! the callback faults, each delivery's attempts and retries, and the POST itself.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{Request, header};
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use super::{
    ATTEMPT_TIMEOUT, ATTEMPTS, AttemptResult, CallbackFaultKind, CallbackStatus, DeliveryAttempt,
    Hub, Job, MAX_DELAYED, REORDER_WAIT,
};
use crate::locks::lock;

/// Delivers queued callbacks in order, applying callback faults. Ends when the hub is
/// gone.
pub(super) async fn dispatch(hub: std::sync::Weak<Hub>, mut rx: mpsc::Receiver<Job>) {
    // A callback held back by a `reorder` fault until the next one is delivered.
    let mut held: Option<Job> = None;
    loop {
        let next = if held.is_some() {
            match tokio::time::timeout(REORDER_WAIT, rx.recv()).await {
                Ok(next) => next,
                Err(_) => {
                    if let (Some(hub), Some(job)) = (hub.upgrade(), held.take()) {
                        hub.note(
                            job.id,
                            "held back by a callback fault; no callback followed within 10 s, so it was delivered then",
                        );
                        deliver(&hub, job, true).await;
                    }
                    continue;
                }
            }
        } else {
            rx.recv().await
        };
        let (Some(job), Some(hub)) = (next, hub.upgrade()) else {
            return;
        };
        let fault = if job.redelivery {
            None
        } else {
            lock(&hub.faults).take(job.kind)
        };
        if let Some(CallbackFaultKind::Reorder) = fault {
            hub.note(
                job.id,
                "held back by a callback fault until the next callback was delivered",
            );
            if let Some(earlier) = held.replace(job) {
                deliver(&hub, earlier, true).await;
            }
            continue;
        }
        apply(&hub, job, fault).await;
        if let Some(earlier) = held.take() {
            deliver(&hub, earlier, true).await;
        }
    }
}

/// Delivers `job` as its fault (other than `reorder`) says.
async fn apply(hub: &Arc<Hub>, job: Job, fault: Option<CallbackFaultKind>) {
    match fault {
        Some(CallbackFaultKind::Drop) => hub.settle(
            job.id,
            CallbackStatus::Dropped,
            Some("dropped by a callback fault".into()),
        ),
        Some(CallbackFaultKind::Delay { ms }) => delay(hub, job, ms),
        Some(CallbackFaultKind::Duplicate) => {
            hub.note(job.id, "delivered twice by a callback fault");
            deliver(hub, job.clone(), false).await;
            deliver(hub, job, true).await;
        }
        _ => deliver(hub, job, true).await,
    }
}

/// Holds `job` back `ms` in the background (at most [`MAX_DELAYED`] at once), unless the
/// callbacks or their faults are cleared meanwhile.
fn delay(hub: &Arc<Hub>, job: Job, ms: u64) {
    use std::sync::atomic::Ordering;
    if hub.delayed.fetch_add(1, Ordering::AcqRel) >= MAX_DELAYED {
        hub.delayed.fetch_sub(1, Ordering::AcqRel);
        hub.settle(
            job.id,
            CallbackStatus::NotSent,
            Some(format!(
                "{MAX_DELAYED} callbacks were being held back by delay faults"
            )),
        );
        return;
    }
    hub.note(job.id, &format!("delayed {ms} ms by a callback fault"));
    let later = hub.clone();
    tokio::spawn(async move {
        if later
            .sleep_unless_cancelled(Duration::from_millis(ms))
            .await
        {
            deliver(&later, job, true).await;
        } else {
            later.settle(
                job.id,
                CallbackStatus::Dropped,
                Some("held back by a delay fault, then cancelled: the callbacks or their faults were cleared".into()),
            );
        }
        later.delayed.fetch_sub(1, Ordering::AcqRel);
    });
}

/// Delivers `job` once, then (in the background) again after a failure that may go away,
/// up to [`ATTEMPTS`]. `settle`: the record's status is final after this delivery.
async fn deliver(hub: &Arc<Hub>, job: Job, settle: bool) {
    if attempt(hub, &job, settle).await {
        return;
    }
    let hub = hub.clone();
    tokio::spawn(async move {
        for n in 1..ATTEMPTS {
            if !hub.sleep_unless_cancelled(retry_delay(n)).await {
                return;
            }
            if attempt(&hub, &job, settle).await {
                return;
            }
        }
        if settle {
            hub.settle(job.id, CallbackStatus::Failed, None);
        }
    });
}

/// How long before try `n + 1` (`n` from 1): 1 s, then 2 s.
fn retry_delay(n: usize) -> Duration {
    Duration::from_secs(1 << (n - 1))
}

/// One attempt; records it. `true` when delivery is over (answered 2xx, or refused with a
/// 3xx or 4xx: redirects are not followed, and asking again would get the same), `false`
/// when it may be tried again (no answer, or a 5xx).
async fn attempt(hub: &Hub, job: &Job, settle: bool) -> bool {
    let result = match tokio::time::timeout(ATTEMPT_TIMEOUT, post(job)).await {
        Ok(Ok(status)) => AttemptResult::Answered { status },
        Ok(Err(e)) => AttemptResult::NoAnswer {
            error: e.to_string(),
        },
        Err(_) => AttemptResult::NoAnswer {
            error: format!("no answer within {} s", ATTEMPT_TIMEOUT.as_secs()),
        },
    };
    // The status once delivery is over: a 2xx delivered it, any other status below 500
    // (a 3xx or 4xx) refused it; a 5xx or no answer may be tried again.
    let settled = match result {
        AttemptResult::Answered { status } if (200..300).contains(&status) => {
            Some(CallbackStatus::Delivered)
        }
        AttemptResult::Answered { status } if status < 500 => Some(CallbackStatus::Failed),
        _ => None,
    };
    let at_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0);
    if let Some(r) = lock(&hub.log).get_mut(job.id) {
        r.attempts.push(DeliveryAttempt { at_ms, result });
        if let (true, Some(status)) = (settle, settled) {
            r.status = status;
        }
    }
    hub.changed();
    settled.is_some()
}

/// POSTs the callback; the receiver's status.
async fn post(job: &Job) -> Result<u16, Box<dyn std::error::Error + Send + Sync>> {
    let stream = TcpStream::connect(job.target.addr).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let mut req = Request::post(job.target.path.as_str())
        .header(header::HOST, job.target.host.as_str())
        .header(header::CONTENT_TYPE, job.content_type)
        .header("x-greenpin-event", job.kind.as_str());
    if let Some(userinfo) = &job.target.userinfo {
        use base64::Engine;
        req = req.header(
            header::AUTHORIZATION,
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(userinfo)
            ),
        );
    }
    let req = req.body(Full::new(job.body.clone()))?;
    let resp = sender.send_request(req).await?;
    Ok(resp.status().as_u16())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_delivery_is_tried_again_1_s_then_2_s_later() {
        assert_eq!(
            (1..ATTEMPTS).map(retry_delay).collect::<Vec<_>>(),
            [Duration::from_secs(1), Duration::from_secs(2)]
        );
    }
}
