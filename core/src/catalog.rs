//! The service catalog: the one place where the stack's names and ports are defined.
//!
//! The Kubernetes manifests, the Terraform modules and `dbstack check-infra` all compare
//! against this table.

use serde::Serialize;

/// A service dbstack knows how to resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceKind {
    /// Supabase (PostgreSQL).
    Supabase,
    /// Dragonfly (Redis protocol).
    Dragonfly,
    /// RAGFlow.
    Ragflow,
    /// RocketMQ.
    Rocketmq,
    /// Vault (OpenBao).
    Vault,
    /// MariaDB.
    Mariadb,
}

impl ServiceKind {
    /// Every service, in the order the resolution lists them.
    pub const ALL: [ServiceKind; 6] = [
        ServiceKind::Supabase,
        ServiceKind::Dragonfly,
        ServiceKind::Ragflow,
        ServiceKind::Rocketmq,
        ServiceKind::Vault,
        ServiceKind::Mariadb,
    ];

    /// The name used in stack files, Vault paths and the resolution.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// Parses a service name as written in a stack file.
    pub(crate) fn from_name(name: &str) -> Option<ServiceKind> {
        ServiceKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Provenance label of the built-in default of `field` (`supabase host`).
    pub(crate) fn default_label(self, field: &str) -> &'static str {
        /// The fields with a built-in default, and each service's labels for them (a table,
        /// not a `match` on (service, field): one lookup instead of thirty string compares).
        const FIELDS: [&str; 5] = ["host", "port", "user", "database", "engine"];
        macro_rules! labels {
            ($($name:literal),*) => {
                [$([
                    concat!($name, " host"),
                    concat!($name, " port"),
                    concat!($name, " user"),
                    concat!($name, " database"),
                    concat!($name, " engine"),
                ]),*]
            };
        }
        // In the order of the enum.
        const LABELS: [[&str; 5]; 6] = labels!(
            "supabase",
            "dragonfly",
            "ragflow",
            "rocketmq",
            "vault",
            "mariadb"
        );
        FIELDS
            .iter()
            .position(|f| *f == field)
            .and_then(|i| LABELS.get(self as usize)?.get(i).copied())
            .unwrap_or("built-in default")
    }

    /// The catalog entry of this service.
    pub fn spec(self) -> &'static ServiceSpec {
        match self {
            ServiceKind::Supabase => &SUPABASE,
            ServiceKind::Dragonfly => &DRAGONFLY,
            ServiceKind::Ragflow => &RAGFLOW,
            ServiceKind::Rocketmq => &ROCKETMQ,
            ServiceKind::Vault => &VAULT,
            ServiceKind::Mariadb => &MARIADB,
        }
    }
}

/// One row of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceSpec {
    /// Name in stack files and Vault paths (`supabase`).
    pub name: &'static str,
    /// What it is, for people.
    pub(crate) description: &'static str,
    /// Kubernetes Service name (`supabase-db`); `None` for the local-only fallback.
    pub k8s_service: Option<&'static str>,
    /// The port clients connect to.
    pub port: u16,
    /// Extra named ports the infrastructure must expose (name, Service, port).
    pub extra_ports: &'static [ExtraPort],
    /// Container image the manifests and Terraform modules deploy.
    pub image: Option<&'static str>,
}

/// A second port of a service, possibly on a companion Kubernetes Service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExtraPort {
    /// The port's name.
    pub(crate) name: &'static str,
    /// The Kubernetes Service exposing it.
    pub k8s_service: &'static str,
    /// The port number.
    pub port: u16,
}

/// The Supabase (PostgreSQL) service.
pub const SUPABASE: ServiceSpec = ServiceSpec {
    name: "supabase",
    description: "Supabase PostgreSQL",
    k8s_service: Some("supabase-db"),
    port: 5432,
    extra_ports: &[],
    image: Some("supabase/postgres:15.8.1.060"),
};

/// The Dragonfly (Redis protocol) service.
pub const DRAGONFLY: ServiceSpec = ServiceSpec {
    name: "dragonfly",
    description: "DragonflyDB (Redis protocol)",
    k8s_service: Some("dragonfly"),
    port: 6379,
    extra_ports: &[],
    image: Some("docker.dragonflydb.io/dragonflydb/dragonfly:v1.27.1"),
};

pub(crate) const RAGFLOW: ServiceSpec = ServiceSpec {
    name: "ragflow",
    description: "RAGflow (vector search / RAG, HTTP)",
    k8s_service: Some("ragflow"),
    port: 9380,
    extra_ports: &[],
    image: Some("infiniflow/ragflow:v0.17.2-slim"),
};

