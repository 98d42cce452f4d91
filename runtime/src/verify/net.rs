//! TCP and TLS for the probes, with failures sorted into [`FailureKind`]s.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::client::WebPkiServerVerifier;
use tokio_rustls::rustls::crypto::{self, CryptoProvider};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::targets::address;
use super::{CheckError, FailureKind};

/// A byte stream, plain or TLS.
pub(crate) trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// How much of the server's certificate to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verify {
    /// Encrypt only (libpq `require`, Redis `ssl_cert_reqs=none`).
    Nothing,
    /// The chain, not the host name (libpq `verify-ca`).
    Chain,
    /// Chain and host name.
    Full,
}

/// Sorts an I/O error; `what` names the step and target ("connect to 127.0.0.1:5432").
pub(crate) fn io_error(error: &io::Error, what: &str) -> CheckError {
    let kind = match error.kind() {
        io::ErrorKind::ConnectionRefused => FailureKind::Refused,
        io::ErrorKind::TimedOut => FailureKind::Timeout,
        io::ErrorKind::UnexpectedEof => {
            return CheckError::new(
                FailureKind::WrongProtocol,
                format!("{what}: the server closed the connection before a complete answer"),
            )
        }
        _ => FailureKind::Io,
    };
    CheckError::new(kind, format!("{what}: {error}"))
}

/// The addresses of `host` (none is [`no_address`]).
pub(crate) async fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, CheckError> {
    tokio::net::lookup_host((host, port))
        .await
        .map(Iterator::collect)
        .map_err(|e| CheckError::new(FailureKind::Dns, format!("cannot resolve `{host}`: {e}")))
}

pub(crate) fn no_address(host: &str) -> CheckError {
    CheckError::new(FailureKind::Dns, format!("`{host}` resolved to no address"))
}

/// Resolves `host` and connects to the first address that accepts.
pub(crate) async fn connect(host: &str, port: u16) -> Result<TcpStream, CheckError> {
    let mut last = no_address(host);
    for addr in resolve(host, port).await? {
        match TcpStream::connect(addr).await {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(e) => last = io_error(&e, &format!("connect to {}", address(host, port))),
        }
    }
    Err(last)
}

fn tls_error(message: String) -> CheckError {
    CheckError::new(FailureKind::Tls, message)
}

/// Root certificates from a PEM file, else the system's.
fn roots(ca_file: Option<&str>) -> Result<RootCertStore, CheckError> {
    let mut store = RootCertStore::empty();
    match ca_file {
        Some(path) => {
            let pem = crate::fs::read_bytes(std::path::Path::new(path), crate::fs::MAX_CA_FILE)
                .map_err(|e| tls_error(format!("cannot read CA file `{path}`: {e}")))?;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert =
                    cert.map_err(|e| tls_error(format!("cannot read CA file `{path}`: {e}")))?;
                store
                    .add(cert)
                    .map_err(|e| tls_error(format!("bad certificate in `{path}`: {e}")))?;
            }
            if store.is_empty() {
                return Err(tls_error(format!("CA file `{path}` holds no certificate")));
            }
        }
        None => {
            let native = rustls_native_certs::load_native_certs();
            for cert in native.certs {
                let _ = store.add(cert);
            }
        }
    }
    Ok(store)
}

/// A client configuration for the given verification level.
pub(crate) fn client_config(
    verify: Verify,
    ca_file: Option<&str>,
) -> Result<Arc<ClientConfig>, CheckError> {
    let provider = Arc::new(crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error(format!("tls setup: {e}")))?;
    let chain = match verify {
        Verify::Full => {
            let config = builder.with_root_certificates(roots(ca_file)?);
            return Ok(Arc::new(config.with_no_client_auth()));
        }
        Verify::Chain => Some(
            WebPkiServerVerifier::builder_with_provider(
                Arc::new(roots(ca_file)?),
                provider.clone(),
            )
            .build()
            .map_err(|e| tls_error(format!("tls setup: {e}")))?,
        ),
        Verify::Nothing => None,
    };
    let config = builder
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Lenient { chain, provider }))
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Runs the TLS handshake over `tcp`. A failed handshake is always a TLS failure, whatever
/// layer noticed it.
pub(crate) async fn tls(
    tcp: TcpStream,
    host: &str,
    port: u16,
    config: Arc<ClientConfig>,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, CheckError> {
    let name = ServerName::try_from(host.to_owned())
        .map_err(|_| tls_error(format!("`{host}` is not a valid TLS server name")))?;
    let target = address(host, port);
    tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => tls_error(format!(
                "tls handshake with {target}: the server closed the connection (is TLS enabled on this port?)"
            )),
            _ => tls_error(format!("tls handshake with {target}: {e}")),
        })
}

/// Connects, with TLS at the given verification level (against the given CA file) when asked.
pub(crate) async fn connect_maybe_tls(
    host: &str,
    port: u16,
    tls_with: Option<(Verify, Option<&str>)>,
) -> Result<Box<dyn Stream>, CheckError> {
    let config = tls_with.map(|(v, ca)| client_config(v, ca)).transpose()?;
    let tcp = connect(host, port).await?;
    match config {
        None => Ok(Box::new(tcp)),
        Some(config) => Ok(Box::new(tls(tcp, host, port, config).await?)),
    }
}

/// Printable excerpt of bytes a peer sent, for wrong-protocol messages.
pub(crate) fn excerpt(bytes: &[u8]) -> String {
    let shown: String = bytes
        .iter()
        .take(24)
        .flat_map(|b| std::ascii::escape_default(*b))
        .map(char::from)
        .collect();
    format!("`{shown}`")
}

/// Accepts a certificate whatever its name: its chain verified by `chain`, or (`None`) not
/// at all. Signatures are always verified.
#[derive(Debug)]
struct Lenient {
    chain: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        crypto::verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        crypto::verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        let algorithms = &self.provider.signature_verification_algorithms;
        algorithms.supported_schemes()
    }
}
