//! The SDK's own CPU cost of one update, without a network: validate and build the request
//! (numbers normalised, PINs checked, JSON written, headers set) and parse the answer
//! (envelope, allocation, typed numbers and enums), next to a plain serde_json encode of the
//! same body and decode of the same answer into mirror structs with `String` fields — the
//! least a hand-written client would do.
//!
//! Run: `cargo bench -p greenpin-core --bench update_cpu`. Figures: docs/BENCHMARKS.md.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use greenpin_core::ops::Operation;
use greenpin_core::ops::UpdateAllocation;
use greenpin_core::wire::DOCUMENTED_UPDATE;
use greenpin_core::{AccountSid, ApiContext, Credentials, GreenPinId, UpdateSpec};
use serde::{Deserialize, Serialize};

const ANSWER: &str = include_str!("../tests/fixtures/seed_update_response.json");

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

fn bench(c: &mut Criterion) {
    let ctx = ApiContext::new(
        AccountSid::new("acme").unwrap(),
        Credentials::new("key", "token"),
    );
    let id = GreenPinId::new("d7ffd4b3-5c1e-4bda-a024-0b1d2a3b4c5d").unwrap();
    let spec: UpdateSpec = serde_json::from_str(DOCUMENTED_UPDATE).unwrap();
    let plain: PlainUpdate = serde_json::from_str(DOCUMENTED_UPDATE).unwrap();
    let answer = http::Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(ANSWER.as_bytes().to_vec())
        .unwrap();

    let mut g = c.benchmark_group("one update, build + parse, no network");
    g.bench_function("greenpin-core", |b| {
        b.iter(|| {
            let op = UpdateAllocation::new(id.clone(), black_box(&spec).clone());
            let request = op.build_request(black_box(&ctx)).unwrap();
            black_box(request);
            black_box(op.parse_response(black_box(&answer)).unwrap());
        })
    });
    g.bench_function("plain serde_json", |b| {
        b.iter(|| {
            black_box(serde_json::to_vec(black_box(&plain)).unwrap());
            let e: PlainEnvelope = serde_json::from_slice(black_box(answer.body())).unwrap();
            black_box(e);
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
