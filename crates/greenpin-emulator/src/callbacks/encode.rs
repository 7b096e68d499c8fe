//! A callback's body: the call record by the names of Exotel's callback table, JSON or
//! form-encoded, the transaction id spelt as the user chose.

use serde_json::{Map, Value};

use super::record::CallbackKind;
use crate::config::{CallbackEncoding, TransactionIdSpelling};
use crate::store::Event;

/// A callback ready to send.
#[derive(Debug, Clone)]
pub(crate) struct Encoded {
    pub(crate) kind: CallbackKind,
    pub(crate) content_type: &'static str,
    pub(crate) body: bytes::Bytes,
    /// The body's fields as sent, as JSON.
    pub(crate) payload: Value,
}

pub(crate) fn encode(
    event: &Event,
    encoding: CallbackEncoding,
    spelling: TransactionIdSpelling,
) -> Encoded {
    let (kind, value) = match event {
        Event::CallCompleted(c) => (CallbackKind::CallCompleted, serde_json::to_value(c)),
        Event::Deallocated(d) => (CallbackKind::Deallocation, serde_json::to_value(d)),
    };
    let mut fields = match value {
        Ok(Value::Object(fields)) => fields,
        _ => Map::new(),
    };
    // The call record's transaction id as Exotel's callback table spells it
    // (`transation_id`), as its JSON sample does (`transaction_id`), or both.
    if kind == CallbackKind::CallCompleted
        && let Some(tx) = fields.remove("transaction_id")
    {
        if spelling != TransactionIdSpelling::Sample {
            fields.insert("transation_id".into(), tx.clone());
        }
        if spelling != TransactionIdSpelling::Table {
            fields.insert("transaction_id".into(), tx);
        }
    }
    let (content_type, body) = match encoding {
        CallbackEncoding::Json => (
            "application/json",
            serde_json::to_vec(&fields).unwrap_or_default(),
        ),
        CallbackEncoding::Form => {
            let mut form = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &fields {
                match v {
                    Value::Null => {}
                    Value::String(s) => {
                        form.append_pair(k, s);
                    }
                    other => {
                        form.append_pair(k, &other.to_string());
                    }
                }
            }
            (
                "application/x-www-form-urlencoded",
                form.finish().into_bytes(),
            )
        }
    };
    Encoded {
        kind,
        content_type,
        body: body.into(),
        payload: Value::Object(fields),
    }
}
