//! The Vault side of the pure core: which reads a resolution needs (`plan`), and the
//! shape of the answers the runtime brings back.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::input::{known_fields, object, present, required, string, CallError};
use crate::resolution::object as json_object;
use crate::secret::Secret;

/// How the runtime authenticates to Vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMethod {
    /// A token (`VAULT_TOKEN` or a token file).
    Token,
    /// Kubernetes auth (the service account's JWT).
    Kubernetes,
    /// AppRole (role id and secret id).
    Approle,
    /// No login: `VAULT_ADDR` is a Vault / OpenBao Agent (proxy) with `use_auto_auth_token`,
    /// which adds its own token to requests that carry none.
    Agent,
}

impl AuthMethod {
    /// Its name in `VAULT_AUTH_METHOD`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::Token => "token",
            AuthMethod::Kubernetes => "kubernetes",
            AuthMethod::Approle => "approle",
            AuthMethod::Agent => "agent",
        }
    }
}

/// Connection settings for Vault, parsed from the environment (secrets excluded:
/// the runtime reads `VAULT_TOKEN`, `VAULT_SECRET_ID` and token files itself).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct VaultSettings {
    /// Base address, e.g. `http://127.0.0.1:8200`.
    pub addr: String,
    /// Where the address came from (`VAULT_ADDR` or Kubernetes discovery).
    pub addr_source: String,
    /// How to log in.
    pub auth: AuthMethod,
    /// The Vault namespace (`VAULT_NAMESPACE`), when set.
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
    /// `DBSTACK_VAULT_DEADLINE` in milliseconds, default 60000: how long one resolution keeps
    /// retrying while Vault answers 429 (rate limited). Other failures stay fast.
    pub deadline_ms: u64,
}

/// The Vault reads one resolution needs, computed without I/O.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct VaultPlan {
    /// `None` when Vault is not configured (no `VAULT_ADDR`, not in a cluster).
    pub settings: Option<VaultSettings>,
    /// The reads, in plan order.
    pub reads: Vec<VaultRead>,
}

/// One read: a KV v2 secret or dynamic database credentials.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct VaultRead {
    /// The path people know it by (`secret/dbstack/supabase`, `database/creds/app`);
    /// also the key of its answer in [`VaultAnswers::results`].
    pub path: String,
    /// The HTTP API path under `/v1/` (`secret/data/dbstack/supabase`).
    pub api_path: String,
    #[serde(flatten)]
    /// What is read.
    pub kind: ReadKind,
    /// What needs it: a service name or `alias:<name>`.
    pub purpose: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
/// What a Vault read reads.
pub enum ReadKind {
    /// KV v2: `mount`, and `path` under the mount.
    Kv2 {
        /// The KV v2 mount.
        mount: String,
        /// The secret's path under the mount.
        secret: String,
    },
    /// Database secrets engine: `mount`/creds/`role`.
    DatabaseCreds {
        /// The database secrets engine's mount.
        mount: String,
        /// The role.
        role: String,
    },
}

impl VaultSettings {
    /// Every field by its name, `null` for an absent one.
    pub(crate) fn to_json(&self) -> Value {
        json_object([
            ("addr", self.addr.as_str().into()),
            ("addr_source", self.addr_source.as_str().into()),
            ("auth", self.auth.as_str().into()),
            ("namespace", self.namespace.as_deref().into()),
            ("k8s_role", self.k8s_role.as_deref().into()),
            ("k8s_mount", self.k8s_mount.as_str().into()),
            ("k8s_token_path", self.k8s_token_path.as_str().into()),
            ("role_id", self.role_id.as_deref().into()),
            ("approle_mount", self.approle_mount.as_str().into()),
            ("cacert", self.cacert.as_deref().into()),
            ("skip_verify", self.skip_verify.into()),
            ("timeout_ms", self.timeout_ms.into()),
            ("deadline_ms", self.deadline_ms.into()),
        ])
    }
}

impl VaultPlan {
    /// `{"settings": {...} or null, "reads": [...]}`.
    pub(crate) fn to_json(&self) -> Value {
        let settings = self
            .settings
            .as_ref()
            .map_or(Value::Null, VaultSettings::to_json);
        let reads = self.reads.iter().map(VaultRead::to_json).collect();
        json_object([("settings", settings), ("reads", Value::Array(reads))])
    }
}

