//! GreenPin's API as plain functions over the store: read the body with greenpin-core
//! (fields named in errors), validate it with greenpin-core under the account's settings
//! (the SDK's own rules), apply it. The axum routes call these under the store's lock, and
//! so does the fuzz target: what is fuzzed is what is served.

use greenpin_core::body::from_json_noting_unknown;
use greenpin_core::{
    Allocation, BulkItemResult, BulkSpec, BulkUpdateResults, CreateSpec, GreenPinId, Settings,
    SettingsSpec, UpdateSpec, WireBulkItem,
};

use crate::failure::Failure;
use crate::store::{CallOutcome, CallSpec, Store};

/// Reads a JSON body; fields the API does not read are added to `ignored`.
fn read<T: serde::de::DeserializeOwned>(
    body: &[u8],
    ignored: &mut Vec<String>,
) -> Result<T, Failure> {
    let (value, unknown) = from_json_noting_unknown(body)?;
    ignored.extend(unknown);
    Ok(value)
}

/// The allocation id of a path. An id that could not have been issued cannot exist.
fn id(raw: &str) -> Result<GreenPinId, Failure> {
    GreenPinId::new(raw).map_err(|_| Failure::not_found(raw))
}

/// `POST /greenpin`.
pub(crate) fn create(
    store: &mut Store,
    body: &[u8],
    ignored: &mut Vec<String>,
) -> Result<Allocation, Failure> {
    let spec: CreateSpec = read(body, ignored)?;
    let valid = spec.validate(&store.validation())?;
    store.create(valid)
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
    ignored: &mut Vec<String>,
) -> Result<Allocation, Failure> {
    let id = id(raw_id)?;
    let spec: UpdateSpec = read(body, ignored)?;
    let valid = spec.validate(&store.validation())?;
    store.update(id.as_str(), valid)
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
    let items = BulkSpec::read_wire(body)?;
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
    Ok((BulkUpdateResults::new(results), applied))
}

fn bulk_item(store: &mut Store, i: usize, item: WireBulkItem) -> BulkItemResult {
    let prefix = format!("greenpins[{i}]");
    let outcome = item.spec.map_err(Failure::from).and_then(|spec| {
        let valid = spec
            .validate(&store.validation())
            .map_err(|e| Failure::from(e.within(&prefix)))?;
        store.update(valid.greenpin_id.as_str(), valid.fields)
    });
    match outcome {
        Ok(a) => BulkItemResult::applied(a.greenpin_id.to_string(), a),
        Err(f) => BulkItemResult::refused(item.greenpin_id, f.status.as_u16(), f.code, f.message),
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
    ignored: &mut Vec<String>,
) -> Result<Settings, Failure> {
    let spec: SettingsSpec = read(body, ignored)?;
    let valid = spec.validate(&store.validation())?;
    Ok(store.update_settings(valid))
}

/// `POST /__emulator/calls`: a simulated call.
pub(crate) fn call(store: &mut Store, body: &[u8]) -> Result<CallOutcome, Failure> {
    let spec: CallSpec = crate::failure::parse_json(body)?;
    store.call(&spec)
}
