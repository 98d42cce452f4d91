//! The credential keeper: keeps a resolution's Vault credentials valid for the life of a
//! process.
//!
//! A [`Keeper`] owns the Vault token and the dynamic leases one resolution produced. Once
//! started (lazily, on first use) it runs on its own thread with a single-threaded tokio
//! runtime and follows [`policy`]: leases renewed at 2/3 of their TTL and replaced when a
//! renewal can no longer extend them, the token renewed or replaced by a new login, KV
//! secrets re-read every `DBSTACK_KV_REFRESH` seconds, failures retried with jittered
//! backoff while the credentials in use stay in use. Each change is resolved again by the
//! core ([`dbstack_core::resolve`]) and published as a new [`Snapshot`] with a higher
//! generation, which callers read without waiting for the keeper.
//!
//! Fork safety: a `Keeper` remembers the process id that created it; in another process (a
//! forked child) every method answers "not here" and dropping it leaks it on purpose, so a
//! child never touches a lock or runtime its parent's threads may have held.

mod calls;
pub mod policy;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc as sync_mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use dbstack_core::vault::{
    ReadKind, VaultAnswers, VaultFailure, VaultPlan, VaultResult, VaultSettings,
};
use dbstack_core::{Inputs, Resolution};
use serde_json::{json, Value};
use vaultrs::client::{Client as _, VaultClient};

use self::policy::{Clock, KvClock, Step};
use super::auth::{self, Login};
use super::failure::{self, kind};
use super::Budget;

/// Forced refreshes closer together than this are answered with the current credentials.
pub const FORCED_REFRESH_GAP: Duration = Duration::from_secs(1);
/// Default of `DBSTACK_KV_REFRESH`, in seconds.
pub const KV_REFRESH_DEFAULT_S: u64 = 300;

/// What the keeper reads from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeeperOptions {
    /// `DBSTACK_KV_REFRESH`: KV secrets are re-read at most this often.
    pub kv_refresh: Duration,
    /// `DBSTACK_KEEP_LEASES=true`: leases are not revoked when the process exits.
    pub keep_leases: bool,
}

impl Default for KeeperOptions {
    fn default() -> KeeperOptions {
        KeeperOptions {
            kv_refresh: Duration::from_secs(KV_REFRESH_DEFAULT_S),
            keep_leases: false,
        }
    }
}

impl KeeperOptions {
    /// `DBSTACK_KV_REFRESH` (whole seconds, 1 to 86400) and `DBSTACK_KEEP_LEASES`
    /// (the core's boolean: `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`).
    pub fn from_env(env: &BTreeMap<String, String>) -> Result<KeeperOptions, VaultFailure> {
        let mut options = KeeperOptions::default();
        if let Some(text) = env.get("DBSTACK_KV_REFRESH").map(|t| t.trim()) {
            match text.parse::<u64>() {
                Ok(s) if (1..=86_400).contains(&s) => options.kv_refresh = Duration::from_secs(s),
                _ => {
                    return Err(failure::failure(
                        kind::CONFIG,
                        "DBSTACK_KV_REFRESH",
                        None,
                        format!("DBSTACK_KV_REFRESH `{text}` is not a whole number of seconds between 1 and 86400"),
                    ))
                }
            }
        }
        if let Some(text) = env
            .get("DBSTACK_KEEP_LEASES")
            .map(|t| t.trim().to_ascii_lowercase())
        {
            options.keep_leases = match dbstack_core::env_vars::parse_bool(&text) {
                Some(keep) => keep,
                None if text.is_empty() => false,
                None => {
                    return Err(failure::failure(
                        kind::CONFIG,
                        "DBSTACK_KEEP_LEASES",
                        None,
                        format!("DBSTACK_KEEP_LEASES `{text}` must be `true` or `false`"),
                    ))
                }
            };
        }
        Ok(options)
    }
}

/// How important a log line is (the Python binding maps these to `logging` levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warning,
}

/// Where the keeper's log lines go; they never contain a secret.
pub type LogSink = Arc<dyn Fn(Level, &str) + Send + Sync>;

/// The current credentials: a resolution and the answers it was made from.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Rises with every change of credentials.
    pub generation: u64,
    pub resolution: Resolution,
    pub answers: VaultAnswers,
}

