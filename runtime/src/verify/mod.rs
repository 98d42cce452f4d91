//! Live checks of every service of a resolved stack, each over its real protocol.
//!
//! [`targets`] derives what to check from the revealed resolution document (pure, no I/O);
//! [`verify`] runs every check concurrently, each under its own timeout, and returns a
//! [`VerifyReport`] that serializes to JSON and renders a table. No output contains a secret:
//! every failure message is scrubbed of the target's secrets before it is recorded.

mod http;
mod mysql;
mod net;
mod postgres;
mod resp;
mod rocketmq;
mod targets;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Map, Value};

pub use targets::{
    targets, HttpKind, HttpTarget, MysqlTarget, PgSslMode, PostgresTarget, Probe, RedisTarget,
    Target, TargetError,
};

/// The default timeout of each check.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

/// How the checks run.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// The timeout of each check (connect, handshake, authentication and the query together).
    pub timeout: Duration,
    /// `VAULT_CACERT`: a PEM file of CA certificates for an `https://` Vault address.
    pub vault_ca_cert: Option<String>,
    /// `VAULT_SKIP_VERIFY`: accept any certificate from Vault.
    pub vault_skip_verify: bool,
}

impl Default for VerifyOptions {
    fn default() -> VerifyOptions {
        VerifyOptions {
            timeout: DEFAULT_TIMEOUT,
            vault_ca_cert: None,
            vault_skip_verify: false,
        }
    }
}

impl VerifyOptions {
    /// Reads `VAULT_CACERT` and `VAULT_SKIP_VERIFY` from an environment map.
    pub fn from_env(env: &std::collections::BTreeMap<String, String>) -> VerifyOptions {
        VerifyOptions {
            vault_ca_cert: env.get("VAULT_CACERT").filter(|v| !v.is_empty()).cloned(),
            vault_skip_verify: env
                .get("VAULT_SKIP_VERIFY")
                .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes")),
            ..VerifyOptions::default()
        }
    }
}

/// Why a check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// Nothing listens on the port.
    Refused,
    /// No answer within the timeout.
    Timeout,
    /// The TLS handshake failed, or TLS was required and not offered.
    Tls,
    /// The server rejected the credentials (or wanted some and none were configured).
    AuthFailed,
    /// The peer answered, but not in the expected protocol.
    WrongProtocol,
    /// The host name did not resolve.
    Dns,
    /// An HTTP endpoint answered with an unexpected status.
    HttpStatus,
    /// The service answered and reported itself unhealthy (e.g. Vault sealed).
    Unhealthy,
    /// The server reported an error other than authentication (e.g. an unknown database).
    ServerError,
    /// Another network error (reset, unreachable network).
    Io,
}

impl FailureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Refused => "refused",
            FailureKind::Timeout => "timeout",
            FailureKind::Tls => "tls",
            FailureKind::AuthFailed => "auth_failed",
            FailureKind::WrongProtocol => "wrong_protocol",
            FailureKind::Dns => "dns",
            FailureKind::HttpStatus => "http_status",
            FailureKind::Unhealthy => "unhealthy",
            FailureKind::ServerError => "server_error",
            FailureKind::Io => "io",
        }
    }
}

/// A failed check: the kind and a message (lowercase, naming the target, never a secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckError {
    pub kind: FailureKind,
    pub message: String,
}

impl CheckError {
    pub(crate) fn new(kind: FailureKind, message: impl Into<String>) -> CheckError {
        CheckError {
            kind,
            message: message.into(),
        }
    }
}

/// What a probe learned from a server that answered.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    version: Option<String>,
    details: Map<String, Value>,
    /// Set when the server answered but is not healthy (e.g. Vault sealed).
    error: Option<CheckError>,
}

/// The result of one check.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// The stack's service name (`supabase`, `mariadb`, `dragonfly`, `ragflow`, `rocketmq`, `vault`).
    pub service: String,
    /// The Django alias for a database check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// `host:port` (or the socket path); never credentials.
    pub target: String,
    pub ok: bool,
    /// Whether a failure of this check fails `verify`.
    pub required: bool,
    pub latency_ms: f64,
    /// The server's version, where the protocol gives it.
    pub version: Option<String>,
    /// Protocol-specific facts (Vault's `initialized`/`sealed`/`standby`, RAGflow's status fields).
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub details: Map<String, Value>,
    pub error: Option<CheckError>,
}

impl Check {
    /// `service/alias` for database checks, else the service.
    pub fn label(&self) -> String {
        match &self.alias {
            Some(alias) => format!("{}/{}", self.service, alias),
            None => self.service.clone(),
        }
    }
}

/// Every check of one `verify` run.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// True when no required check failed.
    pub ok: bool,
    /// Wall time of the whole run.
    pub elapsed_ms: f64,
    pub checks: Vec<Check>,
}

