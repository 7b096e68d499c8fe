//! The `greenpin` command as a process, against a live emulator.
// The callback receiver's and the demo's tests need the command built with them.
#![cfg_attr(
    not(all(feature = "listen", feature = "demo")),
    expect(unused_imports, reason = "used by the tests of `listen` and `demo`")
)]

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use greenpin_core::{State, Usage};
use greenpin_emulator::{CallSpec, Fault, FaultRule};
use serde_json::Value;

use crate::common::*;

#[test]
fn create_get_update_delete_with_flags_and_json() {
    let e = env();
    let out = e.run(&[
        "--json",
        "create",
        "--transaction-id",
        "order-1",
        "--a-number",
        "7987686144",
        "--a-vn",
        "6292134471",
        "--a-pin-length",
        "4",
        "--b-number",
        "9956555625",
        "--deallocate-after",
        "20m",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let created = stdout_json(&out);
    assert_eq!(created["a"]["pin"].as_str().unwrap().len(), 4);
    let id = created["greenpin_id"].as_str().unwrap().to_owned();

    let out = e.run(&["get", &id]);
    assert_eq!(code(&out), 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&id) && text.contains("+917987686144") && text.contains("active"),
        "{text}"
    );

    let out = e.run(&[
        "--json",
        "update",
        &id,
        "--usage",
        "oneway",
        "--b-number",
        "9000000001",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let updated = stdout_json(&out);
    assert_eq!(
        (
            updated["usage"].as_str(),
            updated["b"]["numbers"][0].as_str()
        ),
        (Some("oneway"), Some("+919000000001"))
    );

    let out = e.run(&["--json", "delete", &id]);
    assert_eq!(code(&out), 0);
    assert_eq!(stdout_json(&out)["state"], "vault");
    assert_eq!(e.sdk.get(id).unwrap().state, State::Vault);
}

#[test]
fn update_with_the_seed_body_from_a_file_and_stdin() {
    let e = env();
    let id = e.create("t1", "7987686144");
    let path = e.dir.join("seed.json");
    std::fs::write(&path, greenpin_core::test_util::DOCUMENTED_UPDATE).unwrap();
    let out = e.run(&[
        "--json",
        "update",
        id.as_str(),
        "--body",
        path.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let a = stdout_json(&out);
    assert_eq!(
        a["a"]["vns"],
        serde_json::json!(["+916292134471", "+916292134464"])
    );
    // As in Exotel's documented response: B-party PINs are off by default, so the b.pin
    // the request sent is not kept.
    assert_eq!(
        (a["a"]["pin"].as_str(), a["b"]["pin"].as_str()),
        (Some("123"), None)
    );

    let mut child = e
        .cmd()
        .args(["update", id.as_str(), "--body", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"{"usage": "oneway"}"#)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(e.sdk.get(&id).unwrap().usage, Usage::Oneway);

    // Body and flags together: a usage error.
    let out = e.run(&[
        "update",
        id.as_str(),
        "--body",
        path.to_str().unwrap(),
        "--usage",
        "twoway",
    ]);
    assert_eq!(code(&out), 2);
}

#[test]
fn exit_codes_and_error_objects() {
    let e = env();
    // 2: validation, naming the field; nothing sent.
    e.emu.clear_requests();
    let out = e.run(&["--json", "update", "some-id", "--a-number", "629XXXXX71"]);
    assert_eq!(code(&out), 2);
    // Named as the user wrote it: the flag, not the JSON path.
    assert!(
        stderr(&out).contains("--a-number #1: \"629XXXXX71\" is not a valid phone number"),
        "{}",
        stderr(&out)
    );
    let err = stdout_json(&out);
    assert_eq!(
        (
            err["error"]["kind"].as_str(),
            err["error"]["field"].as_str()
        ),
        (Some("validation"), Some("--a-number #1"))
    );
    let out = e.run(&[
        "update",
        "some-id",
        "--a-number",
        "7987686144",
        "--a-number",
        "07987686144",
    ]);
    assert!(
        stderr(&out).contains("--a-number #2: +917987686144 is already listed as --a-number #1"),
        "{}",
        stderr(&out)
    );
    // Written as JSON, the JSON path.
    let body = e.dir.join("body.json");
    std::fs::write(&body, r#"{"a": {"numbers": ["629XXXXX71"]}}"#).unwrap();
    let out = e.run(&["update", "some-id", "--body", body.to_str().unwrap()]);
    assert!(stderr(&out).contains("a.numbers[0]: "), "{}", stderr(&out));
    assert!(e.emu.requests().is_empty());
    // 2: usage errors (clap) and missing credentials.
    assert_eq!(code(&e.run(&["get"])), 2);
    assert_eq!(code(&e.run(&["frobnicate"])), 2);
    let out = e
        .cmd()
        .env_remove("EXOTEL_API_TOKEN")
        .args(["get", "x"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("api_token"), "{}", stderr(&out));
    // 3: the API said no.
    let out = e.run(&["--json", "get", "no-such-id"]);
    assert_eq!(code(&out), 3);
    let err = stdout_json(&out);
    assert_eq!(
        (
            err["error"]["status"].as_u64(),
            err["error"]["code"].as_i64()
        ),
        (Some(404), Some(1))
    );
    assert!(err["error"]["request_id"].is_string());
    assert_eq!(
        stderr(&out).lines().count(),
        1,
        "one clear line: {}",
        stderr(&out)
    );
    // 4: nothing listening.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let out = e
        .cmd()
        .env("GREENPIN_BASE_URL", &dead)
        .args(["--timeout", "2s", "get", "x"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    // 4: a timeout.
    e.emu
        .add_fault(FaultRule::new(Fault::Delay { ms: 3_000 }).times(3))
        .unwrap();
    let start = Instant::now();
    let out = e.run(&["--timeout", "200ms", "settings", "get"]);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(start.elapsed() < Duration::from_secs(3));
}

#[test]
fn settings_get_and_set() {
    let e = env();
    let out = e.run(&[
        "--json",
        "settings",
        "set",
        "timezone=UTC",
        "deletion_time=3600",
        "intl_num_sup=true",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let s = stdout_json(&out);
    assert_eq!(
        (
            s["timezone"].as_str(),
            s["deletion_time"].as_u64(),
            s["intl_num_sup"].as_str()
        ),
        (Some("UTC"), Some(3600), Some("true"))
    );
    let out = e.run(&["settings", "get"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("timezone"));
    // The settings shared with GreenVN, and the documented ranges.
    let out = e.run(&[
        "--json",
        "settings",
        "set",
        "tag_enabled=true",
        "aparty_tag=rider",
        "bparty_tag=customer",
        r#"sms_config={"sender":"EXOTEL"}"#,
        "sticky_agent_enabled=false",
        "lcr_enabled=true",
        "default_region=KA",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let s = stdout_json(&out);
    assert_eq!(
        (
            s["tag_enabled"].as_str(),
            s["aparty_tag"].as_str(),
            s["sms_config"]["sender"].as_str(),
            s["lcr_enabled"].as_str(),
            s["default_region"].as_str()
        ),
        (
            Some("true"),
            Some("rider"),
            Some("EXOTEL"),
            Some("true"),
            Some("KA")
        )
    );
    for bad in ["deletion_time=86401", "max_deallocation_time=1s"] {
        let out = e.run(&["settings", "set", bad]);
        assert_eq!(code(&out), 2, "{bad}");
        let key = bad.split('=').next().unwrap();
        assert!(stderr(&out).contains(key), "{bad}: {}", stderr(&out));
    }
    assert_eq!(code(&e.run(&["settings", "set", "timezone"])), 2);
    assert_eq!(code(&e.run(&["settings", "set", "deletion_time=soon"])), 2);
    let bogus = e.run(&["settings", "set", "bogus=1"]);
    assert_eq!(code(&bogus), 2);
    assert!(
        stderr(&bogus).contains("bogus: not a GreenPin setting"),
        "{}",
        stderr(&bogus)
    );
    let yes = e.run(&["settings", "set", "intl_num_sup=yes"]);
    assert_eq!(code(&yes), 2);
    assert!(stderr(&yes).contains("intl_num_sup: "), "{}", stderr(&yes));
    // Refused before sending, by the same rule the service applies.
    assert_eq!(code(&e.run(&["settings", "set", "timezone=PST"])), 2);
}

/// The command built without its server (`--no-default-features`) has neither `demo` nor
/// `listen`, and says so as a usage error rather than failing later.
#[cfg(not(any(feature = "demo", feature = "listen")))]
#[test]
fn without_its_server_the_command_has_no_demo_and_no_listen() {
    let e = env();
    for command in ["demo", "listen"] {
        let out = e.run(&[command]);
        assert_eq!(code(&out), 2, "{command}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("unrecognized subcommand '{command}'")),
            "{command}: {}",
            stderr(&out)
        );
    }
}

#[cfg(feature = "demo")]
#[test]
fn completions_and_demo() {
    let e = env();
    let out = e.run(&["completions", "bash"]);
    assert_eq!(code(&out), 0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("bulk-update"));
    let out = Command::new(env!("CARGO_BIN_EXE_greenpin"))
        .env_clear()
        .arg("demo")
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "connected to +919956555625",
        "refused (wrong_pin)",
        "connected to +917987686144",
        "state vault",
        "refused (not_active)",
        "refused, 409 code 19",
        "600 s later: created",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

#[test]
fn verbose_tracing_never_shows_the_token() {
    let e = env();
    let id = e.create("v", "7987686144");
    for v in ["-v", "-vv", "-vvv"] {
        let out = e.run(&[v, "get", id.as_str()]);
        assert_eq!(code(&out), 0);
        if v == "-vvv" {
            assert!(
                stderr(&out).contains("greenpin.call"),
                "no tracing at -vvv: {}",
                stderr(&out)
            );
        }
        e.run(&[v, "get", "missing-id"]);
        e.run(&[v, "--api-token", "other-token", "get", "x"]);
    }
    // Help texts do not show the environment's token either.
    e.run(&["--help"]);
    e.run(&["update", "--help"]);
}

#[test]
fn text_from_the_service_cannot_drive_the_terminal() {
    let e = env();
    let url = answering(
        404,
        "{\"success\":false,\"status\":404,\"code\":1,\"message\":\"gone\\u001b]0;pwned\\u0007\\u001b[2J\",\"data\":null}",
    );
    let out = e
        .cmd()
        .env("GREENPIN_BASE_URL", &url)
        .args(["get", "g-1"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 3);
    let err = stderr(&out);
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
    assert!(err.contains("\\u001b]0;pwned"), "{err}");
    // JSON output stays exact JSON, escapes and all.
    let out = e
        .cmd()
        .env("GREENPIN_BASE_URL", &url)
        .args(["--json", "get", "g-1"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["error"]["api_message"],
        "gone\u{1b}]0;pwned\u{7}\u{1b}[2J"
    );
}

#[test]
fn an_absurd_timeout_is_refused_not_a_panic() {
    let e = env();
    let out = e.run(&["--timeout", "18446744073709551615s", "settings", "get"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("timeout"), "{}", stderr(&out));
}

#[test]
fn a_loopback_service_is_never_reached_through_a_proxy() {
    let e = env();
    let proxy = answering(502, "{}");
    let out = e
        .cmd()
        .env("HTTP_PROXY", &proxy)
        .env("http_proxy", &proxy)
        .env("ALL_PROXY", &proxy)
        .env("all_proxy", &proxy)
        .args(["--json", "settings", "get"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "went through the proxy: {}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["country"], "IN");
}

#[test]
fn a_closed_stdout_ends_the_command_quietly() {
    let e = env();
    for args in [
        &["completions", "zsh"][..],
        &["--json", "settings", "get"][..],
    ] {
        let mut child = e
            .cmd()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // the reader goes away before anything is written
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    }
}

#[test]
fn the_token_can_come_from_a_file_or_stdin() {
    let e = env();
    let file = e.dir.join("token");
    std::fs::write(&file, format!("{TOKEN}\n")).unwrap();
    let out = e
        .cmd()
        .env_remove("EXOTEL_API_TOKEN")
        .args([
            "--api-token-file",
            file.to_str().unwrap(),
            "settings",
            "get",
        ])
        .output()
        .unwrap();
    assert_clean(&out);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let mut child = e
        .cmd()
        .env_remove("EXOTEL_API_TOKEN")
        .args(["--api-token-file", "-", "settings", "get"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(TOKEN.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_clean(&out);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn help_groups_global_options_and_usage_shows_only_what_is_required() {
    let e = env();
    let out = e.run(&["bulk-update", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    let own = help.find("--resume").expect("the command's own option");
    let heading = help
        .find("Global options:")
        .expect("a heading for global options");
    let global = help.find("--account-sid").expect("a global option");
    assert!(own < heading && heading < global, "{help}");
    let out = e.run(&["settings", "set", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    let usage = help.lines().find(|l| l.starts_with("Usage:")).unwrap();
    assert_eq!(usage, "Usage: greenpin settings set [OPTIONS] <PAIRS>...");
}

#[cfg(feature = "listen")]
#[test]
fn listen_registers_itself_prints_events_and_refuses_forgeries() {
    use std::io::BufRead;
    let e = env();
    let mut child = e
        .cmd()
        .args(["--json", "listen", "--register", "--count", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr_lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = stderr_lines.next().expect("listen ended early").unwrap();
        if let Some(url) = line.strip_prefix("receiving callbacks at ") {
            break url.to_owned();
        }
    };
    assert_eq!(
        e.emu
            .settings()
            .greenpin_call_complete_event_endpoint
            .as_deref(),
        Some(url.as_str())
    );
    // Forgeries: the base URL without the secret, and a guessed one.
    let base = url.rsplit_once('/').unwrap().0;
    let forged = r#"{"call_sid":"forged","greenpin_id":"x","call_type":"completed"}"#;
    assert_eq!(post_status(base, forged), 403);
    assert_eq!(
        post_status(&format!("{base}/0123456789abcdef0123"), forged),
        403
    );

    // A call and a deletion: two events, then the command ends by itself.
    let id = e
        .sdk
        .create(
            &greenpin_core::CreateSpec::new("listen-1")
                .a(greenpin_core::PartySpec::new()
                    .number("7987686144")
                    .vn("6292134471")
                    .pin("1234"))
                .b(greenpin_core::PartySpec::new().number("9956555625")),
        )
        .unwrap()
        .greenpin_id;
    let call = e
        .emu
        .simulate_call(&CallSpec::new("9956555625", "6292134471").pin("1234"))
        .unwrap();
    assert!(call.connected);
    // In order: the call's record first, then the deallocation.
    std::thread::sleep(Duration::from_millis(300));
    e.sdk.delete(&id).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_clean(&out);
    assert_eq!(code(&out), 0);
    let events: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0]["kind"], "call_completed");
    assert_eq!(events[0]["event"]["from"], "+919956555625");
    assert_eq!(events[0]["event"]["transaction_id"], "listen-1");
    assert_eq!(events[0]["fields"]["source"], "exotel");
    assert_eq!(events[1]["kind"], "deallocation");
    assert_eq!(events[1]["key"], format!("deallocation:{id}"));
    let rest: Vec<String> = stderr_lines.map_while(Result::ok).collect();
    assert!(
        rest.iter()
            .any(|l| l.contains("refused a request: the callback secret is missing or wrong")),
        "{rest:?}"
    );
}

#[cfg(feature = "demo")]
#[test]
fn demo_keep_leaves_the_dashboard_running_until_ctrl_c() {
    use std::io::{BufRead, Read};
    let e = env();
    let mut child = e
        .cmd()
        .args(["demo", "--keep"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("the demo ended early").unwrap();
        if let Some(rest) = line.strip_prefix("The emulator keeps running: dashboard at ") {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    // The page answers after the demo is over.
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut s = std::net::TcpStream::connect(host).unwrap();
    write!(
        s,
        "GET /{path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut page = String::new();
    let _ = s.read_to_string(&mut page);
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("<h1>GreenPin emulator</h1>"));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert_eq!(child.wait().unwrap().code(), Some(0));
}
