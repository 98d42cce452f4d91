//! Every environment variable dbstack reads, with what it means. The README's table,
//! `dbstack check-infra` (ConfigMap keys) and the tests all use this list.

/// A variable dbstack reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvVar {
    /// The variable's name.
    pub name: &'static str,
    /// Holds a secret: never printed.
    pub secret: bool,
    /// What it means, as the README lists it.
    pub(crate) meaning: &'static str,
}

const fn var(name: &'static str, meaning: &'static str) -> EnvVar {
    EnvVar {
        name,
        secret: false,
        meaning,
    }
}

const fn secret(name: &'static str, meaning: &'static str) -> EnvVar {
    EnvVar {
        name,
        secret: true,
        meaning,
    }
}

/// All variables, grouped as the README shows them.
pub const KNOWN: &[EnvVar] = &[
    var("DBSTACK_PROFILE", "`development` or `production`; default production in a cluster, development outside"),
    var("DBSTACK_CONFIG", "path of a stack file (TOML); default the built-in Agent Runtime stack"),
    var("DBSTACK_KUBERNETES", "`true`/`false`: override in-cluster detection"),
    var("DBSTACK_CLUSTER_DOMAIN", "cluster DNS domain, default `cluster.local`"),
    var("DBSTACK_FALLBACK_URL", "development fallback database, default `mysql://root@127.0.0.1:3306/agent_runtime`"),
    var("DBSTACK_VAULT_TIMEOUT", "per-request Vault timeout (`2s`, `500ms`, or seconds), default 2s"),
    var("DBSTACK_VAULT_DEADLINE", "how long a resolution keeps retrying while Vault answers 429 (rate limited), default 60s; other failures stay fast"),
    var("DBSTACK_KV_REFRESH", "seconds between re-reads of the KV secrets by the credential keeper (1-86400), default 300"),
    var("DBSTACK_KEEP_LEASES", "`true`: leave this process's dynamic leases to expire instead of revoking them at exit"),
    var("KUBERNETES_SERVICE_HOST", "set by Kubernetes in every pod; with the service-account token it means in-cluster"),
    var("POD_NAMESPACE", "namespace when the service-account namespace file is absent"),
    var("VAULT_ADDR", "Vault address; in a cluster with `VAULT_K8S_ROLE` set, default `http://vault.<ns>.svc.<domain>:8200`"),
    secret("VAULT_TOKEN", "Vault token for token auth (else `~/.vault-token`)"),
    var("VAULT_NAMESPACE", "Vault Enterprise / OpenBao namespace"),
    var("VAULT_CACERT", "PEM file of the CA that signed Vault's certificate"),
    var("VAULT_SKIP_VERIFY", "`true` disables TLS verification (a warning says so)"),
    var("VAULT_AUTH_METHOD", "`token`, `kubernetes`, `approle`, or `agent` (no login: `VAULT_ADDR` is a Vault/OpenBao Agent with `use_auto_auth_token`); default kubernetes in a cluster, token outside"),
    var("VAULT_K8S_ROLE", "Vault role for Kubernetes auth"),
    var("VAULT_K8S_MOUNT", "Kubernetes auth mount, default `kubernetes`"),
    var("VAULT_K8S_TOKEN_PATH", "service-account token file, default `/var/run/secrets/kubernetes.io/serviceaccount/token`"),
    var("VAULT_ROLE_ID", "AppRole role id"),
    secret("VAULT_SECRET_ID", "AppRole secret id"),
    var("VAULT_APPROLE_MOUNT", "AppRole auth mount, default `approle`"),
    secret("DATABASE_URL", "URL of the `default` alias (dj-database-url syntax)"),
    secret("SUPABASE_DB_URL", "same as `DATABASE_URL` when that is unset"),
    secret("AGENT_DB_URL", "URL of the `agent_db` alias; any alias `x` reads `X_URL`"),
    var("SUPABASE_DB_HOST", "Supabase PostgreSQL host"),
    var("SUPABASE_DB_PORT", "Supabase PostgreSQL port (5432; 6543 is the transaction pooler)"),
    var("SUPABASE_DB_NAME", "database of the `default` alias"),
    var("SUPABASE_DB_USER", "database user"),
    secret("SUPABASE_DB_PASSWORD", "database password"),
    var("SUPABASE_DB_SSLMODE", "libpq sslmode: disable, allow, prefer, require, verify-ca, verify-full"),
    secret("DRAGONFLY_URL", "cache and channels URL (`redis://` or `rediss://`, db index, ACL user)"),
    secret("REDIS_URL", "same as `DRAGONFLY_URL` when that is unset"),
    var("RAGFLOW_URL", "RAGflow HTTP API base URL"),
    secret("RAGFLOW_API_KEY", "RAGflow API key"),
    var("ROCKETMQ_NAMESRV_ADDR", "RocketMQ name servers, `host:port[;host:port]`"),
    var("NAMESRV_ADDR", "same as `ROCKETMQ_NAMESRV_ADDR` when that is unset"),
    var("ROCKETMQ_BROKER_ADDR", "RocketMQ broker `host:port`"),
    var("ROCKETMQ_ACCESS_KEY", "RocketMQ ACL access key"),
    secret("ROCKETMQ_SECRET_KEY", "RocketMQ ACL secret key"),
];

/// A boolean variable as Vault's and Kubernetes' tools write it (`1`, `true`, `yes`, `on`, `t`
/// and their opposites, any case); `None` for anything else. The one boolean parser of every
/// variable: `VAULT_SKIP_VERIFY` means the same to Vault reads and to `verify`.
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" | "t" => Some(true),
        "0" | "false" | "no" | "off" | "f" => Some(false),
        _ => None,
    }
}
