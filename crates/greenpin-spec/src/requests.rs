//! The request schemas as the API's rules say, from the core's own constants: patterns,
//! sizes, item counts, uniqueness, required-one-of, at-least-one. The Rust types hold
//! fields as `Option` (so that a server can name what is missing); a request schema says
//! what a valid request is.
//!
//! These describe what GreenPin accepts — any phone number in the forms people write,
//! any http(s) callback URL, a `pin` with its `pin_length` — and nothing narrower: a
//! client generated from them, or a validator built on them, must accept every real
//! request. The copy that test generators need is narrowed apart ([`crate::generators`]).

use greenpin_core::{GreenPinId, MAX_NUMBERS_PER_LIST, PinLength, TransactionId};
use serde_json::{Map, Value, json};

/// A field that may be null, read as absent (docs/DECISIONS.md).
fn nullable(v: Value) -> Value {
    json!({"anyOf": [v, {"type": "null"}]})
}

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// A list of numbers (or VNs) as a request gives it.
fn number_list() -> Value {
    json!({
        "type": "array",
        "items": schema_ref("RequestNumber"),
        "minItems": 1,
        "maxItems": MAX_NUMBERS_PER_LIST,
        "uniqueItems": true
    })
}

/// `pin_length`: a number, or the string of one (Exotel's Update example has both).
fn pin_length() -> Value {
    json!({"oneOf": [
        {"type": "integer", "minimum": PinLength::MIN, "maximum": PinLength::MAX},
        {"type": "string", "pattern": "^([1-9]|10)$"}
    ]})
}

/// Applies the request rules to the generated schemas.
pub(crate) fn refine(schemas: &mut Map<String, Value>) {
    insert_shared(schemas);
    party(schemas);
    allocation_requests(schemas);
    settings_request(schemas);
}

/// The schemas requests share: a number as written, a PIN as sent, ids and durations.
fn insert_shared(schemas: &mut Map<String, Value>) {
    schemas.insert(
        "RequestNumber".into(),
        json!({
            "type": "string",
            "minLength": 1,
            "maxLength": 40,
            "pattern": "^[ (]*\\+?[0-9 ().-]*[0-9][0-9 ().-]*$",
            "description": "A phone number as people write it: national (`9123456789`, `09123456789`), with the country code (`919123456789`, `+91 91234 56789`, `(+91) 91234-56789`); spaces, dashes, dots and brackets are formatting. Read in the account's country; the service answers it in E.164. Whether it is a valid number of that country is the service's check (code 16), which no pattern can state.",
            "examples": ["9123456789", "+919123456789", "+91 91234 56789"]
        }),
    );
    schemas.insert(
        "RequestPin".into(),
        json!({
            "anyOf": [
                schema_ref("Pin"),
                {"type": "integer", "minimum": 0, "maximum": 9_999_999_999_u64}
            ],
            "description": "1 to 10 digits, as a string (`\"0042\"` keeps its zeros), or as a JSON integer (GreenVN's pages: \"any positive integer\")."
        }),
    );
    schemas.insert(
        "GreenPinId".into(),
        json!({"type": "string", "pattern": format!("^[A-Za-z0-9_-][A-Za-z0-9._-]{{0,{}}}$", GreenPinId::MAX_LEN - 1)}),
    );
    schemas.insert(
        "DeallocationDuration".into(),
        json!({
            "type": "string",
            "pattern": "^[1-9][0-9]{0,3}[smhd]$",
            "description": "A positive whole count and one unit, s, m, h or d. The max_deallocation_time setting caps it; a policy under 5 minutes lives 5 minutes.",
            "examples": ["1200s", "20m", "1h", "2d"]
        }),
    );
    // A deallocation policy, when given, has a duration (code 3 otherwise).
    if let Some(policy) = schemas.get_mut("DeallocationPolicySpec") {
        policy["properties"]["duration"] = schema_ref("DeallocationDuration");
        policy["required"] = json!(["duration"]);
    }
}

/// A party: numbers, VNs, a PIN and its length, each optional. A `pin` and a
/// `pin_length` may come together (Exotel's documented Update sends both); the service
/// checks that they agree (code 5), which a schema cannot say.
fn party(schemas: &mut Map<String, Value>) {
    if let Some(party) = schemas.get_mut("PartySpec") {
        let p = &mut party["properties"];
        p["numbers"] = nullable(number_list());
        p["vns"] = nullable(number_list());
        p["pin"] = nullable(schema_ref("RequestPin"));
        p["pin_length"] = nullable(pin_length());
    }
}

/// "At least one field" of an update or a bulk item: present and not null (an empty party
/// is no field).
fn some_field() -> Value {
    let non_empty_party = json!({"type": "object", "anyOf": [
        {"required": ["numbers"], "properties": {"numbers": number_list()}},
        {"required": ["vns"], "properties": {"vns": number_list()}},
        {"required": ["pin"], "properties": {"pin": schema_ref("RequestPin")}},
        {"required": ["pin_length"], "properties": {"pin_length": pin_length()}}
    ]});
    json!({"anyOf": [
        {"required": ["usage"], "properties": {"usage": {"type": "string"}}},
        {"required": ["deallocation_policy"], "properties": {"deallocation_policy": {"type": "object"}}},
        {"required": ["a"], "properties": {"a": non_empty_party}},
        {"required": ["b"], "properties": {"b": non_empty_party}}
    ]})
}

