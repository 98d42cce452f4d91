//! What to check, derived from the revealed resolution document. Pure: no I/O.

use dbstack_core::catalog::{self, EngineFamily, SSLMODES};
use dbstack_core::document::Document;
use dbstack_core::{Secret, MASK};
use serde_json::Value;

/// The document cannot be checked (exit code 2). Names the document path; never a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("`{path}` is missing or not {expected} in the resolution document")]
    Missing {
        path: String,
        expected: &'static str,
    },
    #[error("`{path}` is `{value}`: {reason}")]
    Invalid {
        path: String,
        value: String,
        reason: String,
    },
    #[error("`{path}` is masked: verify needs the revealed resolution document")]
    Masked { path: String },
}

impl TargetError {
    fn invalid(path: &str, value: impl Into<String>, reason: impl Into<String>) -> TargetError {
        TargetError::Invalid {
            path: path.to_owned(),
            value: value.into(),
            reason: reason.into(),
        }
    }
}

/// One check to run.
#[derive(Debug, Clone)]
pub struct Target {
    pub service: String,
    pub alias: Option<String>,
    /// `host:port` (brackets around IPv6) or a socket path; never credentials.
    pub address: String,
    pub required: bool,
    /// Why a check is not required (`None` when it is).
    pub optional_reason: Option<String>,
    pub probe: Probe,
    /// Where the address came from, as a person reads it (`env DATABASE_URL`,
    /// `built-in default: ragflow host`), from the document's provenance.
    pub address_from: Option<String>,
    /// Where the credentials came from (the password's provenance), when there are any.
    pub credentials_from: Option<String>,
    /// The variable that points the check elsewhere (`DATABASE_URL`, `RAGFLOW_URL`, ...).
    pub set_with: String,
}

/// Why the development profile does not require a service: the application starts without
/// RAGflow and RocketMQ, so a laptop without them still passes `verify`.
const DEV_OPTIONAL: &str = "not required by the development profile";
/// Why Vault is not required after a fallback.
const FALLBACK_OPTIONAL: &str =
    "the development fallback is active (Vault's failure was tolerated)";
const VAULT_FAILED_OPTIONAL: &str =
    "the development profile tolerated Vault's failure (the environment's values are kept)";

/// The protocol a check speaks, with what it needs.
#[derive(Debug, Clone)]
pub enum Probe {
    Postgres(PostgresTarget),
    Mysql(MysqlTarget),
    Redis(RedisTarget),
    Http(HttpTarget),
    RocketMq {
        host: String,
        port: u16,
    },
    /// A database verify has no probe for (Oracle, SQL Server, CockroachDB, Redshift, an
    /// engine of no known scheme): reported as skipped, with the reason, never as a failure.
    Skipped {
        reason: String,
        /// `host:port` as the document gives it (the host alone without a port).
        address: String,
    },
}

impl Probe {
    /// `host:port` (brackets around IPv6) or a socket path.
    fn address(&self) -> String {
        let (host, port) = match self {
            Probe::Postgres(t) => (&t.host, t.port),
            Probe::Mysql(t) => (&t.host, t.port),
            Probe::Redis(t) => (&t.host, t.port),
            Probe::Http(t) => (&t.host, t.port),
            Probe::RocketMq { host, port } => (host, *port),
            Probe::Skipped { address, .. } => return address.clone(),
        };
        address(host, port)
    }

    /// The secrets the probe carries, to scrub from any message.
    pub(crate) fn secrets(&self) -> Vec<String> {
        let secret = match self {
            Probe::Postgres(t) => &t.password,
            Probe::Mysql(t) => &t.password,
            Probe::Redis(t) => &t.password,
            Probe::Http(t) => &t.bearer,
            Probe::RocketMq { .. } | Probe::Skipped { .. } => return Vec::new(),
        };
        let secret = secret.expose();
        (!secret.is_empty())
            .then(|| secret.to_owned())
            .into_iter()
            .collect()
    }
}

/// libpq's `sslmode`, in the order of [`SSLMODES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PgSslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl PgSslMode {
    fn parse(text: &str) -> Option<PgSslMode> {
        use PgSslMode::{Allow, Disable, Prefer, Require, VerifyCa, VerifyFull};
        [Disable, Allow, Prefer, Require, VerifyCa, VerifyFull]
            .into_iter()
            .find(|mode| mode.as_str() == text)
    }

    /// The name libpq uses (`verify-full`).
    pub fn as_str(self) -> &'static str {
        SSLMODES.get(self as usize).copied().unwrap_or("prefer")
    }
}

