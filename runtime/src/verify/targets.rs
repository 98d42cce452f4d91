//! What to check, derived from the revealed resolution document. Pure: no I/O.

use dbstack_core::secret::{Secret, MASK};
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

/// One check to run.
#[derive(Debug, Clone)]
pub struct Target {
    pub service: String,
    pub alias: Option<String>,
    /// `host:port` (brackets around IPv6) or a socket path; never credentials.
    pub address: String,
    pub required: bool,
    pub probe: Probe,
}

/// The protocol a check speaks, with what it needs.
#[derive(Debug, Clone)]
pub enum Probe {
    Postgres(PostgresTarget),
    Mysql(MysqlTarget),
    Redis(RedisTarget),
    Http(HttpTarget),
    RocketMq { host: String, port: u16 },
}

impl Probe {
    /// The secrets the probe carries, to scrub from any message.
    pub(crate) fn secrets(&self) -> Vec<String> {
        let all: Vec<&Secret> = match self {
            Probe::Postgres(t) => vec![&t.password],
            Probe::Mysql(t) => vec![&t.password],
            Probe::Redis(t) => vec![&t.password],
            Probe::Http(t) => vec![&t.bearer],
            Probe::RocketMq { .. } => vec![],
        };
        all.into_iter()
            .map(|s| s.expose().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    }
}

/// libpq's `sslmode`.
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
        Some(match text {
            "disable" => PgSslMode::Disable,
            "allow" => PgSslMode::Allow,
            "prefer" => PgSslMode::Prefer,
            "require" => PgSslMode::Require,
            "verify-ca" => PgSslMode::VerifyCa,
            "verify-full" => PgSslMode::VerifyFull,
            _ => return None,
        })
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

fn get<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(doc, |v, key| v.get(key))
}

fn str_at<'a>(doc: &'a Value, path: &str) -> Option<&'a str> {
    get(doc, path).and_then(Value::as_str)
}