/// What `stop` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StopReport {
    pub revoked: u32,
    pub failed: u32,
}

enum Command {
    Refresh {
        reply: sync_mpsc::SyncSender<Result<u64, VaultFailure>>,
    },
    Stop {
        revoke: bool,
        reply: sync_mpsc::SyncSender<StopReport>,
    },
}

/// One lease the keeper looks after.
#[derive(Debug, Clone)]
struct Kept {
    /// The read's path (`database/creds/app`), the key of its answer.
    path: String,
    aliases: String,
    lease_id: String,
    clock: Clock,
    /// New credentials fetched for it so far.
    rotations: u32,
}

/// Status rows, with instants so that the TTL left is computed when asked.
#[derive(Debug, Clone, Default)]
struct Status {
    token: Option<TokenRow>,
    leases: Vec<LeaseRow>,
    kv: Option<KvRow>,
    last_error: Option<String>,
}

#[derive(Debug, Clone)]
struct TokenRow {
    auth: &'static str,
    accessor: String,
    expires: Option<Instant>,
    renewals: u32,
    logins: u32,
    next: Option<(Instant, &'static str)>,
}

#[derive(Debug, Clone)]
struct LeaseRow {
    alias: String,
    path: String,
    lease_id: String,
    expires: Option<Instant>,
    renewable: bool,
    renewals: u32,
    rotations: u32,
    next: Option<(Instant, &'static str)>,
}

#[derive(Debug, Clone)]
struct KvRow {
    paths: Vec<String>,
    reads: u32,
    next: Instant,
}

#[derive(Debug)]
struct Shared {
    generation: AtomicU64,
    snapshot: Mutex<Arc<Snapshot>>,
    status: Mutex<Status>,
}

/// The loop's state; moved onto the keeper thread when it starts.
struct Run {
    origin: Instant,
    inputs: Inputs,
    plan: VaultPlan,
    settings: VaultSettings,
    env: BTreeMap<String, String>,
    options: KeeperOptions,
    client: VaultClient,
    answers: VaultAnswers,
    token: Clock,
    accessor: String,
    token_source: String,
    /// Kubernetes or AppRole: a new login is possible.
    can_login: bool,
    token_reported: bool,
    logins: u32,
    leases: Vec<Kept>,
    /// Replaced leases still alive (connections may use them): revoked at exit.
    retired: Vec<(String, String, Option<u64>)>,
    kv: KvClock,
    last_forced: Option<u64>,
    shared: Arc<Shared>,
    log: LogSink,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run")
            .field("accessor", &self.accessor)
            .field("leases", &self.leases)
            .finish_non_exhaustive()
    }
}

type Pending = (Run, tokio::sync::mpsc::UnboundedReceiver<Command>);

#[derive(Debug)]
struct Inner {
    shared: Arc<Shared>,
    tx: tokio::sync::mpsc::UnboundedSender<Command>,
    pending: Mutex<Option<Pending>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// Keeps one resolution's Vault credentials valid; see the module documentation.
#[derive(Debug)]
pub struct Keeper {
    pid: u32,
    inner: Option<Arc<Inner>>,
}

/// Why a keeper call could not be answered here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeeperError {
    #[error("the credential keeper belongs to process {0}, not this one (forked)")]
    OtherProcess(u32),
    #[error("the credential keeper has stopped")]
    Stopped,
    #[error("{}", .0.message)]
    Vault(VaultFailure),
}

impl Keeper {
    /// A keeper for a resolution Vault answered (`login` from the same exchange), or `None`
    /// when there is nothing to keep (Vault not used or failed). Not started yet.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        origin: Instant,
        inputs: Inputs,
        plan: VaultPlan,
        answers: VaultAnswers,
        resolution: Resolution,
        login: Login,
        options: KeeperOptions,
        log: LogSink,
    ) -> Result<Option<Keeper>, VaultFailure> {
        let Some(settings) = plan.settings.clone() else {
            return Ok(None);
        };
        let mut client = super::client::build(&settings)?;
        client.set_token(login.token.expose());
        let mut token = Clock::issued(0, login.ttl_s.saturating_mul(1000), login.renewable);
        token.asked_ms = login.asked_s.saturating_mul(1000).max(token.asked_ms);
        let leases = plan
            .reads
            .iter()
            .filter(|r| matches!(r.kind, ReadKind::DatabaseCreds { .. }))
            .filter_map(|read| match answers.results.get(&read.path) {
                Some(VaultResult::DatabaseCreds {
                    lease_id,
                    lease_duration,
                    renewable,
                    ..
                }) => Some(Kept {
                    path: read.path.clone(),
                    aliases: aliases_of(&read.purpose),
                    lease_id: lease_id.clone(),
                    clock: Clock::issued(0, lease_duration.saturating_mul(1000), *renewable),
                    rotations: 0,
                }),
                _ => None,
            })
            .collect();
        let kv_every = u64::try_from(options.kv_refresh.as_millis()).unwrap_or(u64::MAX);
        let shared = Arc::new(Shared {
            generation: AtomicU64::new(1),
            snapshot: Mutex::new(Arc::new(Snapshot {
                generation: 1,
                resolution,
                answers: answers.clone(),
            })),
            status: Mutex::new(Status::default()),
        });
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let run = Run {
            origin,
            can_login: !matches!(settings.auth, dbstack_core::vault::AuthMethod::Token),
            inputs,
            plan,
            env: BTreeMap::new(),
            options,
            client,
            answers,
            token,
            accessor: login.accessor,
            token_source: login.source,
            token_reported: false,
            logins: 1,
            leases,
            retired: Vec::new(),
            kv: KvClock::new(0, kv_every),
            last_forced: None,
            shared: Arc::clone(&shared),
            log,
            settings,
        };
        let mut run = run;
        run.env = run.inputs.env.clone();
        run.publish_status();
        Ok(Some(Keeper {
            pid: std::process::id(),
            inner: Some(Arc::new(Inner {
                shared,
                tx,
                pending: Mutex::new(Some((run, rx))),
                thread: Mutex::new(None),
            })),
        }))
    }