#[derive(Debug, Clone)]
pub struct PostgresTarget {
    /// Host name, IP address, or a unix-socket directory (starts with `/`).
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Secret,
    pub dbname: String,
    pub sslmode: PgSslMode,
    /// `OPTIONS.sslrootcert`: CA certificates (PEM) for verify-ca / verify-full.
    pub sslrootcert: Option<String>,
}

#[derive(Debug, Clone)]
pub struct MysqlTarget {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Secret,
    pub dbname: String,
    pub tls: MysqlTls,
}

/// TLS of a MySQL/MariaDB connection, from `OPTIONS` as mysqlclient reads it: `ssl_mode` and
/// the `ssl` dict (`?ssl-ca=PATH` in a URL gives `{"ssl": {"ca": PATH}}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MysqlTls {
    /// No TLS: neither given, `ssl_mode` `DISABLED`, or `PREFERRED` (checked in plain TCP).
    Off,
    /// TLS without verifying the certificate: `REQUIRED`, or an `ssl` dict without `ca`.
    Required,
    /// TLS, the chain verified against `ca` (else the built-in roots): `VERIFY_CA`, or
    /// `ssl.ca` without `ssl_mode`. The host name is checked too (a limit of mysql_async 0.36
    /// with rustls 0.23, see `mysql.rs`).
    VerifyCa { ca: Option<String> },
    /// TLS, the chain and the host name verified: `VERIFY_IDENTITY`.
    VerifyIdentity { ca: Option<String> },
}

