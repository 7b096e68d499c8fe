//! What the SDK costs next to the network: the median latency of an SDK `update` against a
//! live emulator, versus a hand-written PUT of the same JSON body to the same emulator (and
//! the answer read as JSON), connections reused in both — for reqwest and for ureq.
//!
//! Run: `cargo bench -p greenpin-tests --bench transport`. Figures: docs/BENCHMARKS.md.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use greenpin_core::CreateSpec;
use greenpin_core::retry::RetryPolicy;
use greenpin_core::{PartySpec, UpdateSpec, Usage};
use greenpin_emulator::BlockingEmulator;

fn bench(c: &mut Criterion) {
    let emu = BlockingEmulator::start();
    let key = emu.credentials().key().clone();
    let token = emu.credentials().token().clone();
    let auth = emu
        .credentials()
        .authorization()
        .to_str()
        .unwrap()
        .to_owned();

    let blocking = greenpin_blocking::Client::builder()
        .base_url(emu.base_url())
        .account_sid(emu.account_sid())
        .credentials(key.clone(), token.clone())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let id = blocking
        .create(
            &CreateSpec::new("bench")
                .a(PartySpec::new().number("7987686144").vn("6292134471"))
                .b(PartySpec::new().number("9956555625")),
        )
        .unwrap()
        .greenpin_id;
    let url = format!(
        "{}/v1/tenants/{}/greenpin/{id}",
        emu.base_url(),
        emu.account_sid()
    );
    let body = br#"{"usage":"oneway"}"#.to_vec();
    let spec = UpdateSpec::new().usage(Usage::Oneway);

    let mut g = c.benchmark_group("update");
    g.measurement_time(Duration::from_secs(5));

    g.bench_function("blocking sdk", |b| {
        b.iter(|| blocking.update(&id, &spec.clone()).unwrap())
    });
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    g.bench_function("blocking hand-written ureq", |b| {
        b.iter(|| {
            let mut resp = agent
                .put(&url)
                .header("authorization", &auth)
                .header("content-type", "application/json")
                .header("accept", "application/json")
                .send(&body[..])
                .unwrap();
            assert_eq!(resp.status(), 200);
            let v: serde_json::Value =
                serde_json::from_slice(&resp.body_mut().read_to_vec().unwrap()).unwrap();
            v
        })
    });

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let asynchronous = greenpin_async::Client::builder()
        .base_url(emu.base_url())
        .account_sid(emu.account_sid())
        .credentials(key, token)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    g.bench_function("async sdk", |b| {
        b.iter(|| {
            rt.block_on(asynchronous.update(&id, &spec.clone()))
                .unwrap()
        })
    });
    // reqwest as greenpin-async configures it (its rustls without a provider of its own).
    let client = greenpin_async::Reqwest::client_builder()
        .unwrap()
        .build()
        .unwrap();
    g.bench_function("async hand-written reqwest", |b| {
        b.iter(|| {
            rt.block_on(async {
                let resp = client
                    .put(&url)
                    .header("authorization", &auth)
                    .header("content-type", "application/json")
                    .header("accept", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), 200);
                let v: serde_json::Value =
                    serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
                v
            })
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