    fn here(&self) -> Result<&Arc<Inner>, KeeperError> {
        if self.pid != std::process::id() {
            return Err(KeeperError::OtherProcess(self.pid));
        }
        self.inner.as_ref().ok_or(KeeperError::Stopped)
    }

    /// Starts the keeper thread unless it runs already.
    pub fn start(&self) -> Result<(), KeeperError> {
        let inner = self.here()?;
        let pending = inner
            .pending
            .lock()
            .map_err(|_| KeeperError::Stopped)?
            .take();
        let Some((run, rx)) = pending else {
            return Ok(());
        };
        let spawned = std::thread::Builder::new()
            .name("dbstack-keeper".into())
            .spawn(move || {
                let log = Arc::clone(&run.log);
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(run.run(rx)),
                    Err(e) => log(
                        Level::Warning,
                        &format!("the credential keeper cannot start its runtime: {e}"),
                    ),
                }
            });
        match spawned {
            Ok(handle) => {
                if let Ok(mut thread) = inner.thread.lock() {
                    *thread = Some(handle);
                }
                Ok(())
            }
            Err(e) => Err(KeeperError::Vault(failure::failure(
                kind::CONFIG,
                "dbstack-keeper",
                None,
                format!("cannot start the credential keeper thread: {e}"),
            ))),
        }
    }

    /// Whether the thread runs.
    pub fn started(&self) -> bool {
        self.here()
            .ok()
            .and_then(|inner| inner.pending.lock().ok().map(|p| p.is_none()))
            .unwrap_or(false)
    }

    /// The generation of the current credentials (no lock, no start).
    pub fn generation(&self) -> Result<u64, KeeperError> {
        Ok(self.here()?.shared.generation.load(Ordering::Acquire))
    }

    /// The current credentials; starts the keeper.
    pub fn snapshot(&self) -> Result<Arc<Snapshot>, KeeperError> {
        self.start()?;
        let inner = self.here()?;
        let snapshot = inner
            .shared
            .snapshot
            .lock()
            .map_err(|_| KeeperError::Stopped)?;
        Ok(Arc::clone(&snapshot))
    }

    /// New credentials now (an authentication failed): KV re-read, every lease replaced.
    /// Refreshes closer than [`FORCED_REFRESH_GAP`] share one. Waits at most `wait`.
    pub fn refresh(&self, wait: Duration) -> Result<Arc<Snapshot>, KeeperError> {
        self.start()?;
        let inner = self.here()?;
        let (reply, answer) = sync_mpsc::sync_channel(1);
        inner
            .tx
            .send(Command::Refresh { reply })
            .map_err(|_| KeeperError::Stopped)?;
        match answer.recv_timeout(wait) {
            Ok(Ok(_)) => self.snapshot(),
            Ok(Err(f)) => Err(KeeperError::Vault(f)),
            Err(_) => Err(KeeperError::Vault(failure::failure(
                kind::TIMEOUT,
                "dbstack-keeper",
                None,
                format!(
                    "the credential keeper did not refresh within {} ms",
                    wait.as_millis()
                ),
            ))),
        }
    }

    /// `{"token": {...}, "leases": [...], "kv": {...}, "last_error"}`: lease ids, paths,
    /// TTL left, renewals and the next action; never a secret.
    pub fn status(&self) -> Result<Value, KeeperError> {
        let inner = self.here()?;
        let status = inner
            .shared
            .status
            .lock()
            .map_err(|_| KeeperError::Stopped)?
            .clone();
        let started = self.started();
        let now = Instant::now();
        let secs = |at: Option<Instant>| {
            at.map(|at| {
                let left = at.saturating_duration_since(now).as_secs_f64();
                (left * 10.0).round() / 10.0
            })
        };
        let next = |n: &Option<(Instant, &'static str)>| match n {
            Some((at, what)) => json!({"action": what, "in_s": secs(Some(*at))}),
            None => Value::Null,
        };
        Ok(json!({
            "running": started,
            "token": status.token.as_ref().map(|t| json!({
                "auth": t.auth,
                "accessor": t.accessor,
                "ttl_left_s": secs(t.expires),
                "renewals": t.renewals,
                "logins": t.logins,
                "next": next(&t.next),
            })),
            "leases": status.leases.iter().map(|l| json!({
                "alias": l.alias,
                "path": l.path,
                "lease_id": l.lease_id,
                "ttl_left_s": secs(l.expires),
                "renewable": l.renewable,
                "renewals": l.renewals,
                "rotations": l.rotations,
                "next": next(&l.next),
            })).collect::<Vec<_>>(),
            "kv": status.kv.as_ref().map(|k| json!({
                "paths": k.paths,
                "reads": k.reads,
                "next": {"action": "reread", "in_s": secs(Some(k.next))},
            })),
            "last_error": status.last_error,
        }))
    }

    /// Stops the keeper; revokes the leases this process created unless `DBSTACK_KEEP_LEASES`
    /// (or `revoke` is false). Waits at most `wait`.
    /// The keeper answers nothing but [`Keeper::snapshot`] and [`Keeper::status`] afterwards.
    pub fn stop(&self, revoke: bool, wait: Duration) -> Result<StopReport, KeeperError> {
        self.start()?;
        let inner = self.here()?;
        let (reply, answer) = sync_mpsc::sync_channel(1);
        inner
            .tx
            .send(Command::Stop { revoke, reply })
            .map_err(|_| KeeperError::Stopped)?;
        let report = answer
            .recv_timeout(wait)
            .map_err(|_| KeeperError::Stopped)?;
        let handle = inner.thread.lock().ok().and_then(|mut t| t.take());
        if let Some(handle) = handle {
            let _ = handle.join();
        }
        Ok(report)
    }
}

