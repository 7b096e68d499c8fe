//! Who may use the emulator, checked before anything else reads a request:
//!
//! - the `/__emulator` controls answer loopback clients only;
//! - from this machine, the emulator must be named by a loopback host (DNS rebinding);
//! - the controls refuse web pages (another origin, or a state change not declared JSON)
//!   and callbacks (an emulator's callback never drives an emulator).

use std::net::SocketAddr;

use greenpin_core::ErrorCode;
use http::header;

use crate::failure::Failure;

/// The refusal for a request, if it is refused.
pub(crate) fn check(
    parts: &http::request::Parts,
    peer: SocketAddr,
    is_control: bool,
    hosts: &[String],
) -> Option<Failure> {
    // `::ffff:127.0.0.1` (a dual-stack listener's view of an IPv4 client) is loopback too.
    let local_peer = peer.ip().to_canonical().is_loopback();
    if is_control && !local_peer {
        return Some(Failure::new(
            ErrorCode::NotPermitted,
            "the /__emulator controls answer loopback clients only",
        ));
    }
    if local_peer && !names_loopback(parts, hosts) {
        return Some(Failure::new(
            ErrorCode::NotPermitted,
            "from this machine, name the emulator by a loopback host (127.0.0.1, localhost or [::1])",
        ));
    }
    if is_control {
        return refuse_cross_site(parts).or_else(|| refuse_callback(parts));
    }
    None
}

/// Whether a request names this machine by a loopback name (`localhost`, `127.0.0.1`,
/// `[::1]`, with any port), or names no host. A page of another site whose name was made
/// to resolve to 127.0.0.1 (DNS rebinding) sends its own name: from this machine, such a
/// request is refused — API and controls alike — so that no web page can use the
/// emulator's public default credentials or make it send callbacks. Clients on other
/// machines (a container network, say) may use any name; so may this machine's clients
/// the names the emulator was told to allow (`allow_host`).
fn names_loopback(parts: &http::request::Parts, hosts: &[String]) -> bool {
    let Some(h) = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
    else {
        return true;
    };
    let name = match h.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => h,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    hosts.iter().any(|h| h.eq_ignore_ascii_case(name))
        || name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

/// The controls change the emulator's state, so a web page must not drive them: a request
/// from another origin (a browser sends `Origin`), or a state-changing one whose body is
/// not declared JSON (what a page can send without a preflight), is refused (403, code 8).
fn refuse_cross_site(parts: &http::request::Parts) -> Option<Failure> {
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok());
    if let Some(origin) = parts.headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        let authority = origin.strip_prefix("http://").unwrap_or("");
        if host.is_none() || Some(authority) != host {
            return Some(Failure::new(
                ErrorCode::NotPermitted,
                format!("the /__emulator controls answer their own origin only, not {origin:?}"),
            ));
        }
    }
    let changes_state = !matches!(parts.method, http::Method::GET | http::Method::HEAD);
    let json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if changes_state && parts.method != http::Method::DELETE && !json {
        return Some(Failure::new(
            ErrorCode::NotPermitted,
            "a /__emulator control that changes state takes Content-Type: application/json",
        ));
    }
    None
}

/// A callback (it carries `X-GreenPin-Event`) never drives the controls, whichever emulator
/// sent it: two emulators' callbacks pointed at each other's controls would place calls
/// forever.
fn refuse_callback(parts: &http::request::Parts) -> Option<Failure> {
    parts.headers.contains_key("x-greenpin-event").then(|| {
        Failure::new(
            ErrorCode::NotPermitted,
            "a callback (X-GreenPin-Event) never drives the /__emulator controls",
        )
    })
}
