//! Outgoing callbacks: call-completed and deallocation payloads POSTed to the account's
//! `greenpin_call_complete_event_endpoint`, told apart by an `X-GreenPin-Event` header.
//!
//! Delivery is asynchronous, as the real service's is: the API call or simulated call that
//! produced a callback answers first, and a dispatcher task delivers the callbacks in the
//! order they were produced. Each one is recorded ([`CallbackRecord`]) with every delivery
//! attempt and the receiver's answer; a test waits for it to settle
//! (`wait_for_callback`) rather than sleeping. An attempt that gets no answer or a 5xx is
//! tried again, up to [`ATTEMPTS`] times, 1 s and then 2 s later; a 4xx is the receiver's
//! refusal and is not retried. Callback faults ([`CallbackFault`]) deliver one twice, late,
//! out of order or not at all. [`target`] says where the emulator never delivers.

mod encode;
mod faults;
mod record;
pub(crate) mod target;

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{Request, header};
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::{Notify, mpsc};

pub use faults::{CallbackFault, CallbackFaultKind};
pub use record::{AttemptResult, CallbackKind, CallbackRecord, CallbackStatus, DeliveryAttempt};

use greenpin_core::ErrorCode;

use crate::config::{CallbackEncoding, TransactionIdSpelling};
use crate::failure::Failure;
use crate::locks::lock;
use crate::store::Event;
use faults::CallbackFaults;
use record::CallbackLog;
use target::{Target, TargetPolicy, shown_url};

/// Delivery attempts per callback.
pub const ATTEMPTS: usize = 3;
/// Time an attempt has to connect and be answered.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
/// Callbacks waiting to be delivered; more are recorded `not_sent`.
const QUEUE: usize = 1024;
/// How long a callback held back by a `reorder` fault waits for the next one.
const REORDER_WAIT: Duration = Duration::from_secs(10);
/// Redeliveries asked of one callback; more are refused. Each may make [`ATTEMPTS`]
/// attempts, so a record keeps at most 51 × 3 of them.
const MAX_REDELIVERIES: u32 = 50;
/// Callbacks held back by a `delay` fault at once; more are recorded `not_sent`.
pub(crate) const MAX_DELAYED: usize = 1024;

/// A callback on its way.
#[derive(Debug, Clone)]
struct Job {
    id: u64,
    kind: CallbackKind,
    target: Target,
    content_type: &'static str,
    body: Bytes,
    /// A redelivery asked for by a control: no callback fault applies.
    redelivery: bool,
}

/// The callbacks' log, faults and dispatcher, shared by the routes and the Rust API.
#[derive(Debug)]
pub(crate) struct Hub {
    log: Mutex<CallbackLog>,
    /// Signalled (with `log`) whenever a record changes, for blocking waiters.
    changed: Condvar,
    /// Notified whenever a record changes, for async waiters.
    notify: Notify,
    faults: Mutex<CallbackFaults>,
    queue: mpsc::Sender<Job>,
    encoding: CallbackEncoding,
    spelling: TransactionIdSpelling,
    policy: TargetPolicy,
    /// Bumped when delayed and retrying deliveries must stop (callbacks or their faults
    /// cleared, a reset): a waiting delivery of an older generation ends without sending.
    generation: tokio::sync::watch::Sender<u64>,
    /// Deliveries held back by a `delay` fault now, at most [`MAX_DELAYED`].
    delayed: std::sync::atomic::AtomicUsize,
}

impl Hub {
    /// A hub whose dispatcher runs on the current runtime.
    pub(crate) fn start(
        encoding: CallbackEncoding,
        spelling: TransactionIdSpelling,
        policy: TargetPolicy,
    ) -> Arc<Hub> {
        let (queue, rx) = mpsc::channel(QUEUE);
        let hub = Arc::new(Hub {
            log: Mutex::default(),
            changed: Condvar::new(),
            notify: Notify::new(),
            faults: Mutex::default(),
            queue,
            encoding,
            spelling,
            policy,
            generation: tokio::sync::watch::Sender::new(0),
            delayed: std::sync::atomic::AtomicUsize::new(0),
        });
        tokio::spawn(dispatch(Arc::downgrade(&hub), rx));
        hub
    }