/// Create, update and bulk item.
fn allocation_requests(schemas: &mut Map<String, Value>) {
    let usage = nullable(json!({"type": "string", "enum": ["oneway", "twoway"]}));
    if let Some(update) = schemas.get_mut("UpdateSpec") {
        update["properties"]["usage"] = usage.clone();
        update["allOf"] = json!([some_field()]);
    }
    // A create needs a transaction id, numbers in a or b, and VNs in a or b.
    if let Some(create) = schemas.get_mut("CreateSpec") {
        create["properties"]["usage"] = usage.clone();
        create["properties"]["transaction_id"] = json!({
            "type": "string",
            "maxLength": TransactionId::MAX_LEN,
            "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$",
            "description": "The client's own id for the allocation (an order id, say): any text with something other than blanks and no control characters; unique among active allocations."
        });
        create["required"] = json!(["transaction_id"]);
        let with_numbers = |side: &str| json!({"required": [side], "properties": {side: {"required": ["numbers"], "properties": {"numbers": number_list()}}}});
        let with_vns = |side: &str| json!({"required": [side], "properties": {side: {"required": ["vns"], "properties": {"vns": number_list()}}}});
        // Numbers for a or b, and VNs for a or b (either party may carry them).
        create["allOf"] = json!([
            {"anyOf": [with_numbers("a"), with_numbers("b")]},
            {"anyOf": [with_vns("a"), with_vns("b")]}
        ]);
    }
    // Fields of Exotel's newer request shape are refused, naming them (not ignored like
    // other unknown fields): the top level of a create, an update or a bulk item may not
    // hold them.
    for name in ["CreateSpec", "UpdateSpec", "BulkItemSpec"] {
        if let Some(spec) = schemas.get_mut(name) {
            spec["propertyNames"] =
                json!({"not": {"enum": greenpin_core::wire::NEWER_SHAPE_FIELDS}});
        }
    }
    // A bulk item names its allocation and changes at least one field.
    if let Some(item) = schemas.get_mut("BulkItemSpec") {
        item["properties"]["usage"] = usage;
        item["properties"]["greenpin_id"] = schema_ref("GreenPinId");
        item["required"] = json!(["greenpin_id"]);
        item["allOf"] = json!([some_field()]);
    }
}

/// A settings change: a settings object of its own, not a reference to the answer's
/// schema (whose stricter types would apply too).
fn settings_request(schemas: &mut Map<String, Value>) {
    let Some(base) = schemas.get("Settings").cloned() else {
        return;
    };
    let Some(settings) = schemas.get_mut("SettingsSpec") else {
        return;
    };
    let description = settings["description"].clone();
    *settings = base;
    settings["description"] = description;
    let p = &mut settings["properties"];
    p["country"] = nullable(schema_ref("Country"));
    p["timezone"] = nullable(json!({"type": "string", "enum": ["IST", "UTC"]}));
    p["deletion_time"] = nullable(json!({"type": "integer", "minimum": 0, "maximum": 86400}));
    // A tag or region: not blank, no control character, at most 64 characters.
    for label in ["aparty_tag", "bparty_tag", "default_region"] {
        p[label] = nullable(json!({
            "type": "string",
            "maxLength": 64,
            "pattern": "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
        }));
    }
    p["sms_config"] = json!({"type": ["object", "null"]});
    p["greenpin_call_complete_event_endpoint"] = nullable(schema_ref("CallbackEndpoint"));
    p["max_deallocation_time"] = nullable(schema_ref("MaxDeallocationTime"));
    // Documented as the strings "true"/"false"; a JSON boolean is read too.
    for flag in [
        "intl_num_sup",
        "tag_enabled",
        "sticky_agent_enabled",
        "lcr_enabled",
    ] {
        p[flag] = json!({"anyOf": [
            {"type": "string", "enum": ["true", "false"]},
            {"type": "boolean"},
            {"type": "null"}
        ]});
    }
    for flag in [
        "aparty_pin_enabled",
        "bparty_pin_enabled",
        "common_pin_enabled",
    ] {
        p[flag] = nullable(json!({"type": "boolean"}));
    }
    for len in [
        "aparty_pin_length",
        "bparty_pin_length",
        "common_pin_length",
    ] {
        p[len] = nullable(
            json!({"type": "integer", "minimum": PinLength::MIN, "maximum": PinLength::MAX}),
        );
    }
    schemas.insert(
        "CallbackEndpoint".into(),
        json!({
            "type": "string",
            "anyOf": [{"maxLength": 0}, {"pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[^/?#\\s]+"}],
            "description": "Where GreenPin sends call and deallocation callbacks: an http or https URL with a host; empty to stop callbacks.",
            "examples": ["https://hooks.example.com/greenpin", ""]
        }),
    );
}
