//! One update without a network, both ways: the SDK (validate and build the request —
//! numbers normalised, PINs checked, JSON written, headers set — then parse the answer into
//! the typed allocation) and the floor (a plain serde_json encode of the same body and
//! decode of the same answer into mirror structs with `String` fields — the least a
//! hand-written client would do). Shared by the criterion bench (`update_cpu`) and the
//! instruction count (`update_instructions`).

use std::hint::black_box;

use greenpin_core::ops::{Operation, UpdateAllocation};
use greenpin_core::test_util::DOCUMENTED_UPDATE;
use greenpin_core::{AccountSid, ApiContext, Credentials, GreenPinId, UpdateSpec};
use serde::{Deserialize, Serialize};

const ANSWER: &str = include_str!("../../tests/fixtures/seed_update_response.json");

#[derive(Serialize, Deserialize)]
struct PlainParty {
    #[serde(default)]
    vns: Vec<String>,
    #[serde(default)]
    numbers: Vec<String>,
    #[serde(default)]
    pin: Option<String>,
    #[serde(default)]
    pin_length: Option<serde_json::Value>,
}

#[derive(Serialize, Deserialize)]
struct PlainPolicy {
    duration: String,
}

#[derive(Serialize, Deserialize)]
struct PlainUpdate {
    a: PlainParty,
    b: PlainParty,
    usage: String,
    deallocation_policy: PlainPolicy,
}

#[derive(Deserialize)]
#[expect(dead_code, reason = "decoded to be measured, never read")]
struct PlainAllocation {
    greenpin_id: String,
    transaction_id: Option<String>,
    a: PlainParty,
    b: PlainParty,
    usage: String,
    state: String,
    deallocation_time: Option<String>,
}

#[derive(Deserialize)]
#[expect(dead_code, reason = "decoded to be measured, never read")]
struct PlainEnvelope {
    request_id: Option<String>,
    success: bool,
    status: u16,
    data: Option<PlainAllocation>,
}

/// The inputs both sides work on: Exotel's documented Update and its answer.
pub(crate) struct Update {
    ctx: ApiContext,
    id: GreenPinId,
    spec: UpdateSpec,
    plain: PlainUpdate,
    answer: http::Response<Vec<u8>>,
}

impl Update {
    pub(crate) fn new() -> Update {
        Update {
            ctx: ApiContext::new(
                AccountSid::new("acme").unwrap(),
                Credentials::new("key", "token"),
            ),
            id: GreenPinId::new("d7ffd4b3-5c1e-4bda-a024-0b1d2a3b4c5d").unwrap(),
            spec: serde_json::from_str(DOCUMENTED_UPDATE).unwrap(),
            plain: serde_json::from_str(DOCUMENTED_UPDATE).unwrap(),
            answer: http::Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(ANSWER.as_bytes().to_vec())
                .unwrap(),
        }
    }

    /// The SDK: what `client.update(&id, &spec)` does besides the network.
    pub(crate) fn sdk(&self) {
        let op = UpdateAllocation::new(self.id.clone(), black_box(&self.spec));
        black_box(op.build_request(black_box(&self.ctx)).unwrap());
        black_box(op.parse_response(black_box(&self.answer)).unwrap());
    }

    /// The floor: serde_json both ways, no checks.
    pub(crate) fn plain(&self) {
        self.plain_encode();
        self.plain_decode();
    }

    /// The SDK's first half: validate and build the request.
    pub(crate) fn sdk_build(&self) {
        let op = UpdateAllocation::new(self.id.clone(), black_box(&self.spec));
        black_box(op.build_request(black_box(&self.ctx)).unwrap());
    }

    /// The SDK's second half: parse the answer.
    pub(crate) fn sdk_parse(&self) {
        let op = UpdateAllocation::new(self.id.clone(), black_box(&self.spec));
        black_box(op.parse_response(black_box(&self.answer)).unwrap());
    }

    /// The floor's first half: encode the body.
    pub(crate) fn plain_encode(&self) {
        black_box(serde_json::to_vec(black_box(&self.plain)).unwrap());
    }

    /// The floor's second half: decode the answer.
    pub(crate) fn plain_decode(&self) {
        let e: PlainEnvelope = serde_json::from_slice(black_box(self.answer.body())).unwrap();
        black_box(e);
    }
}
