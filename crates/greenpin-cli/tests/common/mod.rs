//! Helpers shared by the command's process tests: an emulator, a command aimed at it, and
//! readers of what the command printed and wrote.
#![allow(dead_code, reason = "each test binary uses a different part")]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

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

pub(crate) fn write_rows(path: &Path, rows: &[String]) {
    std::fs::write(path, rows.join("\n") + "\n").unwrap();
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

/// A one-shot loopback server that answers every request with `status` and `body`.
pub(crate) fn answering(status: u16, body: &'static str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(8).flatten() {
            let mut stream = stream;
            let mut buf = [0u8; 8192];
            let _ = std::io::Read::read(&mut stream, &mut buf);
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
