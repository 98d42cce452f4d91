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
    targets, HttpKind, HttpTarget, MysqlTarget, MysqlTls, PgSslMode, PostgresTarget, Probe,
    RedisTarget, Target, TargetError,
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
    /// The PostgreSQL user of a document without one: `USER` of the environment given to
    /// [`VerifyOptions::from_env`] (libpq's default), else `postgres`. Taken from that map, not
    /// read from the process during the checks (Python threads may be changing it).
    pub default_user: String,
}

/// The longest timeout of a check, in seconds (`--timeout`, `timeout=`).
pub const MAX_TIMEOUT_SECS: f64 = 3600.0;

/// A check timeout from a number of seconds: finite, above 0 and at most an hour, else `None`
/// (the one rule of the CLI's `--timeout` and Python's `timeout=`).
pub fn timeout_from_secs(secs: f64) -> Option<Duration> {
    let in_range = secs > 0.0 && secs <= MAX_TIMEOUT_SECS;
    Duration::try_from_secs_f64(secs).ok().filter(|_| in_range)
}

impl Default for VerifyOptions {
    fn default() -> VerifyOptions {
        VerifyOptions {
            timeout: DEFAULT_TIMEOUT,
            vault_ca_cert: None,
            vault_skip_verify: false,
            default_user: "postgres".to_owned(),
        }
    }
}