fn secret_at(doc: &Value, path: &str) -> Result<Secret, TargetError> {
    match get(doc, path) {
        None | Some(Value::Null) => Ok(Secret::default()),
        Some(Value::String(s)) if s == MASK => Err(TargetError::Masked {
            path: path.to_owned(),
        }),
        Some(Value::String(s)) => Ok(Secret::new(s.clone())),
        Some(_) => Err(TargetError::Missing {
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

fn port_of(value: Option<&Value>, default: u16, path: &str) -> Result<u16, TargetError> {
    let invalid = |shown: String| TargetError::Invalid {
        path: path.to_owned(),
        value: shown,
        reason: "not a port number".to_owned(),
    };
    match value {
        None | Some(Value::Null) => Ok(default),
        Some(Value::String(s)) if s.is_empty() => Ok(default),
        Some(Value::String(s)) => s.parse().map_err(|_| invalid(s.clone())),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .ok_or_else(|| invalid(n.to_string())),
        Some(other) => Err(invalid(other.to_string())),
    }
}

/// Derives every check from the revealed resolution document.
///
/// Databases: one check per `django.DATABASES` alias (postgres engines → `supabase`, or
/// `mariadb` when the fallback is active; mysql engines → `mariadb`; sqlite is skipped).
/// Cache: `django.CACHES.default.LOCATION` (`dragonfly`). `ragflow.HEALTH_URL` (else
/// `BASE_URL` + `/api/v1/system/healthz`), `rocketmq.NAMESRV_ADDR` (each `;`-separated
/// address) and, when `vault.enabled`, `vault.addr`. Every check is required except Vault
/// when the fallback is active (the profile already tolerated Vault's failure).
pub fn targets(doc: &Value) -> Result<Vec<Target>, TargetError> {
    let fallback = get(doc, "fallback.active")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut out = Vec::new();

    let databases = get(doc, "django.DATABASES")
        .and_then(Value::as_object)
        .ok_or_else(|| TargetError::Missing {
            path: "django.DATABASES".to_owned(),
            expected: "an object",
        })?;
    for (alias, db) in databases {
        let base = format!("django.DATABASES.{alias}");
        let engine = db.get("ENGINE").and_then(Value::as_str).unwrap_or("");
        let field = |name: &str| -> String {
            db.get(name)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        let host = field("HOST");
        let password = secret_at(doc, &format!("{base}.PASSWORD"))?;
        if engine.contains("postgres") || engine.contains("postgis") {
            let port = port_of(db.get("PORT"), 5432, &format!("{base}.PORT"))?;
            let options = db.get("OPTIONS");
            let opt = |name: &str| {
                options
                    .and_then(|o| o.get(name))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            let sslmode = match opt("sslmode") {
                None => PgSslMode::Prefer,
                Some(text) => PgSslMode::parse(&text).ok_or_else(|| TargetError::Invalid {
                    path: format!("{base}.OPTIONS.sslmode"),
                    value: text.clone(),
                    reason: "expected disable, allow, prefer, require, verify-ca or verify-full"
                        .to_owned(),
                })?,
            };
            let host = if host.is_empty() {
                "/var/run/postgresql".to_owned()
            } else {
                host
            };
            out.push(Target {
                service: if fallback { "mariadb" } else { "supabase" }.to_owned(),
                alias: Some(alias.clone()),
                address: address(&host, port),
                required: true,
                probe: Probe::Postgres(PostgresTarget {
                    host,
                    port,
                    user: field("USER"),
                    password,
                    dbname: field("NAME"),
                    sslmode,
                    sslrootcert: opt("sslrootcert"),
                }),
            });
        } else if engine.contains("mysql") {
            let port = port_of(db.get("PORT"), 3306, &format!("{base}.PORT"))?;
            let host = if host.is_empty() {
                "localhost".to_owned()
            } else {
                host
            };
            out.push(Target {
                service: "mariadb".to_owned(),
                alias: Some(alias.clone()),
                address: address(&host, port),
                required: true,
                probe: Probe::Mysql(MysqlTarget {
                    host,
                    port,
                    user: field("USER"),
                    password,
                    dbname: field("NAME"),
                }),
            });
        } else if engine.contains("sqlite") {
            // A file, not a service: nothing to connect to.
        } else {
            return Err(TargetError::Invalid {
                path: format!("{base}.ENGINE"),
                value: engine.to_owned(),
                reason: "verify knows postgresql, postgis, mysql and sqlite engines".to_owned(),
            });
        }
    }

    let cache_path = "django.CACHES.default.LOCATION";
    if let Some(location) = str_at(doc, cache_path).filter(|s| !s.is_empty()) {
        let redis = parse_redis_url(location, cache_path)?;
        out.push(Target {
            service: "dragonfly".to_owned(),
            alias: None,
            address: address(&redis.host, redis.port),
            required: true,
            probe: Probe::Redis(redis),
        });
    }

    let health = match str_at(doc, "ragflow.HEALTH_URL").filter(|s| !s.is_empty()) {
        Some(url) => Some((url.to_owned(), "ragflow.HEALTH_URL")),
        None => str_at(doc, "ragflow.BASE_URL")
            .filter(|s| !s.is_empty())
            .map(|base| {
                (
                    format!("{}/api/v1/system/healthz", base.trim_end_matches('/')),
                    "ragflow.BASE_URL",
                )
            }),
    };
    if let Some((url, path)) = health {
        let bearer = secret_at(doc, "ragflow.API_KEY")?;
        let (tls, host, port, path_query) = parse_http_url(&url, path)?;
        out.push(Target {
            service: "ragflow".to_owned(),
            alias: None,
            address: address(&host, port),
            required: true,
            probe: Probe::Http(HttpTarget {
                kind: HttpKind::Ragflow,
                tls,
                host,
                port,
                path: path_query,
                bearer,
            }),
        });
    }

    let namesrv_path = "rocketmq.NAMESRV_ADDR";
    if let Some(list) = str_at(doc, namesrv_path).filter(|s| !s.is_empty()) {
        for item in list.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            let (host, port) = split_host_port(item, 9876, namesrv_path)?;
            out.push(Target {
                service: "rocketmq".to_owned(),
                alias: None,
                address: address(&host, port),
                required: true,
                probe: Probe::RocketMq { host, port },
            });
        }
    }

    let vault_enabled = get(doc, "vault.enabled")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if let Some(addr) = str_at(doc, "vault.addr").filter(|s| vault_enabled && !s.is_empty()) {
        let (tls, host, port, _) = parse_http_url(addr, "vault.addr")?;
        out.push(Target {
            service: "vault".to_owned(),
            alias: None,
            address: address(&host, port),
            required: !fallback,
            probe: Probe::Http(HttpTarget {
                kind: HttpKind::Vault,
                tls,
                host,
                port,
                path: "/v1/sys/health".to_owned(),
                bearer: Secret::default(),
            }),
        });
    }
    Ok(out)
}

/// `host[:port]` with an optional bracketed IPv6 host.
fn split_host_port(text: &str, default: u16, path: &str) -> Result<(String, u16), TargetError> {
    let invalid = |reason: &str| TargetError::Invalid {
        path: path.to_owned(),
        value: text.to_owned(),
        reason: reason.to_owned(),
    };
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| invalid("unclosed `[` in the host"))?;
        (host.to_owned(), after.strip_prefix(':'))
    } else {
        match text.rsplit_once(':') {
            Some((host, port)) if !host.contains(':') => (host.to_owned(), Some(port)),
            _ => (text.to_owned(), None),
        }
    };
    if host.is_empty() {
        return Err(invalid("no host"));
    }
    let port = match port {
        None | Some("") => default,
        Some(p) => p.parse().map_err(|_| invalid("not a port number"))?,
    };
    Ok((host.to_ascii_lowercase(), port))
}

/// `redis://[[user]:[password]@]host[:port][/db][?query]` and `rediss://`, parsed by the
/// core's cache-URL parser; the query's `db`, `ssl_cert_reqs` and `ssl_ca_certs` are honoured.
fn parse_redis_url(url: &str, path: &str) -> Result<RedisTarget, TargetError> {
    let invalid = |reason: String| TargetError::Invalid {
        path: path.to_owned(),
        value: redact_url(url),
        reason,
    };
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
        port: parsed.port.unwrap_or(6379),
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

/// `http(s)://host[:port][/path]` → (tls, host, port, path-and-query).
fn parse_http_url(url: &str, path: &str) -> Result<(bool, String, u16, String), TargetError> {
    let invalid = |reason: &str| TargetError::Invalid {
        path: path.to_owned(),
        value: redact_url(url),
        reason: reason.to_owned(),
    };
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
    let tail = if tail.starts_with('/') {
        tail.to_owned()
    } else {
        format!("/{tail}")
    };
    Ok((tls, host, port, tail))
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
