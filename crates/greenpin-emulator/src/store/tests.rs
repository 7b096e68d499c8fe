//! The store's invariant check, shown to notice each kind of damage: the emulator's own
//! tests, the fuzz target and `Emulator::check_invariants` lean on it, so a check that
//! always said yes would hide every routing bug behind it.

use super::*;

/// A store holding two active allocations that expire, one that never does, and one in
/// the vault with its keys still reserved (deletion_time 600 s, no max_deallocation_time).
fn sample() -> (Store, Vec<Id>) {
    let capacity = Capacity {
        max_active: 16,
        max_vault: 16,
        vault_retention_ms: 2 * 86_400_000,
    };
    let mut store = Store::new(Arc::new(Entropy::seeded(7)), capacity, None);
    let mut ignored = crate::ignored::Ignored::default();
    crate::api::put_settings(
        &mut store,
        br#"{"deletion_time": 600, "max_deallocation_time": "-1"}"#,
        &mut ignored,
    )
    .unwrap();
    let bodies: [&[u8]; 4] = [
        br#"{"transaction_id":"t0","a":{"numbers":["7987686144"],"vns":["6292134471"],"pin":"123"},"b":{"numbers":["9956555625"]},"deallocation_policy":{"duration":"1h"}}"#,
        br#"{"transaction_id":"t1","a":{"numbers":["7987686145"],"vns":["6292134472"]},"b":{"numbers":["9956555626"]},"deallocation_policy":{"duration":"2h"}}"#,
        br#"{"transaction_id":"t2","a":{"numbers":["7987686146"],"vns":["6292134473"]},"b":{"numbers":["9956555627"]}}"#,
        br#"{"transaction_id":"t3","a":{"numbers":["7987686147"],"vns":["6292134474"],"pin":"456"},"b":{"numbers":["9956555628"]}}"#,
    ];
    let ids: Vec<Id> = bodies
        .iter()
        .map(|body| {
            let a = crate::api::create(&mut store, body, &mut ignored).unwrap();
            store.id_of(a.greenpin_id.as_str()).unwrap()
        })
        .collect();
    crate::api::delete(&mut store, &ids[3]).unwrap();
    (store, ids)
}

fn broken(store: &Store) -> String {
    store.check_invariants().expect_err("the damage is noticed")
}

#[test]
fn a_sound_store_passes() {
    let (store, ids) = sample();
    store.check_invariants().unwrap();
    assert_eq!(store.counts(), (3, 1));
    assert_eq!((store.expiries.len(), store.unending.len()), (2, 1));
    assert!(store.records[&ids[3]].release_at.is_some());
    assert!(!store.keys.is_empty());
}

#[test]
fn an_active_allocation_missing_from_the_schedule_is_noticed() {
    let (mut store, ids) = sample();
    let at = store.records[&ids[0]].expires_at.unwrap();
    store.expiries.remove(&(at, ids[0].clone()));
    assert_eq!(
        broken(&store),
        format!("active allocation {} is not scheduled", ids[0])
    );
    let (mut store, ids) = sample();
    store.unending.remove(&ids[2]);
    assert_eq!(
        broken(&store),
        format!("active allocation {} is not scheduled", ids[2])
    );
}

#[test]
fn a_vault_allocation_holding_its_transaction_id_is_noticed() {
    let (mut store, ids) = sample();
    store.by_transaction.insert("t3".into(), ids[3].clone());
    assert_eq!(
        broken(&store),
        format!("vault allocation {} still holds its transaction id", ids[3])
    );
}

#[test]
fn a_key_missing_or_held_by_someone_else_is_noticed() {
    for victim in [0, 3] {
        let (mut store, ids) = sample();
        let key = store
            .keys
            .iter()
            .find(|(_, h)| h.id == ids[victim])
            .map(|(k, _)| *k)
            .unwrap();
        store.keys.remove(&key);
        assert!(
            broken(&store).ends_with(&format!(" of {} is missing from the table", ids[victim]))
        );
        let (mut store, ids) = sample();
        let holder = store
            .keys
            .values_mut()
            .find(|h| h.id == ids[victim])
            .unwrap();
        holder.side = holder.side.other();
        assert!(broken(&store).contains("is missing from the table"));
    }
}

