//! Number normalisation: the fast path against phonenumber on the common Indian forms.
//!
//! Run: `cargo bench -p greenpin-core --bench normalize`. Figures: docs/BENCHMARKS.md.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use greenpin_core::{Country, PhoneNumber};

const INPUTS: [&str; 6] = [
    "9876543210",
    "+919876543210",
    "+91 98765 43210",
    "09876543210",
    "098765-43210",
    "7987686144",
];

/// What the SDK did before the fast path: phonenumber's parse, validity check, E.164.
fn phonenumber_only(input: &str) -> Option<String> {
    let n = phonenumber::parse(Some(phonenumber::country::Id::IN), input).ok()?;
    n.is_valid()
        .then(|| n.format().mode(phonenumber::Mode::E164).to_string())
}

fn bench(c: &mut Criterion) {
    // Load phonenumber's metadata outside the measurement.
    assert!(phonenumber_only("9876543210").is_some());
    let mut g = c.benchmark_group("normalise 6 common forms");
    g.bench_function("greenpin fast path", |b| {
        b.iter(|| {
            for s in INPUTS {
                black_box(PhoneNumber::parse(black_box(s), Country::IN).unwrap());
            }
        })
    });
    g.bench_function("phonenumber", |b| {
        b.iter(|| {
            for s in INPUTS {
                black_box(phonenumber_only(black_box(s)).unwrap());
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
