//! Helpers shared by the command's process tests: an emulator, a command aimed at it, a
//! `bulk-update` run described in one line, and readers of what the command printed and
//! wrote.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use greenpin_core::{CreateSpec, GreenPinId, PartySpec};
use greenpin_emulator::{BlockingEmulator, EmulatorConfig};
use serde_json::Value;

pub(crate) const TOKEN: &str = "canary-cli-token-3f9e1b";

pub(crate) struct Env {
    pub(crate) emu: BlockingEmulator,
    pub(crate) sdk: greenpin_blocking::Client,
    pub(crate) dir: std::path::PathBuf,
}

pub(crate) fn env() -> Env {
    let emu = BlockingEmulator::try_start(EmulatorConfig::new().api_token(TOKEN)).unwrap();
    let sdk = greenpin_blocking::Client::builder()
        .base_url(emu.base_url())
        .account_sid(emu.account_sid())
        .credentials(emu.credentials().key().clone(), TOKEN)
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!(
        "greenpin-cli-test-{}-{}",
        std::process::id(),
        emu.addr().port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    Env { emu, sdk, dir }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Env {
    pub(crate) fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_greenpin"));
        c.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("GREENPIN_BASE_URL", self.emu.base_url())
            .env("EXOTEL_ACCOUNT_SID", self.emu.account_sid())
            .env("EXOTEL_API_KEY", self.emu.credentials().key().expose())
            .env("EXOTEL_API_TOKEN", TOKEN);
        c
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        let out = self.cmd().args(args).output().unwrap();
        assert_clean(&out);
        out
    }

    pub(crate) fn create(&self, tx: &str, number: &str) -> GreenPinId {
        self.sdk
            .create(&CreateSpec::new(tx).a(PartySpec::new().number(number).vn("6292134471")))
            .unwrap()
            .greenpin_id
    }

    /// `n` allocations to update, created through the SDK.
    pub(crate) fn allocations(&self, prefix: &str, n: usize) -> Vec<GreenPinId> {
        (0..n)
            .map(|i| self.create(&format!("{prefix}{i}"), &format!("72{i:08}")))
            .collect()
    }

    /// A file in this test's directory holding `contents`.
    pub(crate) fn file(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// An NDJSON file of `rows`, one per line.
    pub(crate) fn rows<R: std::fmt::Display>(
        &self,
        name: &str,
        rows: impl IntoIterator<Item = R>,
    ) -> PathBuf {
        let text: String = rows.into_iter().map(|r| format!("{r}\n")).collect();
        self.file(name, text)
    }

    /// `greenpin bulk-update <input>`, to be given more arguments.
    pub(crate) fn bulk(&self, input: &Path) -> Bulk<'_> {
        Bulk {
            env: self,
            args: vec!["bulk-update".into(), input.to_str().unwrap().into()],
            extra_env: Vec::new(),
        }
    }

    /// `bulk-update` of one `"usage":"oneway"` row per id (`NAME.ndjson`) against the
    /// service at `url`, recording to `NAME-results.ndjson`: the output and that path.
    pub(crate) fn bulk_against(&self, url: &str, name: &str, ids: &[&str]) -> (Output, PathBuf) {
        let input = self.rows(
            &format!("{name}.ndjson"),
            ids.iter()
                .map(|id| format!(r#"{{"greenpin_id":"{id}","usage":"oneway"}}"#)),
        );
        let results = self.dir.join(format!("{name}-results.ndjson"));
        let out = self
            .bulk(&input)
            .results(&results)
            .env("GREENPIN_BASE_URL", url)
            .run();
        (out, results)
    }

    /// The greenpin ids of every bulk item the emulator received, in order.
    pub(crate) fn bulk_items_sent(&self) -> Vec<String> {
        self.bulk_batches_sent().into_iter().flatten().collect()
    }

    /// The greenpin ids of each bulk request the emulator received, one list per request.
    pub(crate) fn bulk_batches_sent(&self) -> Vec<Vec<String>> {
        self.emu
            .requests()
            .iter()
            .filter(|r| r.method == "PUT" && r.path.ends_with("/greenpin"))
            .map(|r| {
                let body: Value = serde_json::from_str(&r.body).unwrap();
                body["greenpins"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i["greenpin_id"].as_str().unwrap().to_owned())
                    .collect()
            })
            .collect()
    }
}

/// One `greenpin bulk-update` run: its arguments, then `run` (wait for it) or `spawn`.
pub(crate) struct Bulk<'e> {
    env: &'e Env,
    args: Vec<String>,
    extra_env: Vec<(&'static str, String)>,
}

impl Bulk<'_> {
    /// `--results <path>`.
    pub(crate) fn results(self, path: &Path) -> Self {
        self.args(["--results", path.to_str().unwrap()])
    }

    /// `--results <path> --resume`.
    pub(crate) fn resume(self, path: &Path) -> Self {
        self.results(path).args(["--resume"])
    }

    /// `--concurrency <c> --batch-size <b>`.
    pub(crate) fn pace(self, concurrency: u32, batch_size: u32) -> Self {
        self.args([
            "--concurrency",
            &concurrency.to_string(),
            "--batch-size",
            &batch_size.to_string(),
        ])
    }

    pub(crate) fn args<'a>(mut self, args: impl IntoIterator<Item = &'a str>) -> Self {
        self.args.extend(args.into_iter().map(str::to_owned));
        self
    }

    /// `--json` before the subcommand: the summary as one JSON object.
    pub(crate) fn json(mut self) -> Self {
        self.args.insert(0, "--json".into());
        self
    }

    pub(crate) fn env(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.extra_env.push((name, value.into()));
        self
    }

    fn command(&self) -> Command {
        let mut c = self.env.cmd();
        c.args(&self.args);
        for (name, value) in &self.extra_env {
            c.env(name, value);
        }
        c
    }

    /// Runs to the end; checks nothing printed holds a secret.
    pub(crate) fn run(&self) -> Output {
        let out = self.command().output().unwrap();
        assert_clean(&out);
        out
    }

    /// Starts the run with stdout and stderr captured, to be signalled and then waited
    /// for with `wait_with_output` (which reads both pipes while it waits).
    pub(crate) fn spawn(&self) -> Child {
        self.spawn_with(Stdio::piped())
    }

    /// Starts the run with stderr thrown away, for a run watched until it exits without
    /// its pipes being read (a full stderr pipe would stall it). Stdout holds the summary.
    pub(crate) fn spawn_quiet(&self) -> Child {
        self.spawn_with(Stdio::null())
    }

    fn spawn_with(&self, stderr: Stdio) -> Child {
        self.command()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap()
    }
}

/// Polls `done` every 10 ms until it holds, failing with `what` after `limit`.
pub(crate) fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Sends `signal` (`-INT`, `-TERM`) to the child with `kill`, as a terminal would.
pub(crate) fn signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// NDJSON rows setting `usage` on each allocation.
pub(crate) fn usage_rows(ids: &[GreenPinId], usage: &str) -> Vec<String> {
    ids.iter()
        .map(|id| format!(r#"{{"greenpin_id":"{id}","usage":"{usage}"}}"#))
        .collect()
}

/// Nothing the command prints holds the token or its Basic encoding.
pub(crate) fn assert_clean(out: &Output) {
    for stream in [&out.stdout, &out.stderr] {
        let text = String::from_utf8_lossy(stream);
        assert!(
            !text.contains(TOKEN) && !text.contains("Y2FuYXJ5"),
            "secret leaked:\n{text}"
        );
    }
}

pub(crate) fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

pub(crate) fn stdout_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub(crate) fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The outcome recorded for each greenpin id in a results file.
pub(crate) fn outcomes(path: &Path) -> std::collections::HashMap<String, String> {
    read_results(path)
        .into_iter()
        .map(|r| {
            (
                r["greenpin_id"].as_str().unwrap().to_owned(),
                r["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The row outcomes of a results file (its header line left out).
pub(crate) fn read_results(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("outcome").is_some())
        .collect()
}

/// The greenpin ids a results file's intents name whose rows have no outcome recorded in
/// the same run: sent, and never settled.
pub(crate) fn sent_unsettled(path: &Path) -> std::collections::HashSet<String> {
    let lines: Vec<Value> = std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect();
    let mut open = std::collections::HashMap::<(String, u64), u32>::new();
    for line in &lines {
        let run = line["run"].as_u64().unwrap_or(0);
        if let Some(sent) = line["sent"].as_array() {
            for row in sent {
                *open
                    .entry((row[1].as_str().unwrap().to_owned(), run))
                    .or_default() += 1;
            }
        } else if let Some(key) = line["key"].as_str()
            && let Some(n) = open.get_mut(&(key.to_owned(), run))
        {
            *n = n.saturating_sub(1);
        }
    }
    let ids: std::collections::HashMap<String, String> = lines
        .iter()
        .filter_map(|l| l["sent"].as_array())
        .flatten()
        .map(|r| {
            // Each row an intent names: [line, key, greenpin_id].
            (
                r[1].as_str().unwrap().to_owned(),
                r[2].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    open.into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|((key, _), _)| ids[&key].clone())
        .collect()
}

/// A one-shot loopback server that answers every request with `status` and `body`.
pub(crate) fn answering(status: u16, body: impl Into<String>) -> String {
    let body: String = body.into();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(64).flatten() {
            let mut stream = stream;
            // The whole request first: closing with some of it unread resets the
            // connection, and the client would see a broken answer instead of this one.
            read_request(&mut stream);
            let _ = stream.write_all(
                format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            );
        }
    });
    url
}

/// Reads one HTTP/1.1 request: its head, then as many bytes as its `content-length` says.
fn read_request(stream: &mut std::net::TcpStream) {
    use std::io::Read;
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    let body_from = loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
        if let Some(at) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&got[..body_from]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while got.len() < body_from + length {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// POSTs `body` to `url` (plain http on loopback) and returns the status code.
#[cfg(feature = "listen")]
pub(crate) fn post_status(url: &str, body: &str) -> u16 {
    use std::io::Read;
    use std::io::Write;
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut s = std::net::TcpStream::connect(host).unwrap();
    write!(
        s,
        "POST /{path} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// A running `greenpin listen`: the process, the URL it printed, what it said before that,
/// and the rest of its stderr to read.
#[cfg(feature = "listen")]
pub(crate) struct Listening {
    pub(crate) child: Child,
    pub(crate) url: String,
    pub(crate) said: Vec<String>,
    pub(crate) stderr: std::io::Lines<std::io::BufReader<std::process::ChildStderr>>,
}

#[cfg(feature = "listen")]
impl Env {
    /// Starts `greenpin [global] listen ARGS` and waits for the URL it receives at.
    pub(crate) fn listen(&self, global: &[&str], args: &[&str]) -> Listening {
        use std::io::BufRead;
        let mut child = self
            .cmd()
            .args(global)
            .arg("listen")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
        let mut said = Vec::new();
        let url = loop {
            let line = stderr
                .next()
                .unwrap_or_else(|| panic!("listen ended early: {said:?}"))
                .unwrap();
            if let Some(url) = line.strip_prefix("receiving callbacks at ") {
                break url.to_owned();
            }
            said.push(line);
        };
        Listening {
            child,
            url,
            said,
            stderr,
        }
    }
}

#[cfg(feature = "listen")]
impl Listening {
    /// Waits for the process; its exit code, and everything else it said on stderr.
    pub(crate) fn finish(mut self) -> (i32, Vec<String>, String) {
        let rest: Vec<String> = self.stderr.by_ref().map_while(Result::ok).collect();
        let mut stdout = String::new();
        if let Some(mut out) = self.child.stdout.take() {
            let _ = std::io::Read::read_to_string(&mut out, &mut stdout);
        }
        let status = self.child.wait().unwrap();
        let mut said = self.said;
        said.extend(rest);
        (status.code().unwrap_or(-1), said, stdout)
    }
}
