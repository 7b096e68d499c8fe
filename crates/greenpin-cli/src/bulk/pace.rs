//! How many bulk requests may be in flight, adapting to the service: additive increase,
//! multiplicative decrease (as TCP does). Each answer the service could not take (429, or
//! another answer the core's retry rule calls transient) halves the limit, at most once per
//! wait, and holds every worker until its `Retry-After` (or the backoff) has passed; every
//! `limit` answers in a row that succeed raise it by one, up to `--concurrency`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

#[derive(Debug)]
struct State {
    limit: usize,
    in_flight: usize,
    /// No request starts before this.
    hold_until: Option<Instant>,
    /// Successes since the limit last changed.
    streak: usize,
    /// Lowest limit reached.
    lowest: usize,
    /// Answers that slowed the run down.
    throttled: u64,
}

/// The shared pacing of a run's workers.
#[derive(Debug)]
pub(crate) struct Pace {
    max: usize,
    state: Mutex<State>,
    changed: Condvar,
}

/// What a slowdown did, to tell the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slowdown {
    pub(crate) from: usize,
    pub(crate) to: usize,
}

impl Pace {
    pub(crate) fn new(max: usize) -> Self {
        let max = max.max(1);
        Pace {
            max,
            state: Mutex::new(State {
                limit: max,
                in_flight: 0,
                hold_until: None,
                streak: 0,
                lowest: max,
                throttled: 0,
            }),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for a turn to send; `false` when `stop` was set while waiting.
    pub(crate) fn acquire(&self, stop: &AtomicBool) -> bool {
        let mut s = self.lock();
        loop {
            if stop.load(Ordering::Relaxed) {
                return false;
            }
            let now = Instant::now();
            let held = s.hold_until.filter(|t| *t > now);
            if held.is_none() && s.in_flight < s.limit {
                s.in_flight += 1;
                return true;
            }
            // Short waits, so a Ctrl-C is noticed promptly.
            let wait = held
                .map_or(Duration::from_millis(100), |t| t - now)
                .min(Duration::from_millis(100));
            s = self
                .changed
                .wait_timeout(s, wait)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// A request was answered and taken.
    pub(crate) fn succeeded(&self) {
        let mut s = self.lock();
        s.in_flight = s.in_flight.saturating_sub(1);
        s.streak += 1;
        if s.streak >= s.limit && s.limit < self.max {
            s.limit += 1;
            s.streak = 0;
        }
        drop(s);
        self.changed.notify_all();
    }

    /// A request ended without being taken for a reason that is not the service's load.
    pub(crate) fn finished(&self) {
        let mut s = self.lock();
        s.in_flight = s.in_flight.saturating_sub(1);
        drop(s);
        self.changed.notify_all();
    }

    /// The service could not take a request: wait `wait` before anyone sends again, and
    /// halve the limit unless a slowdown is already being waited out.
    pub(crate) fn throttled(&self, wait: Duration) -> Option<Slowdown> {
        let mut s = self.lock();
        s.in_flight = s.in_flight.saturating_sub(1);
        s.throttled += 1;
        s.streak = 0;
        let now = Instant::now();
        let already_waiting = s.hold_until.is_some_and(|t| t > now);
        let until = now + wait;
        s.hold_until = Some(s.hold_until.map_or(until, |t| t.max(until)));
        let change = (!already_waiting && s.limit > 1).then(|| {
            let from = s.limit;
            s.limit = (s.limit / 2).max(1);
            s.lowest = s.lowest.min(s.limit);
            Slowdown { from, to: s.limit }
        });
        drop(s);
        self.changed.notify_all();
        change
    }

    /// The current limit.
    pub(crate) fn limit(&self) -> usize {
        self.lock().limit
    }

    /// The lowest limit and the number of slowed-down answers, for the summary.
    pub(crate) fn report(&self) -> (usize, u64) {
        let s = self.lock();
        (s.lowest, s.throttled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_on_throttling_and_climbs_back_one_at_a_time() {
        let stop = AtomicBool::new(false);
        let pace = Pace::new(8);
        assert!(pace.acquire(&stop));
        assert_eq!(
            pace.throttled(Duration::ZERO),
            Some(Slowdown { from: 8, to: 4 })
        );
        assert!(pace.acquire(&stop));
        assert_eq!(
            pace.throttled(Duration::ZERO),
            Some(Slowdown { from: 4, to: 2 })
        );
        // Two successes at limit 2 raise it to 3; three more to 4.
        for expected in [2, 3, 3, 3, 4] {
            assert!(pace.acquire(&stop));
            pace.succeeded();
            assert_eq!(pace.limit(), expected);
        }
        assert_eq!(pace.limit(), 4);
        assert_eq!(pace.report(), (2, 2));
    }

    #[test]
    fn a_hold_is_waited_out_once_and_stop_ends_the_wait() {
        let stop = AtomicBool::new(false);
        let pace = Pace::new(4);
        assert!(pace.acquire(&stop));
        assert!(pace.acquire(&stop));
        // Two throttled answers of one burst halve the limit once.
        assert!(pace.throttled(Duration::from_secs(3600)).is_some());
        assert!(pace.throttled(Duration::from_secs(3600)).is_none());
        assert_eq!(pace.limit(), 2);
        stop.store(true, Ordering::Relaxed);
        assert!(!pace.acquire(&stop), "a stop must end a hold");
    }

    #[test]
    fn never_more_in_flight_than_the_limit() {
        let stop = AtomicBool::new(false);
        let pace = Pace::new(1);
        assert!(pace.acquire(&stop));
        let second = std::thread::scope(|s| {
            let h = s.spawn(|| pace.acquire(&stop));
            std::thread::sleep(Duration::from_millis(50));
            assert!(
                !h.is_finished(),
                "a second request started beside the first"
            );
            pace.succeeded();
            h.join().unwrap()
        });
        assert!(second);
    }
}
