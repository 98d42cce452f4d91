//! The credential keeper against a real OpenBao dev server and the real PostgreSQL on
//! 127.0.0.1:5432: dynamic credentials with a TTL of seconds are renewed, replaced at their
//! max TTL, the AppRole token logs in again, KV is re-read, Vault going away keeps the
//! credentials in use and the keeper recovers, and the leases are revoked at stop.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::openbao::OpenBao;
use dbstack_runtime::resolve::{resolve_kept, ResolveOptions};
use dbstack_runtime::vault::keeper::{Keeper, Level, LogSink};

const ADMIN: &str = "dbstack_keeper_admin";

fn psql(user: &str, password: &str, sql: &str) -> Result<String, String> {
    let out = Command::new("psql")
        .args([
            "-X",
            "-q",
            "-t",
            "-A",
            "-h",
            "127.0.0.1",
            "-U",
            user,
            "-d",
            "postgres",
            "-c",
            sql,
        ])
        .env("PGPASSWORD", password)
        .env("PGCONNECT_TIMEOUT", "5")
        .output()
        .expect("psql is installed with PostgreSQL; run scripts/test.sh");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

fn roles_left(users: &BTreeSet<String>) -> Vec<String> {
    let list: Vec<String> = users.iter().map(|u| format!("'{u}'")).collect();
    let out = psql(
        "postgres",
        "",
        &format!(
            "select rolname from pg_roles where rolname in ({})",
            list.join(",")
        ),
    )
    .unwrap();
    out.lines()
        .map(str::to_owned)
        .filter(|l| !l.is_empty())
        .collect()
}

/// The admin role OpenBao's PostgreSQL plugin logs in as.
fn admin_role() -> Result<(), String> {
    psql(
        "postgres",
        "",
        &format!(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ADMIN}') THEN \
             CREATE ROLE {ADMIN} LOGIN CREATEROLE PASSWORD 'admin-pw'; END IF; END $$; \
             ALTER ROLE {ADMIN} WITH LOGIN CREATEROLE PASSWORD 'admin-pw';"
        ),
    )
    .map(|_| ())
}

/// OpenBao with KV, the database engine on the real PostgreSQL (role `keeper`, TTL
/// `ttl`, max `max_ttl`) and a policy with exactly the keeper's endpoints.
fn bao_with_database(ttl: &str, max_ttl: &str) -> OpenBao {
    static ADMIN_ROLE: std::sync::Once = std::sync::Once::new();
    // Once per test binary: concurrent ALTER ROLE of one role fails in PostgreSQL.
    ADMIN_ROLE.call_once(|| admin_role().unwrap());
    let bao = OpenBao::start();
    bao.kv_put("secret/dbstack/supabase", &[("sslmode", "disable")]);
    bao.kv_put("secret/dbstack/dragonfly", &[("password", "df-1")]);
    bao.kv_put("secret/dbstack/ragflow", &[("api_key", "rf-1")]);
    bao.kv_put("secret/dbstack/rocketmq", &[("secret_key", "mq-1")]);
    bao.ok(&["secrets", "enable", "database"]);
    bao.ok(&[
        "write",
        "database/config/pg",
        "plugin_name=postgresql-database-plugin",
        "allowed_roles=keeper",
        "connection_url=postgresql://{{username}}:{{password}}@127.0.0.1:5432/postgres?sslmode=disable",
        &format!("username={ADMIN}"),
        "password=admin-pw",
    ]);
    bao.ok(&[
        "write",
        "database/roles/keeper",
        "db_name=pg",
        "creation_statements=CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';",
        &format!("default_ttl={ttl}"),
        &format!("max_ttl={max_ttl}"),
    ]);
    bao.policy(
        "keeper",
        r#"
path "secret/data/dbstack/*" { capabilities = ["read"] }
path "database/creds/keeper" { capabilities = ["read"] }
path "auth/token/lookup-self" { capabilities = ["read"] }
path "auth/token/renew-self" { capabilities = ["update"] }
path "sys/leases/renew" { capabilities = ["update"] }
path "sys/leases/revoke" { capabilities = ["update"] }
"#,
    );
    bao
}

fn stack_file(dir: &std::path::Path) -> String {
    let path = dir.join("stack.toml");
    std::fs::write(
        &path,
        "[aliases.default]\nservice = \"supabase\"\ndatabase = \"postgres\"\nvault_role = \"keeper\"\n",
    )
    .unwrap();
    path.display().to_string()
}

fn base_env(addr: &str, stack: &str) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    env.insert("DBSTACK_KUBERNETES".into(), "false".into());
    env.insert("DBSTACK_PROFILE".into(), "production".into());
    env.insert("DBSTACK_CONFIG".into(), stack.into());
    env.insert("VAULT_ADDR".into(), addr.into());
    env.insert("HOME".into(), "/nonexistent-home".into());
    env.insert(
        "DATABASE_URL".into(),
        "postgres://nobody@127.0.0.1:5432/postgres".into(),
    );
    env
}

