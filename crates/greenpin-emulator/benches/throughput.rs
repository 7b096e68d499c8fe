//! Update throughput with 100,000 live allocations, and resident memory per allocation,
//! against the limit: a bare axum handler returning a fixed JSON body, measured the same
//! way in the same run. A load generator of keep-alive HTTP/1.1 connections on loopback.
//! Then the dashboard over the same 100,000: what one `GET /__emulator/state` poll costs
//! (bytes, time, unfiltered and filtered), and the latency of API calls while a dashboard
//! polls, against the same calls with none polling.
//!
//! Run: `cargo bench -p greenpin-emulator --bench throughput` (figures: docs/BENCHMARKS.md).
//! Knobs: GREENPIN_BENCH_ALLOCATIONS (100000), GREENPIN_BENCH_SECONDS (5),
//! GREENPIN_BENCH_CONNECTIONS (16).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use greenpin_emulator::{Emulator, EmulatorConfig};
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(addr: SocketAddr) -> Sender {
    let stream = TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).ok();
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    sender
}

async fn send(sender: &mut Sender, method: &str, path: &str, auth: &str, body: String) -> u16 {
    sender.ready().await.expect("ready");
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "127.0.0.1")
        .header("authorization", auth)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let resp = sender.send_request(req).await.expect("send");
    let status = resp.status().as_u16();
    let _ = resp.into_body().collect().await;
    status
}

