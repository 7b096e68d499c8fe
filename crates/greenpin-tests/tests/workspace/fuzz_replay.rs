//! The fuzz corpora (`crates/fuzz/corpus`) and any crash reproducers
//! (`crates/fuzz/artifacts`) replayed through the same functions the fuzz targets call, on
//! the stable toolchain, as ordinary tests. They live here, in the unpublished test crate,
//! so the published crates' own tests never read files outside their package.

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

#[test]
fn emulator_request_corpus() {
    assert!(replay("emulator_request", greenpin_emulator::fuzzing::handle_body) >= 5);
}

#[test]
fn receive_callback_corpus() {
    assert!(replay("receive_callback", greenpin_core::fuzzing::receive_callback) >= 5);
}
