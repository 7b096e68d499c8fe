//! The document narrowed for test generators (schemathesis), written apart
//! (`xtask/scripts/schemathesis.openapi.json`) and never served as GreenPin's description.
//!
//! A generator draws requests from the schemas; drawn from the true ones, nearly every
//! phone number would be invalid (validity is the numbering plan, which no pattern states)
//! and nearly every `pin` with a `pin_length` would disagree, so the requests would die on
//! validation and never reach the logic. The narrowed copy keeps the API whole and narrows
//! only those values: numbers from a few valid Indian ranges, one of `pin` or `pin_length`
//! in a party, callback URLs of one harmless shape, a handful of countries, and a create's
//! numbers and VNs carried by the A-party (generators handle "a or b" unreliably).

use serde_json::{Value, json};

/// Numbers a generator may use: 10-digit Indian mobile numbers under prefixes that are
/// valid (checked by `request_schemas_describe_valid_requests`).
pub const NUMBER_PATTERN: &str = "^(987654|798768|629213|995655|700000)[0-9]{4}$";

/// Narrows `doc` (the true document) for generators.
pub(crate) fn narrow(doc: &mut Value) {
    doc["info"]["title"] = json!("Exotel GreenPin API, narrowed for test generators");
    doc["info"]["description"] = json!(
        "NOT a description of what GreenPin accepts: a copy of it narrowed so that generated requests reach the emulator's logic (numbers from a few valid ranges, a pin or a pin_length, callback URLs of one shape). GreenPin's description is docs/openapi.json."
    );
    doc["servers"] = json!([
        {"url": "http://127.0.0.1:4010/v1/tenants/demo", "description": "greenpin-emulator with its defaults"}
    ]);
    let schemas = &mut doc["components"]["schemas"];
    schemas["RequestNumber"] = json!({"type": "string", "pattern": NUMBER_PATTERN});
    // A pin and a pin_length must agree, which a schema cannot say: a generated party gives
    // one or the other.
    schemas["PartySpec"]["not"] = json!({
        "required": ["pin", "pin_length"],
        "properties": {"pin": {"not": {"type": "null"}}, "pin_length": {"not": {"type": "null"}}}
    });
    schemas["CallbackEndpoint"] = json!({
        "type": "string",
        "pattern": "^(https://[a-z]{1,20}\\.example(/[a-z0-9]{0,10})?)?$"
    });
    schemas["SettingsSpec"]["properties"]["country"] = json!({"anyOf": [
        {"type": "string", "enum": ["IN", "US", "GB", "SG", "AE"]},
        {"type": "null"}
    ]});
    let mut a = schemas["PartySpec"].clone();
    a["required"] = json!(["numbers", "vns"]);
    let list = json!({
        "type": "array",
        "items": {"$ref": "#/components/schemas/RequestNumber"},
        "minItems": 1,
        "maxItems": greenpin_core::MAX_NUMBERS_PER_LIST,
        "uniqueItems": true
    });
    a["properties"]["numbers"] = list.clone();
    a["properties"]["vns"] = list;
    let create = &mut doc["components"]["schemas"]["CreateSpec"];
    create["required"] = json!(["transaction_id", "a"]);
    create["properties"]["a"] = a;
    if let Some(c) = create.as_object_mut() {
        c.remove("allOf");
    }
}