impl MysqlTls {
    fn from_options(
        options: Option<&serde_json::Map<String, Value>>,
        base: &str,
    ) -> Result<MysqlTls, TargetError> {
        let ssl = options.and_then(|o| o.get("ssl")).filter(|v| !v.is_null());
        let ca = ssl
            .and_then(|s| s.get("ca"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let mode = option(options, "ssl_mode");
        Ok(match mode.map(str::to_ascii_uppercase).as_deref() {
            Some("DISABLED" | "PREFERRED") => MysqlTls::Off,
            Some("REQUIRED") => MysqlTls::Required,
            Some("VERIFY_CA") => MysqlTls::VerifyCa { ca },
            Some("VERIFY_IDENTITY") => MysqlTls::VerifyIdentity { ca },
            Some(_) => {
                return Err(TargetError::invalid(
                    &format!("{base}.OPTIONS.ssl_mode"),
                    mode.unwrap_or_default(),
                    "expected DISABLED, PREFERRED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY",
                ))
            }
            None if ca.is_some() => MysqlTls::VerifyCa { ca },
            None if ssl.is_some() => MysqlTls::Required,
            None => MysqlTls::Off,
        })
    }
}

#[derive(Debug, Clone)]
pub struct RedisTarget {
    /// `rediss://`.
    pub tls: bool,
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Secret,
    pub db: u32,
    /// `ssl_cert_reqs=none` in the URL: no certificate verification.
    pub tls_verify: bool,
    /// `ssl_ca_certs=PATH` in the URL.
    pub tls_ca: Option<String>,
}

/// Which HTTP health endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpKind {
    Ragflow,
    Vault,
}

#[derive(Debug, Clone)]
pub struct HttpTarget {
    pub kind: HttpKind,
    pub tls: bool,
    pub host: String,
    pub port: u16,
    /// Path and query, starting with `/`.
    pub path: String,
    /// Sent as `Authorization: Bearer` when not empty.
    pub bearer: Secret,
}

/// A secret of the document; `path` names it in errors.
fn secret_at(value: &Value, path: &str) -> Result<Secret, TargetError> {
    match value {
        Value::Null => Ok(Secret::default()),
        Value::String(s) if s == MASK => Err(TargetError::Masked {
            path: path.to_owned(),
        }),
        Value::String(s) => Ok(Secret::new(s.clone())),
        _ => Err(TargetError::Missing {
            path: path.to_owned(),
            expected: "a string",
        }),
    }
}

/// `host:port`, with brackets around an IPv6 address; a socket path stays as it is.
pub(crate) fn address(host: &str, port: u16) -> String {
    if host.starts_with('/') {
        format!("{host}/.s.PGSQL.{port}")
    } else if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

fn port_of(value: &Value, default: u16, path: &str) -> Result<u16, TargetError> {
    let invalid = |shown: String| TargetError::invalid(path, shown, "not a port number");
    match value {
        Value::Null => Ok(default),
        Value::String(s) if s.is_empty() => Ok(default),
        Value::String(s) => s.parse().map_err(|_| invalid(s.clone())),
        Value::Number(n) => n
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .ok_or_else(|| invalid(n.to_string())),
        other => Err(invalid(other.to_string())),
    }
}

/// Derives every check from the revealed resolution document.
///
/// Databases: one check per `django.DATABASES` alias (postgres engines → `supabase`, or
/// `mariadb` when the fallback is active; mysql engines → `mariadb`; sqlite and spatialite
/// files have none; any other engine — oracle, mssql, cockroach, redshift — a skipped check
/// that says why).
/// Cache: `django.CACHES.default.LOCATION` (`dragonfly`). `ragflow.HEALTH_URL` (else
/// `BASE_URL` + `/api/v1/system/healthz`), `rocketmq.NAMESRV_ADDR` (each `;`-separated
/// address) and, when `vault.enabled`, `vault.addr`. Every check is required except Vault
/// when the fallback is active (the profile already tolerated Vault's failure) and, in the
/// development profile, RAGflow and RocketMQ (`optional_reason` says why).
pub fn targets(doc: &Value) -> Result<Vec<Target>, TargetError> {
    let doc = Document::from_value(doc)
        .map_err(|e| TargetError::invalid("document", "", e.to_string()))?;
    let fallback = doc.fallback.active;
    let development = doc.profile == "development";
    let dev_optional = development.then(|| DEV_OPTIONAL.to_owned());
    // A required check whose address is the document's `path`.
    let target = |service: &str, path: &str, set_with: &str, probe: Probe| Target {
        service: service.to_owned(),
        alias: None,
        address: probe.address(),
        required: true,
        optional_reason: None,
        probe,
        address_from: doc.source_label(path),
        credentials_from: None,
        set_with: set_with.to_owned(),
    };
    let mut out = Vec::new();

    let databases = doc
        .django
        .databases
        .as_ref()
        .ok_or_else(|| TargetError::Missing {
            path: "django.DATABASES".to_owned(),
            expected: "an object",
        })?;
    for (alias, db) in &databases.0 {
        let base = format!("django.DATABASES.{alias}");
        let engine = db.engine.as_str();
        let password = secret_at(&db.password, &format!("{base}.PASSWORD"))?;
        let host = |default: &str| match db.host.as_str() {
            "" => default.to_owned(),
            host => host.to_owned(),
        };
        let (service, probe) = match EngineFamily::of(engine) {
            Some(EngineFamily::Postgres) => {
                let port = port_of(&db.port, catalog::SUPABASE.port, &format!("{base}.PORT"))?;
                let opt = |name: &str| option(db.options.as_ref(), name);
                let sslmode = match opt("sslmode") {
                    None => PgSslMode::Prefer,
                    Some(text) => PgSslMode::parse(text).ok_or_else(|| {
                        let expected = format!("expected one of {}", SSLMODES.join(", "));
                        TargetError::invalid(&format!("{base}.OPTIONS.sslmode"), text, expected)
                    })?,
                };
                let probe = Probe::Postgres(PostgresTarget {
                    host: host("/var/run/postgresql"),
                    port,
                    user: db.user.clone(),
                    password,
                    dbname: db.name.clone(),
                    sslmode,
                    sslrootcert: opt("sslrootcert").map(str::to_owned),
                });
                (if fallback { "mariadb" } else { "supabase" }, probe)
            }
            Some(EngineFamily::Mysql) => {
                let port = port_of(&db.port, catalog::MARIADB.port, &format!("{base}.PORT"))?;
                let probe = Probe::Mysql(MysqlTarget {
                    host: host("localhost"),
                    port,
                    user: db.user.clone(),
                    password,
                    dbname: db.name.clone(),
                    tls: MysqlTls::from_options(db.options.as_ref(), &base)?,
                });
                ("mariadb", probe)
            }
            // A file, not a service: nothing to connect to.
            Some(EngineFamily::Sqlite) => continue,
            None => {
                let host = &db.host;
                let port = match &db.port {
                    Value::Number(n) => n.to_string(),
                    Value::String(s) => s.clone(),
                    _ => String::new(),
                };
                let address = match (host.contains(':'), port.is_empty()) {
                    (_, true) => host.clone(),
                    (true, false) => format!("[{host}]:{port}"),
                    (false, false) => format!("{host}:{port}"),
                };
                let reason = format!(
                    "not checked: verify has no probe for ENGINE `{engine}` (it checks PostgreSQL and MySQL/MariaDB servers)"
                );
                // The scheme names the server (`oracle/default`); `database` for an engine no
                // scheme gives.
                let scheme = catalog::DbScheme::of_engine(engine).map_or("database", |s| s.scheme);
                (scheme, Probe::Skipped { reason, address })
            }
        };
        let required = !matches!(probe, Probe::Skipped { .. });
        let (host_path, set_with) = (format!("{base}.HOST"), url_var(alias, fallback));
        out.push(Target {
            alias: Some(alias.clone()),
            required,
            credentials_from: doc
                .source_label(&format!("{base}.PASSWORD"))
                .filter(|_| required),
            ..target(service, &host_path, &set_with, probe)
        });
    }

    let cache_path = "django.CACHES.default.LOCATION";
    if let Some(location) = given(&doc.django.caches.default.location) {
        let probe = Probe::Redis(parse_redis_url(location, cache_path)?);
        out.push(Target {
            credentials_from: doc.source_label("services.dragonfly.password"),
            ..target("dragonfly", cache_path, "DRAGONFLY_URL", probe)
        });
    }

    let ragflow = &doc.ragflow;
    let health = given(&ragflow.health_url)
        .map(|url| (url.to_owned(), "ragflow.HEALTH_URL"))
        .or_else(|| {
            let base = given(&ragflow.base_url)?.trim_end_matches('/');
            let url = format!("{base}{}", catalog::RAGFLOW_HEALTH_PATH);
            Some((url, "ragflow.BASE_URL"))
        });
    if let Some((url, path)) = health {
        let bearer = secret_at(&ragflow.api_key, "ragflow.API_KEY")?;
        let probe = Probe::Http(HttpTarget {
            bearer,
            ..parse_http_url(&url, path, HttpKind::Ragflow)?
        });
        out.push(Target {
            required: !development,
            optional_reason: dev_optional.clone(),
            credentials_from: doc.source_label("ragflow.API_KEY"),
            ..target("ragflow", path, "RAGFLOW_URL", probe)
        });
    }

    let namesrv_path = "rocketmq.NAMESRV_ADDR";
    if let Some(list) = given(&doc.rocketmq.namesrv_addr) {
        for item in list.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            let (host, port) = split_host_port(item, catalog::ROCKETMQ.port, namesrv_path)?;
            out.push(Target {
                required: !development,
                optional_reason: dev_optional.clone(),
                ..target(
                    "rocketmq",
                    namesrv_path,
                    "ROCKETMQ_NAMESRV_ADDR",
                    Probe::RocketMq { host, port },
                )
            });
        }
    }

    if let Some(addr) = given(&doc.vault.addr).filter(|_| doc.vault.enabled) {
        let probe = Probe::Http(HttpTarget {
            path: catalog::VAULT_HEALTH_PATH.to_owned(),
            ..parse_http_url(addr, "vault.addr", HttpKind::Vault)?
        });
        // The development profile tolerated Vault's failure: with the fallback, or keeping
        // what the environment configures (issue 14).
        let tolerated = fallback || (development && doc.vault.status.as_deref() == Some("failed"));
        let reason = if fallback {
            FALLBACK_OPTIONAL
        } else {
            VAULT_FAILED_OPTIONAL
        };
        out.push(Target {
            required: !tolerated,
            optional_reason: tolerated.then(|| reason.to_owned()),
            ..target("vault", "vault.addr", "VAULT_ADDR", probe)
        });
    }
    Ok(out)
}

/// A string of a database's `OPTIONS`.
fn option<'a>(options: Option<&'a serde_json::Map<String, Value>>, name: &str) -> Option<&'a str> {
    options?.get(name)?.as_str()
}