#[test]
fn two_allocations_holding_one_key_are_noticed() {
    let (mut store, ids) = sample();
    let twin: Id = Arc::from("00000000-0000-4000-8000-000000000000");
    let mut rec = store.records[&ids[2]].clone();
    rec.transaction_id = None;
    store.records.insert(twin.clone(), rec);
    store.unending.insert(twin.clone());
    store.active += 1;
    // The table holds ids[2]'s keys: the twin is told as missing from it, whichever of the
    // two is checked first.
    let why = broken(&store);
    assert!(
        why.starts_with("key ") && why.ends_with(&format!(" of {twin} is missing from the table")),
        "{why}"
    );
}

#[test]
fn keys_nobody_holds_are_noticed() {
    let (mut store, ids) = sample();
    // The vault allocation's keys, once released, linger in the table.
    store.records.get_mut(&ids[3]).unwrap().release_at = None;
    let lingering = keys_of(&store.records[&ids[3]].allocation(&ids[3])).len();
    assert!(lingering > 0);
    let keys = store.keys.len();
    assert_eq!(
        broken(&store),
        format!(
            "{keys} keys in the table, {} held by live allocations",
            keys - lingering
        )
    );
}

#[test]
fn a_wrong_count_of_active_allocations_is_noticed() {
    let (mut store, _) = sample();
    store.active = 4;
    assert_eq!(broken(&store), "3 active allocations, counted 4");
}

#[test]
fn a_schedule_listing_what_is_not_active_is_noticed() {
    let (mut store, ids) = sample();
    store.unending.insert(ids[3].clone());
    assert_eq!(
        broken(&store),
        "the expiry schedule lists allocations that are not active"
    );
}

#[test]
fn expiry_release_and_purge_fall_due_at_their_millisecond() {
    let (mut store, ids) = sample();
    // The vault allocation: its keys are released at the end of deletion_time (10 min),
    // and it is forgotten at the end of the retention (2 days).
    let (release, purge) = {
        let rec = &store.records[&ids[3]];
        (rec.release_at.unwrap(), rec.purge_at.unwrap())
    };
    store.sweep_until(release - 1);
    assert_eq!(store.records[&ids[3]].release_at, Some(release));
    store.sweep_until(release);
    assert_eq!(store.records[&ids[3]].release_at, None);
    // An active allocation expires at its millisecond (1 h).
    let expiry = store.records[&ids[0]].expires_at.unwrap();
    assert!(release < expiry && expiry < purge);
    store.sweep_until(expiry - 1);
    assert!(store.records[&ids[0]].is_active());
    store.sweep_until(expiry);
    let rec = &store.records[&ids[0]];
    assert_eq!((rec.is_active(), rec.deallocated_at), (false, Some(expiry)));
    store.sweep_until(purge - 1);
    assert!(store.records.contains_key(&ids[3]));
    store.sweep_until(purge);
    assert!(!store.records.contains_key(&ids[3]));
    store.check_invariants().unwrap();
}

#[test]
fn the_dashboard_filter_finds_an_allocation_by_any_of_its_numbers_pin_or_ids() {
    let (store, ids) = sample();
    // ids[0]: A 7987686144 with PIN 123 on VN 6292134471; B 9956555625 on the same VN;
    // transaction id t0.
    let id = ids[0].as_ref();
    let rec = &store.records[&ids[0]];
    let found = |needle: &str| rec.matches(id, needle);
    for needle in [
        "",
        id,
        &id[..8],
        "t0",
        "+917987686144",
        "7987686144",
        "6292134471",
        "9956555625",
        "123",
    ] {
        assert!(found(needle), "{needle:?}");
    }
    for needle in ["t1", "+", "+91x", "9956555626", "999", "1234"] {
        assert!(!found(needle), "{needle:?}");
    }
}
