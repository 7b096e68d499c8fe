//! The client's TLS configuration under the `rustls` feature, built here rather than by
//! reqwest: reqwest's own `rustls` feature brings aws-lc-rs, whose C build is the longest
//! step of a cold build. This is what reqwest would build, on ring, the cryptography
//! greenpin-blocking already uses through ureq: the operating system's verifier (its
//! certificate store, with the client's own roots beside it), TLS 1.2 and 1.3, HTTP/1.1.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;

use crate::{ConfigError, RootCertificate};

/// A rustls client configuration trusting the operating system's store and `roots`.
///
/// A default provider the process installed (`CryptoProvider::install_default`) is used as
/// reqwest would use it; otherwise ring's.
pub(crate) fn config(roots: &[RootCertificate]) -> Result<rustls::ClientConfig, ConfigError> {
    let provider = CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
    let verifier = verifier(roots, provider.clone())?;
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConfigError::new("tls", format!("no TLS version in common: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tls)
}

fn verifier(
    roots: &[RootCertificate],
    provider: Arc<CryptoProvider>,
) -> Result<rustls_platform_verifier::Verifier, ConfigError> {
    let unavailable = |e: rustls::Error| {
        ConfigError::new(
            "tls",
            format!("the operating system's certificate verifier is unavailable: {e}"),
        )
    };
    if roots.is_empty() {
        return rustls_platform_verifier::Verifier::new(provider).map_err(unavailable);
    }
    #[cfg(any(all(unix, not(target_os = "android")), target_os = "windows"))]
    {
        let extra = roots
            .iter()
            .map(|r| rustls::pki_types::CertificateDer::from(r.der().to_vec()));
        rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider)
            .map_err(|e| ConfigError::new("root_certificate", format!("not accepted: {e}")))
    }
    #[cfg(not(any(all(unix, not(target_os = "android")), target_os = "windows")))]
    {
        let _ = provider;
        Err(ConfigError::new(
            "root_certificate",
            "this platform's certificate verifier takes no extra roots",
        ))
    }
}