/// The RocketMQ name server.
pub const ROCKETMQ: ServiceSpec = ServiceSpec {
    name: "rocketmq",
    description: "RocketMQ name server (+ broker)",
    k8s_service: Some("rocketmq-namesrv"),
    port: 9876,
    extra_ports: &[ExtraPort {
        name: "broker",
        k8s_service: "rocketmq-broker",
        port: 10911,
    }],
    image: Some("apache/rocketmq:5.3.1"),
};

pub(crate) const VAULT: ServiceSpec = ServiceSpec {
    name: "vault",
    description: "HashiCorp Vault / OpenBao",
    k8s_service: Some("vault"),
    port: 8200,
    extra_ports: &[],
    image: Some("hashicorp/vault:1.18.3"),
};

/// The MariaDB service.
pub const MARIADB: ServiceSpec = ServiceSpec {
    name: "mariadb",
    description: "MariaDB, local-development fallback only",
    k8s_service: None,
    port: 3306,
    extra_ports: &[],
    image: None,
};

/// The services whose static secrets can live in KV v2 (`<kv_mount>/<kv_prefix>/<service>`),
/// in read order: the default of the stack file's `[vault] kv_services`.
pub(crate) const KV_SERVICES: [ServiceKind; 4] = [
    ServiceKind::Supabase,
    ServiceKind::Dragonfly,
    ServiceKind::Ragflow,
    ServiceKind::Rocketmq,
];

/// The default development fallback target.
pub(crate) const DEFAULT_FALLBACK_URL: &str = "mysql://root@127.0.0.1:3306/agent_runtime";
/// Default Kubernetes cluster domain.
pub(crate) const DEFAULT_CLUSTER_DOMAIN: &str = "cluster.local";
/// Default Kubernetes namespace when nothing names one.
pub const DEFAULT_NAMESPACE: &str = "default";
/// The router class every resolution installs.
pub(crate) const ROUTER_CLASS: &str = "dbstack.django.Router";

/// Django engine of the postgres, postgresql and pgsql schemes (and of `supabase` aliases).
pub(crate) const ENGINE_POSTGRESQL: &str = "django.db.backends.postgresql";
/// Django engine of the postgis scheme.
pub(crate) const ENGINE_POSTGIS: &str = "django.contrib.gis.db.backends.postgis";
/// Django engine of the mysql and mysql2 schemes (and of `mariadb` aliases).
pub(crate) const ENGINE_MYSQL: &str = "django.db.backends.mysql";
/// Django engine of the mysqlgis scheme.
pub(crate) const ENGINE_MYSQLGIS: &str = "django.contrib.gis.db.backends.mysql";
/// Django engine of the sqlite scheme.
pub const ENGINE_SQLITE: &str = "django.db.backends.sqlite3";

/// What dj-database-url 3.x's post-processing does to the dict of a scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemeQuirk {
    /// Nothing.
    Plain,
    /// An empty `NAME` becomes `:memory:` (sqlite only, not spatialite).
    MemoryName,
    /// `PORT` is a string: `"1521"`, `""` (oracle, mssql, mssqlms).
    StrPort,
    /// The `ssl-ca` option becomes `OPTIONS.ssl = {"ca": ...}` (mysql, mysql2 only).
    SslCa,
    /// The `currentSchema` option becomes `OPTIONS.options = "-c search_path=..."` (the
    /// PostgreSQL-based schemes; dbstack also checks `sslmode` there, as a libpq mode).
    CurrentSchema,
}

/// One database URL scheme: dj-database-url 3.x's `ENGINE_SCHEMES` entry, the server
/// `dbstack verify` speaks to for it (`None`: not probed, reported as skipped) and its quirk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DbScheme {
    /// The URL scheme.
    pub scheme: &'static str,
    /// The Django `ENGINE` it maps to.
    pub engine: &'static str,
    /// The server family `dbstack verify` probes; `None`: not probed.
    pub(crate) family: Option<EngineFamily>,
    /// How its URL is read.
    pub(crate) quirk: SchemeQuirk,
}

const fn scheme(
    scheme: &'static str,
    engine: &'static str,
    family: Option<EngineFamily>,
    quirk: SchemeQuirk,
) -> DbScheme {
    DbScheme {
        scheme,
        engine,
        family,
        quirk,
    }
}

const PG: Option<EngineFamily> = Some(EngineFamily::Postgres);
const MY: Option<EngineFamily> = Some(EngineFamily::Mysql);
const FILE: Option<EngineFamily> = Some(EngineFamily::Sqlite);

