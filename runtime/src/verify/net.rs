//! TCP and TLS for the probes, with failures sorted into [`FailureKind`]s.

use std::io;
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

/// Resolves `host` and connects to the first address that accepts.
pub(crate) async fn connect(host: &str, port: u16) -> Result<TcpStream, CheckError> {
    let target = address(host, port);
    let addrs: Vec<_> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| CheckError::new(FailureKind::Dns, format!("cannot resolve `{host}`: {e}")))?
        .collect();
    let mut last = CheckError::new(FailureKind::Dns, format!("`{host}` resolved to no address"));
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(e) => last = io_error(&e, &format!("connect to {target}")),
        }
    }
    Err(last)
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(crypto::ring::default_provider())
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
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error(format!("tls setup: {e}")))?;
    let config = match verify {
        Verify::Full => builder
            .with_root_certificates(roots(ca_file)?)
            .with_no_client_auth(),
        Verify::Chain => {
            let inner =
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots(ca_file)?), provider)
                    .build()
                    .map_err(|e| tls_error(format!("tls setup: {e}")))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(ChainOnly { inner }))
                .with_no_client_auth()
        }
        Verify::Nothing => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAny { provider }))
            .with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// Runs the TLS handshake over `tcp`.
pub(crate) async fn tls(
    tcp: TcpStream,
    host: &str,
    port: u16,
    config: Arc<ClientConfig>,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, CheckError> {
    let name = ServerName::try_from(host.to_owned())
        .map_err(|_| tls_error(format!("`{host}` is not a valid TLS server name")))?;
    tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(|e| handshake_error(&e, &address(host, port)))
}

/// A failed handshake is always a TLS failure, whatever layer noticed it.
pub(crate) fn handshake_error(error: &io::Error, target: &str) -> CheckError {
    if error.kind() == io::ErrorKind::UnexpectedEof {
        return tls_error(format!(
            "tls handshake with {target}: the server closed the connection (is TLS enabled on this port?)"
        ));
    }
    tls_error(format!("tls handshake with {target}: {error}"))
}

/// Connects, with TLS when asked.
pub(crate) async fn connect_maybe_tls(
    host: &str,
    port: u16,
    tls_config: Option<Arc<ClientConfig>>,
) -> Result<Box<dyn Stream>, CheckError> {
    let tcp = connect(host, port).await?;
    match tls_config {
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

#[derive(Debug)]
struct AcceptAny {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[derive(Debug)]
struct ChainOnly {
    inner: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
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
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}
