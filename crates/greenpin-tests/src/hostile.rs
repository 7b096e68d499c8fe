//! A hostile HTTP server on loopback for the transport tests: it answers every request
//! with one misbehaviour, read off a [`Misbehaviour`], and stops when dropped. Loops are
//! bounded in bytes and time, as every load on this machine must be.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// What the server does with each request.
#[derive(Debug, Clone)]
pub enum Misbehaviour {
    /// A 200 with a chunked body that never ends (until `limit` bytes or the client leaves).
    EndlessBody {
        /// Most bytes to send.
        limit: usize,
    },
    /// A 200 whose `Content-Length` promises more than any cap, then a little data.
    HugeContentLength,
    /// A redirect of this status to this location.
    Redirect {
        /// 301, 302, 307, 308.
        status: u16,
        /// Where to.
        location: String,
    },
    /// A body sent one byte per `every`.
    Drip {
        /// The pause between bytes.
        every: Duration,
    },
}

/// A running hostile server.
#[derive(Debug)]
pub struct Hostile {
    url: String,
    stop: Arc<AtomicBool>,
    requests: Arc<AtomicUsize>,
    bodies: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Hostile {
    /// Starts serving `how` on 127.0.0.1.
    pub fn start(how: Misbehaviour) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicUsize::new(0));
        let bodies = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (s, r, b) = (stop.clone(), requests.clone(), bodies.clone());
        thread::spawn(move || {
            let started = Instant::now();
            while !s.load(Ordering::Relaxed) && started.elapsed() < Duration::from_secs(120) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let how = how.clone();
                        let (r, b, s) = (r.clone(), b.clone(), s.clone());
                        thread::spawn(move || serve(stream, &how, &r, &b, &s));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Hostile {
            url,
            stop,
            requests,
            bodies,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Requests received so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    /// The request lines and bodies received, as text.
    pub fn received(&self) -> Vec<String> {
        self.bodies.lock().map(|b| b.clone()).unwrap_or_default()
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Serves one connection the way `how` misbehaves, request after request.
fn serve(
    stream: TcpStream,
    how: &Misbehaviour,
    requests: &AtomicUsize,
    bodies: &std::sync::Mutex<Vec<String>>,
    stop: &AtomicBool,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut out = stream;
    while let Some(request) = read_request(&mut reader) {
        requests.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut b) = bodies.lock() {
            b.push(request);
        }
        if !answer(&mut out, how, stop) {
            return;
        }
    }
}

/// One request, head and `Content-Length` body, as text; `None` when the client is gone.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<String> {
    let mut head = String::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        let end = line == "\r\n";
        head.push_str(&line);
        if end {
            break;
        }
    }
    let mut body = vec![0; length.min(1 << 20)];
    reader.read_exact(&mut body).ok()?;
    Some(format!("{head}{}", String::from_utf8_lossy(&body)))
}

/// Answers as `how` misbehaves; `false` when the connection is done.
fn answer(out: &mut TcpStream, how: &Misbehaviour, stop: &AtomicBool) -> bool {
    match how {
        Misbehaviour::EndlessBody { limit } => {
            let _ = out.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
            );
            let chunk = [b' '; 16 * 1024];
            let mut sent = 0;
            while sent < *limit && !stop.load(Ordering::Relaxed) {
                if out
                    .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                    .is_err()
                    || out.write_all(&chunk).is_err()
                    || out.write_all(b"\r\n").is_err()
                {
                    return false;
                }
                sent += chunk.len();
            }
            false
        }
        Misbehaviour::HugeContentLength => {
            let _ = out.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1099511627776\r\n\r\n{\"success\":",
            );
            thread::sleep(Duration::from_millis(200));
            false
        }
        Misbehaviour::Redirect { status, location } => {
            let reply = format!(
                "HTTP/1.1 {status} Moved\r\nlocation: {location}\r\ncontent-length: 0\r\n\r\n"
            );
            out.write_all(reply.as_bytes()).is_ok()
        }
        Misbehaviour::Drip { every } => drip(out, *every, stop),
    }
}

/// A small answer, one byte every `every`.
fn drip(out: &mut TcpStream, every: Duration, stop: &AtomicBool) -> bool {
    let body = br#"{"success":true,"status":200,"data":{"country":"IN"}}"#;
    let _ = out.write_all(
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    for byte in body {
        if stop.load(Ordering::Relaxed) || out.write_all(&[*byte]).is_err() {
            return false;
        }
        let _ = out.flush();
        thread::sleep(every);
    }
    true
}
