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
    AuthMethod, ReadKind, VaultAnswers, VaultFailure, VaultPlan, VaultRead, VaultResult,
    VaultSettings,
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
        let invalid = |name: &str, text: &str, why: &str| {
            failure::failure(kind::CONFIG, name, None, format!("{name} `{text}` {why}"))
        };
        let mut options = KeeperOptions::default();
        if let Some(text) = env.get("DBSTACK_KV_REFRESH").map(|t| t.trim()) {
            let seconds = text.parse().ok().filter(|s| (1..=86_400).contains(s));
            let why = "is not a whole number of seconds between 1 and 86400";
            let seconds = seconds.ok_or_else(|| invalid("DBSTACK_KV_REFRESH", text, why))?;
            options.kv_refresh = Duration::from_secs(seconds);
        }
        let keep = env.get("DBSTACK_KEEP_LEASES");
        if let Some(text) = keep.map(|t| t.trim().to_ascii_lowercase()) {
            let keep = dbstack_core::env_vars::parse_bool(&text);
            let keep = keep.or_else(|| text.is_empty().then_some(false));
            let why = "must be `true` or `false`";
            options.keep_leases = keep.ok_or_else(|| invalid("DBSTACK_KEEP_LEASES", &text, why))?;
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

/// What the keeper thread is asked, with where its answer goes.
enum Command {
    Refresh(sync_mpsc::SyncSender<Result<u64, VaultFailure>>),
    /// `true`: revoke the leases.
    Stop(bool, sync_mpsc::SyncSender<StopReport>),
}

/// One lease the keeper looks after.
#[derive(Debug, Clone)]
struct Kept {
    /// The `database/creds` read that issued it.
    read: VaultRead,
    lease_id: String,
    clock: Clock,
    /// New credentials fetched for it so far.
    rotations: u32,
}

/// The loop's bookkeeping, copied for [`Keeper::status`] after each step (clock values are
/// milliseconds since the keeper's origin).
#[derive(Debug, Clone)]
struct State {
    auth: &'static str,
    token: Clock,
    accessor: String,
    token_source: String,
    /// Kubernetes or AppRole: a new login is possible.
    can_login: bool,
    token_reported: bool,
    logins: u32,
    leases: Vec<Kept>,
    /// The KV reads, re-read every `DBSTACK_KV_REFRESH`.
    kv_reads: Vec<VaultRead>,
    kv: KvClock,
}

#[derive(Debug)]
struct Shared {
    origin: Instant,
    generation: AtomicU64,
    snapshot: Mutex<Arc<Snapshot>>,
    /// The loop's state, when it was copied, and the last warning.
    status: Mutex<(State, u64, Option<String>)>,
}

/// The loop; moved onto the keeper thread when it starts.
struct Run {
    inputs: Inputs,
    settings: VaultSettings,
    keep_leases: bool,
    client: VaultClient,
    answers: VaultAnswers,
    state: State,
    /// Replaced leases still alive (connections may use them): revoked at exit.
    retired: Vec<Kept>,
    last_forced: Option<u64>,
    shared: Arc<Shared>,
    log: LogSink,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run")
            .field("accessor", &self.state.accessor)
            .field("leases", &self.state.leases)
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
    inner: Option<Inner>,
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
        let reads = |kv: bool| {
            let reads = plan.reads.iter();
            reads.filter(move |r| matches!(r.kind, ReadKind::Kv2 { .. }) == kv)
        };
        let leases = reads(false)
            .filter_map(|read| Some(kept(read, answers.results.get(&read.path)?, 0)?.0))
            .collect();
        let kv_every = u64::try_from(options.kv_refresh.as_millis()).unwrap_or(u64::MAX);
        let state = State {
            auth: settings.auth.as_str(),
            token: token_clock(0, &login),
            accessor: login.accessor,
            token_source: login.source,
            can_login: !matches!(settings.auth, AuthMethod::Token),
            token_reported: false,
            logins: 1,
            leases,
            kv_reads: reads(true).cloned().collect(),
            kv: KvClock::new(0, kv_every),
        };
        let shared = Arc::new(Shared {
            origin,
            generation: AtomicU64::new(1),
            snapshot: Mutex::new(Arc::new(Snapshot {
                generation: 1,
                resolution,
                answers: answers.clone(),
            })),
            status: Mutex::new((state.clone(), since(origin), None)),
        });
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let run = Run {
            inputs,
            settings,
            keep_leases: options.keep_leases,
            client,
            answers,
            state,
            retired: Vec::new(),
            last_forced: None,
            shared: Arc::clone(&shared),
            log,
        };
        Ok(Some(Keeper {
            pid: std::process::id(),
            inner: Some(Inner {
                shared,
                tx,
                pending: Mutex::new(Some((run, rx))),
                thread: Mutex::new(None),
            }),
        }))
    }

    fn here(&self) -> Result<&Inner, KeeperError> {
        if self.pid != std::process::id() {
            return Err(KeeperError::OtherProcess(self.pid));
        }
        self.inner.as_ref().ok_or(KeeperError::Stopped)
    }

    /// Starts the keeper thread unless it runs already.
    pub fn start(&self) -> Result<(), KeeperError> {
        self.running().map(|_| ())
    }

    /// [`Keeper::here`], once the thread is started.
    fn running(&self) -> Result<&Inner, KeeperError> {
        let inner = self.here()?;
        let pending = inner
            .pending
            .lock()
            .map_err(|_| KeeperError::Stopped)?
            .take();
        let Some((run, rx)) = pending else {
            return Ok(inner);
        };
        let spawned = std::thread::Builder::new()
            .name("dbstack-keeper".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                match runtime {
                    Ok(rt) => rt.block_on(run.run(rx)),
                    Err(e) => (run.log)(
                        Level::Warning,
                        &format!("the credential keeper cannot start its runtime: {e}"),
                    ),
                }
            })
            .map_err(|e| {
                keeper_failure(
                    kind::CONFIG,
                    format!("cannot start the credential keeper thread: {e}"),
                )
            })?;
        if let Ok(mut thread) = inner.thread.lock() {
            *thread = Some(spawned);
        }
        Ok(inner)
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
        let snapshot = self.running()?.shared.snapshot.lock();
        snapshot
            .map(|s| Arc::clone(&s))
            .map_err(|_| KeeperError::Stopped)
    }

    /// Starts the keeper and sends it a command; its answer, or `None` when none came within
    /// `wait`.
    fn ask<T>(
        &self,
        command: impl FnOnce(sync_mpsc::SyncSender<T>) -> Command,
        wait: Duration,
    ) -> Result<(&Inner, Option<T>), KeeperError> {
        let inner = self.running()?;
        let (reply, answer) = sync_mpsc::sync_channel(1);
        inner
            .tx
            .send(command(reply))
            .map_err(|_| KeeperError::Stopped)?;
        Ok((inner, answer.recv_timeout(wait).ok()))
    }

    /// New credentials now (an authentication failed): KV re-read, every lease replaced.
    /// Refreshes closer than [`FORCED_REFRESH_GAP`] share one. Waits at most `wait`.
    pub fn refresh(&self, wait: Duration) -> Result<Arc<Snapshot>, KeeperError> {
        match self.ask(Command::Refresh, wait)?.1 {
            Some(Ok(_)) => self.snapshot(),
            Some(Err(f)) => Err(KeeperError::Vault(f)),
            None => Err(keeper_failure(
                kind::TIMEOUT,
                format!(
                    "the credential keeper did not refresh within {} ms",
                    wait.as_millis()
                ),
            )),
        }
    }

    /// `{"token": {...}, "leases": [...], "kv": {...}, "last_error"}`: lease ids, paths,
    /// TTL left, renewals and the next action; never a secret.
    pub fn status(&self) -> Result<Value, KeeperError> {
        let inner = self.here()?;
        let status = inner.shared.status.lock();
        let (state, at, last_error) = status.map_err(|_| KeeperError::Stopped)?.clone();
        let now = Instant::now();
        let secs = |ms: u64| {
            let end = inner.shared.origin + Duration::from_millis(ms);
            (end.saturating_duration_since(now).as_secs_f64() * 10.0).round() / 10.0
        };
        let next = |due: Option<(u64, &str)>| {
            due.map(|(ms, action)| json!({"action": action, "in_s": secs(ms)}))
        };
        let token = &state.token;
        let token_next = state.token_due(at).map(|(ms, step)| match step {
            Step::Renew => (ms, "renew"),
            Step::Replace => (ms, "login"),
            Step::Report => (ms, "expires: new token needed"),
        });
        Ok(json!({
            "running": self.started(),
            "token": {
                "auth": state.auth,
                "accessor": state.accessor,
                "ttl_left_s": token.expires_at.map(secs),
                "renewals": token.renewals,
                "logins": state.logins,
                "next": next(token_next),
            },
            "leases": state.leases.iter().map(|l| json!({
                "alias": aliases_of(&l.read.purpose),
                "path": l.read.path,
                "lease_id": l.lease_id,
                "ttl_left_s": l.clock.expires_at.map(secs),
                "renewable": l.clock.renewable,
                "renewals": l.clock.renewals,
                "rotations": l.rotations,
                "next": next(l.clock.due(at, true).map(|(ms, step)| {
                    (ms, if step == Step::Renew { "renew" } else { "rotate" })
                })),
            })).collect::<Vec<_>>(),
            "kv": (!state.kv_reads.is_empty()).then(|| json!({
                "paths": state.kv_reads.iter().map(|r| &r.path).collect::<Vec<_>>(),
                "reads": state.kv.reads,
                "next": next(Some((state.kv.due(), "reread"))),
            })),
            "last_error": last_error,
        }))
    }

    /// Stops the keeper; revokes the leases this process created unless `DBSTACK_KEEP_LEASES`
    /// (or `revoke` is false). Waits at most `wait`.
    /// The keeper answers nothing but [`Keeper::snapshot`] and [`Keeper::status`] afterwards.
    pub fn stop(&self, revoke: bool, wait: Duration) -> Result<StopReport, KeeperError> {
        let (inner, report) = self.ask(|reply| Command::Stop(revoke, reply), wait)?;
        let report = report.ok_or(KeeperError::Stopped)?;
        if let Some(handle) = inner.thread.lock().ok().and_then(|mut t| t.take()) {
            let _ = handle.join();
        }
        Ok(report)
    }
}

