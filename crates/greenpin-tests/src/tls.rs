//! HTTPS as users meet it in production, on loopback: a certificate authority made for the
//! test ([`TestCa`]), and a TLS front ([`TlsFront`]) that terminates TLS with a certificate
//! it signed and passes the bytes on to a plain-HTTP server (an emulator). The clients then
//! speak HTTPS to `https://127.0.0.1:PORT`, through their own TLS stacks, with the trust
//! store they use in production.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};

/// A name that is not this machine's, for a service a test reaches through
/// [`ConnectProxy`]: `https://greenpin.test` is a remote service to a client.
pub const REMOTE_NAME: &str = "greenpin.test";

/// A certificate authority made for one test, and a server certificate for `127.0.0.1`,
/// `localhost` and [`REMOTE_NAME`] it signed.
pub struct TestCa {
    /// The authority's certificate, PEM: what a client must trust.
    pub ca_pem: String,
    server_der: CertificateDer<'static>,
    server_key: PrivatePkcs8KeyDer<'static>,
}

impl TestCa {
    /// A fresh authority and server certificate.
    pub fn new() -> TestCa {
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "greenpin-rs test CA");
        let ca_pem = ca.self_signed(&ca_key).expect("CA certificate").pem();
        let issuer = Issuer::new(ca, ca_key);
        let server_key = KeyPair::generate().expect("server key");
        let server = CertificateParams::new(vec![
            "127.0.0.1".to_owned(),
            "localhost".to_owned(),
            REMOTE_NAME.to_owned(),
        ])
        .expect("server params")
        .signed_by(&server_key, &issuer)
        .expect("server certificate");
        TestCa {
            ca_pem,
            server_der: server.der().clone(),
            server_key: PrivatePkcs8KeyDer::from(server_key.serialize_der()),
        }
    }

    /// Writes the authority's certificate to `dir/name`, for `SSL_CERT_FILE` or a CLI flag.
    pub fn write_ca(&self, dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, &self.ca_pem).expect("write the CA certificate");
        path
    }
}

impl Default for TestCa {
    fn default() -> Self {
        TestCa::new()
    }
}

/// A TLS front on `127.0.0.1:PORT` for `target`, serving `ca`'s server certificate. Stops
/// when dropped.
pub struct TlsFront {
    /// `https://127.0.0.1:PORT`.
    pub base_url: String,
    /// Where it listens.
    pub addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
}

impl TlsFront {
    /// Starts a front for the plain-HTTP server at `target`.
    pub fn start(ca: &TestCa, target: SocketAddr) -> TlsFront {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![ca.server_der.clone()],
                PrivateKeyDer::Pkcs8(ca.server_key.clone_key()),
            )
            .expect("server certificate and key");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("address");
        let port = addr.port();
        runtime.spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    // A failed handshake (an untrusting client) just ends the connection.
                    let Ok(mut tls) = acceptor.accept(socket).await else {
                        return;
                    };
                    let Ok(mut plain) = TcpStream::connect(target).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
        TlsFront {
            base_url: format!("https://127.0.0.1:{port}"),
            addr,
            runtime: Some(runtime),
        }
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// An HTTP proxy on loopback that answers every `CONNECT` by tunnelling to `target` (a
/// [`TlsFront`], say), whatever host it names: with `HTTPS_PROXY` pointing at it, a client
/// reaches `https://greenpin.test` — a service that is not on this machine, as far as the
/// client can tell — and the test's server answers. It counts the tunnels it opened.
pub struct ConnectProxy {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    tunnels: Arc<std::sync::atomic::AtomicUsize>,
}

impl ConnectProxy {
    /// Starts the proxy; it runs until the test process ends.
    pub fn start(target: SocketAddr) -> ConnectProxy {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let tunnels = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = tunnels.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let counted = counted.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(client.try_clone().expect("clone"));
                    let mut first = String::new();
                    if reader.read_line(&mut first).is_err() || !first.starts_with("CONNECT ") {
                        return;
                    }
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                            break;
                        }
                    }
                    let Ok(server) = std::net::TcpStream::connect(target) else {
                        return;
                    };
                    let mut client = client;
                    if client
                        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                        .is_err()
                    {
                        return;
                    }
                    counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let (mut up_from, mut up_to) = (
                        client.try_clone().expect("clone"),
                        server.try_clone().expect("clone"),
                    );
                    let upward = std::thread::spawn(move || {
                        let _ = std::io::copy(&mut up_from, &mut up_to);
                        let _ = up_to.shutdown(std::net::Shutdown::Write);
                    });
                    let (mut down_from, mut down_to) = (server, client);
                    let _ = std::io::copy(&mut down_from, &mut down_to);
                    let _ = down_to.shutdown(std::net::Shutdown::Write);
                    let _ = upward.join();
                });
            }
        });
        ConnectProxy { url, tunnels }
    }

    /// Tunnels opened so far.
    pub fn tunnels(&self) -> usize {
        self.tunnels.load(std::sync::atomic::Ordering::SeqCst)
    }
}
