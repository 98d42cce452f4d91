//! MariaDB / MySQL: handshake, authentication and `SELECT 1` with mysql_async.
//!
//! The host is resolved here first so a DNS failure is told apart from a refused port, and
//! the version comes from the same query (`VERSION()` gives MariaDB's full version string;
//! the handshake's is only exposed by mysql_async as a number triple).

use std::path::PathBuf;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, OptsBuilder, SslOpts};

use super::net;
use super::targets::{address, MysqlTarget, MysqlTls};
use super::{CheckError, FailureKind, Outcome};

/// Server error codes that mean the credentials were rejected.
const AUTH_CODES: [u16; 4] = [
    1044, // ER_DBACCESS_DENIED_ERROR
    1045, // ER_ACCESS_DENIED_ERROR
    1698, // ER_ACCESS_DENIED_NO_PASSWORD_ERROR
    1251, // ER_NOT_SUPPORTED_AUTH_MODE
];

pub(crate) async fn probe(t: &MysqlTarget) -> Result<Outcome, CheckError> {
    let target = address(&t.host, t.port);
    let addr = net::resolve(&t.host, t.port).await?.into_iter().next();
    let ip = addr.ok_or_else(|| net::no_address(&t.host))?.ip();
    let opts = OptsBuilder::default()
        .ip_or_hostname(ip.to_string())
        .tcp_port(t.port)
        .user((!t.user.is_empty()).then(|| t.user.clone()))
        .pass((!t.password.is_empty()).then(|| t.password.expose().to_owned()))
        .db_name((!t.dbname.is_empty()).then(|| t.dbname.clone()))
        .prefer_socket(false)
        .stmt_cache_size(0)
        .ssl_opts(ssl_opts(t));
    let mut conn = Conn::new(opts).await.map_err(|e| classify(e, &target))?;
    let row: Option<(i64, String)> = conn
        .query_first("SELECT 1, VERSION()")
        .await
        .map_err(|e| classify(e, &target))?;
    let _ = conn.disconnect().await;
    match row {
        Some((1, version)) => Ok(Outcome {
            version: Some(version),
            ..Outcome::default()
        }),
        _ => Err(CheckError::new(
            FailureKind::WrongProtocol,
            format!("`SELECT 1` on {target} did not return 1"),
        )),
    }
}

/// The TLS options of `OPTIONS` (`ssl_mode`, `ssl.ca`), as mysqlclient applies them.
fn ssl_opts(t: &MysqlTarget) -> Option<SslOpts> {
    let roots = |ca: &Option<String>| {
        SslOpts::default().with_root_certs(ca.iter().map(|p| PathBuf::from(p).into()).collect())
    };
    match &t.tls {
        MysqlTls::Off => None,
        MysqlTls::Required => Some(
            SslOpts::default()
                .with_danger_accept_invalid_certs(true)
                .with_danger_skip_domain_validation(true),
        ),
        // The connection goes to the resolved address; the certificate must name the host.
        // VERIFY_CA should not check the name, but mysql_async 0.36's name skip recognises
        // rustls' error by its old text, which rustls 0.23 no longer prints: the name is
        // checked for both (docs/decisions.md, "Day one").
        MysqlTls::VerifyCa { ca } | MysqlTls::VerifyIdentity { ca } => {
            Some(roots(ca).with_danger_tls_hostname_override(Some(t.host.clone())))
        }
    }
}

fn classify(error: mysql_async::Error, target: &str) -> CheckError {
    match error {
        mysql_async::Error::Io(mysql_async::IoError::Tls(e)) => {
            CheckError::new(FailureKind::Tls, format!("TLS with {target}: {e}"))
        }
        mysql_async::Error::Driver(mysql_async::DriverError::NoClientSslFlagFromServer) => {
            CheckError::new(
                FailureKind::Tls,
                format!("{target} does not offer TLS, which OPTIONS require (ssl_mode / ssl)"),
            )
        }
        mysql_async::Error::Server(e) => CheckError::new(
            if AUTH_CODES.contains(&e.code) {
                FailureKind::AuthFailed
            } else {
                FailureKind::ServerError
            },
            format!("{target}: {} ({})", e.message, e.code),
        )
        .with_code(e.code.to_string()),
        mysql_async::Error::Io(mysql_async::IoError::Io(e))
            if e.get_ref().is_some_and(|inner| inner.is::<rustls::Error>()) =>
        {
            CheckError::new(FailureKind::Tls, format!("TLS with {target}: {e}"))
        }
        mysql_async::Error::Io(mysql_async::IoError::Io(e)) => {
            net::io_error(&e, &format!("mysql handshake with {target}"))
        }
        mysql_async::Error::Driver(e) => CheckError::new(
            FailureKind::WrongProtocol,
            format!("{target} does not speak the MySQL protocol as expected: {e}"),
        ),
        other => CheckError::new(FailureKind::Io, format!("{target}: {other}")),
    }
}