impl VaultRead {
    /// `path`, `api_path`, then the kind's fields (`"kind": "kv2"`, `mount`, `secret` or
    /// `"kind": "database_creds"`, `mount`, `role`), then `purpose`.
    pub(crate) fn to_json(&self) -> Value {
        let (kind, mount, (name, value)) = match &self.kind {
            ReadKind::Kv2 { mount, secret } => ("kv2", mount, ("secret", secret)),
            ReadKind::DatabaseCreds { mount, role } => ("database_creds", mount, ("role", role)),
        };
        json_object([
            ("path", self.path.as_str().into()),
            ("api_path", self.api_path.as_str().into()),
            ("kind", kind.into()),
            ("mount", mount.as_str().into()),
            (name, value.as_str().into()),
            ("purpose", self.purpose.as_str().into()),
        ])
    }
}

impl VaultFailure {
    /// `{"kind", "source", "status" (or null), "message"}`.
    pub(crate) fn to_json(&self) -> Value {
        json_object([
            ("kind", self.kind.as_str().into()),
            ("source", self.source.as_str().into()),
            ("status", self.status.into()),
            ("message", self.message.as_str().into()),
        ])
    }
}

serialize_via_to_json!(VaultSettings, VaultPlan, VaultRead, VaultFailure);

/// What the runtime brings back from Vault.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct VaultAnswers {
    /// The outcome of contacting Vault.
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
/// `{"state": "ok"}`, `{"state": "failed", "error": {...}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum VaultStatus {
    /// Vault was not asked: not configured, or `--offline`.
    #[default]
    NotContacted,
    /// Authenticated and every planned read answered.
    Ok,
    /// Vault could not be used; `error` says why (never a secret).
    Failed {
        /// Why.
        error: VaultFailure,
    },
}

/// A Vault failure, as a record every binding can show.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct VaultFailure {
    /// `unreachable`, `sealed`, `permission_denied`, `not_found`, `invalid_response`,
    /// `auth_failed`, `timeout`, `tls`, `server_error` (5xx through every retry), `rate_limited`
    /// (429 until `DBSTACK_VAULT_DEADLINE`), `config`.
    pub kind: String,
    /// The address or Vault path concerned.
    pub source: String,
    /// HTTP status when there was one.
    pub status: Option<u16>,
    /// The message (never a secret).
    pub message: String,
}

/// The answer to one read: `{"kind": "kv2", "data": {...}}` or
/// `{"kind": "database_creds", "username", "password", "lease_id", "lease_duration",
/// "renewable"}`; other fields are ignored.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum VaultResult {
    /// KV v2 `data.data`: strings as they are, `null` as empty, other JSON values as their
    /// JSON text ([`kv_text`]).
    Kv2 {
        /// The secret's fields.
        data: BTreeMap<String, Secret>,
    },
    /// Database credentials with their lease.
    DatabaseCreds {
        /// The database user name.
        username: String,
        /// Its password.
        password: Secret,
        /// The lease's id.
        lease_id: String,
        /// The lease's duration, in seconds.
        lease_duration: u64,
        /// Whether the lease can be renewed.
        renewable: bool,
    },
}

impl VaultAnswers {
    /// Removes every form of the secrets the runtime sends to Vault — the variables of `env`
    /// with a secret name: `VAULT_TOKEN`, `VAULT_SECRET_ID` (and `*_PASSWORD`, `*_API_KEY` …) —
    /// from the text a caller passed through from Vault: the failure's message and the warnings
    /// (a Vault can echo the token it was sent). The runtime's client scrubs what it reads
    /// itself; this covers answers that come through the JSON boundary (the WASM package, `ffi`).
    pub(crate) fn scrub_messages(&mut self, env: &BTreeMap<String, String>) {
        let secrets: Vec<&str> = env
            .iter()
            .filter(|(name, _)| crate::is_secret_key(name))
            .map(|(_, value)| value.as_str())
            .collect();
        if let VaultStatus::Failed { error } = &mut self.status {
            error.message = crate::scrub(&error.message, &secrets);
        }
        for warning in &mut self.warnings {
            *warning = crate::scrub(warning, &secrets);
        }
    }

