//! Call simulation: a caller dials a VN (and enters a PIN); the routing table says who
//! answers, and a call-completed callback event is queued.

use super::*;

/// Where a simulated call went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallOutcome {
    /// Whether the call was put through.
    pub connected: bool,
    /// The allocation it reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub greenpin_id: Option<String>,
    /// The caller's party in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party: Option<Side>,
    /// The number it connects to.
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
    /// No active allocation has this VN with this PIN (or this caller, without a PIN).
    NoMatch,
    /// The VN takes PINs, and this one matches no active allocation on it.
    WrongPin,
    /// The B-party called a one-way allocation.
    Oneway,
    /// The allocation is in the vault: deallocated.
    NotActive,
}

impl CallRefusal {
    /// The reason as the emulator writes it: `no_match`, `wrong_pin`, `oneway`, `not_active`.
    pub fn as_str(self) -> &'static str {
        match self {
            CallRefusal::NoMatch => "no_match",
            CallRefusal::WrongPin => "wrong_pin",
            CallRefusal::Oneway => "oneway",
            CallRefusal::NotActive => "not_active",
        }
    }
}

impl std::fmt::Display for CallRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Store {
    // ----- calls -------------------------------------------------------------------

    /// A caller dials `vn` from `from`, entering `pin` when asked.
    pub fn call(
        &mut self,
        from: &str,
        vn: &str,
        pin: Option<&str>,
    ) -> Result<CallOutcome, Failure> {
        let country = self.country();
        let from = PhoneNumber::parse(from, country).map_err(|e| {
            Failure::new(
                ErrorCode::InvalidNumber,
                format!("from: {from:?} is not a valid phone number: {e}"),
            )
        })?;
        let vn = PhoneNumber::parse(vn, country).map_err(|e| {
            Failure::new(
                ErrorCode::InvalidNumber,
                format!("vn: {vn:?} is not a valid phone number: {e}"),
            )
        })?;
        let pin = pin
            .map(|p| Pin::new(p).map_err(|e| Failure::bad(format!("pin: {e}"))))
            .transpose()?;
        self.sweep();
        let key = match &pin {
            Some(p) => RouteKey::pin(&vn, p),
            None => RouteKey::caller(&vn, &from),
        };
        let refused = |reason| CallOutcome {
            connected: false,
            greenpin_id: None,
            party: None,
            to: None,
            reason: Some(reason),
        };
        let Some((id, side)) = self.routes.get(&key).cloned() else {
            let vn_digits = digits(&vn);
            let vn_has_pins = self.routes.keys().any(|k| k.is_pin() && k.vn == vn_digits);
            let in_vault = self.records.iter().any(|(id, r)| {
                r.state != State::Active
                    && routes_of(&r.allocation(id)).iter().any(|(k, _)| k == &key)
            });
            let reason = if in_vault {
                CallRefusal::NotActive
            } else if vn_has_pins {
                CallRefusal::WrongPin
            } else {
                CallRefusal::NoMatch
            };
            return Ok(refused(reason));
        };
        let alloc = self.records[&*id].allocation(&id);
        // Documented: "any number (other than b-party numbers) … entering the correct pin
        // [is] considered as a-party". The PIN finds the allocation; the caller's number
        // says which party is calling.
        let side = if pin.is_some() {
            if alloc.b.numbers.contains(&from) {
                Side::B
            } else {
                Side::A
            }
        } else {
            side
        };
        let mut event = CallCompleted::default();
        event.transaction_id = alloc.transaction_id.clone();
        event.call_sid = Some(self.entropy.uuid());
        event.vn = Some(vn);
        event.greenpin_id = Some(alloc.greenpin_id.clone());
        event.from = Some(from);
        event.direction = Some("incoming".into());
        event.source = Some("exotel".into());
        event.start_time = Some(self.iso_now());
        event.current_time = Some(self.iso_now());
        event.dial_call_duration = Some(0);
        event.on_call_duration = Some(0);
        if side == Side::B && alloc.usage == Usage::Oneway {
            event.call_type = Some(CallType::CallAttempt);
            self.events.push(Event::CallCompleted(Box::new(event)));
            let mut out = refused(CallRefusal::Oneway);
            out.greenpin_id = Some(id.to_string());
            out.party = Some(side);
            return Ok(out);
        }
        let other = match side {
            Side::A => &alloc.b,
            Side::B => &alloc.a,
        };
        let to = other.numbers.first().cloned();
        event.to = to.clone();
        event.call_type = Some(if to.is_some() {
            CallType::Completed
        } else {
            CallType::Incomplete
        });
        event.dial_call_status = Some(if to.is_some() { "completed" } else { "failed" }.into());
        self.events.push(Event::CallCompleted(Box::new(event)));
        Ok(CallOutcome {
            connected: to.is_some(),
            greenpin_id: Some(id.to_string()),
            party: Some(side),
            to: to.map(|n| n.to_string()),
            reason: None,
        })
    }
}