impl VerifyOptions {
    /// Reads `VAULT_CACERT`, `VAULT_SKIP_VERIFY` and `USER` from an environment map.
    pub fn from_env(env: &std::collections::BTreeMap<String, String>) -> VerifyOptions {
        let var = |name: &str| env.get(name).filter(|v| !v.is_empty()).cloned();
        let defaults = VerifyOptions::default();
        VerifyOptions {
            vault_ca_cert: var("VAULT_CACERT"),
            // The core's boolean parser, as for Vault reads: `on` and `t` skip here too.
            vault_skip_verify: var("VAULT_SKIP_VERIFY")
                .and_then(|v| dbstack_core::env_vars::parse_bool(&v))
                .unwrap_or(false),
            default_user: var("USER").unwrap_or(defaults.default_user),
            ..defaults
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
    /// The server's error code when it sent one (PostgreSQL SQLSTATE, MySQL error number).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

impl CheckError {
    pub(crate) fn new(kind: FailureKind, message: impl Into<String>) -> CheckError {
        CheckError {
            kind,
            message: message.into(),
            code: None,
        }
    }

    /// The same error with the server's error code.
    pub(crate) fn with_code(mut self, code: impl Into<String>) -> CheckError {
        self.code = Some(code.into());
        self
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
    /// Why the check is not required (`None` when it is).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub optional_reason: Option<String>,
    pub latency_ms: f64,
    /// The server's version, where the protocol gives it.
    pub version: Option<String>,
    /// Protocol-specific facts (Vault's `initialized`/`sealed`/`standby`, RAGflow's status fields).
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub details: Map<String, Value>,
    pub error: Option<CheckError>,
    /// Why nothing was checked (an engine verify has no probe for); such a check is `ok`,
    /// not required, and never fails `verify`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// What to do about the failure: the `CREATE DATABASE` to run, the service to start and
    /// where its address came from, the credentials to check. `None` when the check passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Check {
    /// A check of `target` with nothing found yet.
    fn of(target: &Target) -> Check {
        Check {
            service: target.service.clone(),
            alias: target.alias.clone(),
            target: target.address.clone(),
            ok: false,
            required: target.required,
            optional_reason: target.optional_reason.clone(),
            latency_ms: 0.0,
            version: None,
            details: Map::new(),
            error: None,
            skipped: None,
            hint: None,
        }
    }

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
        i32::from(!self.ok)
    }

    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// A table for people, one line per check; the hints of the failures; a summary line
    /// that says what "optional" means.
    pub fn render_table(&self) -> String {
        let headers = [
            "SERVICE", "TARGET", "STATUS", "LATENCY", "VERSION", "DETAIL",
        ];
        let rows: Vec<Vec<String>> = self
            .checks
            .iter()
            .map(|c| {
                let status = match (c.ok, c.required) {
                    _ if c.skipped.is_some() => "skipped",
                    (true, true) => "ok",
                    (true, false) => "ok (optional)",
                    (false, true) => "FAIL",
                    (false, false) => "fail (optional)",
                };
                let detail = match (&c.error, &c.skipped) {
                    (Some(e), _) => format!("{}: {}", e.kind.as_str(), e.message),
                    (None, Some(reason)) => reason.clone(),
                    (None, None) => c
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
        let hints: String = self
            .checks
            .iter()
            .filter_map(|c| c.hint.as_ref().map(|h| format!("  {}: {h}\n", c.label())))
            .collect();
        if !hints.is_empty() {
            let _ = write!(out, "\nwhat to do:\n{hints}\n");
        }
        let failed_required = self.checks.iter().filter(|c| !c.ok && c.required).count();
        let failed_optional = self.checks.iter().filter(|c| !c.ok && !c.required).count();
        let skipped = self.checks.iter().filter(|c| c.skipped.is_some()).count();
        let passed = self.checks.len() - failed_required - failed_optional - skipped;
        let _ = write!(
            out,
            "{} checks: {passed} ok, {failed_required} failed, {failed_optional} optional failed",
            self.checks.len(),
        );
        if skipped > 0 {
            let _ = write!(out, ", {skipped} skipped (no probe for the engine)");
        }
        let _ = write!(out, " ({:.1} ms)", self.elapsed_ms);
        // Optional checks, grouped by the reason they are optional.
        let mut optional: Vec<(&str, Vec<String>)> = Vec::new();
        for c in self
            .checks
            .iter()
            .filter(|c| !c.required && c.skipped.is_none())
        {
            let reason = c.optional_reason.as_deref().unwrap_or("not required");
            match optional.iter_mut().find(|(r, _)| *r == reason) {
                Some((_, labels)) => labels.push(c.label()),
                None => optional.push((reason, vec![c.label()])),
            }
        }
        if optional.is_empty() {
            out.push('\n');
        } else {
            let groups: Vec<String> = optional
                .iter()
                .map(|(reason, labels)| format!("{} ({reason})", labels.join(", ")))
                .collect();
            let _ = writeln!(
                out,
                "\noptional = checked and reported, but a failure does not fail verify: {}",
                groups.join("; ")
            );
        }
        out
    }
}

/// What to do about a failed check, naming where its address or credentials came from.
fn hint(target: &Target, error: &CheckError) -> Option<String> {
    let from = target
        .address_from
        .as_deref()
        .map(|l| format!(" (the address is from {l})"))
        .unwrap_or_default();
    let what = match target.service.as_str() {
        "supabase" => "PostgreSQL",
        "mariadb" => "MariaDB",
        "dragonfly" => "DragonflyDB or Redis",
        "ragflow" => "RAGflow",
        "rocketmq" => "the RocketMQ name server",
        "vault" => "Vault",
        other => other,
    };
    let elsewhere = format!(
        "start {what} there, or set {} to where it runs{from}",
        target.set_with,
    );
    match error.kind {
        FailureKind::Refused => Some(format!(
            "nothing listens on {}: {elsewhere}",
            target.address
        )),
        FailureKind::Timeout | FailureKind::Io => Some(format!(
            "{} did not answer: {elsewhere}",
            target.address
        )),
        FailureKind::Dns => Some(format!(
            "the host of {} does not resolve: set {} to a reachable address{from}",
            target.address, target.set_with,
        )),
        FailureKind::ServerError => missing_database(target, error),
        FailureKind::AuthFailed => Some(format!(
            "{} rejected the credentials: check the user and the password{}",
            target.address,
            target
                .credentials_from
                .as_deref()
                .map(|l| format!(" (the password is from {l})"))
                .unwrap_or_default()
        )),
        FailureKind::Tls if target.service == "vault" => Some(
            "set VAULT_CACERT to the PEM file of the CA that signed Vault's certificate".to_owned(),
        ),
        FailureKind::Unhealthy if target.service == "vault" => Some(
            "unseal Vault (`bao operator unseal` / `vault operator unseal`), or point VAULT_ADDR at an unsealed one"
                .to_owned(),
        ),
        _ => None,
    }
}

/// For "database does not exist" (PostgreSQL 3D000, MySQL 1049): the statement that creates
/// it and a command that runs it, with the check's own host, port and user.
fn missing_database(target: &Target, error: &CheckError) -> Option<String> {
    let shell = |text: &str| {
        if !text.is_empty()
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./:@%+=,".contains(c))
        {
            text.to_owned()
        } else {
            format!("'{}'", text.replace('\'', r"'\''"))
        }
    };
    match (&target.probe, error.code.as_deref()) {
        (Probe::Postgres(t), Some("3D000")) => {
            let sql = format!("CREATE DATABASE \"{}\"", t.dbname.replace('"', "\"\""));
            Some(format!(
                "the database does not exist; create it: psql -h {} -p {} -U {} -d postgres -c {}",
                shell(&t.host),
                t.port,
                shell(&t.user),
                shell(&sql)
            ))
        }
        (Probe::Mysql(t), Some("1049")) => {
            let sql = format!("CREATE DATABASE `{}`", t.dbname.replace('`', "``"));
            Some(format!(
                "the database does not exist; create it: mysql -h {} -P {} -u {}{} -e {}",
                shell(&t.host),
                t.port,
                shell(&t.user),
                if t.password.expose().is_empty() {
                    ""
                } else {
                    " -p"
                },
                shell(&sql)
            ))
        }
        _ => None,
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
        dbstack_core::EXIT_CONFIG
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
            error: Some(CheckError::new(
                FailureKind::Io,
                format!("the check of {} stopped unexpectedly", t.address),
            )),
            ..Check::of(t)
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
    if let Probe::Skipped { reason, .. } = &target.probe {
        return Check {
            ok: true,
            required: false,
            optional_reason: None,
            skipped: Some(reason.clone()),
            ..Check::of(&target)
        };
    }
    let start = Instant::now();
    let timeout = options.timeout;
    let result = tokio::time::timeout(timeout, probe(&target.probe, options)).await;
    let latency_ms = ms(start.elapsed());
    let mut outcome = result
        .unwrap_or_else(|_| {
            Err(CheckError::new(
                FailureKind::Timeout,
                format!(
                    "no complete answer from {} within {:.1} s",
                    target.address,
                    timeout.as_secs_f64()
                ),
            ))
        })
        .unwrap_or_else(|error| Outcome {
            error: Some(error),
            ..Outcome::default()
        });
    let secrets = target.probe.secrets();
    // Every form of each secret (raw, percent-encoded, base64, ...): a server can echo the
    // password in any of them.
    let scrub = |text: &str| dbstack_core::scrub(text, &secrets);
    if let Some(error) = &mut outcome.error {
        error.message = scrub(&error.message);
    }
    let hint = outcome.error.as_ref().and_then(|e| hint(&target, e));
    for value in outcome.details.values_mut() {
        scrub_value(value, &secrets);
    }
    Check {
        ok: outcome.error.is_none(),
        latency_ms,
        version: outcome.version.as_deref().map(scrub),
        details: outcome.details,
        error: outcome.error,
        hint: hint.as_deref().map(scrub),
        ..Check::of(&target)
    }
}

/// Masks every form of each secret in the strings of a server-supplied detail.
fn scrub_value(value: &mut Value, secrets: &[String]) {
    match value {
        Value::String(s) => *s = dbstack_core::scrub(s, secrets),
        Value::Array(items) => items.iter_mut().for_each(|v| scrub_value(v, secrets)),
        Value::Object(map) => map.values_mut().for_each(|v| scrub_value(v, secrets)),
        _ => {}
    }
}

async fn probe(probe: &Probe, options: &VerifyOptions) -> Result<Outcome, CheckError> {
    match probe {
        Probe::Postgres(t) => postgres::probe(t, &options.default_user).await,
        Probe::Mysql(t) => mysql::probe(t).await,
        Probe::Redis(t) => resp::probe(t).await,
        Probe::Http(t) => http::probe(t, options).await,
        Probe::RocketMq { host, port } => rocketmq::probe(host, *port).await,
        // Answered by `run_one` before any I/O.
        Probe::Skipped { .. } => Ok(Outcome::default()),
    }
}

/// Entry points for the fuzz targets in `fuzz/` (the probes' reply parsers, fed bytes as a
/// hostile server would send them). Compiled only under cargo-fuzz's `--cfg fuzzing`.
#[cfg(fuzzing)]
#[doc(hidden)]
#[allow(missing_docs, clippy::missing_panics_doc)]
pub mod fuzz_hooks {
    /// An HTTP health answer: parsed, then judged as RAGflow's and as Vault's.
    pub fn http_answer(raw: &[u8]) {
        if let Ok(response) = super::http::parse_response(raw) {
            let _ = super::http::ragflow(&response, "t:1", "/api/v1/system/healthz");
            let _ = super::http::vault(&response, "t:1");
        }
    }

    /// A stream of RESP replies, read until the first error.
    pub fn resp_replies(raw: &[u8]) {
        super::resp::fuzz_replies(raw);
    }

    /// One RocketMQ remoting frame (after its length prefix).
    pub fn rocketmq_frame(raw: &[u8]) {
        let _ = super::rocketmq::parse_frame(raw);
    }
}
