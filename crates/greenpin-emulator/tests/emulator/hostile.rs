//! Hostile input: every row is answered by a 4xx error envelope, never a 5xx or a panic,
//! and the server goes on serving afterwards.

use crate::common::Raw;
use greenpin_emulator::BlockingEmulator;

struct Row {
    what: &'static str,
    method: &'static str,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
}

fn rows(raw: &Raw, id: &str) -> Vec<Row> {
    let auth = raw.auth.clone();
    let json = |what, method, path: String, body: Vec<u8>| Row {
        what,
        method,
        path,
        headers: vec![
            ("authorization", auth.clone()),
            ("content-type", "application/json".into()),
        ],
        body: Some(body),
    };
    let api = |tail: &str| format!("/v1/tenants/{}{tail}", raw.sid);
    let update = api(&format!("/greenpin/{id}"));
    let mut out = vec![
        json(
            "malformed JSON",
            "PUT",
            update.clone(),
            b"{\"usage\": oneway}".to_vec(),
        ),
        json(
            "truncated JSON",
            "PUT",
            update.clone(),
            b"{\"a\": {\"numbers\": [\"79876".to_vec(),
        ),
        json("empty body", "PUT", update.clone(), Vec::new()),
        json(
            "non-UTF-8 bytes",
            "PUT",
            update.clone(),
            vec![b'{', 0xff, 0xfe, b'}'],
        ),
        json(
            "a JSON string",
            "PUT",
            update.clone(),
            b"\"usage\"".to_vec(),
        ),
        json(
            "JSON nested 10,000 deep",
            "PUT",
            update.clone(),
            [vec![b'['; 10_000], vec![b']'; 10_000]].concat(),
        ),
        json(
            "object nested 10,000 deep",
            "POST",
            api("/greenpin"),
            ["{\"a\":".repeat(10_000), "1".into(), "}".repeat(10_000)]
                .concat()
                .into_bytes(),
        ),
        json(
            "100,000-element array of the wrong type",
            "PUT",
            update.clone(),
            format!("{{\"a\": {{\"numbers\": [{}1]}}}}", "1,".repeat(99_999)).into_bytes(),
        ),
        json(
            "100,000 bulk items",
            "PUT",
            api("/greenpin"),
            format!("{{\"greenpins\": [{}{{}}]}}", "{},".repeat(99_999)).into_bytes(),
        ),
        json("10 MB body", "PUT", update.clone(), vec![b' '; 10 << 20]),
        json(
            "unknown fields only",
            "PUT",
            update.clone(),
            b"{\"colour\": \"red\", \"size\": 3}".to_vec(),
        ),
        json(
            "huge number",
            "PUT",
            update.clone(),
            b"{\"a\": {\"pin_length\": 1e400}}".to_vec(),
        ),
        json(
            "negative pin_length",
            "PUT",
            update.clone(),
            b"{\"a\": {\"pin_length\": -3}}".to_vec(),
        ),
        json(
            "pin_length as words",
            "PUT",
            update.clone(),
            b"{\"a\": {\"pin_length\": \"three\"}}".to_vec(),
        ),
        json(
            "NUL in a number",
            "PUT",
            update.clone(),
            b"{\"a\": {\"numbers\": [\"98765\\u000043210\"]}}".to_vec(),
        ),
        json(
            "duration overflow",
            "PUT",
            update.clone(),
            b"{\"deallocation_policy\": {\"duration\": \"99999999999999999999d\"}}".to_vec(),
        ),
        json(
            "settings of the wrong types",
            "PUT",
            api("/settings"),
            b"{\"timezone\": 5, \"intl_num_sup\": \"yes\"}".to_vec(),
        ),
        json(
            "create without anything",
            "POST",
            api("/greenpin"),
            b"{}".to_vec(),
        ),
        Row {
            what: "wrong content type",
            method: "PUT",
            path: update.clone(),
            headers: vec![
                ("authorization", auth.clone()),
                ("content-type", "application/x-www-form-urlencoded".into()),
            ],
            body: Some(b"usage=oneway".to_vec()),
        },
        Row {
            what: "no Authorization",
            method: "GET",
            path: update.clone(),
            headers: vec![],
            body: None,
        },
        Row {
            what: "malformed Basic",
            method: "GET",
            path: update.clone(),
            headers: vec![("authorization", "Basic %%%".into())],
            body: None,
        },
        Row {
            what: "wrong scheme",
            method: "GET",
            path: update.clone(),
            headers: vec![("authorization", "Bearer abc".into())],
            body: None,
        },
        Row {
            what: "wrong credentials",
            method: "GET",
            path: update.clone(),
            headers: vec![("authorization", "Basic ZGVtby1rZXk6bm9wZQ==".into())],
            body: None,
        },
        Row {
            what: "Authorization of 8 KB",
            method: "GET",
            path: update.clone(),
            headers: vec![("authorization", format!("Basic {}", "A".repeat(8_000)))],
            body: None,
        },
    ];
    for (what, tail) in [
        ("dot-dot segment", "/greenpin/.."),
        ("encoded slash", "/greenpin/a%2Fb"),
        ("encoded NUL", "/greenpin/%00"),
        ("non-UTF-8 percent-encoding", "/greenpin/%ff%fe"),
        ("10,000-character id", "/greenpin/XXXXXXXXXX"),
        ("unknown endpoint", "/greenpins"),
        ("extra segment", "/greenpin/a/b"),
    ] {
        let tail = if what.starts_with("10,000") {
            format!("/greenpin/{}", "x".repeat(10_000))
        } else {
            tail.to_owned()
        };
        out.push(Row {
            what,
            method: "GET",
            path: api(&tail),
            headers: vec![("authorization", auth.clone())],
            body: None,
        });
    }
    out.push(Row {
        what: "another tenant",
        method: "GET",
        path: "/v1/tenants/other/settings".into(),
        headers: vec![("authorization", auth.clone())],
        body: None,
    });
    out.push(Row {
        what: "unsupported method",
        method: "PATCH",
        path: update,
        headers: vec![("authorization", auth)],
        body: Some(b"{}".to_vec()),
    });
    out
}

#[test]
fn hostile_requests_get_4xx_envelopes_and_the_server_keeps_serving() {
    let emu = BlockingEmulator::start();
    let raw = Raw::new(&emu);
    let id = raw.create_simple("t", "7987686144", "9956555625", "6292134471")["greenpin_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let table = rows(&raw, &id);
    assert!(table.len() >= 30);
    for row in table {
        let headers: Vec<(&str, &str)> =
            row.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let answer = raw.send(row.method, &row.path, &headers, row.body.as_deref());
        assert!(
            (400..500).contains(&answer.status),
            "{}: {} {}",
            row.what,
            answer.status,
            answer.text.chars().take(300).collect::<String>()
        );
        let env = answer.json();
        assert_eq!(env["success"], false, "{}", row.what);
        assert_eq!(env["status"], answer.status, "{}", row.what);
        assert!(
            env["code"].is_i64() && env["message"].is_string(),
            "{}: {}",
            row.what,
            answer.text
        );
        // Still serving, and the allocation untouched.
        let after = raw.api("GET", &format!("/greenpin/{id}"), None).expect_ok();
        assert_eq!(
            after["usage"], "twoway",
            "{} changed the allocation",
            row.what
        );
    }
    emu.check_invariants().unwrap();
}
