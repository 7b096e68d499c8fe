//! Where requests go and who sends them: the service root, the account, the credentials.

use std::fmt;
use std::net::IpAddr;

use http::{HeaderValue, Method, Request, header};

use crate::body::ValidationContext;
use crate::credentials::Credentials;
use crate::error::ConfigError;
use crate::ids::AccountSid;
use crate::phone::Country;

/// The production service root.
pub const DEFAULT_SERVICE_ROOT: &str = "https://leadassist.exotel.in";

/// The service root: scheme, host, optional port and path prefix, e.g.
/// `https://leadassist.exotel.in` (the SDK adds `/v1/tenants/{sid}/…`).
///
/// Plain `http` is refused unless the host is loopback (an emulator); credentials, a query
/// or a fragment in the URL are refused.
///
/// ```
/// # use greenpin_core::ServiceRoot;
/// assert!(ServiceRoot::parse("https://leadassist.exotel.in").is_ok());
/// assert!(ServiceRoot::parse("http://127.0.0.1:8080/").is_ok());
/// assert!(ServiceRoot::parse("http://leadassist.exotel.in").is_err());
/// assert!(ServiceRoot::parse("https://key:token@leadassist.exotel.in").is_err());
/// // Exotel documents the base with the tenant path; the SDK adds that part itself:
/// let e = ServiceRoot::parse("https://leadassist.exotel.in/v1/tenants/acme").unwrap_err();
/// assert!(e.to_string().contains("\"https://leadassist.exotel.in\""));
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ServiceRoot(String);

impl ServiceRoot {
    /// Checks a service root URL.
    pub fn parse(url: &str) -> Result<Self, ConfigError> {
        let bad = |why: &str| ConfigError::new("base_url", why.to_owned());
        let uri: http::Uri = url.trim().parse().map_err(|_| {
            bad(&format!(
                "{:?} is not a URL",
                crate::credentials::redact_userinfo(url)
            ))
        })?;
        let scheme = uri
            .scheme_str()
            .ok_or_else(|| bad("needs a scheme (https://…)"))?;
        let authority = uri.authority().ok_or_else(|| bad("needs a host"))?;
        if authority.as_str().contains('@') {
            return Err(bad(
                "must not contain credentials; they go in the Authorization header",
            ));
        }
        if uri.query().is_some() || url.contains('#') {
            return Err(bad("must not have a query or fragment"));
        }
        let host = authority.host();
        match scheme {
            "https" => {}
            "http" if is_loopback(host) => {}
            "http" => {
                return Err(bad(
                    "plain http is only allowed to a loopback host; use https",
                ));
            }
            other => return Err(bad(&format!("scheme {other:?} is not http or https"))),
        }
        let path = uri.path().trim_end_matches('/');
        if let Some(i) = path.find("/v1/tenants") {
            let root = format!("{scheme}://{authority}{}", &path[..i]);
            return Err(bad(&format!(
                "ends in {:?}: pass the service root, {root:?}; the SDK adds /v1/tenants/{{account_sid}} itself",
                &path[i..]
            )));
        }
        Ok(ServiceRoot(format!("{scheme}://{authority}{path}")))
    }

    /// The root without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the host is loopback (`localhost`, `127.0.0.0/8`, `::1`): an emulator.
    pub fn is_loopback(&self) -> bool {
        self.0
            .parse::<http::Uri>()
            .ok()
            .and_then(|u| u.host().map(is_loopback))
            .unwrap_or(false)
    }
}

impl Default for ServiceRoot {
    fn default() -> Self {
        ServiceRoot(DEFAULT_SERVICE_ROOT.to_owned())
    }
}

impl fmt::Display for ServiceRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ServiceRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServiceRoot({})", self.0)
    }
}

fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost") || h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Everything an operation needs to become a request: service root, account, credentials,
/// and the country local numbers are read in.
///
/// ```
/// # use greenpin_core::{AccountSid, ApiContext, Credentials, ServiceRoot};
/// let ctx = ApiContext::new(AccountSid::new("acme").unwrap(), Credentials::new("k", "t"))
///     .with_root(ServiceRoot::parse("http://127.0.0.1:9000").unwrap());
/// assert_eq!(ctx.root().as_str(), "http://127.0.0.1:9000");
/// assert!(!format!("{ctx:?}").contains("\"t\""));
/// ```
#[derive(Clone, Debug)]
pub struct ApiContext {
    root: ServiceRoot,
    account_sid: AccountSid,
    credentials: Credentials,
    country: Country,
    /// Whether numbers that need the metadata are checked (a client's crate's feature).
    checks_international: bool,
    user_agent: Option<HeaderValue>,
    /// `{root}/v1/tenants/{sid}`, written and parsed once rather than for every request.
    tenant: String,
    tenant_uri: http::Uri,
}