    /// Records `events` (produced at `at` on the emulator's clock) and queues those that
    /// can be delivered to `endpoint`.
    pub(crate) fn publish(&self, events: Vec<Event>, endpoint: Option<&str>, at: &str) {
        if events.is_empty() {
            return;
        }
        let target = endpoint.map(|url| self.policy.resolve(url));
        for event in events {
            let encoded = encode::encode(&event, self.encoding, self.spelling);
            let (status, note) = match &target {
                None => (
                    CallbackStatus::NotSent,
                    Some("no greenpin_call_complete_event_endpoint is set".to_owned()),
                ),
                Some(Err(why)) => (CallbackStatus::NotSent, Some(why.clone())),
                Some(Ok(_)) => (CallbackStatus::Pending, None),
            };
            let id = lock(&self.log).push(
                encoded.kind,
                at.to_owned(),
                encoded.payload,
                endpoint.map(shown_url),
                status,
                note,
            );
            if let Some(Ok(target)) = &target {
                let job = Job {
                    id,
                    kind: encoded.kind,
                    target: target.clone(),
                    content_type: encoded.content_type,
                    body: encoded.body,
                    redelivery: false,
                };
                if self.queue.try_send(job).is_err() {
                    self.settle(
                        id,
                        CallbackStatus::NotSent,
                        Some(format!("{QUEUE} callbacks were waiting to be delivered")),
                    );
                }
            }
        }
        self.changed();
    }

    /// Delivers a recorded callback again, to the account's endpoint now (no callback
    /// fault applies): 404 when no such callback is kept, 400 when it cannot be sent.
    pub(crate) fn redeliver(&self, id: u64, endpoint: Option<&str>) -> Result<(), Failure> {
        let (kind, payload) = {
            let log = lock(&self.log);
            let r = log.get(id).ok_or_else(|| {
                Failure::new(ErrorCode::NotFound, format!("no callback {id} is kept"))
            })?;
            (r.kind, r.payload.clone())
        };
        let url = endpoint
            .ok_or_else(|| Failure::bad("no greenpin_call_complete_event_endpoint is set"))?;
        let target = self.policy.resolve(url).map_err(Failure::bad)?;
        let (content_type, body) = match self.encoding {
            CallbackEncoding::Json => ("application/json", serde_json::to_vec(&payload)),
            CallbackEncoding::Form => {
                let mut form = form_urlencoded::Serializer::new(String::new());
                if let serde_json::Value::Object(fields) = &payload {
                    for (k, v) in fields {
                        match v {
                            serde_json::Value::String(s) => form.append_pair(k, s),
                            serde_json::Value::Null => &mut form,
                            other => form.append_pair(k, &other.to_string()),
                        };
                    }
                }
                (
                    "application/x-www-form-urlencoded",
                    Ok(form.finish().into_bytes()),
                )
            }
        };
        let body = body.map_err(|e| Failure::bad(e.to_string()))?;
        // Counted under the log's lock, before anything is queued: however many ask at
        // once, no callback is redelivered more than MAX_REDELIVERIES times.
        let mut log = lock(&self.log);
        let Some(r) = log.get_mut(id) else {
            return Err(Failure::new(
                ErrorCode::NotFound,
                format!("no callback {id} is kept"),
            ));
        };
        if r.redeliveries >= MAX_REDELIVERIES {
            return Err(Failure::bad(format!(
                "callback {id} has been delivered again {MAX_REDELIVERIES} times already"
            )));
        }
        r.redeliveries += 1;
        {
            r.status = CallbackStatus::Pending;
            // Where it goes now: the account's endpoint, which may differ from the first time.
            r.target = Some(shown_url(url));
            let note = match r.note.take() {
                Some(n) => format!("{n}; then delivered again on request"),
                None => "delivered again on request".to_owned(),
            };
            r.note = Some(note);
        }
        drop(log);
        self.queue
            .try_send(Job {
                id,
                kind,
                target,
                content_type,
                body: body.into(),
                redelivery: true,
            })
            .map_err(|_| Failure::bad(format!("{QUEUE} callbacks are waiting to be delivered")))
    }

    fn settle(&self, id: u64, status: CallbackStatus, note: Option<String>) {
        if let Some(r) = lock(&self.log).get_mut(id) {
            r.status = status;
            if note.is_some() {
                r.note = note;
            }
        }
        self.changed();
    }