impl VerifyReport {
    /// 0 when every required check passed, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        if self.ok {
            0
        } else {
            1
        }
    }

    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// A table for people, one line per check, then a summary line.
    pub fn render_table(&self) -> String {
        let headers = [
            "SERVICE", "TARGET", "STATUS", "LATENCY", "VERSION", "DETAIL",
        ];
        let rows: Vec<Vec<String>> = self
            .checks
            .iter()
            .map(|c| {
                let status = match (c.ok, c.required) {
                    (true, _) => "ok",
                    (false, true) => "FAIL",
                    (false, false) => "fail (optional)",
                };
                let detail = match &c.error {
                    Some(e) => format!("{}: {}", e.kind.as_str(), e.message),
                    None => c
                        .details
                        .iter()
                        .map(|(k, v)| match v {
                            Value::String(s) => format!("{k}={s}"),
                            other => format!("{k}={other}"),
                        })
                        .collect::<Vec<_>>()
                        .join(" "),
                };
                vec![
                    c.label(),
                    c.target.clone(),
                    status.to_owned(),
                    format!("{:.1} ms", c.latency_ms),
                    c.version.clone().unwrap_or_else(|| "-".to_owned()),
                    detail,
                ]
            })
            .collect();
        let mut out = dbstack_core::render::columns(&headers, &rows);
        let failed_required = self.checks.iter().filter(|c| !c.ok && c.required).count();
        let failed_optional = self.checks.iter().filter(|c| !c.ok && !c.required).count();
        let passed = self.checks.len() - failed_required - failed_optional;
        let _ = writeln!(
            out,
            "{} checks: {passed} ok, {failed_required} failed, {failed_optional} optional failed ({:.1} ms)",
            self.checks.len(),
            self.elapsed_ms
        );
        out
    }
}

/// Why `verify` could not run at all (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error("cannot start the async runtime: {0}")]
    Runtime(String),
}

impl VerifyError {
    pub fn exit_code(&self) -> i32 {
        dbstack_core::error::EXIT_CONFIG
    }
}

/// Checks every service of the revealed resolution document `doc`, concurrently.
/// Blocking: it runs its own tokio runtime; inside a runtime use [`verify_async`].
pub fn verify(doc: &Value, options: &VerifyOptions) -> Result<VerifyReport, VerifyError> {
    let targets = targets(doc)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| VerifyError::Runtime(e.to_string()))?;
    let report = runtime.block_on(run_targets(targets, options));
    // A DNS lookup that timed out may still hold a blocking thread: do not wait for it.
    runtime.shutdown_background();
    Ok(report)
}

/// [`verify`] for callers already inside a tokio runtime.
pub async fn verify_async(
    doc: &Value,
    options: &VerifyOptions,
) -> Result<VerifyReport, VerifyError> {
    let targets = targets(doc)?;
    Ok(run_targets(targets, options).await)
}

/// Runs the given checks concurrently and collects them in order.
pub async fn run_targets(targets: Vec<Target>, options: &VerifyOptions) -> VerifyReport {
    let start = Instant::now();
    // What a check that crashed is reported as (it still fails the run when required).
    let mut checks: Vec<Check> = targets
        .iter()
        .map(|t| Check {
            service: t.service.clone(),
            alias: t.alias.clone(),
            target: t.address.clone(),
            ok: false,
            required: t.required,
            latency_ms: 0.0,
            version: None,
            details: Map::new(),
            error: Some(CheckError::new(
                FailureKind::Io,
                format!("the check of {} stopped unexpectedly", t.address),
            )),
        })
        .collect();
    let mut tasks = tokio::task::JoinSet::new();
    for (index, target) in targets.into_iter().enumerate() {
        let options = options.clone();
        tasks.spawn(async move { (index, run_one(target, &options).await) });
    }
    while let Some(joined) = tasks.join_next().await {
        if let Ok((index, check)) = joined {
            if let Some(slot) = checks.get_mut(index) {
                *slot = check;
            }
        }
    }
    VerifyReport {
        ok: checks.iter().all(|c| c.ok || !c.required),
        elapsed_ms: ms(start.elapsed()),
        checks,
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}

/// Runs one check under the timeout and scrubs its secrets from the result.
pub async fn run_one(target: Target, options: &VerifyOptions) -> Check {
    let start = Instant::now();
    let timeout = options.timeout;
    let result = tokio::time::timeout(timeout, probe(&target.probe, options)).await;
    let latency_ms = ms(start.elapsed());
    let outcome = match result {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(error)) => Outcome {
            error: Some(error),
            ..Outcome::default()
        },
        Err(_) => Outcome {
            error: Some(CheckError::new(
                FailureKind::Timeout,
                format!(
                    "no complete answer from {} within {:.1} s",
                    target.address,
                    timeout.as_secs_f64()
                ),
            )),
            ..Outcome::default()
        },
    };
    let secrets = target.probe.secrets();
    let scrub = |text: String| -> String {
        secrets
            .iter()
            // Shorter secrets would mangle every message and are no secret worth the name.
            .filter(|s| s.len() >= 4)
            .fold(text, |acc, s| {
                acc.replace(s.as_str(), dbstack_core::secret::MASK)
            })
    };
    let error = outcome.error.map(|e| CheckError {
        kind: e.kind,
        message: scrub(e.message),
    });
    Check {
        service: target.service,
        alias: target.alias,
        target: target.address,
        ok: error.is_none(),
        required: target.required,
        latency_ms,
        version: outcome.version.map(&scrub),
        details: outcome.details,
        error,
    }
}

async fn probe(probe: &Probe, options: &VerifyOptions) -> Result<Outcome, CheckError> {
    match probe {
        Probe::Postgres(t) => postgres::probe(t).await,
        Probe::Mysql(t) => mysql::probe(t).await,
        Probe::Redis(t) => resp::probe(t).await,
        Probe::Http(t) => http::probe(t, options).await,
        Probe::RocketMq { host, port } => rocketmq::probe(host, *port).await,
    }
}