type Lines = Arc<Mutex<Vec<(Level, String)>>>;

fn sink() -> (LogSink, Lines) {
    let lines: Lines = Arc::default();
    let seen = Arc::clone(&lines);
    let log: LogSink = Arc::new(move |level, line: &str| {
        seen.lock().unwrap().push((level, line.to_owned()));
    });
    (log, lines)
}

fn count(lines: &Lines, needle: &str) -> usize {
    lines
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, l)| l.contains(needle))
        .count()
}

fn current(keeper: &Keeper) -> (String, String, u64) {
    let snap = keeper.snapshot().unwrap();
    let doc = snap.resolution.to_json(true);
    let db = &doc["django"]["DATABASES"]["default"];
    (
        db["USER"].as_str().unwrap().to_owned(),
        db["PASSWORD"].as_str().unwrap().to_owned(),
        snap.generation,
    )
}

/// Connects with the keeper's current credentials every `every` for `total`; every connect
/// must work. Returns the users seen.
fn serve(keeper: &Keeper, total: Duration, every: Duration) -> BTreeSet<String> {
    let start = Instant::now();
    let mut users = BTreeSet::new();
    while start.elapsed() < total {
        let (user, password, generation) = current(keeper);
        match psql(&user, &password, "select current_user") {
            Ok(out) => assert_eq!(out, user),
            Err(e) => panic!(
                "connect as {user} (generation {generation}) failed at {:?}: {e}\n{}",
                start.elapsed(),
                keeper.status().unwrap()
            ),
        }
        users.insert(user);
        thread::sleep(every);
    }
    users
}

#[test]
fn approle_keeper_renews_replaces_logs_in_again_rereads_kv_and_revokes() {
    let bao = bao_with_database("3s", "7s");
    let (role_id, secret_id) = bao.approle(
        "keeper",
        &["token_policies=keeper", "token_ttl=3s", "token_max_ttl=8s"],
    );
    let dir = tempfile::tempdir().unwrap();
    let mut env = base_env(&bao.addr, &stack_file(dir.path()));
    env.insert("VAULT_AUTH_METHOD".into(), "approle".into());
    env.insert("VAULT_ROLE_ID".into(), role_id);
    env.insert("VAULT_SECRET_ID".into(), secret_id.clone());
    env.insert("DBSTACK_KV_REFRESH".into(), "2".into());
    let (log, lines) = sink();
    let (resolved, keeper) = resolve_kept(env, ResolveOptions::default(), log).unwrap();
    let keeper = keeper.expect("a resolution with leases has a keeper");
    assert!(!keeper.started(), "the keeper starts lazily");
    assert_eq!(resolved.resolution.to_json(false)["vault"]["status"], "ok");

    let half = serve(&keeper, Duration::from_secs(5), Duration::from_millis(150));
    // The KV secret changes; the keeper re-reads it within DBSTACK_KV_REFRESH.
    bao.kv_put("secret/dbstack/ragflow", &[("api_key", "rf-2")]);
    let mut users = serve(&keeper, Duration::from_secs(7), Duration::from_millis(150));
    users.extend(half);
    let doc = keeper.snapshot().unwrap().resolution.to_json(true);
    assert_eq!(doc["ragflow"]["API_KEY"], "rf-2", "{doc}");

    let status = keeper.status().unwrap();
    assert!(users.len() >= 3, "users {users:?}\n{status}");
    assert!(count(&lines, "lease renewed") >= 1, "{lines:?}");
    assert!(
        count(&lines, "new credentials for default") >= 2,
        "{lines:?}"
    );
    assert!(count(&lines, "logged in to vault again") >= 1, "{lines:?}");
    assert!(count(&lines, "vault token renewed") >= 1, "{lines:?}");
    assert!(
        count(&lines, "secret/dbstack/ragflow changed") >= 1,
        "{lines:?}"
    );
    let text = format!("{status}{:?}", lines.lock().unwrap());
    assert!(!text.contains(&secret_id), "a secret in the status or logs");
    let lease = &status["leases"][0];
    assert_eq!(lease["alias"], "default");
    assert_eq!(lease["path"], "database/creds/keeper");
    assert!(lease["lease_id"]
        .as_str()
        .unwrap()
        .starts_with("database/creds/keeper/"));
    assert!(lease["ttl_left_s"].as_f64().unwrap() > 0.0, "{status}");
    assert!(lease["next"]["action"].is_string(), "{status}");
    assert_eq!(status["token"]["auth"], "approle");

    let report = keeper.stop(true, Duration::from_secs(10)).unwrap();
    assert!(report.revoked >= 1, "{report:?}");
    assert_eq!(report.failed, 0, "{lines:?}");
    // Every user this process saw is gone (revoked now, or by Vault when its lease ended).
    let start = Instant::now();
    let mut left = roles_left(&users);
    while !left.is_empty() && start.elapsed() < Duration::from_secs(5) {
        thread::sleep(Duration::from_millis(200));
        left = roles_left(&users);
    }
    assert!(left.is_empty(), "users left in PostgreSQL: {left:?}");
}