/// Runs `connections` loops of `make_request` for `seconds`; returns requests per second.
async fn load<F>(addr: SocketAddr, connections: u64, seconds: u64, auth: Arc<str>, make: F) -> f64
where
    F: Fn(u64) -> (String, String) + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for c in 0..connections {
        let (make, stop, done, auth) = (make.clone(), stop.clone(), done.clone(), auth.clone());
        tasks.push(tokio::spawn(async move {
            let mut sender = connect(addr).await;
            let mut i = c;
            while !stop.load(Ordering::Relaxed) {
                let (path, body) = make(i);
                let status = send(&mut sender, "PUT", &path, &auth, body).await;
                assert_eq!(status, 200, "{path}");
                done.fetch_add(1, Ordering::Relaxed);
                i += connections;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await; // warm-up
    let start_count = done.load(Ordering::Relaxed);
    let start = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let count = done.load(Ordering::Relaxed) - start_count;
    let elapsed = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    count as f64 / elapsed.as_secs_f64()
}

async fn bare_axum() -> SocketAddr {
    use axum::routing::put;
    const FIXED: &str = r#"{"request_id":"b45f20aa05f8712","method":"PUT","success":true,"status":200,"code":null,"message":null,"data":{"transaction_id":"t","greenpin_id":"d7ffd4b3-5c1e-4bda-a024-0b1d2a3b4c5d","a":{"vns":["+916292134471"],"numbers":["+917000000001"]},"b":{"vns":["+916292134471"],"numbers":[]},"usage":"oneway","state":"active","deallocation_time":"2026-11-27 12:17:09"}}"#;
    let app = axum::Router::new().route(
        "/v1/tenants/{sid}/greenpin/{id}",
        put(|| async { ([("content-type", "application/json")], FIXED) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: run small then.
    let full = std::env::args().any(|a| a == "--bench");
    let allocations = if full {
        env_or("GREENPIN_BENCH_ALLOCATIONS", 100_000)
    } else {
        1_000
    };
    let seconds = if full {
        env_or("GREENPIN_BENCH_SECONDS", 5)
    } else {
        1
    };
    let connections = env_or("GREENPIN_BENCH_CONNECTIONS", 16);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let emu = Emulator::try_start(EmulatorConfig::new()).await.unwrap();
        let addr = emu.addr();
        let auth: Arc<str> = emu.credentials().authorization().to_str().unwrap().into();
        let sid = emu.account_sid().to_owned();

                // Fill the emulator: a fifth first, then the rest, measuring resident memory in
        // between, so the growth counts live allocations only (not the runtime, the
        // connections or the journal, which is capped).
        let ids = Arc::new(std::sync::Mutex::new(Vec::with_capacity(allocations as usize)));
        let started = Instant::now();
        let first = allocations / 5;
        let mut rss_before = 0;
        for (from, to) in [(0, first), (first, allocations)] {
        if from == first {
            rss_before = rss_bytes();
        }
        let per_conn = (to - from).div_ceil(8);
        let mut tasks = Vec::new();
        for c in 0..8u64 {
            let (ids, auth, sid) = (ids.clone(), auth.clone(), sid.clone());
            tasks.push(tokio::spawn(async move {
                let mut sender = connect(addr).await;
                                for i in (from + c * per_conn)..(from + (c + 1) * per_conn).min(to) {
                    let body = format!(
                        r#"{{"transaction_id":"t{i}","a":{{"numbers":["7{:09}"],"vns":["62921344{:02}"]}},"b":{{"numbers":["9{:09}"]}}}}"#,
                        i, i % 100, i
                    );
                    sender.ready().await.unwrap();
                    let req = Request::post(format!("/v1/tenants/{sid}/greenpin"))
                        .header("host", "127.0.0.1")
                        .header("authorization", &*auth)
                        .header("content-type", "application/json")
                        .body(Full::new(Bytes::from(body)))
                        .unwrap();
                    let resp = sender.send_request(req).await.unwrap();
                    assert_eq!(resp.status(), 200);
                    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
                    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                    ids.lock().unwrap().push(v["data"]["greenpin_id"].as_str().unwrap().to_owned());
                }
            }));
        }
                for t in tasks {
            t.await.unwrap();
        }
        }
        let fill = started.elapsed();
        let ids: Arc<Vec<String>> = Arc::new(std::mem::take(&mut *ids.lock().unwrap()));
        let rss_after = rss_bytes();
                let per_alloc = (rss_after.saturating_sub(rss_before)) as f64 / (allocations - first) as f64;

        let emulator_rps = {
            let (ids, sid) = (ids.clone(), sid.clone());
            load(addr, connections, seconds, auth.clone(), move |i| {
                let id = &ids[(i.wrapping_mul(2_654_435_761) % ids.len() as u64) as usize];
                let usage = if i % 2 == 0 { "oneway" } else { "twoway" };
                (format!("/v1/tenants/{sid}/greenpin/{id}"), format!(r#"{{"usage":"{usage}"}}"#))
            })
            .await
        };
        emu.check_invariants().unwrap();
        let bare = bare_axum().await;
        let bare_rps = load(bare, connections, seconds, auth.clone(), move |i| {
            (format!("/v1/tenants/demo/greenpin/{i}"), r#"{"usage":"oneway"}"#.to_owned())
        })
        .await;

        let (polls, latencies) = dashboard(addr, &sid, auth.clone(), ids.clone()).await;

        println!("allocations created        {allocations} in {:.2?} ({:.0}/s)", fill, allocations as f64 / fill.as_secs_f64());
        for line in polls.iter().chain(&latencies) {
            println!("{line}");
        }
                println!(
            "resident memory growth     {:.1} MiB from {first} to {allocations} live: {per_alloc:.0} bytes per live allocation",
            (rss_after - rss_before) as f64 / 1048576.0
        );
        println!("update throughput          {emulator_rps:.0} req/s ({connections} connections, {seconds} s)");
        println!("bare axum fixed JSON       {bare_rps:.0} req/s (same load generator)");
        println!("emulator / bare            {:.2}", emulator_rps / bare_rps);
    });
}

/// GET `path`; the status and the body's length.
async fn fetch(sender: &mut Sender, path: &str, auth: &str) -> (u16, usize) {
    sender.ready().await.expect("ready");
    let req = Request::get(path)
        .header("host", "127.0.0.1")
        .header("authorization", auth)
        .body(Full::new(Bytes::new()))
        .unwrap();
    let resp = sender.send_request(req).await.expect("send");
    let status = resp.status().as_u16();
    let len = resp
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes().len())
        .unwrap_or(0);
    (status, len)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// The dashboard's poll over everything the emulator holds, and API latency beside it.
async fn dashboard(
    addr: SocketAddr,
    sid: &str,
    auth: Arc<str>,
    ids: Arc<Vec<String>>,
) -> (Vec<String>, Vec<String>) {
    let mut out = Vec::new();
    let mut sender = connect(addr).await;
    for (what, query) in [
        ("unfiltered", "/__emulator/state"),
        ("filtered to one", "/__emulator/state?q=t99999"),
    ] {
        let mut times = Vec::new();
        let mut size = 0;
        for _ in 0..10 {
            let start = Instant::now();
            let (status, len) = fetch(&mut sender, query, "").await;
            assert_eq!(status, 200);
            times.push(start.elapsed());
            size = len;
        }
        out.push(format!(
            "dashboard poll, {what:<16} median {:.2?}, {size} bytes",
            median(times)
        ));
    }
    let mut lat = Vec::new();
    for polling in [false, true] {
        let stop = Arc::new(AtomicBool::new(false));
        let poller = polling.then(|| {
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut sender = connect(addr).await;
                // Ten times the dashboard's own rate, to be harsh.
                while !stop.load(Ordering::Relaxed) {
                    let _ = fetch(&mut sender, "/__emulator/state", "").await;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
        });
        let mut times = Vec::new();
        let mut api = connect(addr).await;
        for i in 0..300u64 {
            let id = &ids[(i.wrapping_mul(2_654_435_761) % ids.len() as u64) as usize];
            let start = Instant::now();
            let (status, _) =
                fetch(&mut api, &format!("/v1/tenants/{sid}/greenpin/{id}"), &auth).await;
            assert_eq!(status, 200);
            times.push(start.elapsed());
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        stop.store(true, Ordering::Relaxed);
        if let Some(p) = poller {
            let _ = p.await;
        }
        let max = times.iter().max().copied().unwrap_or_default();
        lat.push(format!(
            "GET allocation, {}  median {:.2?}, max {:.2?} (300 calls)",
            if polling {
                "dashboard polling 10/s"
            } else {
                "no dashboard          "
            },
            median(times),
            max
        ));
    }
    (out, lat)
}
