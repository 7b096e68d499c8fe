//! The fuzz corpora (`crates/fuzz/corpus`) and any crash reproducers
//! (`crates/fuzz/artifacts`) replayed through the same functions the fuzz targets call, on
//! the stable toolchain, as ordinary tests.

use std::path::Path;

fn replay(target: &str, f: fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut n = 0;
    for dir in [
        root.join("corpus").join(target),
        root.join("artifacts").join(target),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let data = std::fs::read(entry.path()).unwrap();
            f(&data);
            n += 1;
        }
    }
    n
}

#[test]
fn parse_response_corpus() {
    assert!(replay("parse_response", greenpin_core::fuzzing::parse_response) >= 5);
}

#[test]
fn build_request_corpus() {
    assert!(replay("build_request", greenpin_core::fuzzing::build_request) >= 5);
}
