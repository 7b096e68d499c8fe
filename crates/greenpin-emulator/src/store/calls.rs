//! Call simulation: a caller dials a VN (and enters a PIN); the key table says who answers,
//! the call ends the way the test asked (answered after so many seconds, busy, no answer,
//! failed, or the caller hung up), and a call-completed callback is queued with the
//! `call_type` and `dial_call_status` Exotel sends for that ending. A wrong PIN is a
//! `call-attempt`.

use std::time::Duration;

use serde::Deserialize;

use super::*;

/// How a simulated call ends, once it is put through to the other party.
///
/// | answer | `call_type` | `dial_call_status` |
/// |---|---|---|
/// | `Answered` | `completed` | `completed` |
/// | `Busy` | `incomplete` | `busy` |
/// | `NoAnswer` | `incomplete` | `no-answer` |
/// | `Failed` | `incomplete` | `failed` |
/// | `CallerHungUp` | `client-hangup` | `canceled` |
///
/// A call that is not put through (a wrong PIN, a B-party calling a one-way allocation) is
/// a `call-attempt` whatever the answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CallAnswer {
    /// The other party answered and they talked for the call's duration.
    #[default]
    Answered,
    /// The other party's line was busy.
    Busy,
    /// The other party did not answer.
    NoAnswer,
    /// The leg to the other party failed.
    Failed,
    /// The caller hung up before the other party answered.
    CallerHungUp,
}

impl CallAnswer {
    fn call_type(self) -> CallType {
        match self {
            CallAnswer::Answered => CallType::Completed,
            CallAnswer::CallerHungUp => CallType::ClientHangup,
            CallAnswer::Busy | CallAnswer::NoAnswer | CallAnswer::Failed => CallType::Incomplete,
        }
    }

    fn dial_call_status(self) -> &'static str {
        match self {
            CallAnswer::Answered => "completed",
            CallAnswer::Busy => "busy",
            CallAnswer::NoAnswer => "no-answer",
            CallAnswer::Failed => "failed",
            CallAnswer::CallerHungUp => "canceled",
        }
    }
}

/// Seconds a simulated call rings before it is answered (or given up).
pub(crate) const RING_SECS: u64 = 5;
/// The longest simulated call: a day.
pub(crate) const MAX_CALL_SECS: u64 = 86_400;

/// A simulated call: who dials which VN, the PIN entered, how it ends and how long the
/// parties talk.
///
/// ```
/// use std::time::Duration;
/// use greenpin_emulator::{CallAnswer, CallSpec};
/// let call = CallSpec::new("7000000001", "6292134471")
///     .pin("1234")
///     .answer(CallAnswer::Answered)
///     .talk_for(Duration::from_secs(42));
/// assert_eq!(call.talk_secs, 42);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct CallSpec {
    /// The caller's number.
    pub from: String,
    /// The VN dialled.
    pub vn: String,
    /// The PIN entered, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
    /// How the call ends once put through (answered by default).
    #[serde(default)]
    pub answer: CallAnswer,
    /// Seconds the parties talk, when answered (default 30).
    #[serde(default = "default_talk")]
    pub talk_secs: u64,
}

fn default_talk() -> u64 {
    30
}

impl CallSpec {
    /// `from` dials `vn`; no PIN; answered; 30 seconds of talk.
    pub fn new(from: impl Into<String>, vn: impl Into<String>) -> Self {
        CallSpec {
            from: from.into(),
            vn: vn.into(),
            pin: None,
            answer: CallAnswer::Answered,
            talk_secs: default_talk(),
        }
    }

    /// The PIN the caller enters.
    pub fn pin(mut self, pin: impl Into<String>) -> Self {
        self.pin = Some(pin.into());
        self
    }

    /// How the call ends once put through.
    pub fn answer(mut self, answer: CallAnswer) -> Self {
        self.answer = answer;
        self
    }

    /// How long the parties talk when the call is answered (whole seconds).
    pub fn talk_for(mut self, duration: Duration) -> Self {
        self.talk_secs = duration.as_secs();
        self
    }
}

/// Where a simulated call went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CallOutcome {
    /// Whether the call was put through to the other party (whether or not it answered).
    pub connected: bool,
    /// The call's id, as its callback carries it (`call_sid`): match the callback by it.
    pub call_sid: String,
    /// The `call_type` of its callback.
    pub call_type: CallType,
    /// The allocation it reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub greenpin_id: Option<String>,
    /// The caller's party in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party: Option<Side>,
    /// The number it was put through to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Why not, when it was not put through.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<CallRefusal>,
}

/// Why a simulated call was not put through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CallRefusal {
    /// No live allocation has this VN with this PIN (or this caller, without a PIN).
    NoMatch,
    /// The PIN entered matches no live allocation on the VN; or none was entered, the VN
    /// takes PINs, and the caller is not a party without a PIN on it.
    WrongPin,
    /// The B-party called a one-way allocation.
    Oneway,
    /// The allocation is deallocated (in its vault period).
    NotActive,
    /// The allocation's other party has no number to put the call through to.
    NoOtherParty,
}