/// A value the document gives, not empty.
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|s| !s.is_empty())
}

/// The variable that sets a database alias's server: the fallback's, `DATABASE_URL` for
/// `default`, else `<ALIAS>_URL`.
fn url_var(alias: &str, fallback: bool) -> String {
    if fallback {
        "DBSTACK_FALLBACK_URL".to_owned()
    } else if alias == "default" {
        "DATABASE_URL".to_owned()
    } else {
        format!("{}_URL", alias.to_ascii_uppercase())
    }
}

/// `host[:port]` with an optional bracketed IPv6 host.
fn split_host_port(text: &str, default: u16, path: &str) -> Result<(String, u16), TargetError> {
    let invalid = |reason: &str| TargetError::invalid(path, text, reason);
    // The resolver's splitter: `::1:9876` is refused by both, never read two ways.
    let Some((host, port)) = dbstack_core::url::split_host_port_checked(text) else {
        return Err(invalid(
            "malformed host (an IPv6 host goes in brackets, e.g. `[::1]:9876`)",
        ));
    };
    if host.is_empty() {
        return Err(invalid("no host"));
    }
    let port = match port {
        None | Some("") => default,
        Some(p) => match p.parse::<u16>() {
            Ok(port) if port > 0 => port,
            _ => return Err(invalid("not a port number (1-65535)")),
        },
    };
    Ok((host.to_ascii_lowercase(), port))
}