impl Drop for Keeper {
    fn drop(&mut self) {
        if self.pid != std::process::id() {
            // A forked child: the parent's threads may have held these locks; never touch them.
            if let Some(inner) = self.inner.take() {
                std::mem::forget(inner);
            }
        }
    }
}

/// `alias:default,alias:x` → `default,x`.
fn aliases_of(purpose: &str) -> String {
    purpose
        .split(',')
        .map(|p| p.trim_start_matches("alias:"))
        .collect::<Vec<_>>()
        .join(",")
}

/// A value in `[0, 1)` that differs between calls and processes.
fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(Instant::now().elapsed().as_nanos());
    (hasher.finish() % 1_000_000) as f64 / 1_000_000.0
}

/// The next thing to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Task {
    Token(Step),
    Lease(usize, Step),
    Kv,
}

/// Lease renewals are refused with 400 (unknown or expired lease); 403 is the token.
fn refused(f: &VaultFailure) -> bool {
    matches!(f.status, Some(400 | 404))
}

fn token_refused(f: &VaultFailure) -> bool {
    f.kind == kind::AUTH_FAILED || f.status == Some(403)
}

impl Run {
    fn now(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn at(&self, ms: u64) -> Instant {
        self.origin + Duration::from_millis(ms)
    }

    fn info(&self, message: &str) {
        (self.log)(Level::Info, message);
    }

    fn warn(&self, message: &str) {
        (self.log)(Level::Warning, message);
        if let Ok(mut status) = self.shared.status.lock() {
            status.last_error = Some(message.to_owned());
        }
    }

    /// The earliest due task; the token first when tied (leases need a valid token).
    fn next(&self, now: u64) -> Option<(u64, Task)> {
        let mut best: Option<(u64, Task)> = None;
        let mut consider = |at: u64, task: Task| {
            if best.map_or(true, |(b, _)| at < b) {
                best = Some((at, task));
            }
        };
        if let Some((at, step)) = self.token.due(now, self.can_login) {
            if !(step == Step::Report && self.token_reported) {
                consider(at, Task::Token(step));
            }
        }
        for (index, lease) in self.leases.iter().enumerate() {
            if let Some((at, step)) = lease.clock.due(now, true) {
                consider(at, Task::Lease(index, step));
            }
        }
        if self.has_kv() {
            consider(self.kv.due(), Task::Kv);
        }
        best
    }

    fn has_kv(&self) -> bool {
        self.plan
            .reads
            .iter()
            .any(|r| matches!(r.kind, ReadKind::Kv2 { .. }))
    }

    async fn run(mut self, mut rx: tokio::sync::mpsc::UnboundedReceiver<Command>) {
        loop {
            let now = self.now();
            let next = self.next(now);
            let wait = next.map_or(Duration::from_secs(3600), |(at, _)| {
                Duration::from_millis(at.saturating_sub(now))
            });
            tokio::select! {
                _ = tokio::time::sleep(wait) => {
                    if let Some((_, task)) = next {
                        self.perform(task).await;
                    }
                }
                command = rx.recv() => match command {
                    None => return,
                    Some(Command::Refresh { reply }) => {
                        let answer = self.force().await;
                        let _ = reply.send(answer);
                    }
                    Some(Command::Stop { revoke, reply }) => {
                        let report = self.stop(revoke).await;
                        let _ = reply.send(report);
                        return;
                    }
                },
            }
            self.publish_status();
        }
    }

    async fn perform(&mut self, task: Task) {
        match task {
            Task::Token(Step::Renew) => self.renew_token().await,
            Task::Token(Step::Replace) => {
                let _ = self.login_again().await;
            }
            Task::Token(Step::Report) => self.report_token(),
            Task::Lease(index, Step::Renew) => self.renew_lease(index).await,
            Task::Lease(index, _) => {
                let _ = self.replace_lease(index).await;
            }
            Task::Kv => {
                let _ = self.reread_kv().await;
            }
        }
    }

    async fn renew_token(&mut self) {
        let now = self.now();
        let asked = (self.token.asked_ms / 1000).max(1);
        let answer = calls::renew_token(
            &self.client,
            &self.settings.addr,
            &Budget::new(&self.settings),
            &self.token_source,
            asked,
        )
        .await;
        match answer {
            Ok(grant) => {
                self.token
                    .renewed(now, grant.ttl_s.saturating_mul(1000), grant.renewable);
                self.info(&format!(
                    "vault token renewed (accessor `{}`): ttl {} s{}",
                    self.accessor,
                    grant.ttl_s,
                    if self.token.capped {
                        " (its max TTL is near)"
                    } else {
                        ""
                    }
                ));
            }
            Err(f) if token_refused(&f) || refused(&f) => {
                self.token.refused(now);
                self.warn(&format!(
                    "vault refused to renew the token (accessor `{}`): {}",
                    self.accessor, f.message
                ));
            }
            Err(f) => {
                self.token.failed(now, jitter());
                self.warn(&format!(
                    "cannot renew the vault token (accessor `{}`), retrying: {}",
                    self.accessor, f.message
                ));
            }
        }
    }

    fn report_token(&mut self) {
        self.token_reported = true;
        let left = self.token.left_ms(self.now()).unwrap_or(0) / 1000;
        self.warn(&format!(
            "the vault token from {} (accessor `{}`) cannot be renewed any more and expires in {left} s; \
             dynamic credentials end with it: give the process a new token (or use kubernetes or approle auth)",
            self.token_source, self.accessor
        ));
    }

    /// A new login; then every lease is replaced, as the old token's leases end with it.
    async fn login_again(&mut self) -> Result<(), VaultFailure> {
        let now = self.now();
        if !self.can_login {
            return Err(failure::failure(
                kind::AUTH_FAILED,
                self.token_source.clone(),
                None,
                format!(
                    "the vault token from {} (accessor `{}`) has expired or was revoked",
                    self.token_source, self.accessor
                ),
            ));
        }
        match auth::login(
            &mut self.client,
            &self.settings,
            &self.env,
            &Budget::new(&self.settings),
        )
        .await
        {
            Ok(login) => {
                self.client.set_token(login.token.expose());
                let mut token =
                    Clock::issued(now, login.ttl_s.saturating_mul(1000), login.renewable);
                token.asked_ms = login.asked_s.saturating_mul(1000).max(token.asked_ms);
                self.token = token;
                self.accessor = login.accessor;
                self.token_source = login.source;
                self.logins = self.logins.saturating_add(1);
                self.token_reported = false;
                self.info(&format!(
                    "logged in to vault again ({}, accessor `{}`, ttl {} s): replacing {} lease(s)",
                    self.settings.auth.as_str(),
                    self.accessor,
                    login.ttl_s,
                    self.leases.len()
                ));
                for lease in &mut self.leases {
                    lease.clock.refused(now);
                }
                Ok(())
            }
            Err(f) => {
                self.token.failed(now, jitter());
                self.warn(&format!("vault login failed, retrying: {}", f.message));
                Err(f)
            }
        }
    }

    async fn renew_lease(&mut self, index: usize) {
        let now = self.now();
        let Some(lease) = self.leases.get(index) else {
            return;
        };
        let asked = (lease.clock.asked_ms / 1000).max(1);
        let answer = calls::renew_lease(
            &self.client,
            &self.settings.addr,
            &Budget::new(&self.settings),
            &lease.lease_id,
            &lease.path,
            asked,
        )
        .await;
        let token_dead = matches!(&answer, Err(f) if token_refused(f));
        let Some(lease) = self.leases.get_mut(index) else {
            return;
        };
        let message = match answer {
            Ok(grant) => {
                lease
                    .clock
                    .renewed(now, grant.ttl_s.saturating_mul(1000), grant.renewable);
                (
                    Level::Info,
                    format!(
                        "lease renewed: {} for {} (lease `{}`): ttl {} s{}",
                        lease.path,
                        lease.aliases,
                        lease.lease_id,
                        grant.ttl_s,
                        if lease.clock.capped {
                            "; its max TTL is near, new credentials follow"
                        } else {
                            ""
                        }
                    ),
                )
            }
            Err(f) if refused(&f) => {
                lease.clock.refused(now);
                (
                    Level::Warning,
                    format!(
                        "vault refused to renew lease `{}` ({}): new credentials follow: {}",
                        lease.lease_id, lease.path, f.message
                    ),
                )
            }
            Err(f) => {
                lease.clock.failed(now, jitter());
                (
                    Level::Warning,
                    format!(
                        "cannot renew lease `{}` ({}), the credentials stay in use and it is retried: {}",
                        lease.lease_id, lease.path, f.message
                    ),
                )
            }
        };
        match message.0 {
            Level::Info => self.info(&message.1),
            Level::Warning => self.warn(&message.1),
        }
        if token_dead {
            self.token.refused(now);
        }
    }

    /// New credentials for one lease; the old lease stays alive until it expires (open
    /// connections may use it) and is revoked at exit.
    async fn replace_lease(&mut self, index: usize) -> Result<(), VaultFailure> {
        let now = self.now();
        let Some(lease) = self.leases.get(index) else {
            return Ok(());
        };
        let path = lease.path.clone();
        let Some(read) = self.plan.reads.iter().find(|r| r.path == path).cloned() else {
            return Ok(());
        };
        let answer = super::read::perform(
            &self.client,
            &self.settings.addr,
            &Budget::new(&self.settings),
            &read,
        )
        .await;
        match answer {
            Ok(result @ VaultResult::DatabaseCreds { .. }) => {
                let VaultResult::DatabaseCreds {
                    lease_id,
                    lease_duration,
                    renewable,
                    ..
                } = &result
                else {
                    return Ok(());
                };
                let clock = Clock::issued(now, lease_duration.saturating_mul(1000), *renewable);
                let (lease_id, lease_duration) = (lease_id.clone(), *lease_duration);
                if let Some(lease) = self.leases.get_mut(index) {
                    let old = std::mem::replace(&mut lease.lease_id, lease_id.clone());
                    self.retired
                        .push((old, lease.path.clone(), lease.clock.expires_at));
                    lease.clock = clock;
                    lease.rotations = lease.rotations.saturating_add(1);
                }
                self.answers.results.insert(path.clone(), result);
                self.publish();
                let aliases = self.leases.get(index).map(|l| l.aliases.clone());
                self.info(&format!(
                    "new credentials for {} from {path} (lease `{lease_id}`, ttl {lease_duration} s)",
                    aliases.unwrap_or_default()
                ));
                // Forget retired leases that ended a while ago.
                self.retired
                    .retain(|(_, _, end)| end.map_or(true, |e| e.saturating_add(60_000) > now));
                Ok(())
            }
            Ok(_) => Ok(()),
            Err(f) => {
                if token_refused(&f) {
                    self.token.refused(now);
                }
                if let Some(lease) = self.leases.get_mut(index) {
                    lease.clock.failed(now, jitter());
                }
                self.warn(&format!(
                    "cannot fetch new credentials from {path}, the current ones stay in use and it is retried: {}",
                    f.message
                ));
                Err(f)
            }
        }
    }

    async fn reread_kv(&mut self) -> Result<(), VaultFailure> {
        let now = self.now();
        let reads: Vec<_> = self
            .plan
            .reads
            .iter()
            .filter(|r| matches!(r.kind, ReadKind::Kv2 { .. }))
            .cloned()
            .collect();
        let mut changed = Vec::new();
        for read in &reads {
            let answer = super::read::perform(
                &self.client,
                &self.settings.addr,
                &Budget::new(&self.settings),
                read,
            )
            .await;
            match answer {
                Ok(result) => {
                    if self.answers.results.get(&read.path) != Some(&result) {
                        changed.push(read.path.clone());
                        self.answers.results.insert(read.path.clone(), result);
                    }
                }
                Err(f) => {
                    if token_refused(&f) {
                        self.token.refused(now);
                    }
                    self.kv.failed(now, jitter());
                    if !changed.is_empty() {
                        self.publish();
                    }
                    self.warn(&format!(
                        "cannot re-read {}, the values in use stay: {}",
                        read.path, f.message
                    ));
                    return Err(f);
                }
            }
        }
        self.kv.read(now);
        if !changed.is_empty() {
            self.publish();
            self.info(&format!(
                "KV secrets re-read: {} changed",
                changed.join(", ")
            ));
        }
        Ok(())
    }

    /// A forced refresh: a new login when the token is gone, KV re-read, every lease replaced.
    async fn force(&mut self) -> Result<u64, VaultFailure> {
        let now = self.now();
        let gap = u64::try_from(FORCED_REFRESH_GAP.as_millis()).unwrap_or(1000);
        if self
            .last_forced
            .is_some_and(|last| now.saturating_sub(last) < gap)
        {
            return Ok(self.shared.generation.load(Ordering::Acquire));
        }
        self.last_forced = Some(now);
        self.info("an authentication failed: refreshing the vault credentials");
        if self.token.expired(now) || self.token.capped && !self.token.renewable {
            self.login_again().await?;
        }
        let mut result = self.reread_kv().await;
        if matches!(&result, Err(f) if token_refused(f)) && self.can_login {
            self.login_again().await?;
            result = self.reread_kv().await;
        }
        result?;
        for index in 0..self.leases.len() {
            self.replace_lease(index).await?;
        }
        Ok(self.shared.generation.load(Ordering::Acquire))
    }

    async fn stop(&mut self, revoke: bool) -> StopReport {
        let mut report = StopReport::default();
        if !revoke || self.options.keep_leases {
            if !self.leases.is_empty() {
                self.info("DBSTACK_KEEP_LEASES: the leases are left to expire");
            }
            return report;
        }
        let mut ids: Vec<(String, String)> = self
            .retired
            .iter()
            .map(|(id, path, _)| (id.clone(), path.clone()))
            .collect();
        ids.extend(
            self.leases
                .iter()
                .map(|l| (l.lease_id.clone(), l.path.clone())),
        );
        for (lease_id, path) in &ids {
            let answer = calls::revoke_lease(
                &self.client,
                &self.settings.addr,
                &Budget::new(&self.settings),
                lease_id,
                path,
            )
            .await;
            match answer {
                Ok(()) => report.revoked += 1,
                Err(f) => {
                    report.failed += 1;
                    self.warn(&format!("cannot revoke lease `{lease_id}`: {}", f.message));
                }
            }
        }
        if report.revoked > 0 {
            self.info(&format!(
                "revoked {} lease(s) this process created",
                report.revoked
            ));
        }
        report
    }

    /// Resolves the current answers again and publishes them as the next generation.
    fn publish(&mut self) {
        match dbstack_core::resolve(&self.inputs, &self.answers) {
            Ok(resolution) => {
                let generation = self.shared.generation.load(Ordering::Acquire) + 1;
                let snapshot = Arc::new(Snapshot {
                    generation,
                    resolution,
                    answers: self.answers.clone(),
                });
                if let Ok(mut current) = self.shared.snapshot.lock() {
                    *current = snapshot;
                }
                self.shared.generation.store(generation, Ordering::Release);
            }
            Err(e) => self.warn(&format!(
                "the new vault answers do not resolve, the current credentials stay: {e}"
            )),
        }
    }

    fn publish_status(&self) {
        let now = self.now();
        let expires = |c: &Clock| c.expires_at.map(|e| self.at(e));
        let token_next = self
            .token
            .due(now, self.can_login)
            .filter(|(_, s)| !(*s == Step::Report && self.token_reported))
            .map(|(at, step)| {
                (
                    self.at(at),
                    match step {
                        Step::Renew => "renew",
                        Step::Replace => "login",
                        Step::Report => "expires: new token needed",
                    },
                )
            });
        let status = Status {
            token: Some(TokenRow {
                auth: self.settings.auth.as_str(),
                accessor: self.accessor.clone(),
                expires: expires(&self.token),
                renewals: self.token.renewals,
                logins: self.logins,
                next: token_next,
            }),
            leases: self
                .leases
                .iter()
                .map(|l| LeaseRow {
                    alias: l.aliases.clone(),
                    path: l.path.clone(),
                    lease_id: l.lease_id.clone(),
                    expires: expires(&l.clock),
                    renewable: l.clock.renewable,
                    renewals: l.clock.renewals,
                    rotations: l.rotations,
                    next: l.clock.due(now, true).map(|(at, step)| {
                        (
                            self.at(at),
                            match step {
                                Step::Renew => "renew",
                                _ => "rotate",
                            },
                        )
                    }),
                })
                .collect(),
            kv: self.has_kv().then(|| KvRow {
                paths: self
                    .plan
                    .reads
                    .iter()
                    .filter(|r| matches!(r.kind, ReadKind::Kv2 { .. }))
                    .map(|r| r.path.clone())
                    .collect(),
                reads: self.kv.reads,
                next: self.at(self.kv.due()),
            }),
            last_error: None,
        };
        if let Ok(mut current) = self.shared.status.lock() {
            let last_error = current.last_error.take();
            *current = Status {
                last_error,
                ..status
            };
        }
    }
}