impl CallRefusal {
    /// The reason as the emulator writes it: `no_match`, `wrong_pin`, `oneway`,
    /// `not_active`, `no_other_party`.
    pub fn as_str(self) -> &'static str {
        match self {
            CallRefusal::NoMatch => "no_match",
            CallRefusal::WrongPin => "wrong_pin",
            CallRefusal::Oneway => "oneway",
            CallRefusal::NotActive => "not_active",
            CallRefusal::NoOtherParty => "no_other_party",
        }
    }
}

impl std::fmt::Display for CallRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A call's numbers and PIN, checked.
struct Dialled {
    from: PhoneNumber,
    vn: PhoneNumber,
    pin: Option<Pin>,
}

impl Store {
    // ----- calls -------------------------------------------------------------------

    /// Places a simulated call: the caller is found (or not), then put through (or not),
    /// and the call's callback is queued either way.
    pub(crate) fn call(&mut self, spec: &CallSpec) -> Result<CallOutcome, Failure> {
        let dialled = self.dialled(spec)?;
        self.sweep();
        let call_sid = self.entropy.uuid();
        let mut event = CallCompleted::default();
        event.call_sid = Some(call_sid.clone());
        event.vn = Some(dialled.vn.clone());
        event.from = Some(dialled.from.clone());
        event.direction = Some("incoming".into());
        event.source = Some("exotel".into());
        let mut outcome = CallOutcome {
            connected: false,
            call_sid,
            call_type: CallType::CallAttempt,
            greenpin_id: None,
            party: None,
            to: None,
            reason: None,
        };
        match self.reached(&dialled) {
            Some(holder) => self.put_through(spec, &dialled, holder, event, outcome),
            None => {
                self.no_allocation(&dialled, &mut event, &mut outcome);
                Ok(outcome)
            }
        }
    }

    /// The call's numbers and PIN, checked.
    fn dialled(&self, spec: &CallSpec) -> Result<Dialled, Failure> {
        let country = self.country();
        let number = |field: &str, raw: &str| {
            PhoneNumber::parse(raw, country).map_err(|e| {
                Failure::new(ErrorCode::InvalidNumber, format!("{field}: {raw:?} {e}"))
            })
        };
        if spec.talk_secs > MAX_CALL_SECS {
            return Err(Failure::bad(format!(
                "talk_secs: {} is longer than a day ({MAX_CALL_SECS})",
                spec.talk_secs
            )));
        }
        Ok(Dialled {
            from: number("from", &spec.from)?,
            vn: number("vn", &spec.vn)?,
            pin: spec
                .pin
                .as_deref()
                .map(|p| Pin::new(p).map_err(|e| Failure::bad(format!("pin: {e}"))))
                .transpose()?,
        })
    }

    /// Who the call reaches: the holder of the (VN, PIN) entered, or, without a PIN, of the
    /// caller's own number on the VN when that number routes (its party has no PIN).
    fn reached(&self, d: &Dialled) -> Option<Holder> {
        let key = match &d.pin {
            Some(p) => RouteKey::pin(&d.vn, p),
            None => RouteKey::caller(&d.vn, &d.from),
        };
        self.keys
            .get(&key)
            .filter(|h| d.pin.is_some() || !h.pinned)
            .cloned()
    }

    /// No allocation answers: a wrong (or missing) PIN on a VN that takes PINs, or a caller
    /// nobody registered — a call attempt. A caller whose number is registered on the VN
    /// is known, so the attempt names the allocation.
    fn no_allocation(&mut self, d: &Dialled, event: &mut CallCompleted, outcome: &mut CallOutcome) {
        let takes_pins = self
            .keys
            .range(RouteKey::pins_on(digits(&d.vn)))
            .next()
            .is_some();
        let registered = self
            .keys
            .get(&RouteKey::caller(&d.vn, &d.from))
            .map(|h| h.id.clone());
        outcome.reason = Some(if takes_pins || registered.is_some() {
            CallRefusal::WrongPin
        } else {
            CallRefusal::NoMatch
        });
        if let Some(id) = registered {
            self.attempt(event, &id, outcome);
        }
        self.finish(event.clone(), CallType::CallAttempt, "failed", 0, 0);
    }

