//! GreenPin's API as plain functions over the store: read the body with greenpin-core
//! (fields named in errors), validate it with greenpin-core under the account's settings
//! (the SDK's own rules), apply it. The axum routes call these under the store's lock, and
//! so does the fuzz target: what is fuzzed is what is served.

use greenpin_core::wire::{self, WireBulkItem, from_json_noting_unknown};
use greenpin_core::{
    Allocation, CreateSpec, GreenPinId, PartySpec, Settings, SettingsSpec, UpdateSpec,
};
use greenpin_core::{BulkItemResult, BulkUpdateResults};

use crate::failure::Failure;
use crate::ignored::Ignored;
use crate::store::{CallOutcome, CallSpec, Store};

/// Reads a JSON body; fields the API does not read are added to `ignored`.
fn read<T: serde::de::DeserializeOwned>(body: &[u8], ignored: &mut Ignored) -> Result<T, Failure> {
    let (value, unknown) = from_json_noting_unknown(body)?;
    ignored.extend(unknown);
    Ok(value)
}

/// The allocation id of a path. An id that could not have been issued cannot exist.
fn id(raw: &str) -> Result<GreenPinId, Failure> {
    GreenPinId::new(raw).map_err(|_| Failure::not_found(raw))
}

/// Names every PIN field the request gave that the service did not apply: dropped for a
/// party whose PIN is off (Exotel's documented Update example answers without `b.pin`),
/// or replaced by A's under `common_pin_enabled`. The service says nothing; the emulator
/// says which, field by field.
fn note_dropped_pins(
    parties: [(&str, Option<&PartySpec>); 2],
    answer: &Allocation,
    ignored: &mut Ignored,
) {
    for (side, spec) in parties {
        let Some(spec) = spec else { continue };
        let kept = if side == "a" { &answer.a } else { &answer.b };
        let Some(kept_pin) = &kept.pin else {
            let why = format!("{side}party_pin_enabled is off");
            if spec.pin.is_some() {
                ignored.push(format!("{side}.pin ({why})"));
            }
            if spec.pin_length.is_some() {
                ignored.push(format!("{side}.pin_length ({why})"));
            }
            continue;
        };
        // A PIN given but not kept: B's under common_pin_enabled is A's.
        if side == "b"
            && spec
                .pin
                .as_deref()
                .is_some_and(|given| given != kept_pin.as_str())
        {
            ignored.push("b.pin (common_pin_enabled: B has A's PIN)");
        }
        if side == "b"
            && spec.pin.is_none()
            && spec
                .pin_length
                .is_some_and(|n| n != i64::try_from(kept_pin.len()).unwrap_or(-1))
        {
            ignored.push("b.pin_length (common_pin_enabled: B has A's PIN)");
        }
    }
}

/// `POST /greenpin`.
pub(crate) fn create(
    store: &mut Store,
    body: &[u8],
    ignored: &mut Ignored,
) -> Result<Allocation, Failure> {
    let spec: CreateSpec = read(body, ignored)?;
    let valid = spec.validate(&store.validation())?;
    let answer = store.create(valid)?;
    note_dropped_pins(
        [("a", spec.a.as_ref()), ("b", spec.b.as_ref())],
        &answer,
        ignored,
    );
    Ok(answer)
}

/// `GET /greenpin/{id}`.
pub(crate) fn get(store: &mut Store, raw_id: &str) -> Result<Allocation, Failure> {
    store.get(id(raw_id)?.as_str())
}

/// `PUT /greenpin/{id}`.
pub(crate) fn update(
    store: &mut Store,
    raw_id: &str,
    body: &[u8],
    ignored: &mut Ignored,
) -> Result<Allocation, Failure> {
    let id = id(raw_id)?;
    let spec: UpdateSpec = read(body, ignored)?;
    let valid = spec.validate(&store.validation())?;
    let answer = store.update(id.as_str(), valid)?;
    note_dropped_pins(
        [("a", spec.a.as_ref()), ("b", spec.b.as_ref())],
        &answer,
        ignored,
    );
    Ok(answer)
}

/// `DELETE /greenpin/{id}`.
pub(crate) fn delete(store: &mut Store, raw_id: &str) -> Result<Allocation, Failure> {
    store.delete(id(raw_id)?.as_str())
}

/// `PUT /greenpin`: the body's shape and size are checked whole; each item is read, checked
/// and applied on its own (partial success, as documented), with a result of its own.
/// Also says how many items were applied.
pub(crate) fn bulk_update(
    store: &mut Store,
    body: &[u8],
) -> Result<(BulkUpdateResults, u64), Failure> {
    let items = wire::read_bulk_items(body)?;
    let mut applied = 0;
    let results = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let result = bulk_item(store, i, item);
            applied += u64::from(result.success);
            result
        })
        .collect();
    Ok((wire::bulk_results(results), applied))
}

fn bulk_item(store: &mut Store, i: usize, item: WireBulkItem) -> BulkItemResult {
    let prefix = format!("greenpins[{i}]");
    let outcome = item.spec.map_err(Failure::from).and_then(|spec| {
        let valid = spec
            .validate(&store.validation())
            .map_err(|e| Failure::from(wire::within(e, &prefix)))?;
        store.update(valid.greenpin_id.as_str(), valid.fields)
    });
    match outcome {
        Ok(a) => wire::bulk_item_applied(a.greenpin_id.to_string(), a),
        Err(f) => wire::bulk_item_refused(item.greenpin_id, f.status.as_u16(), f.code, f.message),
    }
}

/// `GET /settings`.
pub(crate) fn get_settings(store: &Store) -> Settings {
    store.settings().clone()
}

/// `PUT /settings`: what the body omits keeps its value.
pub(crate) fn put_settings(
    store: &mut Store,
    body: &[u8],
    ignored: &mut Ignored,
) -> Result<Settings, Failure> {
    let spec: SettingsSpec = read(body, ignored)?;
    let valid = spec.validate(&store.validation())?;
    store.update_settings(valid)
}

/// `POST /__emulator/calls`: a simulated call.
pub(crate) fn call(store: &mut Store, body: &[u8]) -> Result<CallOutcome, Failure> {
    let spec: CallSpec = crate::failure::parse_json(body)?;
    store.call(&spec)
}
