//! The emulator's binary driven as a test in any language would: plain HTTP to its
//! documented API and controls, nothing of the Rust API. Create, a call, its callback
//! received and waited for, the clock moved, the expiry and its callback; and every control
//! the router serves is in the OpenAPI document it serves and in its `--help`.

use serde_json::json;

use crate::common::{Binary, Hook};

#[test]
fn a_test_in_any_language_drives_the_whole_lifecycle_over_http() {
    let emu = Binary::start(&["--seed", "42"]);
    let raw = emu.raw();
    let hook = Hook::ok();
    hook.register(&raw);
    let created = raw.create(json!({"transaction_id": "order-42",
        "a": {"numbers": ["7987686144"], "vns": ["6292134471"], "pin_length": 4},
        "b": {"numbers": ["9956555625"]},
        "deallocation_policy": {"duration": "30m"}}));
    let id = created["greenpin_id"].as_str().unwrap().to_owned();
    let pin = created["a"]["pin"].as_str().unwrap().to_owned();
    // A call through the VN with the PIN; its callback is delivered after the answer.
    let call = raw
        .control(
            "POST",
            "/calls",
            Some(json!({"from": "9956555625", "vn": "6292134471", "pin": pin, "talk_secs": 75})),
        )
        .expect_ok();
    assert_eq!(call["to"], "+917987686144");
    let sid = call["call_sid"].as_str().unwrap();
    let waited = raw
        .control(
            "GET",
            &format!("/callbacks?call_sid={sid}&wait_ms=10000"),
            None,
        )
        .expect_ok();
    assert_eq!(waited[0]["status"], "delivered", "{waited}");
    let got = hook.next();
    assert_eq!(got.header("x-greenpin-event"), Some("call_completed"));
    let body = got.json();
    assert_eq!(
        (
            body["greenpin_id"].as_str(),
            body["transation_id"].as_str(),
            body["on_call_duration"].as_u64()
        ),
        (Some(id.as_str()), Some("order-42"), Some(75))
    );
    // The clock, past the expiry.
    let clock = raw
        .control("POST", "/clock/advance", Some(json!({"seconds": 1801})))
        .expect_ok();
    assert!(clock["now"].is_string());
    let after = raw.api("GET", &format!("/greenpin/{id}"), None).expect_ok();
    assert_eq!(after["state"], "vault");
    let dealloc = raw
        .control(
            "GET",
            &format!("/callbacks?kind=deallocation&greenpin_id={id}&wait_ms=10000"),
            None,
        )
        .expect_ok();
    assert_eq!(dealloc[0]["payload"]["reason"], "expired");
    assert_eq!(hook.next().json()["reason"], "expired");
}

#[test]
fn a_seed_makes_a_run_repeat() {
    let run = || {
        let emu = Binary::start(&["--seed", "7"]);
        let raw = emu.raw();
        let c = raw.create(json!({"transaction_id": "s",
            "a": {"numbers": ["7987686144"], "vns": ["6292134471"]}}));
        (
            c["greenpin_id"].as_str().unwrap().to_owned(),
            c["a"]["pin"].as_str().unwrap().to_owned(),
        )
    };
    assert_eq!(run(), run());
}

#[test]
fn every_control_is_documented_where_users_look() {
    let emu = Binary::start(&[]);
    let raw = emu.raw();
    let doc = raw
        .send("GET", "/__emulator/controls.openapi.json", &[], None)
        .json();
    assert_eq!(doc["openapi"], "3.1.0");
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_greenpin-emulator"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    assert!(
        help.contains("demo-token") || help.contains("public"),
        "{help}"
    );
    // Every control the router serves, read off its source.
    let sources = [
        include_str!("../../src/routes/controls.rs"),
        include_str!("../../src/routes/mod.rs"),
    ];
    let mut routes = Vec::new();
    for source in sources {
        for part in source.split("\"/__emulator").skip(1) {
            let path = format!("/__emulator{}", &part[..part.find('"').unwrap()]);
            if path.ends_with(".js") || path.ends_with(".css") || path.ends_with(".svg") {
                continue;
            }
            routes.push(path);
        }
    }
    routes.push(greenpin_emulator::DASHBOARD_PATH.to_owned());
    routes.sort();
    routes.dedup();
    assert!(
        routes.len() >= 14,
        "read {} routes: {routes:?}",
        routes.len()
    );
    for path in &routes {
        assert!(
            doc["paths"][path].is_object(),
            "{path} is not in controls.openapi.json"
        );
        assert!(help.contains(path.as_str()), "{path} is not in --help");
    }
    // And nothing is documented that does not exist.
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            let concrete = path.replace("{id}", "1");
            let a = raw.send(
                &method.to_uppercase(),
                &concrete,
                &[("content-type", "application/json")],
                (method != "get" && method != "delete").then_some(&b"{}"[..]),
            );
            assert!(
                !(a.status == 404 && a.text.contains("no such endpoint")) && a.status != 405,
                "{method} {path}: {} {}",
                a.status,
                a.text
            );
        }
    }
}
