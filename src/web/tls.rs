//! The HTTPS listener: rustls on aws-lc-rs. It asks every client for a
//! certificate but does not require one, and accepts whatever chain is
//! offered once the client has proved it holds the key (the handshake
//! signature is verified here). Whether the chain is a valid card is the
//! application's question (`identity::card`), so a person with an expired
//! or wrong card gets a page that says so, not a TLS alert.
//!
//! The presented chain reaches handlers as the [`PeerCertificates`]
//! request extension.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::Response;
use axum::serve::{IncomingStream, Listener};
use rustls::DistinguishedName;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// How long a client may take over the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);

/// The certificate chain the client presented on this connection (the
/// client's own certificate first), or `None` when it presented none.
/// Present only on requests that came through the HTTPS listener.
#[derive(Clone, Debug)]
pub struct PeerCertificates(pub Option<Arc<Vec<CertificateDer<'static>>>>);

/// Asks for a client certificate, never requires one, and checks only
/// that the client holds the key of the certificate it presented.
#[derive(Debug)]
struct RequestClientCertificate {
    offer: bool,
    hints: Vec<DistinguishedName>,
    algs: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for RequestClientCertificate {
    fn offer_client_auth(&self) -> bool {
        self.offer
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        // The application verifies the chain and answers with a page.
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

/// The rustls server configuration: the server chain and key from PEM
/// files; client certificates asked for when `ask_client_cert`, naming
/// `hints` (DER subjects of the accepted CAs) to the browser.
pub fn server_config(
    cert: &Path,
    key: &Path,
    ask_client_cert: bool,
    hints: &[Vec<u8>],
) -> Result<rustls::ServerConfig, String> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("server.tls_cert {}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!(
            "server.tls_cert {}: no certificate",
            cert.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("server.tls_key {}: {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = RequestClientCertificate {
        offer: ask_client_cert,
        hints: hints
            .iter()
            .map(|h| DistinguishedName::from(h.clone()))
            .collect(),
        algs: provider.signature_verification_algorithms,
    };
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(chain, key)
        .map_err(|e| format!("server.tls_cert / server.tls_key: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// A TLS listener for `axum::serve`: TCP connections are accepted and
/// their handshakes run in their own tasks, so a slow client holds up
/// nobody else.
pub struct TlsListener {
    rx: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    pub fn new(tcp: TcpListener, config: rustls::ServerConfig) -> std::io::Result<Self> {
        let local = tcp.local_addr()?;
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                let (stream, peer) = match tcp.accept().await {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::debug!(error = %e, "TLS listener: accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                if tx.is_closed() {
                    break;
                }
                // TLS writes a response in several records: without this,
                // Nagle's algorithm holds the last one back until the
                // client's delayed ACK (tens of milliseconds a request).
                if let Err(e) = stream.set_nodelay(true) {
                    tracing::debug!(error = %e, "TLS listener: TCP_NODELAY not set");
                }
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => {
                            tracing::info!(peer = %peer, error = %e, "TLS handshake failed")
                        }
                        Err(_) => tracing::info!(peer = %peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(Self { rx, local })
    }

    pub fn addr(&self) -> SocketAddr {
        self.local
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(c) => c,
            // The accepting task ended: nothing more will come.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.local)
    }
}

/// What a TLS connection tells each request: the peer's address and the
/// chain it presented.
#[derive(Clone, Debug)]
pub struct TlsConnectInfo {
    pub remote: SocketAddr,
    pub certificates: PeerCertificates,
}

impl Connected<IncomingStream<'_, TlsListener>> for TlsConnectInfo {
    fn connect_info(stream: IncomingStream<'_, TlsListener>) -> Self {
        let (_, conn) = stream.io().get_ref();
        let chain = conn
            .peer_certificates()
            .filter(|c| !c.is_empty())
            .map(|c| Arc::new(c.iter().map(|d| d.clone().into_owned()).collect()));
        Self {
            remote: *stream.remote_addr(),
            certificates: PeerCertificates(chain),
        }
    }
}

/// Middleware of the HTTPS listener: the peer's address as the plain
/// listener gives it (`ConnectInfo<SocketAddr>`), and the presented chain.
pub async fn tls_context(request: Request, next: Next) -> Response {
    let mut request = request;
    if let Some(ConnectInfo(info)) = request
        .extensions()
        .get::<ConnectInfo<TlsConnectInfo>>()
        .cloned()
    {
        request.extensions_mut().insert(ConnectInfo(info.remote));
        request.extensions_mut().insert(info.certificates);
    }
    next.run(request).await
}
