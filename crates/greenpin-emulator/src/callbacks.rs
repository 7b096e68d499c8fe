//! Outgoing callbacks: call-completed and deallocation payloads POSTed to the account's
//! `greenpin_call_complete_event_endpoint` — only when it is a loopback `http` URL, since
//! an emulator must never reach beyond the machine.
//!
//! As documented: the call record's fields by the names of Exotel's callback table
//! (`transation_id` included, spelt as the table spells it), `source: "exotel"`, JSON or
//! form-encoded ([`CallbackEncoding`]). Userinfo in the URL is sent as `Authorization:
//! Basic`, as HTTP clients do.

use std::net::IpAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Uri, header};
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::CallbackEncoding;
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
pub(crate) async fn deliver(url: String, events: Vec<Event>, encoding: CallbackEncoding) {
    let Some((uri, addr)) = deliverable(&url) else {
        return;
    };
    for event in events {
        let Some((kind, content_type, body)) = encode(&event, encoding) else {
            continue;
        };
        let _ = tokio::time::timeout(
            CALLBACK_TIMEOUT,
            post(&uri, &addr, kind, content_type, body),
        )
        .await;
    }
}

/// An event's kind, content type and body.
pub(crate) fn encode(
    event: &Event,
    encoding: CallbackEncoding,
) -> Option<(&'static str, &'static str, Vec<u8>)> {
    let (kind, value) = match event {
        Event::CallCompleted(c) => ("call_completed", serde_json::to_value(c).ok()?),
        Event::Deallocated(d) => ("deallocation", serde_json::to_value(d).ok()?),
    };
    let serde_json::Value::Object(mut fields) = value else {
        return None;
    };
    // The call record's fields by the names of Exotel's callback table.
    if kind == "call_completed"
        && let Some(tx) = fields.remove("transaction_id")
    {
        fields.insert("transation_id".into(), tx);
    }
    Some(match encoding {
        CallbackEncoding::Json => (kind, "application/json", serde_json::to_vec(&fields).ok()?),
        CallbackEncoding::Form => {
            let mut form = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &fields {
                match v {
                    serde_json::Value::Null => {}
                    serde_json::Value::String(s) => {
                        form.append_pair(k, s);
                    }
                    other => {
                        form.append_pair(k, &other.to_string());
                    }
                }
            }
            (
                kind,
                "application/x-www-form-urlencoded",
                form.finish().into_bytes(),
            )
        }
    })
}

async fn post(
    uri: &Uri,
    addr: &str,
    kind: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let stream = TcpStream::connect(addr).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let authority = uri.authority().map(|a| a.as_str()).unwrap_or("localhost");
    let (userinfo, host) = match authority.rsplit_once('@') {
        Some((userinfo, host)) => (Some(userinfo), host),
        None => (None, authority),
    };
    let mut req = Request::post(path)
        .header(header::HOST, host)
        .header(header::CONTENT_TYPE, content_type)
        .header("x-greenpin-event", kind);
    if let Some(userinfo) = userinfo {
        use base64::Engine;
        let decoded = percent_decode(userinfo);
        req = req.header(
            header::AUTHORIZATION,
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(decoded)
            ),
        );
    }
    let req = req.body(Full::new(Bytes::from(body)))?;
    let _ = sender.send_request(req).await?;
    Ok(())
}

/// Userinfo as the user meant it (`%40` is `@`).
fn percent_decode(s: &str) -> Vec<u8> {
    form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned().into_bytes())
        .unwrap_or_default()
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