impl Drop for Keeper {
    fn drop(&mut self) {
        if self.pid != std::process::id() {
            // A forked child: the parent's threads may have held these locks; never touch them.
            std::mem::forget(self.inner.take());
        }
    }
}

fn keeper_failure(kind: &str, message: String) -> KeeperError {
    KeeperError::Vault(failure::failure(kind, "dbstack-keeper", None, message))
}

/// Milliseconds since `origin`.
fn since(origin: Instant) -> u64 {
    u64::try_from(origin.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// `alias:default,alias:x` → `default,x`.
fn aliases_of(purpose: &str) -> String {
    purpose
        .split(',')
        .map(|p| p.trim_start_matches("alias:"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The clock of a login's token, issued at `now`.
fn token_clock(now: u64, login: &Login) -> Clock {
    let mut token = Clock::issued(now, login.ttl_s.saturating_mul(1000), login.renewable);
    token.asked_ms = login.asked_s.saturating_mul(1000).max(token.asked_ms);
    token
}

/// The lease a `database/creds` read answered at `now`, and its TTL in seconds.
fn kept(read: &VaultRead, result: &VaultResult, now: u64) -> Option<(Kept, u64)> {
    let VaultResult::DatabaseCreds {
        lease_id,
        lease_duration,
        renewable,
        ..
    } = result
    else {
        return None;
    };
    let kept = Kept {
        read: read.clone(),
        lease_id: lease_id.clone(),
        clock: Clock::issued(now, lease_duration.saturating_mul(1000), *renewable),
        rotations: 0,
    };
    Some((kept, *lease_duration))
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

impl State {
    /// The token's next step; that it cannot be renewed nor replaced is reported once.
    fn token_due(&self, now: u64) -> Option<(u64, Step)> {
        let due = self.token.due(now, self.can_login);
        due.filter(|&(_, step)| !(step == Step::Report && self.token_reported))
    }

    /// The earliest due task; the token first when tied (leases need a valid token).
    fn next(&self, now: u64) -> Option<(u64, Task)> {
        let token = self
            .token_due(now)
            .map(|(at, step)| (at, Task::Token(step)));
        let leases = self.leases.iter().enumerate().filter_map(|(index, lease)| {
            let (at, step) = lease.clock.due(now, true)?;
            Some((at, Task::Lease(index, step)))
        });
        let kv = (!self.kv_reads.is_empty()).then(|| (self.kv.due(), Task::Kv));
        token
            .into_iter()
            .chain(leases)
            .chain(kv)
            .min_by_key(|&(at, _)| at)
    }
}

impl Run {
    fn now(&self) -> u64 {
        since(self.shared.origin)
    }

    fn info(&self, message: &str) {
        (self.log)(Level::Info, message);
    }

    fn warn(&self, message: &str) {
        (self.log)(Level::Warning, message);
        if let Ok(mut status) = self.shared.status.lock() {
            status.2 = Some(message.to_owned());
        }
    }

    async fn run(mut self, mut rx: tokio::sync::mpsc::UnboundedReceiver<Command>) {
        loop {
            let now = self.now();
            let next = self.state.next(now);
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
                    Some(Command::Refresh(reply)) => {
                        let _ = reply.send(self.force().await);
                    }
                    Some(Command::Stop(revoke, reply)) => {
                        let _ = reply.send(self.stop(revoke).await);
                        return;
                    }
                },
            }
            if let Ok(mut status) = self.shared.status.lock() {
                (status.0, status.1) = (self.state.clone(), self.now());
            }
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
        let state = &self.state;
        let asked = (state.token.asked_ms / 1000).max(1);
        let answer =
            calls::renew_token(&self.client, &self.settings, &state.token_source, asked).await;
        match answer {
            Ok(grant) => {
                let ttl_ms = grant.ttl_s.saturating_mul(1000);
                self.state.token.renewed(now, ttl_ms, grant.renewable);
                let near = self.state.token.capped.then_some(" (its max TTL is near)");
                self.info(&format!(
                    "vault token renewed (accessor `{}`): ttl {} s{}",
                    self.state.accessor,
                    grant.ttl_s,
                    near.unwrap_or_default()
                ));
            }
            Err(f) if token_refused(&f) || refused(&f) => {
                self.state.token.refused(now);
                self.warn(&format!(
                    "vault refused to renew the token (accessor `{}`): {}",
                    self.state.accessor, f.message
                ));
            }
            Err(f) => {
                self.state.token.failed(now, jitter());
                self.warn(&format!(
                    "cannot renew the vault token (accessor `{}`), retrying: {}",
                    self.state.accessor, f.message
                ));
            }
        }
    }

    fn report_token(&mut self) {
        self.state.token_reported = true;
        let left = self.state.token.left_ms(self.now()).unwrap_or(0) / 1000;
        self.warn(&format!(
            "the vault token from {} (accessor `{}`) cannot be renewed any more and expires in {left} s; \
             dynamic credentials end with it: give the process a new token (or use kubernetes or approle auth)",
            self.state.token_source, self.state.accessor
        ));
    }

    /// A new login; then every lease is replaced, as the old token's leases end with it.
    async fn login_again(&mut self) -> Result<(), VaultFailure> {
        let now = self.now();
        let state = &mut self.state;
        if !state.can_login {
            return Err(failure::failure(
                kind::AUTH_FAILED,
                state.token_source.clone(),
                None,
                format!(
                    "the vault token from {} (accessor `{}`) has expired or was revoked",
                    state.token_source, state.accessor
                ),
            ));
        }
        let budget = Budget::new(&self.settings);
        match auth::login(&mut self.client, &self.settings, &self.inputs.env, &budget).await {
            Ok(login) => {
                self.client.set_token(login.token.expose());
                let state = &mut self.state;
                state.token = token_clock(now, &login);
                state.accessor = login.accessor;
                state.token_source = login.source;
                state.logins = state.logins.saturating_add(1);
                state.token_reported = false;
                self.info(&format!(
                    "logged in to vault again ({}, accessor `{}`, ttl {} s): replacing {} lease(s)",
                    self.state.auth,
                    self.state.accessor,
                    login.ttl_s,
                    self.state.leases.len()
                ));
                for lease in &mut self.state.leases {
                    lease.clock.refused(now);
                }
                Ok(())
            }
            Err(f) => {
                self.state.token.failed(now, jitter());
                self.warn(&format!("vault login failed, retrying: {}", f.message));
                Err(f)
            }
        }
    }

    async fn renew_lease(&mut self, index: usize) {
        let now = self.now();
        let Some(mut lease) = self.state.leases.get(index).cloned() else {
            return;
        };
        let (id, path) = (&lease.lease_id, &lease.read.path);
        let asked = (lease.clock.asked_ms / 1000).max(1);
        match calls::renew_lease(&self.client, &self.settings, id, path, asked).await {
            Ok(grant) => {
                let ttl_ms = grant.ttl_s.saturating_mul(1000);
                lease.clock.renewed(now, ttl_ms, grant.renewable);
                let near = lease
                    .clock
                    .capped
                    .then_some("; its max TTL is near, new credentials follow");
                self.info(&format!(
                    "lease renewed: {path} for {} (lease `{id}`): ttl {} s{}",
                    aliases_of(&lease.read.purpose),
                    grant.ttl_s,
                    near.unwrap_or_default()
                ));
            }
            Err(f) => {
                if refused(&f) {
                    lease.clock.refused(now);
                    self.warn(&format!(
                        "vault refused to renew lease `{id}` ({path}): new credentials follow: {}",
                        f.message
                    ));
                } else {
                    lease.clock.failed(now, jitter());
                    self.warn(&format!(
                        "cannot renew lease `{id}` ({path}), the credentials stay in use and it is retried: {}",
                        f.message
                    ));
                }
                if token_refused(&f) {
                    self.state.token.refused(now);
                }
            }
        }
        if let Some(kept) = self.state.leases.get_mut(index) {
            kept.clock = lease.clock;
        }
    }

    /// New credentials for one lease; the old lease stays alive until it expires (open
    /// connections may use it) and is revoked at exit.
    async fn replace_lease(&mut self, index: usize) -> Result<(), VaultFailure> {
        let now = self.now();
        let Some(read) = self.state.leases.get(index).map(|l| l.read.clone()) else {
            return Ok(());
        };
        let budget = Budget::new(&self.settings);
        match super::read::perform(&self.client, &self.settings.addr, &budget, &read).await {
            Ok(result) => {
                let Some((mut new, ttl_s)) = kept(&read, &result, now) else {
                    return Ok(());
                };
                let message = format!(
                    "new credentials for {} from {} (lease `{}`, ttl {ttl_s} s)",
                    aliases_of(&read.purpose),
                    read.path,
                    new.lease_id
                );
                if let Some(lease) = self.state.leases.get_mut(index) {
                    new.rotations = lease.rotations.saturating_add(1);
                    self.retired.push(std::mem::replace(lease, new));
                }
                self.answers.results.insert(read.path, result);
                self.publish();
                self.info(&message);
                // Forget retired leases that ended a while ago.
                self.retired.retain(|old| {
                    old.clock
                        .expires_at
                        .map_or(true, |e| e.saturating_add(60_000) > now)
                });
                Ok(())
            }
            Err(f) => {
                if token_refused(&f) {
                    self.state.token.refused(now);
                }
                if let Some(lease) = self.state.leases.get_mut(index) {
                    lease.clock.failed(now, jitter());
                }
                self.warn(&format!(
                    "cannot fetch new credentials from {}, the current ones stay in use and it is retried: {}",
                    read.path, f.message
                ));
                Err(f)
            }
        }
    }

    async fn reread_kv(&mut self) -> Result<(), VaultFailure> {
        let now = self.now();
        let mut changed = Vec::new();
        let mut failed = None;
        for read in self.state.kv_reads.clone() {
            let budget = Budget::new(&self.settings);
            match super::read::perform(&self.client, &self.settings.addr, &budget, &read).await {
                Ok(result) if self.answers.results.get(&read.path) == Some(&result) => {}
                Ok(result) => {
                    changed.push(read.path.clone());
                    self.answers.results.insert(read.path, result);
                }
                Err(f) => {
                    failed = Some((read.path, f));
                    break;
                }
            }
        }
        if !changed.is_empty() {
            self.publish();
        }
        if let Some((path, f)) = failed {
            if token_refused(&f) {
                self.state.token.refused(now);
            }
            self.state.kv.failed(now, jitter());
            self.warn(&format!(
                "cannot re-read {path}, the values in use stay: {}",
                f.message
            ));
            return Err(f);
        }
        self.state.kv.read(now);
        if !changed.is_empty() {
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
        if self.last_forced.is_some_and(|last| {
            Duration::from_millis(now.saturating_sub(last)) < FORCED_REFRESH_GAP
        }) {
            return Ok(self.shared.generation.load(Ordering::Acquire));
        }
        self.last_forced = Some(now);
        self.info("an authentication failed: refreshing the vault credentials");
        let token = &self.state.token;
        if token.expired(now) || token.capped && !token.renewable {
            self.login_again().await?;
        }
        let mut result = self.reread_kv().await;
        if matches!(&result, Err(f) if token_refused(f)) && self.state.can_login {
            self.login_again().await?;
            result = self.reread_kv().await;
        }
        result?;
        for index in 0..self.state.leases.len() {
            self.replace_lease(index).await?;
        }
        Ok(self.shared.generation.load(Ordering::Acquire))
    }

    async fn stop(&self, revoke: bool) -> StopReport {
        let mut report = StopReport::default();
        if !revoke || self.keep_leases {
            if !self.state.leases.is_empty() {
                self.info("DBSTACK_KEEP_LEASES: the leases are left to expire");
            }
            return report;
        }
        for lease in self.retired.iter().chain(&self.state.leases) {
            let (id, path) = (&lease.lease_id, &lease.read.path);
            match calls::revoke_lease(&self.client, &self.settings, id, path).await {
                Ok(()) => report.revoked += 1,
                Err(f) => {
                    report.failed += 1;
                    self.warn(&format!("cannot revoke lease `{id}`: {}", f.message));
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
}