    fn note(&self, id: u64, note: &str) {
        if let Some(r) = lock(&self.log).get_mut(id) {
            r.note = Some(note.to_owned());
        }
    }

    fn changed(&self) {
        self.changed.notify_all();
        self.notify.notify_waiters();
    }

    pub(crate) fn list(&self) -> Vec<CallbackRecord> {
        lock(&self.log).list()
    }

    pub(crate) fn recent(&self, n: usize) -> Vec<CallbackRecord> {
        lock(&self.log).recent(n)
    }

    /// Forgets the records, and stops every delivery still waiting (delayed by a fault, or
    /// to be tried again).
    pub(crate) fn clear(&self) {
        lock(&self.log).clear();
        self.cancel_waiting();
    }

    /// As freshly started: no record (ids from 1 again), no fault, nothing waiting.
    pub(crate) fn reset(&self) {
        *lock(&self.log) = CallbackLog::default();
        lock(&self.faults).clear();
        self.cancel_waiting();
    }

    /// Ends every delivery that is waiting (a delay, or the pause before a retry).
    fn cancel_waiting(&self) {
        self.generation.send_modify(|g| *g += 1);
    }

    /// Sleeps `d`, unless the deliveries of this generation are cancelled first: `false`.
    async fn sleep_unless_cancelled(&self, d: Duration) -> bool {
        let mut cancelled = self.generation.subscribe();
        tokio::select! {
            _ = tokio::time::sleep(d) => true,
            _ = cancelled.changed() => false,
        }
    }

    pub(crate) fn add_fault(&self, fault: CallbackFault) -> Result<Vec<CallbackFault>, String> {
        let mut faults = lock(&self.faults);
        faults.push(fault)?;
        Ok(faults.list())
    }

    pub(crate) fn faults(&self) -> Vec<CallbackFault> {
        lock(&self.faults).list()
    }

    /// Drops the queued callback faults, and the deliveries they are holding back.
    pub(crate) fn clear_faults(&self) {
        lock(&self.faults).clear();
        self.cancel_waiting();
    }

    /// Waits, blocking the thread, until a settled callback `matches`, at most `timeout`.
    pub(crate) fn wait_blocking(
        &self,
        matches: &dyn Fn(&CallbackRecord) -> bool,
        timeout: Duration,
    ) -> Option<CallbackRecord> {
        let deadline = Instant::now() + timeout;
        let mut log = lock(&self.log);
        loop {
            if let Some(r) = log.find_settled(matches) {
                return Some(r);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            log = self
                .changed
                .wait_timeout(log, left)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }

    /// Waits until a settled callback `matches`, at most `timeout`.
    pub(crate) async fn wait(
        &self,
        matches: &(dyn Fn(&CallbackRecord) -> bool + Sync),
        timeout: Duration,
    ) -> Option<CallbackRecord> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(r) = lock(&self.log).find_settled(matches) {
                return Some(r);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return lock(&self.log).find_settled(matches);
            }
        }
    }
}

/// Delivers queued callbacks in order, applying callback faults. Ends when the hub is
/// gone.
async fn dispatch(hub: std::sync::Weak<Hub>, mut rx: mpsc::Receiver<Job>) {
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
        match fault {
            Some(CallbackFaultKind::Drop) => {
                hub.settle(
                    job.id,
                    CallbackStatus::Dropped,
                    Some("dropped by a callback fault".into()),
                );
            }
            Some(CallbackFaultKind::Delay { ms }) => {
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
                    continue;
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
            Some(CallbackFaultKind::Duplicate) => {
                hub.note(job.id, "delivered twice by a callback fault");
                deliver(&hub, job.clone(), false).await;
                deliver(&hub, job, true).await;
            }
            Some(CallbackFaultKind::Reorder) => {
                hub.note(
                    job.id,
                    "held back by a callback fault until the next callback was delivered",
                );
                if let Some(earlier) = held.replace(job) {
                    deliver(&hub, earlier, true).await;
                }
                continue;
            }
            None => deliver(&hub, job, true).await,
        }
        if let Some(earlier) = held.take() {
            deliver(&hub, earlier, true).await;
        }
    }
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