/// A TCP proxy that can refuse: while down it closes every connection, so Vault is
/// unreachable to the keeper; its state survives (a dev server would lose it on restart).
struct Switch {
    port: u16,
    up: Arc<AtomicBool>,
}

impl Switch {
    fn start(target: u16) -> Switch {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let flag = Arc::clone(&up);
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if !flag.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                for (from, to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    let flag = Arc::clone(&flag);
                    thread::spawn(move || pipe(from, to, &flag));
                }
            }
        });
        Switch { port, up }
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream, up: &AtomicBool) {
    from.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut buf = [0u8; 16 * 1024];
    loop {
        if !up.load(Ordering::SeqCst) {
            break;
        }
        match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break,
        }
    }
    let _ = from.shutdown(std::net::Shutdown::Both);
    let _ = to.shutdown(std::net::Shutdown::Both);
}

#[test]
fn vault_away_keeps_the_credentials_then_recovers_and_a_fixed_token_is_reported() {
    let bao = bao_with_database("6s", "1h");
    // A VAULT_TOKEN that can be renewed only up to 10 s in all: it is reported by accessor.
    let token = bao.ok(&[
        "token",
        "create",
        "-field=token",
        "-policy=keeper",
        "-ttl=7s",
        "-explicit-max-ttl=10s",
    ]);
    let switch = Switch::start(bao.port);
    let dir = tempfile::tempdir().unwrap();
    let mut env = base_env(
        &format!("http://127.0.0.1:{}", switch.port),
        &stack_file(dir.path()),
    );
    env.insert("VAULT_TOKEN".into(), token.clone());
    env.insert("DBSTACK_VAULT_TIMEOUT".into(), "500ms".into());
    env.insert("DBSTACK_KEEP_LEASES".into(), "true".into());
    let (log, lines) = sink();
    let (_, keeper) = resolve_kept(env, ResolveOptions::default(), log).unwrap();
    let keeper = keeper.unwrap();
    let (first, _, _) = current(&keeper);

    // Vault away from 1 s to 5.5 s (past the renewal at 2/3 of 6 s, before the lease ends):
    // the credentials stay and work.
    serve(
        &keeper,
        Duration::from_millis(1000),
        Duration::from_millis(100),
    );
    switch.up.store(false, Ordering::SeqCst);
    let users = serve(
        &keeper,
        Duration::from_millis(4500),
        Duration::from_millis(100),
    );
    assert_eq!(users.into_iter().collect::<Vec<_>>(), vec![first.clone()]);
    let failures = count(&lines, "cannot renew lease");
    assert!(failures >= 1, "{lines:?}");
    assert!(
        failures <= 8,
        "retries are backed off, not a busy loop: {lines:?}"
    );
    // Back: the lease is renewed again (or replaced), connections keep working.
    switch.up.store(true, Ordering::SeqCst);
    let renewed_before = count(&lines, "lease renewed");
    serve(
        &keeper,
        Duration::from_millis(2500),
        Duration::from_millis(100),
    );
    assert!(
        count(&lines, "lease renewed") > renewed_before
            || count(&lines, "new credentials for default") >= 1,
        "{lines:?}"
    );

    // The token reached its explicit max TTL: reported once, by accessor, never by value.
    let start = Instant::now();
    while count(&lines, "cannot be renewed any more") == 0
        && start.elapsed() < Duration::from_secs(5)
    {
        thread::sleep(Duration::from_millis(100));
    }
    let reports: Vec<String> = lines
        .lock()
        .unwrap()
        .iter()
        .filter(|(level, l)| *level == Level::Warning && l.contains("cannot be renewed any more"))
        .map(|(_, l)| l.clone())
        .collect();
    assert_eq!(reports.len(), 1, "{lines:?}");
    assert!(
        reports[0].contains("VAULT_TOKEN") && reports[0].contains("accessor `"),
        "{reports:?}"
    );
    let all = format!("{:?}{}", lines.lock().unwrap(), keeper.status().unwrap());
    assert!(!all.contains(&token), "the token itself was printed");

    // DBSTACK_KEEP_LEASES=true: nothing is revoked at stop; the user is still there.
    let (user, _, _) = current(&keeper);
    let report = keeper.stop(true, Duration::from_secs(5)).unwrap();
    assert_eq!(report.revoked, 0);
    assert_eq!(roles_left(&BTreeSet::from([user.clone()])), vec![user]);
    bao.ok(&["lease", "revoke", "-prefix", "database/creds/keeper"]);
}
