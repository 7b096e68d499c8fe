//! The emulator's request handling in-process, for the fuzz target and its corpus replay:
//! arbitrary bytes are parsed as the routes parse bodies, validated with greenpin-core and
//! applied to a store, whose invariants must hold afterwards. Must never panic.

use greenpin_core::{CreateSpec, GreenPinId, PartySpec, SettingsSpec, UpdateSpec};

use crate::failure::parse_json;
use crate::store::Store;

/// The first byte chooses the operation; the rest is its body.
#[expect(
    clippy::expect_used,
    reason = "fuzz harness: a broken invariant must crash the run"
)]
pub fn handle_body(data: &[u8]) {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    let mut store = Store::new();
    let seeded = store
        .create(
            CreateSpec::new("first")
                .a(PartySpec::new()
                    .number("7987686144")
                    .vn("6292134471")
                    .pin("123"))
                .b(PartySpec::new().number("9956555625"))
                .validate(&store.validation())
                .expect("a valid first allocation"),
        )
        .expect("the first allocation");
    let id = seeded.greenpin_id.clone();
    let _ = match which % 5 {
        0 => parse_json::<CreateSpec>(body)
            .and_then(|spec| Ok(spec.validate(&store.validation())?))
            .and_then(|valid| store.create(valid))
            .map(drop),
        1 => parse_json::<UpdateSpec>(body)
            .and_then(|spec| Ok(spec.validate(&store.validation())?))
            .and_then(|valid| store.update(id.as_str(), valid))
            .map(drop),
        2 => parse_json::<SettingsSpec>(body)
            .and_then(|spec| Ok(spec.validate(&store.validation())?))
            .map(|valid| drop(store.update_settings(valid))),
        3 => {
            let text = String::from_utf8_lossy(body);
            let mut parts = text.splitn(3, ' ');
            let (from, vn, pin) = (
                parts.next().unwrap_or(""),
                parts.next().unwrap_or(""),
                parts.next(),
            );
            store.call(from, vn, pin).map(drop)
        }
        _ => {
            let id = GreenPinId::new(String::from_utf8_lossy(body).into_owned()).unwrap_or(id);
            store.delete(id.as_str()).map(drop)
        }
    };
    store
        .check_invariants()
        .expect("invariants hold after any input");
}
