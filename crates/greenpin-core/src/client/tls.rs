//! Which certificate authorities a client trusts, beside the operating system's.
//!
//! Both transports trust the operating system's certificate store, as browsers do, so a
//! company's TLS proxy or a private gateway whose authority is installed there just works
//! (and `SSL_CERT_FILE` / `SSL_CERT_DIR` apply on Linux). A [`RootCertificate`] adds one
//! authority for this client only. The core holds it as DER bytes, read from PEM here
//! without any crypto: checking it is the TLS library's, when the transport is built.

use std::fmt;

use base64::Engine as _;

use crate::error::ConfigError;

/// A certificate authority a client trusts beside the operating system's (see
/// [`ClientBuilder::add_root_certificate`](crate::client::ClientBuilder::add_root_certificate)).
///
/// ```
/// # use greenpin_core::RootCertificate;
/// let pem = "-----BEGIN CERTIFICATE-----\nMIIBAA==\n-----END CERTIFICATE-----\n";
/// let certs = RootCertificate::from_pem(pem.as_bytes())?;
/// assert_eq!(certs.len(), 1);
/// assert_eq!(certs[0].der(), [0x30, 0x82, 0x01, 0x00]);
/// assert!(RootCertificate::from_pem(b"not a certificate").is_err());
/// # Ok::<(), greenpin_core::ConfigError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct RootCertificate(Vec<u8>);

impl RootCertificate {
    /// A certificate in DER form.
    pub fn from_der(der: impl Into<Vec<u8>>) -> Self {
        RootCertificate(der.into())
    }

    /// Every `CERTIFICATE` block of a PEM file (a CA bundle may hold several); refused when
    /// there is none, or one whose base64 cannot be read.
    pub fn from_pem(pem: &[u8]) -> Result<Vec<Self>, ConfigError> {
        let refuse = |why: &str| ConfigError::new("root_certificate", why);
        let text = std::str::from_utf8(pem).map_err(|_| refuse("not PEM text"))?;
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("-----BEGIN CERTIFICATE-----") {
            let body = &rest[start + "-----BEGIN CERTIFICATE-----".len()..];
            let end = body
                .find("-----END CERTIFICATE-----")
                .ok_or_else(|| refuse("a certificate block has no END line"))?;
            let b64: String = body[..end].split_whitespace().collect();
            let der = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|_| refuse("a certificate block is not base64"))?;
            out.push(RootCertificate(der));
            rest = &body[end..];
        }
        if out.is_empty() {
            return Err(refuse(
                "no PEM certificate (-----BEGIN CERTIFICATE-----) found",
            ));
        }
        Ok(out)
    }

    /// The certificate, DER-encoded.
    pub fn der(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for RootCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RootCertificate({} bytes)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundle_gives_every_certificate_and_rubbish_is_refused() {
        let bundle = "junk\n-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n\
                      -----BEGIN CERTIFICATE-----\nBAUG\nBwg=\n-----END CERTIFICATE-----\n";
        let certs = RootCertificate::from_pem(bundle.as_bytes()).unwrap();
        let ders: Vec<&[u8]> = certs.iter().map(RootCertificate::der).collect();
        assert_eq!(ders, [&[1u8, 2, 3][..], &[4, 5, 6, 7, 8][..]]);
        for bad in [
            &b"-----BEGIN CERTIFICATE-----\nAQID\n"[..],
            b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----",
            b"\xff\xfe",
            b"",
        ] {
            let e = RootCertificate::from_pem(bad).unwrap_err();
            assert_eq!(e.setting(), "root_certificate", "{e}");
        }
        assert_eq!(format!("{:?}", certs[1]), "RootCertificate(5 bytes)");
    }
}
