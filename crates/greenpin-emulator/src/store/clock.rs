//! The virtual clock: real time plus every advance, or — started at a given instant
//! (`--clock`) — that instant plus every advance, standing still otherwise, so that a run
//! with a seed repeats every id, PIN and time. Expiry and purge happen as it passes them,
//! and times are written in the account's timezone.

use super::*;

/// Where the clock starts and how far it was advanced.
#[derive(Debug)]
pub(crate) struct Clock {
    /// A fixed start (ms since the epoch), or real time when `None`.
    start: Option<i64>,
    offset_ms: i64,
}

impl Clock {
    pub(crate) fn new(start: Option<i64>) -> Self {
        Clock {
            start,
            offset_ms: 0,
        }
    }
}

pub(super) fn real_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Store {
    /// When an allocation given `policy` now expires: the policy's duration (raised to the
    /// five-minute minimum, capped by `max_deallocation_time`), or without one
    /// `max_deallocation_time` (never, when that is `-1`).
    pub(super) fn expiry_for(&self, policy: Option<DeallocationPolicy>) -> Option<i64> {
        let max = self.settings.max_deallocation_time;
        let now = self.now_ms();
        match policy {
            Some(p) => {
                // Documented: the setting "will override the deallocation_policy if the
                // duration in the deallocation_policy is greater than this value"; and
                // allocations "can last from 5 minutes", so a shorter policy is raised.
                let cap = max.and_then(|m| m.secs()).unwrap_or(u64::MAX);
                let secs = p
                    .duration
                    .as_secs()
                    .max(DeallocationDuration::MIN_LIFE.as_secs())
                    .min(cap);
                Some(now.saturating_add((secs as i64).saturating_mul(1000)))
            }
            None => max
                .and_then(|m| m.secs())
                .map(|m| now.saturating_add((m as i64).saturating_mul(1000))),
        }
    }

    // ----- clock -------------------------------------------------------------------

    /// The emulator's now, in milliseconds since the epoch: real time (or the fixed start)
    /// plus every advance.
    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.start.unwrap_or_else(real_now_ms) + self.clock.offset_ms
    }

    /// Moves the clock forward by milliseconds; expiries, the ends of vault periods and
    /// purges happen as it passes them. The clock never runs more than a hundred years
    /// ahead of real time, however often it is advanced, so every date stays writable: an
    /// advance past that is refused, and the clock does not move.
    pub(crate) fn advance_ms(&mut self, ms: u64) -> Result<(), Failure> {
        const MAX_OFFSET_MS: i64 = 100 * 365 * 86_400 * 1000;
        let next = i64::try_from(ms)
            .ok()
            .and_then(|ms| self.clock.offset_ms.checked_add(ms))
            .filter(|next| *next <= MAX_OFFSET_MS)
            .ok_or_else(|| {
                Failure::bad(format!(
                    "seconds: the clock may run at most 100 years ahead of real time; it is {} days ahead now",
                    self.clock.offset_ms / 86_400_000
                ))
            })?;
        self.clock.offset_ms = next;
        self.sweep();
        Ok(())
    }

    /// Now, written in the settings' timezone.
    pub(crate) fn now_text(&self) -> String {
        self.time_text(self.now_ms()).to_string()
    }

    pub(super) fn timezone(&self) -> &Timezone {
        // Settings only ever hold a known zone: the core refuses others.
        self.settings.timezone.as_ref().unwrap_or(&Timezone::Ist)
    }

    pub(crate) fn time_text(&self, ms: i64) -> DeallocationTime {
        let secs = ms.div_euclid(1000);
        self.timezone()
            .deallocation_time(secs)
            .or_else(|| Timezone::Utc.deallocation_time(0))
            .unwrap_or(DeallocationTime::MIN)
    }

    /// An instant as ISO 8601 in the account's timezone, as callbacks carry times.
    pub(crate) fn iso_at(&self, ms: i64) -> String {
        self.timezone()
            .iso8601(ms.div_euclid(1000))
            .unwrap_or_default()
    }

    /// Expires, releases and forgets whatever the clock has passed, in that order (an
    /// expiry long ago may have ended its vault period already).
    pub(crate) fn sweep(&mut self) {
        let now = self.now_ms();
        self.sweep_until(now);
    }

    /// [`sweep`](Self::sweep) as of `now`: what falls due at `now` itself is due.
    pub(super) fn sweep_until(&mut self, now: i64) {
        while let Some((at, id)) = self.expiries.first().cloned() {
            if at > now {
                break;
            }
            self.expiries.pop_first();
            self.deallocate(&id, at, DeallocationReason::Expired);
        }
        while let Some((at, id)) = self.releases.first().cloned() {
            if at > now {
                break;
            }
            self.release(&id);
        }
        while let Some((at, id)) = self.purges.first().cloned() {
            if at > now {
                break;
            }
            self.forget(&id);
        }
    }

    /// Takes the events produced since the last call.
    pub(crate) fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }
}

/// An RFC 3339 instant with its offset (`2026-01-01T00:00:00Z`, `…T05:30:00+05:30`), as
/// `--clock` and the reset control take it and the clock control writes it (`iso`).
pub(crate) fn parse_instant(text: &str) -> Result<std::time::SystemTime, String> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(Into::into)
        .map_err(|e| format!("{text:?} is not an RFC 3339 instant with its offset, such as 2026-01-01T00:00:00Z ({e})"))
}

/// An instant as ms since the epoch (before 1970: negative).
pub(crate) fn ms_since_epoch(t: std::time::SystemTime) -> i64 {
    match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}
