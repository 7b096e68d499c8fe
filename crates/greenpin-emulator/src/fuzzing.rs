//! The emulator's request handling in-process, for the fuzz target and its corpus replay:
//! arbitrary bytes go through the very functions the routes call (the `api` module) on a
//! store, whose invariants must hold afterwards. Must never panic.

use std::sync::Arc;

use crate::ids::Entropy;
use crate::store::{Capacity, Store};

/// The first byte chooses the operation; the rest is its body. The store holds one
/// allocation first, and runs with a vault period, so updates, deletes and calls meet
/// live keys and reserved ones.
#[expect(
    clippy::expect_used,
    reason = "fuzz harness: a broken invariant must crash the run"
)]
pub fn handle_body(data: &[u8]) {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    let capacity = Capacity {
        max_active: 16,
        max_vault: 16,
        vault_retention_ms: 3_600_000,
    };
    let mut store = Store::new(Arc::new(Entropy::seeded(1)), capacity, None);
    let mut ignored = crate::ignored::Ignored::default();
    crate::api::put_settings(&mut store, br#"{"deletion_time": 600}"#, &mut ignored)
        .expect("a valid setting");
    let seeded = crate::api::create(
        &mut store,
        br#"{"transaction_id":"first","a":{"numbers":["7987686144"],"vns":["6292134471"],"pin":"123"},"b":{"numbers":["9956555625"]}}"#,
        &mut ignored,
    )
    .expect("the first allocation");
    let id = seeded.greenpin_id.to_string();
    let _ = match which % 7 {
        0 => crate::api::create(&mut store, body, &mut ignored).map(drop),
        1 => crate::api::update(&mut store, &id, body, &mut ignored).map(drop),
        2 => crate::api::put_settings(&mut store, body, &mut ignored).map(drop),
        3 => crate::api::call(&mut store, body).map(drop),
        4 => crate::api::bulk_update(&mut store, body).map(drop),
        5 => {
            let _ = crate::api::delete(&mut store, &id);
            crate::api::create(&mut store, body, &mut ignored).map(drop)
        }
        _ => crate::api::delete(&mut store, &String::from_utf8_lossy(body)).map(drop),
    };
    store
        .check_invariants()
        .expect("invariants hold after any input");
}
