//! Outgoing callbacks: call-completed and deallocation payloads POSTed to the account's
//! `greenpin_call_complete_event_endpoint` — only when it is a loopback `http` URL, since
//! an emulator must never reach beyond the machine.

use std::net::IpAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Uri, header};
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::store::Event;

const CALLBACK_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether the emulator will deliver to `url`.
pub(crate) fn deliverable(url: &str) -> Option<(Uri, String)> {
    let uri: Uri = url.parse().ok()?;
    if uri.scheme_str() != Some("http") {
        return None;
    }
    let authority = uri.authority()?;
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        return None;
    }
    let addr = format!(
        "{}:{}",
        if host.eq_ignore_ascii_case("localhost") {
            "127.0.0.1"
        } else {
            authority.host()
        },
        authority.port_u16().unwrap_or(80)
    );
    Some((uri, addr))
}

/// POSTs each event to `url`, in order, one connection each; failures are dropped (the
/// real service does not promise delivery either).
pub(crate) async fn deliver(url: String, events: Vec<Event>) {
    let Some((uri, addr)) = deliverable(&url) else {
        return;
    };
    for event in events {
        let (kind, body) = match &event {
            Event::CallCompleted(c) => ("call_completed", serde_json::to_vec(c)),
            Event::Deallocated(d) => ("deallocation", serde_json::to_vec(d)),
        };
        let Ok(body) = body else { continue };
        let _ = tokio::time::timeout(CALLBACK_TIMEOUT, post(&uri, &addr, kind, body)).await;
    }
}

async fn post(
    uri: &Uri,
    addr: &str,
    kind: &str,
    body: Vec<u8>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let stream = TcpStream::connect(addr).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let req = Request::post(path)
        .header(
            header::HOST,
            uri.authority().map(|a| a.as_str()).unwrap_or("localhost"),
        )
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-greenpin-event", kind)
        .body(Full::new(Bytes::from(body)))?;
    let _ = sender.send_request(req).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_http_is_delivered() {
        assert!(deliverable("http://127.0.0.1:9000/hook").is_some());
        assert!(deliverable("http://localhost:9000/hook").is_some());
        assert!(deliverable("http://[::1]:9000/hook").is_some());
        assert!(deliverable("http://10.0.0.1/hook").is_none());
        assert!(deliverable("https://127.0.0.1/hook").is_none());
        assert!(deliverable("http://example.com/hook").is_none());
    }
}