/// `redis://[[user]:[password]@]host[:port][/db][?query]` and `rediss://`, parsed by the
/// core's cache-URL parser; the query's `db`, `ssl_cert_reqs` and `ssl_ca_certs` are honoured.
fn parse_redis_url(url: &str, path: &str) -> Result<RedisTarget, TargetError> {
    let invalid = |reason: String| TargetError::invalid(path, redact_url(url), reason);
    let parsed = dbstack_core::url::parse_cache_url(url).map_err(|e| invalid(e.to_string()))?;
    let mut db = parsed.db.unwrap_or(0);
    let mut tls_verify = true;
    let mut tls_ca = None;
    for (k, v) in &parsed.query {
        match k.as_str() {
            "db" => {
                db = v
                    .parse()
                    .map_err(|_| invalid("`db` is not a database index".to_owned()))?;
            }
            "ssl_cert_reqs" => {
                tls_verify = !matches!(v.to_ascii_lowercase().as_str(), "none" | "cert_none");
            }
            "ssl_ca_certs" => tls_ca = Some(v.clone()),
            _ => {}
        }
    }
    if parsed.password == MASK {
        return Err(TargetError::Masked {
            path: path.to_owned(),
        });
    }
    Ok(RedisTarget {
        tls: parsed.scheme == "rediss",
        host: parsed.host.to_ascii_lowercase(),
        port: parsed.port.unwrap_or(catalog::DRAGONFLY.port),
        username: (!parsed.username.is_empty()).then(|| parsed.username.clone()),
        password: Secret::new(parsed.password.clone()),
        db,
        tls_verify,
        tls_ca,
    })
}

/// A URL with its userinfo removed, for messages.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://{}", &url[..scheme_end], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