fn tenant(root: &ServiceRoot, account_sid: &AccountSid) -> (String, http::Uri) {
    let text = format!("{root}/v1/tenants/{account_sid}");
    // Invariant: a checked root and a path-safe account SID always make a URL.
    #[expect(clippy::expect_used, reason = "invariant stated above")]
    let uri = http::Uri::try_from(text.as_str()).expect("a checked URL");
    (text, uri)
}

impl ApiContext {
    /// A context for the production root, reading local numbers as Indian.
    pub fn new(account_sid: AccountSid, credentials: Credentials) -> Self {
        let root = ServiceRoot::default();
        let (tenant, tenant_uri) = tenant(&root, &account_sid);
        ApiContext {
            tenant,
            tenant_uri,
            root,
            account_sid,
            credentials,
            country: Country::IN,
            checks_international: cfg!(feature = "international-numbers"),
            user_agent: None,
        }
    }

    /// Uses another service root (staging, an emulator).
    pub fn with_root(mut self, root: ServiceRoot) -> Self {
        (self.tenant, self.tenant_uri) = tenant(&root, &self.account_sid);
        self.root = root;
        self
    }

    /// Reads local numbers in `country`.
    pub fn with_country(mut self, country: Country) -> Self {
        self.country = country;
        self
    }

    /// Sends this `User-Agent`.
    pub fn with_user_agent(mut self, ua: HeaderValue) -> Self {
        self.user_agent = Some(ua);
        self
    }

    /// The service root.
    pub fn root(&self) -> &ServiceRoot {
        &self.root
    }

    /// The account.
    pub fn account_sid(&self) -> &AccountSid {
        &self.account_sid
    }

    /// The credentials.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The country local numbers are read in.
    pub fn country(&self) -> Country {
        self.country
    }

    /// What validation of a body needs from here: the country local numbers are read in.
    /// (International numbers are let through: the account's `intl_num_sup` setting is the
    /// service's to apply.)
    pub fn validation(&self) -> ValidationContext {
        ValidationContext::new(self.country).checking_international(self.checks_international)
    }

    /// Checks numbers that need the metadata only when `on` (a client's builder sets it).
    pub(crate) fn checking_international(mut self, on: bool) -> Self {
        self.checks_international = on;
        self
    }

    /// A request with auth, `Accept`, `User-Agent` and (when there is a body)
    /// `Content-Type: application/json`.
    pub(crate) fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Request<Vec<u8>> {
        // The scheme and authority parsed once; only the path is new. Invariant: a checked
        // root and checked path segments: the parts always make a URI.
        let base = self.tenant_uri.path();
        let mut path_and_query = String::with_capacity(base.len() + path.len());
        path_and_query.push_str(base);
        path_and_query.push_str(path);
        let mut parts = http::uri::Parts::default();
        parts.scheme = self.tenant_uri.scheme().cloned();
        parts.authority = self.tenant_uri.authority().cloned();
        #[expect(clippy::expect_used, reason = "invariant stated above")]
        let uri = {
            parts.path_and_query =
                Some(http::uri::PathAndQuery::try_from(path_and_query).expect("a checked path"));
            http::Uri::from_parts(parts).expect("a checked URL")
        };
        let json = body.is_some();
        // Set in place rather than through `Request::builder`, whose checks these values
        // (typed, or static) do not need.
        let mut request = Request::new(body.unwrap_or_default());
        *request.method_mut() = method;
        *request.uri_mut() = uri;
        let headers = request.headers_mut();
        headers.reserve(4);
        headers.insert(header::AUTHORIZATION, self.credentials.authorization());
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        if let Some(ua) = &self.user_agent {
            headers.insert(header::USER_AGENT, ua.clone());
        }
        if json {
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        request
    }
}
