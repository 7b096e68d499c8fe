//! The SDK's own CPU cost of one update, without a network, beside serde_json's floor (see
//! `update/mod.rs`). Run: `cargo bench -p greenpin-core --bench update_cpu`. Figures:
//! docs/BENCHMARKS.md.

use criterion::{Criterion, criterion_group, criterion_main};

mod update;

fn bench(c: &mut Criterion) {
    let update = update::Update::new();
    let mut g = c.benchmark_group("one update, build + parse, no network");
    g.bench_function("greenpin-core", |b| b.iter(|| update.sdk()));
    g.bench_function("plain serde_json", |b| b.iter(|| update.plain()));
    g.finish();
    // Where the difference lies: each half of each side.
    let mut g = c.benchmark_group("one update, by half");
    g.bench_function("greenpin-core build", |b| b.iter(|| update.sdk_build()));
    g.bench_function("greenpin-core parse", |b| b.iter(|| update.sdk_parse()));
    g.bench_function("serde_json encode", |b| b.iter(|| update.plain_encode()));
    g.bench_function("serde_json decode", |b| b.iter(|| update.plain_decode()));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