/// `http(s)://host[:port][/path]`, the path and query kept; no bearer token.
fn parse_http_url(url: &str, path: &str, kind: HttpKind) -> Result<HttpTarget, TargetError> {
    let invalid = |reason: &str| TargetError::invalid(path, redact_url(url), reason);
    let (tls, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (false, rest)
    } else {
        return Err(invalid("expected an http:// or https:// URL"));
    };
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(split);
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = split_host_port(hostport, if tls { 443 } else { 80 }, path)
        .map_err(|_| invalid("bad host or port"))?;
    let path = if tail.starts_with('/') {
        tail.to_owned()
    } else {
        format!("/{tail}")
    };
    let bearer = Secret::default();
    Ok(HttpTarget {
        kind,
        tls,
        host,
        port,
        path,
        bearer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({
            "fallback": {"active": false, "reason": null},
            "vault": {"enabled": true, "addr": "http://127.0.0.1:8200"},
            "django": {
                "DATABASES": {
                    "default": {"ENGINE": "django.db.backends.postgresql", "HOST": "db.example",
                        "PORT": 6543, "USER": "app", "PASSWORD": "pw", "NAME": "app",
                        "OPTIONS": {"sslmode": "verify-full", "sslrootcert": "/ca.pem"}},
                    "agent_db": {"ENGINE": "django.db.backends.postgresql", "HOST": "",
                        "PORT": "", "USER": "agent", "PASSWORD": "", "NAME": "agent"},
                    "local": {"ENGINE": "django.db.backends.sqlite3", "NAME": "x.db"}
                },
                "CACHES": {"default": {"LOCATION": "rediss://acl%40user:p%3Aw@[::1]:6380/2?ssl_cert_reqs=none"}}
            },
            "ragflow": {"BASE_URL": "http://ragflow:9380/", "API_KEY": "key"},
            "rocketmq": {"NAMESRV_ADDR": "ns1:9876;ns2"}
        })
    }

    #[test]
    fn derives_every_target() {
        let t = targets(&doc()).unwrap();
        let labels: Vec<_> = t
            .iter()
            .map(|t| (t.service.as_str(), t.address.as_str()))
            .collect();
        assert_eq!(
            labels,
            [
                ("supabase", "db.example:6543"),
                ("supabase", "/var/run/postgresql/.s.PGSQL.5432"),
                ("dragonfly", "[::1]:6380"),
                ("ragflow", "ragflow:9380"),
                ("rocketmq", "ns1:9876"),
                ("rocketmq", "ns2:9876"),
                ("vault", "127.0.0.1:8200"),
            ]
        );
        let Probe::Postgres(pg) = &t[0].probe else {
            panic!("postgres")
        };
        assert_eq!(pg.sslmode, PgSslMode::VerifyFull);
        assert_eq!(pg.sslrootcert.as_deref(), Some("/ca.pem"));
        assert_eq!(pg.password.expose(), "pw");
        let Probe::Redis(r) = &t[2].probe else {
            panic!("redis")
        };
        assert!(r.tls && !r.tls_verify);
        assert_eq!(
            (r.username.as_deref(), r.password.expose(), r.db),
            (Some("acl@user"), "p:w", 2)
        );
        let Probe::Http(h) = &t[3].probe else {
            panic!("http")
        };
        assert_eq!(h.path, "/api/v1/system/healthz");
        assert_eq!(h.bearer.expose(), "key");
        assert!(t.iter().all(|t| t.required));
    }

    #[test]
    fn fallback_makes_vault_optional_and_databases_mariadb() {
        let mut d = doc();
        d["fallback"]["active"] = json!(true);
        d["django"]["DATABASES"] = json!({"default": {"ENGINE": "django.db.backends.mysql",
            "HOST": "127.0.0.1", "PORT": "", "USER": "root", "PASSWORD": "", "NAME": "agent_runtime"}});
        let t = targets(&d).unwrap();
        assert_eq!(t[0].service, "mariadb");
        assert_eq!(t[0].address, "127.0.0.1:3306");
        let vault = t.iter().find(|t| t.service == "vault").unwrap();
        assert!(!vault.required);
    }

    #[test]
    fn masked_documents_and_bad_values_are_input_errors() {
        let mut d = doc();
        d["django"]["DATABASES"]["default"]["PASSWORD"] = json!(MASK);
        assert_eq!(
            targets(&d).unwrap_err(),
            TargetError::Masked {
                path: "django.DATABASES.default.PASSWORD".into()
            }
        );
        let mut d = doc();
        d["django"]["CACHES"]["default"]["LOCATION"] = json!("redis://:********@h:1/0");
        assert!(matches!(targets(&d), Err(TargetError::Masked { .. })));
        let mut d = doc();
        d["django"]["DATABASES"]["default"]["OPTIONS"]["sslmode"] = json!("sometimes");
        let err = targets(&d).unwrap_err().to_string();
        assert!(
            err.contains("django.DATABASES.default.OPTIONS.sslmode"),
            "{err}"
        );
        let mut d = doc();
        d["django"]["CACHES"]["default"]["LOCATION"] = json!("memcached://:hunter2@h:1");
        let err = targets(&d).unwrap_err().to_string();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(matches!(
            targets(&json!({})),
            Err(TargetError::Missing { .. })
        ));
    }

    #[test]
    fn disabled_vault_is_not_checked() {
        let mut d = doc();
        d["vault"]["enabled"] = json!(false);
        assert!(targets(&d).unwrap().iter().all(|t| t.service != "vault"));
    }
}
