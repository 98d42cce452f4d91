//! The field table: every value of a service section described as data — its key, whether it
//! is a secret or a port, and its sources — and the one loop that resolves a section with
//! provenance. Precedence comes from each source's kind (default < stack < Kubernetes <
//! environment < Vault < override); among sources of one kind the first listed wins.

use serde_json::Value;

use super::builder::{Builder, Cand};
use super::context::{parse_port, src, Context};
use super::VaultView;
use crate::catalog::{self, ServiceKind};
use crate::error::ResolveError;
use crate::resolution::{Source, SourceKind};
use crate::secret::Secret;
use crate::stack::Alias;

/// A part of a section's URL variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    Host,
    Port,
    Db,
    Tls,
    User,
    Password,
    /// A database URL's name (an alias's own URL only).
    Name,
    /// A database URL's Django engine.
    Engine,
}

/// A built-in value.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Lit {
    Str(&'static str),
    Int(u64),
    Bool(bool),
}

/// One source of a field.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Src {
    /// A field of the section's service's Vault KV secret.
    Kv(&'static str),
    /// A part of the section's URL variable (when the URL has it).
    Url(Part),
    /// A variable, whole (parsed as a port for a port field).
    Var(&'static str),
    /// The service's host: discovered in Kubernetes, else `localhost`.
    Host,
    /// The catalog's port of the service.
    Port,
    /// A built-in default with its provenance label.
    Const(&'static str, Lit),
    /// Dynamic database credentials of the alias's `vault_role` (`username`, `password`).
    Creds(&'static str),
    /// A `SUPABASE_DB_*` variable: for aliases of the `supabase` service only.
    Discrete(&'static str),
    /// A source for the `default` alias only.
    Primary(&'static Src),
    /// The alias's `database` in the stack.
    StackDatabase,
    /// The alias service's default (`user`, `database`, `engine`): PostgreSQL's for
    /// `supabase`, MySQL's otherwise.
    ServiceDefault(&'static str),
    /// A Django setting of the stack file: the alias's key, else the `[django]` table's.
    StackKey(&'static str),
    /// A transaction pooler in front of the alias (`true`): its stack key `pooler`, else
    /// detected from the section's `PORT` 6543 on a Supabase alias.
    Pooler,
}

/// One value of a section.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    pub(crate) key: &'static str,
    pub(crate) secret: bool,
    pub(crate) port: bool,
    pub(crate) from: &'static [Src],
}

const fn field(key: &'static str, from: &'static [Src]) -> Field {
    Field {
        key,
        secret: false,
        port: false,
        from,
    }
}

const fn port(key: &'static str, from: &'static [Src]) -> Field {
    Field {
        key,
        secret: false,
        port: true,
        from,
    }
}

const fn secret(key: &'static str, from: &'static [Src]) -> Field {
    Field {
        key,
        secret: true,
        port: false,
        from,
    }
}

/// How a section's URL variable is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UrlKind {
    /// The `default` alias's database URL (its `url_env`, then `SUPABASE_DB_URL`).
    Database,
    /// A `redis://` / `rediss://` cache URL.
    Cache,
    /// An `http(s)://host[:port]` URL.
    Http,
    /// RocketMQ name servers `host:port[;host:port]` (the first one).
    Namesrv,
}

/// A section of the document: `services.<service>`, `ragflow`, `rocketmq`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Section {
    pub(crate) service: ServiceKind,
    /// The document path of the section.
    pub(crate) base: &'static str,
    /// The variables holding its URL, in precedence order, and how to read it.
    pub(crate) url: &'static [&'static str],
    pub(crate) url_kind: UrlKind,
    pub(crate) fields: &'static [Field],
}

use Lit::{Bool, Int, Str};
use Src::{
    Const, Creds, Discrete, Host, Kv, Pooler, Port, Primary, ServiceDefault, StackDatabase,
    StackKey, Url, Var,
};

const HOST_PORT_FROM_URL: [Field; 2] = [
    field("host", &[Url(Part::Host), Host]),
    port("port", &[Url(Part::Port), Port]),
];

/// The `services` section, in document order (the fallback's `mariadb` is written apart).
pub(crate) const SERVICES: [Section; 5] = [
    Section {
        service: ServiceKind::Supabase,
        base: "services.supabase",
        url: &[],
        url_kind: UrlKind::Database,
        fields: &[
            field(
                "host",
                &[Kv("host"), Url(Part::Host), Var("SUPABASE_DB_HOST"), Host],
            ),
            port(
                "port",
                &[Kv("port"), Url(Part::Port), Var("SUPABASE_DB_PORT"), Port],
            ),
        ],
    },
    Section {
        service: ServiceKind::Dragonfly,
        base: "services.dragonfly",
        url: &["DRAGONFLY_URL", "REDIS_URL"],
        url_kind: UrlKind::Cache,
        fields: &[
            HOST_PORT_FROM_URL[0],
            HOST_PORT_FROM_URL[1],
            field("db", &[Url(Part::Db), Const("dragonfly db", Int(0))]),
            field(
                "tls",
                &[Url(Part::Tls), Const("dragonfly tls", Bool(false))],
            ),
            field(
                "username",
                &[
                    Kv("username"),
                    Url(Part::User),
                    Const("no ACL user", Str("")),
                ],
            ),
            secret(
                "password",
                &[
                    Kv("password"),
                    Url(Part::Password),
                    Const("no password", Str("")),
                ],
            ),
        ],
    },
    Section {
        service: ServiceKind::Ragflow,
        base: "services.ragflow",
        url: &["RAGFLOW_URL"],
        url_kind: UrlKind::Http,
        fields: &HOST_PORT_FROM_URL,
    },
    Section {
        service: ServiceKind::Rocketmq,
        base: "services.rocketmq",
        url: &["ROCKETMQ_NAMESRV_ADDR", "NAMESRV_ADDR"],
        url_kind: UrlKind::Namesrv,
        fields: &HOST_PORT_FROM_URL,
    },
    Section {
        service: ServiceKind::Vault,
        base: "services.vault",
        url: &["VAULT_ADDR"],
        url_kind: UrlKind::Http,
        fields: &HOST_PORT_FROM_URL,
    },
];

/// The credentials of RAGflow and RocketMQ (their addresses are derived from the services).
pub(crate) const RAGFLOW_KEY: Section = Section {
    service: ServiceKind::Ragflow,
    base: "ragflow",
    url: &[],
    url_kind: UrlKind::Http,
    fields: &[secret(
        "API_KEY",
        &[
            Kv("api_key"),
            Var("RAGFLOW_API_KEY"),
            Const("no API key", Str("")),
        ],
    )],
};

/// RocketMQ's ACL keys.
pub(crate) const ROCKETMQ_KEYS: Section = Section {
    service: ServiceKind::Rocketmq,
    base: "rocketmq",
    url: &[],
    url_kind: UrlKind::Namesrv,
    fields: &[
        field(
            "ACCESS_KEY",
            &[
                Kv("access_key"),
                Var("ROCKETMQ_ACCESS_KEY"),
                Const("no ACL", Str("")),
            ],
        ),
        secret(
            "SECRET_KEY",
            &[
                Kv("secret_key"),
                Var("ROCKETMQ_SECRET_KEY"),
                Const("no ACL", Str("")),
            ],
        ),
    ],
};

const DEFAULTS: &str = "dj-database-url defaults";

/// Each alias's `django.DATABASES.<alias>` dict, in document order (`OPTIONS` apart). The
/// first nine are always written (read back by index in `databases.rs`); `ATOMIC_REQUESTS`
/// and `TEST` only when the stack file sets them, so a URL alone gives dj-database-url's dict.
pub(crate) const DATABASE: [Field; 11] = [
    field(
        "NAME",
        &[
            Url(Part::Name),
            Primary(&Discrete("SUPABASE_DB_NAME")),
            Primary(&Kv("dbname")),
            StackDatabase,
            ServiceDefault("database"),
        ],
    ),
    field(
        "USER",
        &[
            Creds("username"),
            Kv("username"),
            Url(Part::User),
            Discrete("SUPABASE_DB_USER"),
            ServiceDefault("user"),
        ],
    ),
    secret(
        "PASSWORD",
        &[
            Creds("password"),
            Kv("password"),
            Url(Part::Password),
            Discrete("SUPABASE_DB_PASSWORD"),
            Const("no password", Str("")),
        ],
    ),
    field(
        "HOST",
        &[
            Kv("host"),
            Url(Part::Host),
            Discrete("SUPABASE_DB_HOST"),
            Host,
        ],
    ),
    port(
        "PORT",
        &[
            Kv("port"),
            Url(Part::Port),
            Discrete("SUPABASE_DB_PORT"),
            Port,
        ],
    ),
    field(
        "CONN_MAX_AGE",
        &[StackKey("conn_max_age"), Const(DEFAULTS, Int(0))],
    ),
    field(
        "CONN_HEALTH_CHECKS",
        &[StackKey("conn_health_checks"), Const(DEFAULTS, Bool(false))],
    ),
    field(
        "DISABLE_SERVER_SIDE_CURSORS",
        &[
            StackKey("disable_server_side_cursors"),
            Pooler,
            Const(DEFAULTS, Bool(false)),
        ],
    ),
    field("ENGINE", &[Url(Part::Engine), ServiceDefault("engine")]),
    field("ATOMIC_REQUESTS", &[StackKey("atomic_requests")]),
    field("TEST", &[StackKey("test")]),
];

/// Why an alias is behind a transaction pooler, given its resolved `HOST` and `PORT`: the
/// source of `DISABLE_SERVER_SIDE_CURSORS: true`, or `None`. The stack's `pooler` decides
/// when set (`session` and `none` give `Some((source, false))`); else port 6543 on a Supabase
/// alias is Supavisor's (or PgBouncer's) transaction mode. A `*.pooler.supabase.com` host on
/// 5432 is Supavisor's session mode: nothing changes.
pub(crate) fn pooler(alias: &Alias, port: Option<&Value>) -> Option<(Source, bool)> {
    if let Some(set) = alias.setting("pooler") {
        let transaction = set.value.as_str() == Some("transaction");
        return Some((src(SourceKind::Stack, set.origin.clone()), transaction));
    }
    (alias.service == ServiceKind::Supabase && port.and_then(Value::as_u64) == Some(6543)).then(
        || {
            (
                src(SourceKind::Default, "transaction pooler (port 6543)"),
                true,
            )
        },
    )
}

/// A section's URL variable, parsed: the variable and its parts.
#[derive(Debug, Default)]
pub(crate) struct Parts {
    pub(crate) var: String,
    pub(crate) values: Vec<(Part, Value)>,
}

impl Parts {
    pub(crate) fn get(&self, part: Part) -> Option<&Value> {
        self.values.iter().find(|(p, _)| *p == part).map(|(_, v)| v)
    }
}

/// What a section's sources read: its service, its URLs (an alias's own, then the one of
/// `default` it shares), and for a database alias the alias and its dynamic credentials.
#[derive(Debug)]
pub(crate) struct Scope<'s> {
    pub(crate) service: ServiceKind,
    pub(crate) base: &'s str,
    pub(crate) urls: &'s [Parts],
    pub(crate) alias: Option<&'s Alias>,
    /// (username, password, Vault path) of the alias's `vault_role`.
    pub(crate) creds: Option<(&'s str, &'s Secret, String)>,
}

/// Resolves `fields` into `b` under `scope.base`, one leaf per field; returns where they start
/// ([`Builder::written`]).
pub(crate) fn resolve_fields(
    ctx: &Context<'_>,
    vault: &VaultView<'_>,
    b: &mut Builder<'_>,
    scope: &Scope<'_>,
    fields: &[Field],
) -> Result<usize, ResolveError> {
    let start = b.len();
    let mut path = String::with_capacity(scope.base.len() + 32);
    for field in fields {
        let mut cands = Vec::with_capacity(field.from.len() + 1);
        for from in field.from {
            let done = b.written(start);
            candidates(ctx, vault, scope, field, from, done, &mut cands)?;
        }
        path.clear();
        path.push_str(scope.base);
        path.push('.');
        path.push_str(field.key);
        b.leaf_at(&path, cands)?;
    }
    Ok(start)
}

/// The candidates one source gives a field.
fn candidates(
    ctx: &Context<'_>,
    vault: &VaultView<'_>,
    scope: &Scope<'_>,
    field: &Field,
    from: &Src,
    done: &[crate::resolution::Leaf],
    cands: &mut Vec<Cand>,
) -> Result<(), ResolveError> {
    let supabase = scope.service == ServiceKind::Supabase;
    let text = |source: Source, text: &str| -> Result<Cand, ResolveError> {
        Ok(if field.port {
            let port = parse_port(&source.name, text)?;
            Cand::new(source, port)
        } else if field.secret {
            Cand::secret(source, text)
        } else {
            Cand::new(source, text)
        })
    };
    let value = |source: Source, value: Value| match value {
        Value::String(s) if field.secret => Cand::secret(source, &s),
        _ => Cand::new(source, value),
    };
    match *from {
        Kv(name) => {
            if let Some((v, s)) = vault.kv(scope.service, name) {
                cands.push(text(s, v.expose())?);
            }
        }
        Var(name) => {
            if let Some(v) = ctx.var(name) {
                cands.push(text(src(SourceKind::Env, name), v)?);
            }
        }
        Discrete(name) if supabase => {
            if let Some(v) = ctx.var(name) {
                cands.push(text(src(SourceKind::Env, name), v)?);
            }
        }
        Discrete(_) => {}
        Primary(inner) => {
            if scope.alias.is_some_and(|a| a.name == "default") {
                candidates(ctx, vault, scope, field, inner, done, cands)?;
            }
        }
        Url(part) => {
            for parts in scope.urls {
                if let Some(v) = parts.get(part) {
                    cands.push(value(src(SourceKind::Env, parts.var.clone()), v.clone()));
                }
            }
        }
        Creds(which) => {
            if let Some((user, password, path)) = &scope.creds {
                let source = src(SourceKind::Vault, format!("{path}#{which}"));
                let v = if which == "password" {
                    password.expose()
                } else {
                    user
                };
                cands.push(text(source, v)?);
            }
        }
        StackDatabase => {
            if let Some((alias, db)) = scope.alias.and_then(|a| Some((a, a.database.as_ref()?))) {
                let kind = if ctx.stack.origin == crate::stack::BUILTIN {
                    SourceKind::Default
                } else {
                    SourceKind::Stack
                };
                cands.push(Cand::new(
                    src(kind, alias.database_origin.clone()),
                    db.as_str(),
                ));
            }
        }
        ServiceDefault(key) => {
            let v = match (key, supabase) {
                ("engine", true) => catalog::ENGINE_POSTGRESQL,
                ("engine", false) => catalog::ENGINE_MYSQL,
                (_, true) => "postgres",
                ("user", false) => "root",
                (_, false) => scope.alias.map_or("", |a| a.name.as_str()),
            };
            let label = scope.service.default_label(key);
            cands.push(Cand::new(src(SourceKind::Default, label), v));
        }
        Host => {
            let host = ctx.service_default_host(scope.service);
            cands.push(Cand::new(host.source, host.value));
        }
        Port => {
            let spec = scope.service.spec();
            let kind = if ctx.in_cluster.value && spec.k8s_service.is_some() {
                SourceKind::Kubernetes
            } else {
                SourceKind::Default
            };
            let label = scope.service.default_label("port");
            cands.push(Cand::new(src(kind, label), spec.port));
        }
        StackKey(key) => {
            if let Some(set) = scope.alias.and_then(|a| a.setting(key)) {
                cands.push(Cand::new(
                    src(SourceKind::Stack, set.origin.clone()),
                    set.value.clone(),
                ));
            }
        }
        Pooler => {
            // PORT, the fifth of `DATABASE` (the only row with this source).
            let port = done.get(4).map(|l| &l.value);
            if let Some((source, on)) = scope.alias.and_then(|a| pooler(a, port)) {
                cands.push(Cand::new(source, on));
            }
        }
        Const(label, lit) => {
            let v = match lit {
                Str(s) => Value::from(s),
                Int(n) => Value::from(n),
                Bool(v) => Value::from(v),
            };
            cands.push(value(src(SourceKind::Default, label), v));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env_vars::KNOWN;

    /// Every variable the table reads is in `env_vars::KNOWN` (and so in the README's table,
    /// `core/tests/readme.rs`), secret exactly when its field is.
    #[test]
    fn the_table_reads_known_variables_only() {
        let sections = SERVICES.iter().chain([&RAGFLOW_KEY, &ROCKETMQ_KEYS]);
        let mut fields: Vec<&Field> = sections.clone().flat_map(|s| s.fields).collect();
        fields.extend(DATABASE.iter());
        let mut seen = 0;
        for field in fields {
            for from in field.from {
                let name = match from {
                    Var(n) | Discrete(n) => *n,
                    Primary(Discrete(n)) => *n,
                    _ => continue,
                };
                let known = KNOWN.iter().find(|v| v.name == name);
                assert_eq!(known.map(|v| v.secret), Some(field.secret), "{name}");
                seen += 1;
            }
        }
        for name in sections.flat_map(|s| s.url) {
            assert!(KNOWN.iter().any(|v| v.name == *name), "{name}");
            seen += 1;
        }
        assert!(seen >= 15, "{seen}");
    }
}