    /// Reads the `vault` field of a call (see [`crate::ResolveCall::from_json`]).
    pub(crate) fn from_value(value: &Value) -> Result<VaultAnswers, CallError> {
        let fields = object(value, "", "vault")?;
        known_fields(fields, "vault", &["status", "auth", "results", "warnings"])?;
        let mut answers = VaultAnswers::default();
        if let Some(status) = present(fields, "status") {
            answers.status = VaultStatus::from_value(status)?;
        }
        answers.auth = match string(fields, "vault", "auth")?.as_deref() {
            None => None,
            Some("token") => Some(AuthMethod::Token),
            Some("kubernetes") => Some(AuthMethod::Kubernetes),
            Some("approle") => Some(AuthMethod::Approle),
            Some("agent") => Some(AuthMethod::Agent),
            Some(_) => {
                return Err(CallError::field(
                    "vault",
                    "auth",
                    "must be `token`, `kubernetes`, `approle` or `agent`",
                ))
            }
        };
        if let Some(results) = present(fields, "results") {
            for (path, result) in object(results, "vault", "results")? {
                let result = VaultResult::from_value(result, path)?;
                answers.results.insert(path.clone(), result);
            }
        }
        if let Some(warnings) = present(fields, "warnings") {
            let bad = || CallError::field("vault", "warnings", "must be a list of strings");
            for item in warnings.as_array().ok_or_else(bad)? {
                let text = item.as_str().ok_or_else(bad)?;
                answers.warnings.push(text.to_owned());
            }
        }
        Ok(answers)
    }
}

impl VaultStatus {
    /// `{"state": "ok"}`, `{"state": "failed", "error": {...}}`; other fields are ignored.
    fn from_value(value: &Value) -> Result<VaultStatus, CallError> {
        const AT: &str = "vault.status";
        const ERROR: &str = "vault.status.error";
        let fields = object(value, "vault", "status")?;
        match required(fields, AT, "state")?.as_str() {
            "not_contacted" => Ok(VaultStatus::NotContacted),
            "ok" => Ok(VaultStatus::Ok),
            "failed" => {
                let error = present(fields, "error").ok_or_else(|| {
                    CallError::field(AT, "error", "is required when the state is `failed`")
                })?;
                let error = object(error, AT, "error")?;
                known_fields(error, ERROR, &["kind", "source", "status", "message"])?;
                let bad = || CallError::field(ERROR, "status", "must be an HTTP status code");
                let code = |v: &Value| v.as_u64().and_then(|c| c.try_into().ok()).ok_or_else(bad);
                let status = present(error, "status").map(code).transpose()?;
                Ok(VaultStatus::Failed {
                    error: VaultFailure {
                        kind: required(error, ERROR, "kind")?,
                        source: required(error, ERROR, "source")?,
                        status,
                        message: required(error, ERROR, "message")?,
                    },
                })
            }
            _ => Err(CallError::field(
                AT,
                "state",
                "must be `not_contacted`, `ok` or `failed`",
            )),
        }
    }
}

impl VaultResult {
    /// `{"kind": "kv2", "data": {...}}` or `{"kind": "database_creds", ...}` at
    /// `vault.results.<path>`; other fields are ignored.
    fn from_value(value: &Value, path: &str) -> Result<VaultResult, CallError> {
        let at = format!("vault.results.{path}");
        let fields = object(value, "vault.results", path)?;
        match required(fields, &at, "kind")?.as_str() {
            "kv2" => {
                let data = present(fields, "data")
                    .ok_or_else(|| CallError::field(&at, "data", "is required"))?;
                // By insert: `collect` into a `BTreeMap` sorts first, which instantiates
                // std's sort in the WASM module.
                let mut secrets = BTreeMap::new();
                for (key, item) in object(data, &at, "data")? {
                    secrets.insert(key.clone(), Secret::from(kv_text(item)));
                }
                Ok(VaultResult::Kv2 { data: secrets })
            }
            "database_creds" => Ok(VaultResult::DatabaseCreds {
                username: required(fields, &at, "username")?,
                password: Secret::from(required(fields, &at, "password")?),
                lease_id: required(fields, &at, "lease_id")?,
                lease_duration: present(fields, "lease_duration")
                    .and_then(Value::as_u64)
                    .ok_or_else(|| {
                        CallError::field(&at, "lease_duration", "must be a whole number of seconds")
                    })?,
                renewable: present(fields, "renewable")
                    .and_then(Value::as_bool)
                    .ok_or_else(|| {
                        CallError::field(&at, "renewable", "must be `true` or `false`")
                    })?,
            }),
            _ => Err(CallError::field(
                &at,
                "kind",
                "must be `kv2` or `database_creds`",
            )),
        }
    }

    /// A field of a KV v2 secret; `None` for another key or for database credentials.
    pub fn kv_field(&self, key: &str) -> Option<&Secret> {
        match self {
            VaultResult::Kv2 { data } => data.get(key),
            VaultResult::DatabaseCreds { .. } => None,
        }
    }
}

/// A KV v2 value as text: Vault stores JSON, so a port may be the number `5432`; `null` is
/// empty and other values are their JSON text (the runtime reads Vault the same way).
pub fn kv_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => crate::resolution::json_text(other),
    }
}
