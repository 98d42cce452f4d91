//! The Vault side of the pure core: which reads a resolution needs (`plan`), and the
//! shape of the answers the runtime brings back.

use std::collections::BTreeMap;

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
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
///
/// `{"state": "ok"}`, `{"state": "failed", "error": {...}}`. Deserialized by hand (below):
/// serde's internally tagged enums buffer the value in `Content`, which costs the WASM module.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
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

/// The answer to one read: `{"kind": "kv2", "data": {...}}` or
/// `{"kind": "database_creds", "username", "password", "lease_id", "lease_duration",
/// "renewable"}`; other fields are ignored. Deserialized by hand (below), like [`VaultStatus`].
#[derive(Debug, Clone, PartialEq, Serialize)]
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

const STATES: &[&str] = &["not_contacted", "ok", "failed"];
const RESULT_KINDS: &[&str] = &["kv2", "database_creds"];

/// A field seen twice.
fn once<T, E: de::Error>(slot: &mut Option<T>, value: T, name: &'static str) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::duplicate_field(name));
    }
    *slot = Some(value);
    Ok(())
}

fn required<T, E: de::Error>(slot: Option<T>, name: &'static str) -> Result<T, E> {
    slot.ok_or_else(|| E::missing_field(name))
}

impl<'de> Deserialize<'de> for VaultStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(StatusVisitor)
    }
}

struct StatusVisitor;

impl<'de> Visitor<'de> for StatusVisitor {
    type Value = VaultStatus;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("internally tagged enum VaultStatus")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<VaultStatus, A::Error> {
        let mut state: Option<usize> = None;
        let mut error: Option<VaultFailure> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "state" => {
                    let name = map.next_value::<String>()?;
                    let Some(i) = STATES.iter().position(|s| *s == name) else {
                        return Err(de::Error::unknown_variant(&name, STATES));
                    };
                    once(&mut state, i, "state")?;
                }
                "error" => once(&mut error, map.next_value()?, "error")?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        match required(state, "state")? {
            0 => Ok(VaultStatus::NotContacted),
            1 => Ok(VaultStatus::Ok),
            _ => Ok(VaultStatus::Failed {
                error: required(error, "error")?,
            }),
        }
    }
}

impl<'de> Deserialize<'de> for VaultResult {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ResultVisitor)
    }
}

struct ResultVisitor;

impl<'de> Visitor<'de> for ResultVisitor {
    type Value = VaultResult;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("internally tagged enum VaultResult")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<VaultResult, A::Error> {
        let mut kind: Option<usize> = None;
        let mut data: Option<BTreeMap<String, Secret>> = None;
        let mut username: Option<String> = None;
        let mut password: Option<Secret> = None;
        let mut lease_id: Option<String> = None;
        let mut lease_duration: Option<u64> = None;
        let mut renewable: Option<bool> = None;
        while let Some(key) = map.next_key::<String>()? {
            // A field of the other kind is ignored, as serde's tagged enum did.
            let wanted = |k: usize| kind.map_or(true, |kind| kind == k);
            match key.as_str() {
                "kind" => {
                    let name = map.next_value::<String>()?;
                    let Some(i) = RESULT_KINDS.iter().position(|s| *s == name) else {
                        return Err(de::Error::unknown_variant(&name, RESULT_KINDS));
                    };
                    once(&mut kind, i, "kind")?;
                }
                "data" if wanted(0) => once(&mut data, map.next_value()?, "data")?,
                "username" if wanted(1) => once(&mut username, map.next_value()?, "username")?,
                "password" if wanted(1) => once(&mut password, map.next_value()?, "password")?,
                "lease_id" if wanted(1) => once(&mut lease_id, map.next_value()?, "lease_id")?,
                "lease_duration" if wanted(1) => {
                    once(&mut lease_duration, map.next_value()?, "lease_duration")?;
                }
                "renewable" if wanted(1) => {
                    once(&mut renewable, map.next_value()?, "renewable")?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if required(kind, "kind")? == 0 {
            return Ok(VaultResult::Kv2 {
                data: required(data, "data")?,
            });
        }
        Ok(VaultResult::DatabaseCreds {
            username: required(username, "username")?,
            password: required(password, "password")?,
            lease_id: required(lease_id, "lease_id")?,
            lease_duration: required(lease_duration, "lease_duration")?,
            renewable: required(renewable, "renewable")?,
        })
    }
}