/// Every scheme dj-database-url 3.0.1 registers (its `ENGINE_SCHEMES`), the one table the
/// URL parser, `DatabaseConfig::scheme` and [`EngineFamily::of`] read. The first row of an
/// engine is the scheme a config is written back with. `tests/url/generate.py` checks this
/// list against the installed library.
#[rustfmt::skip] // one row per line
pub const DATABASE_SCHEMES: [DbScheme; 18] = {
    use SchemeQuirk::{CurrentSchema as Cs, MemoryName, Plain, SslCa, StrPort};
    [
        scheme("postgres", ENGINE_POSTGRESQL, PG, Cs),
        scheme("postgresql", ENGINE_POSTGRESQL, PG, Cs),
        scheme("pgsql", ENGINE_POSTGRESQL, PG, Cs),
        scheme("postgis", ENGINE_POSTGIS, PG, Cs),
        scheme("timescale", "timescale.db.backends.postgresql", PG, Cs),
        scheme("timescalegis", "timescale.db.backends.postgis", PG, Cs),
        scheme("redshift", "django_redshift_backend", None, Cs),
        scheme("cockroach", "django_cockroachdb", None, Plain),
        scheme("mysql", ENGINE_MYSQL, MY, SslCa),
        scheme("mysql2", ENGINE_MYSQL, MY, SslCa),
        scheme("mysqlgis", ENGINE_MYSQLGIS, MY, Plain),
        scheme("mysql-connector", "mysql.connector.django", MY, Plain),
        scheme("sqlite", ENGINE_SQLITE, FILE, MemoryName),
        scheme("spatialite", "django.contrib.gis.db.backends.spatialite", FILE, Plain),
        scheme("oracle", "django.db.backends.oracle", None, StrPort),
        scheme("oraclegis", "django.contrib.gis.db.backends.oracle", None, Plain),
        scheme("mssql", "sql_server.pyodbc", None, StrPort),
        scheme("mssqlms", "mssql", None, StrPort),
    ]
};

impl DbScheme {
    /// The row of a URL scheme (lower-case, as `urlsplit` gives it).
    pub(crate) fn of_scheme(name: &str) -> Option<&'static DbScheme> {
        DATABASE_SCHEMES.iter().find(|s| s.scheme == name)
    }

    /// The first row of a Django engine.
    pub fn of_engine(engine: &str) -> Option<&'static DbScheme> {
        DATABASE_SCHEMES.iter().find(|s| s.engine == engine)
    }
}

/// The `BACKEND` of the cache dict.
pub(crate) const REDIS_CACHE_BACKEND: &str = "django.core.cache.backends.redis.RedisCache";
/// The `BACKEND` of the channel layer.
pub(crate) const CHANNELS_REDIS_BACKEND: &str = "channels_redis.core.RedisChannelLayer";
/// libpq's `sslmode` values, weakest first.
pub const SSLMODES: [&str; 6] = [
    "disable",
    "allow",
    "prefer",
    "require",
    "verify-ca",
    "verify-full",
];
/// RAGflow's health endpoint, below its base URL.
pub const RAGFLOW_HEALTH_PATH: &str = "/api/v1/system/healthz";
/// Vault's health endpoint, below its address.
pub const VAULT_HEALTH_PATH: &str = "/v1/sys/health";

/// The kind of server a Django database engine talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineFamily {
    /// PostgreSQL (postgresql, postgis, timescale).
    Postgres,
    /// MySQL / MariaDB (mysql, mysqlgis, mysql-connector).
    Mysql,
    /// A file (sqlite, spatialite): nothing to connect to.
    Sqlite,
}

impl EngineFamily {
    /// The family of an `ENGINE` value: its row of [`DATABASE_SCHEMES`], else by name (an
    /// engine no scheme gives, e.g. dbstack's own `dbstack.django.db.backends.postgresql`);
    /// `None` for a server `dbstack verify` does not probe.
    pub fn of(engine: &str) -> Option<EngineFamily> {
        if let Some(row) = DbScheme::of_engine(engine) {
            return row.family;
        }
        if engine.contains("postgres") || engine.contains("postgis") {
            Some(EngineFamily::Postgres)
        } else if engine.contains("mysql") {
            Some(EngineFamily::Mysql)
        } else if engine.contains("sqlite") {
            Some(EngineFamily::Sqlite)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `[vault] kv_services` is parsed into flags indexed by `ServiceKind as usize`.
    #[test]
    fn kv_services_are_the_first_service_kinds() {
        for (i, kind) in KV_SERVICES.iter().enumerate() {
            assert_eq!(*kind as usize, i);
        }
    }

    #[test]
    fn default_labels_name_the_service_and_field() {
        for kind in ServiceKind::ALL {
            for field in ["host", "port", "user", "database", "engine"] {
                assert_eq!(
                    kind.default_label(field),
                    format!("{} {field}", kind.name())
                );
            }
        }
        assert_eq!(
            ServiceKind::Vault.default_label("password"),
            "built-in default"
        );
    }
}
