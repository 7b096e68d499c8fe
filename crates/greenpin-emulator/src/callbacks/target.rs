//! Where the emulator delivers callbacks, and where it never does.
//!
//! The endpoint is the account's `greenpin_call_complete_event_endpoint`, which any client
//! with the (public, default) credentials can set. So the emulator sends only plain `http`
//! to an IP address or `localhost` (it resolves no names), and:
//!
//! - never to itself — its own port on any local address, any path — nor to any path under
//!   `/__emulator/`: a callback that drove the controls could place the call that fires it,
//!   forever;
//! - when it listens on loopback only, to loopback addresses only;
//! - when it listens beyond loopback (a container network), only to the targets the user
//!   allowed (`--allow-callback-target`), since anyone who can reach it could otherwise make
//!   it POST to any port of the host.
//!
//! A callback it does not deliver is recorded `not_sent`, with the reason.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use http::Uri;

/// What the emulator may deliver to.
#[derive(Debug, Clone)]
pub(crate) struct TargetPolicy {
    /// The emulator's own listening address.
    pub(crate) own: SocketAddr,
    /// Targets the user allowed; empty: any loopback address (when listening on loopback).
    pub(crate) allowed: Vec<SocketAddr>,
}

/// A deliverable endpoint.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) addr: SocketAddr,
    /// `Host` header: the authority without userinfo.
    pub(crate) host: String,
    /// Path and query.
    pub(crate) path: String,
    /// Userinfo, percent-decoded, sent as Basic.
    pub(crate) userinfo: Option<Vec<u8>>,
}

impl TargetPolicy {
    fn listens_on_loopback(&self) -> bool {
        self.own.ip().to_canonical().is_loopback()
    }

    /// The target `url` names, or why the emulator does not deliver there.
    pub(crate) fn resolve(&self, url: &str) -> Result<Target, String> {
        let uri: Uri = url
            .parse()
            .map_err(|_| "the endpoint is not a URL".to_owned())?;
        if uri.scheme_str() != Some("http") {
            return Err(
                "the emulator delivers over plain http only (it has no TLS client); register an http:// endpoint on this machine"
                    .into(),
            );
        }
        let authority = uri.authority().ok_or("the endpoint has no host")?;
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let ip: IpAddr = if host.eq_ignore_ascii_case("localhost") {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            host.parse::<IpAddr>()
                .map_err(|_| {
                    format!("the endpoint names the host {host:?}; the emulator resolves no names and delivers to an IP address or localhost only")
                })?
                .to_canonical()
        };
        let addr = SocketAddr::new(ip, authority.port_u16().unwrap_or(80));
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let own = self.own;
        let own_ip = own.ip().to_canonical();
        let local = ip.is_loopback() || ip.is_unspecified() || ip == own_ip;
        if addr.port() == own.port() && (local || own_ip.is_unspecified()) {
            return Err(format!(
                "the endpoint is the emulator itself ({addr}): a callback never reaches the emulator"
            ));
        }
        if uri.path().starts_with("/__emulator") {
            return Err(
                "the endpoint is an emulator's /__emulator control: a callback never drives an emulator"
                    .into(),
            );
        }
        if !self.allowed.is_empty() {
            if !self.allowed.contains(&addr) {
                return Err(format!(
                    "{addr} is not among the callback targets allowed (--allow-callback-target)"
                ));
            }
        } else if !self.listens_on_loopback() {
            return Err(format!(
                "the emulator listens beyond loopback ({own}), so it delivers only to targets allowed with --allow-callback-target"
            ));
        } else if !ip.is_loopback() {
            return Err(format!(
                "{ip} is not a loopback address; the emulator delivers to this machine only"
            ));
        }
        let full = authority.as_str();
        let (userinfo, host_header) = match full.rsplit_once('@') {
            Some((userinfo, host)) => (Some(percent_decode(userinfo)), host.to_owned()),
            None => (None, full.to_owned()),
        };
        Ok(Target {
            addr,
            host: host_header,
            path,
            userinfo,
        })
    }
}

/// Userinfo as the user meant it (`%40` is `@`).
fn percent_decode(s: &str) -> Vec<u8> {
    form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned().into_bytes())
        .unwrap_or_default()
}

