//! The Vault side of the pure core: which reads a resolution needs (`plan`), and the
//! shape of the answers the runtime brings back.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// How the runtime authenticates to Vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMethod {
    Token,
    Kubernetes,
    Approle,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::Token => "token",
            AuthMethod::Kubernetes => "kubernetes",
            AuthMethod::Approle => "approle",
        }
    }
}

/// Connection settings for Vault, parsed from the environment (secrets excluded:
/// the runtime reads `VAULT_TOKEN`, `VAULT_SECRET_ID` and token files itself).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VaultSettings {
    /// Base address, e.g. `http://127.0.0.1:8200`.
    pub addr: String,
    /// Where the address came from (`VAULT_ADDR` or Kubernetes discovery).
    pub addr_source: String,
    pub auth: AuthMethod,
    pub namespace: Option<String>,
    /// `VAULT_K8S_ROLE`.
    pub k8s_role: Option<String>,
    /// `VAULT_K8S_MOUNT`, default `kubernetes`.
    pub k8s_mount: String,
    /// `VAULT_K8S_TOKEN_PATH`, default the service-account token file.
    pub k8s_token_path: String,
    /// `VAULT_ROLE_ID` (not a secret on its own; the secret id is).
    pub role_id: Option<String>,
    /// `VAULT_APPROLE_MOUNT`, default `approle`.
    pub approle_mount: String,
    /// `VAULT_CACERT`: a PEM file to verify the server against.
    pub cacert: Option<String>,
    /// `VAULT_SKIP_VERIFY`.
    pub skip_verify: bool,
    /// `DBSTACK_VAULT_TIMEOUT` in milliseconds (per request), default 2000.
    pub timeout_ms: u64,
}

/// The Vault reads one resolution needs, computed without I/O.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VaultPlan {
    /// `None` when Vault is not configured (no `VAULT_ADDR`, not in a cluster).
    pub settings: Option<VaultSettings>,
    pub reads: Vec<VaultRead>,
}

/// One read: a KV v2 secret or dynamic database credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultRead {
    /// The path people know it by (`secret/dbstack/supabase`, `database/creds/app`);
    /// also the key of its answer in [`VaultAnswers::results`].
    pub path: String,
    /// The HTTP API path under `/v1/` (`secret/data/dbstack/supabase`).
    pub api_path: String,
    #[serde(flatten)]
    pub kind: ReadKind,
    /// What needs it: a service name or `alias:<name>`.
    pub purpose: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReadKind {
    /// KV v2: `mount`, and `path` under the mount.
    Kv2 { mount: String, secret: String },
    /// Database secrets engine: `mount`/creds/`role`.
    DatabaseCreds { mount: String, role: String },
}

/// What the runtime brings back from Vault.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VaultAnswers {
    pub status: VaultStatus,
    /// Auth method actually used, when Vault was contacted.
    pub auth: Option<AuthMethod>,
    /// Results keyed by [`VaultRead::path`].
    pub results: BTreeMap<String, VaultResult>,
    /// Warnings from the runtime (e.g. TLS verification disabled).
    pub warnings: Vec<String>,
}

/// Overall outcome of talking to Vault.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum VaultStatus {
    /// Vault was not asked: not configured, or `--offline`.
    #[default]
    NotContacted,
    /// Authenticated and every planned read answered.
    Ok,
    /// Vault could not be used; `error` says why (never a secret).
    Failed { error: VaultFailure },
}

/// A Vault failure, as a record every binding can show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultFailure {
    /// `unreachable`, `sealed`, `permission_denied`, `not_found`, `invalid_response`,
    /// `auth_failed`, `timeout`, `tls`, `server_error` (5xx or 429 through every retry), `config`.
    pub kind: String,
    /// The address or Vault path concerned.
    pub source: String,
    /// HTTP status when there was one.
    pub status: Option<u16>,
    pub message: String,
}

/// The answer to one read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum VaultResult {
    /// KV v2 `data.data` (string values; other JSON values are rendered as text).
    Kv2 { data: BTreeMap<String, Secret> },
    /// Database credentials with their lease.
    DatabaseCreds {
        username: String,
        password: Secret,
        lease_id: String,
        lease_duration: u64,
        renewable: bool,
    },
}
