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

mod deliver;
mod encode;
mod faults;
mod record;
pub(crate) mod target;

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
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
        tokio::spawn(deliver::dispatch(Arc::downgrade(&hub), rx));
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