/// A URL as the emulator shows it: userinfo and a `greenpin_secret` query value (where a
/// callback secret is carried) replaced. A secret in the path cannot be told from the
/// path, and is shown.
pub(crate) fn shown_url(url: &str) -> String {
    let mut shown = greenpin_core::wire::redact_userinfo(url);
    if let Some(at) = shown.find("greenpin_secret=") {
        let start = at + "greenpin_secret=".len();
        let end = shown[start..].find('&').map_or(shown.len(), |i| start + i);
        shown.replace_range(start..end, "***");
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(own: &str, allowed: &[&str]) -> TargetPolicy {
        TargetPolicy {
            own: own.parse().unwrap(),
            allowed: allowed.iter().map(|a| a.parse().unwrap()).collect(),
        }
    }

    #[test]
    fn a_loopback_emulator_delivers_to_loopback_but_never_to_itself() {
        let p = policy("127.0.0.1:4010", &[]);
        assert!(p.resolve("http://127.0.0.1:9000/hook").is_ok());
        assert!(p.resolve("http://localhost:9000/hook").is_ok());
        assert!(p.resolve("http://[::1]:9000/hook").is_ok());
        for own in [
            "http://127.0.0.1:4010/__emulator/calls",
            "http://127.0.0.1:4010/anything",
            "http://localhost:4010/x",
            "http://127.0.0.2:4010/x",
            "http://[::ffff:127.0.0.1]:4010/x",
            "http://0.0.0.0:4010/x",
        ] {
            let why = p.resolve(own).unwrap_err();
            assert!(why.contains("itself"), "{own}: {why}");
        }
        let why = p
            .resolve("http://127.0.0.1:4011/__emulator/calls")
            .unwrap_err();
        assert!(why.contains("control"), "{why}");
        assert!(p.resolve("http://10.0.0.1/hook").is_err());
        assert!(p.resolve("https://127.0.0.1/hook").is_err());
        assert!(p.resolve("http://example.com/hook").is_err());
    }

    #[test]
    fn beyond_loopback_only_allowed_targets_are_delivered() {
        let open = policy("0.0.0.0:4010", &[]);
        assert!(open.resolve("http://127.0.0.1:9000/hook").is_err());
        let allowed = policy("0.0.0.0:4010", &["127.0.0.1:9000", "10.0.0.5:80"]);
        assert!(allowed.resolve("http://127.0.0.1:9000/hook").is_ok());
        assert!(allowed.resolve("http://10.0.0.5/hook").is_ok());
        assert!(allowed.resolve("http://127.0.0.1:9001/hook").is_err());
        // Even an allowed address is refused when it is the emulator's own port.
        let own = policy("0.0.0.0:4010", &["10.0.0.5:4010"]);
        assert!(
            own.resolve("http://10.0.0.5:4010/x")
                .unwrap_err()
                .contains("itself")
        );
        // Listening on one address: its port there is itself, the same port on another
        // host is not.
        let one = policy("10.0.0.7:4010", &["10.0.0.7:4010", "10.0.0.8:4010"]);
        assert!(
            one.resolve("http://10.0.0.7:4010/x")
                .unwrap_err()
                .contains("itself")
        );
        assert_eq!(
            one.resolve("http://10.0.0.8:4010/x").map(|t| t.addr),
            Ok("10.0.0.8:4010".parse().unwrap())
        );
    }

    #[test]
    fn userinfo_is_decoded_and_hidden_when_shown() {
        let t = policy("127.0.0.1:1", &[])
            .resolve("http://greenpin:s%40cret@127.0.0.1:9/hook?x=1")
            .unwrap();
        assert_eq!(t.userinfo.as_deref(), Some(&b"greenpin:s@cret"[..]));
        assert_eq!(t.host, "127.0.0.1:9");
        assert_eq!(t.path, "/hook?x=1");
        assert_eq!(
            shown_url("http://u:p@h/x?greenpin_secret=abc&y=1"),
            "http://[redacted]@h/x?greenpin_secret=***&y=1"
        );
    }
}
