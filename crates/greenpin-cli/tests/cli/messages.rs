//! A service's message reaches the terminal cut to a few hundred characters, from every
//! command, by the one function that bounds it (`greenpin_core::cut_message`); `--json`
//! and `-v` give it whole, up to 64 KiB.

use crate::common::*;

/// An error envelope whose message is a megabyte long.
fn huge_refusal(status: u16) -> String {
    let message = "m".repeat(1_000_000);
    format!(r#"{{"success":false,"status":{status},"code":5,"message":"{message}","data":null}}"#)
}

/// The longest line `out` printed, stdout and stderr alike.
fn longest_line(out: &std::process::Output) -> usize {
    format!("{}\n{}", stdout(out), stderr(out))
        .lines()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0)
}

#[test]
fn a_megabyte_message_is_a_short_line_from_every_command() {
    let e = env();
    let url = answering(400, huge_refusal(400));
    let rows = e.rows("huge.ndjson", [r#"{"greenpin_id":"g-1","usage":"oneway"}"#]);
    let commands: Vec<Vec<&str>> = vec![
        vec!["get", "g-1"],
        vec!["delete", "g-1"],
        vec!["update", "g-1", "--usage", "oneway"],
        vec![
            "create",
            "--transaction-id",
            "t",
            "--a-number",
            "7987686144",
            "--a-vn",
            "6292134471",
        ],
        vec!["settings"],
        vec!["settings", "set", "timezone=UTC"],
        vec!["bulk-update", rows.to_str().unwrap()],
    ];
    let mut reached = 0;
    for args in &commands {
        let out = e
            .cmd()
            .env("GREENPIN_BASE_URL", &url)
            .args(args)
            .output()
            .unwrap();
        assert_ne!(code(&out), 0, "{args:?}");
        let all = format!("{}{}", stdout(&out), stderr(&out));
        assert!(
            all.contains("mmmm"),
            "{args:?}: the message was not quoted: {all}"
        );
        let longest = longest_line(&out);
        assert!(longest <= 400, "{args:?}: a line of {longest} characters");
        reached += 1;
    }
    // A refusal of the credentials stops a bulk run with a line of its own: cut too.
    let url = answering(401, huge_refusal(401));
    let out = e
        .cmd()
        .env("GREENPIN_BASE_URL", &url)
        .args(["bulk-update", rows.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        stderr(&out).contains("refused the credentials"),
        "{}",
        stderr(&out)
    );
    assert!(longest_line(&out) <= 400, "{}", longest_line(&out));
    // Every command above was run and checked.
    assert_eq!(reached, 7);
}

#[test]
fn json_and_verbose_give_the_message_whole_up_to_a_bound() {
    let e = env();
    // A message of 10,000 characters: longer than a line, shorter than the bound.
    let message = "w".repeat(10_000);
    let url = answering(
        400,
        format!(r#"{{"success":false,"status":400,"code":5,"message":"{message}","data":null}}"#),
    );
    let out = e
        .cmd()
        .env("GREENPIN_BASE_URL", &url)
        .args(["--json", "get", "g-1"])
        .output()
        .unwrap();
    let json = stdout_json(&out);
    assert_eq!(json["error"]["api_message"], message.as_str());
    let out = e
        .cmd()
        .env("GREENPIN_BASE_URL", &url)
        .args(["-v", "get", "g-1"])
        .output()
        .unwrap();
    assert!(
        stderr(&out).contains(&format!("the service's message in full: {message}")),
        "{}",
        stderr(&out)
    );
    // A megabyte is given up to 64 KiB, and says how much more there was.
    let url = answering(400, huge_refusal(400));
    let out = e
        .cmd()
        .env("GREENPIN_BASE_URL", &url)
        .args(["--json", "get", "g-1"])
        .output()
        .unwrap();
    let json = stdout_json(&out);
    let given = json["error"]["api_message"].as_str().unwrap();
    assert!(given.len() < 70_000, "{} bytes", given.len());
    assert!(
        given.ends_with(&format!("… ({} more bytes)", 1_000_000 - 65_536)),
        "{}",
        &given[given.len() - 40..]
    );
    assert_eq!(json["error"]["api_message_bytes"], 1_000_000);
    assert!(stdout(&out).len() < 80_000);
}