    /// The call reached `holder`'s allocation: refused when it is deallocated or the
    /// B-party calls a one-way allocation; otherwise put through to the other party, and it
    /// ends as `spec` says.
    fn put_through(
        &mut self,
        spec: &CallSpec,
        d: &Dialled,
        holder: Holder,
        mut event: CallCompleted,
        mut outcome: CallOutcome,
    ) -> Result<CallOutcome, Failure> {
        let rec = &self.records[&*holder.id];
        let (active, alloc) = (rec.is_active(), rec.allocation(&holder.id));
        self.attempt(&mut event, &holder.id, &mut outcome);
        if !active {
            outcome.reason = Some(CallRefusal::NotActive);
            self.finish(event, CallType::CallAttempt, "failed", 0, 0);
            return Ok(outcome);
        }
        // Documented: "any number (other than b-party numbers) … entering the correct pin
        // [is] considered as a-party". The PIN finds the allocation; the caller's number
        // says which party is calling.
        let side = match d.pin {
            Some(_) if alloc.b.numbers.contains(&d.from) => Side::B,
            Some(_) => Side::A,
            None => holder.side,
        };
        outcome.party = Some(side);
        if let Some((a_tag, b_tag)) = self.tags() {
            let tag = |s: Side| {
                if s == Side::A {
                    a_tag.clone()
                } else {
                    b_tag.clone()
                }
            };
            event.from_tag = Some(tag(side));
            event.to_tag = Some(tag(side.other()));
        }
        if side == Side::B && alloc.usage == Usage::Oneway {
            outcome.reason = Some(CallRefusal::Oneway);
            self.finish(event, CallType::CallAttempt, "failed", 0, 0);
            return Ok(outcome);
        }
        let other = if side == Side::A { &alloc.b } else { &alloc.a };
        let Some(to) = other.numbers.first().cloned() else {
            outcome.reason = Some(CallRefusal::NoOtherParty);
            // The answer carries its callback's call_type.
            outcome.call_type = CallType::Incomplete;
            self.finish(event, CallType::Incomplete, "failed", 0, 0);
            return Ok(outcome);
        };
        event.to = Some(to.clone());
        outcome.connected = true;
        outcome.to = Some(to.to_string());
        let answer = spec.answer;
        let (talk, ring) = match answer {
            CallAnswer::Answered => (spec.talk_secs, RING_SECS),
            CallAnswer::NoAnswer | CallAnswer::CallerHungUp => (0, RING_SECS * 6),
            CallAnswer::Busy | CallAnswer::Failed => (0, 1),
        };
        outcome.call_type = answer.call_type();
        let (call_type, status) = (answer.call_type(), answer.dial_call_status());
        self.finish(event, call_type, status, ring + talk, talk);
        Ok(outcome)
    }

    /// Names the allocation in a call's callback and outcome.
    fn attempt(&self, event: &mut CallCompleted, id: &str, outcome: &mut CallOutcome) {
        if let Some(rec) = self.records.get(id) {
            let alloc = rec.allocation(id);
            event.transaction_id = alloc.transaction_id.clone();
            event.greenpin_id = Some(alloc.greenpin_id.clone());
            outcome.greenpin_id = Some(id.to_owned());
        }
    }

    /// Queues the call's callback: it ended now, after `dial_secs` (`talk_secs` of them
    /// connected).
    fn finish(
        &mut self,
        mut event: CallCompleted,
        call_type: CallType,
        status: &str,
        dial_secs: u64,
        talk_secs: u64,
    ) {
        let now = self.now_ms();
        let start = now.saturating_sub((dial_secs as i64).saturating_mul(1000));
        event.call_type = Some(call_type);
        event.dial_call_status = Some(status.to_owned());
        event.dial_call_duration = Some(dial_secs);
        event.on_call_duration = Some(talk_secs);
        event.start_time = Some(self.iso_at(start));
        event.current_time = Some(self.iso_at(now));
        self.events.push(Event::CallCompleted(Box::new(event)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Store {
        let capacity = Capacity {
            max_active: 4,
            max_vault: 4,
            vault_retention_ms: 60_000,
        };
        Store::new(Arc::new(Entropy::seeded(3)), capacity, None)
    }

    #[test]
    fn a_call_talks_for_30_seconds_unless_told_and_at_most_a_day() {
        assert_eq!(CallSpec::new("7000000001", "6292134471").talk_secs, 30);
        let read: CallSpec =
            serde_json::from_str(r#"{"from": "7000000001", "vn": "6292134471"}"#).unwrap();
        assert_eq!((read.talk_secs, read.answer), (30, CallAnswer::Answered));
        let mut store = store();
        let day = CallSpec::new("7000000001", "6292134471").talk_for(Duration::from_secs(86_400));
        assert!(store.call(&day).is_ok());
        let longer = day.talk_for(Duration::from_secs(86_401));
        let refused = store.call(&longer).unwrap_err();
        assert_eq!(
            refused.message(),
            "talk_secs: 86401 is longer than a day (86400)"
        );
    }

    #[test]
    fn refusals_are_written_as_the_emulator_answers_them() {
        for (refusal, text) in [
            (CallRefusal::NoMatch, "no_match"),
            (CallRefusal::WrongPin, "wrong_pin"),
            (CallRefusal::Oneway, "oneway"),
            (CallRefusal::NotActive, "not_active"),
            (CallRefusal::NoOtherParty, "no_other_party"),
        ] {
            assert_eq!(refusal.as_str(), text);
            assert_eq!(refusal.to_string(), text);
            assert_eq!(serde_json::to_value(refusal).unwrap(), text);
        }
    }
}
