//! PostgreSQL: startup, authentication (SCRAM, md5, trust), `SELECT 1`, honouring `sslmode`.
//!
//! This module opens the connection and negotiates TLS itself (SSLRequest, then tokio-rustls),
//! so refused, DNS, timeout, "TLS not offered", a failed handshake and a peer that is not
//! PostgreSQL are told apart; tokio-postgres then speaks startup, authentication (SCRAM, md5,
//! trust) and the query over that stream. The query uses the simple-query protocol, which
//! poolers in transaction mode (Supavisor, PgBouncer) accept.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_postgres::config::SslMode;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Config, SimpleQueryMessage};

use super::net::{self, Verify};
use super::targets::{address, PgSslMode, PostgresTarget};
use super::{CheckError, FailureKind, Outcome};

pub(crate) async fn probe(t: &PostgresTarget, default_user: &str) -> Result<Outcome, CheckError> {
    let target = address(&t.host, t.port);
    let mut config = Config::new();
    config.user(if t.user.is_empty() {
        default_user
    } else {
        &t.user
    });
    if !t.password.is_empty() {
        config.password(t.password.expose());
    }
    if !t.dbname.is_empty() {
        config.dbname(&t.dbname);
    }
    config.application_name("dbstack-verify");

    // TLS negotiation is done here rather than inside tokio-postgres, so that a peer that is
    // not PostgreSQL, a server without TLS and a failed handshake are told apart.
    config.ssl_mode(SslMode::Disable);
    let stream: Box<dyn net::Stream> = if t.host.starts_with('/') {
        // libpq never uses TLS over a unix socket.
        let stream = tokio::net::UnixStream::connect(&target)
            .await
            .map_err(|e| net::io_error(&e, &format!("connect to {target}")))?;
        Box::new(stream)
    } else {
        tcp_stream(t, &target).await?
    };
    let (client, connection) = config
        .connect_raw(stream, tokio_postgres::NoTls)
        .await
        .map_err(|e| classify(&e, &target))?;
    let driver = tokio::spawn(connection);
    let result = query(&client, &target).await;
    drop(client);
    driver.abort();
    result
}

/// A TCP connection, TLS as `sslmode` asks and the server offers.
async fn tcp_stream(t: &PostgresTarget, target: &str) -> Result<Box<dyn net::Stream>, CheckError> {
    // (verification, whether TLS is required)
    let (verify, required) = match t.sslmode {
        PgSslMode::Disable => (None, false),
        // `allow` tries without TLS first; a probe that prefers TLS is the closer safe choice.
        PgSslMode::Allow | PgSslMode::Prefer => (Some(Verify::Nothing), false),
        // libpq: `require` with a root certificate behaves like verify-ca.
        PgSslMode::Require if t.sslrootcert.is_some() => (Some(Verify::Chain), true),
        PgSslMode::Require => (Some(Verify::Nothing), true),
        PgSslMode::VerifyCa => (Some(Verify::Chain), true),
        PgSslMode::VerifyFull => (Some(Verify::Full), true),
    };
    let tls = verify
        .map(|v| net::client_config(v, t.sslrootcert.as_deref()))
        .transpose()?;
    let mut stream = net::connect(&t.host, t.port).await?;
    Ok(match tls {
        None => Box::new(stream),
        Some(tls) => match ssl_request(&mut stream, target).await? {
            true => Box::new(net::tls(stream, &t.host, t.port, tls).await?),
            false if required => {
                return Err(CheckError::new(
                    FailureKind::Tls,
                    format!(
                        "{target} does not offer TLS and sslmode is {}",
                        t.sslmode.as_str()
                    ),
                ))
            }
            false => Box::new(stream),
        },
    })
}

/// Sends SSLRequest; true when the server answers `S` (go ahead), false on `N`.
async fn ssl_request(stream: &mut TcpStream, target: &str) -> Result<bool, CheckError> {
    // Length 8, then the SSLRequest code 80877103.
    const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];
    stream
        .write_all(&SSL_REQUEST)
        .await
        .map_err(|e| net::io_error(&e, &format!("send to {target}")))?;
    let answer = stream.read_u8().await.map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => CheckError::new(
            FailureKind::WrongProtocol,
            format!("{target} closed the connection instead of answering PostgreSQL's SSL request"),
        ),
        _ => net::io_error(&e, &format!("postgres ssl request to {target}")),
    })?;
    match answer {
        b'S' => Ok(true),
        b'N' => Ok(false),
        other => Err(CheckError::new(
            FailureKind::WrongProtocol,
            format!(
                "{target} does not speak the PostgreSQL protocol: it answered the SSL request with {}",
                net::excerpt(&[other])
            ),
        )),
    }
}

async fn query(client: &Client, target: &str) -> Result<Outcome, CheckError> {
    let messages = client
        .simple_query("SELECT 1, current_setting('server_version')")
        .await
        .map_err(|e| classify(&e, target))?;
    let row = messages.iter().find_map(|m| match m {
        SimpleQueryMessage::Row(row) => Some(row),
        _ => None,
    });
    match row.map(|r| (r.get(0), r.get(1))) {
        Some((Some("1"), version)) => Ok(Outcome {
            version: version.map(str::to_owned),
            ..Outcome::default()
        }),
        _ => Err(CheckError::new(
            FailureKind::WrongProtocol,
            format!("`SELECT 1` on {target} did not return 1"),
        )),
    }
}

/// Sorts a tokio-postgres error into a failure kind.
fn classify(error: &tokio_postgres::Error, target: &str) -> CheckError {
    if let Some(db) = error.as_db_error() {
        let code = db.code();
        let kind = if *code == SqlState::INVALID_PASSWORD
            || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
        {
            FailureKind::AuthFailed
        } else {
            FailureKind::ServerError
        };
        return CheckError::new(
            kind,
            format!("{target}: {} ({})", db.message(), code.code()),
        )
        .with_code(code.code());
    }
    let source = std::error::Error::source(error);
    let mut text = error.to_string();
    if let Some(cause) = source.map(ToString::to_string) {
        if !text.contains(&cause) {
            text = format!("{text}: {cause}");
        }
    }
    if text.starts_with("error performing TLS handshake") {
        return CheckError::new(FailureKind::Tls, format!("{target}: {text}"));
    }
    if text.starts_with("invalid configuration") && text.contains("password missing") {
        return CheckError::new(
            FailureKind::AuthFailed,
            format!("{target}: the server asks for a password and none is configured"),
        );
    }
    if text.starts_with("authentication error") {
        return CheckError::new(FailureKind::AuthFailed, format!("{target}: {text}"));
    }
    if let Some(io) = source.and_then(|s| s.downcast_ref::<io::Error>()) {
        return net::io_error(io, &format!("postgres startup with {target}"));
    }
    if text.starts_with("unexpected message")
        || text.starts_with("error parsing")
        || text.starts_with("connection closed")
    {
        return CheckError::new(
            FailureKind::WrongProtocol,
            format!("{target} does not speak the PostgreSQL protocol: {text}"),
        );
    }
    CheckError::new(FailureKind::Io, format!("{target}: {text}"))
}
