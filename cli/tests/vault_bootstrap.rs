//! `dbstack vault bootstrap` against a real OpenBao dev server and the machine's real
//! PostgreSQL and MariaDB: a fresh server configured with AppRole and with Kubernetes auth (the
//! TokenReview stand-in), then `dbstack resolve` in the production profile with the
//! application's own login gets dynamic credentials that log in; the application's token is
//! denied what the plan does not read; a second run changes nothing; `--dry-run` writes nothing.
//!
//! Shared servers: everything this file creates is named `bootstrap_*` (the admin user, the
//! databases), and the dynamic users are revoked at the end of each test.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../../runtime/tests/common/openbao.rs"]
mod openbao;
#[path = "../../tests/sentinel.rs"]
mod sentinel;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::OnceLock;

use openbao::{any_pem_certificate, service_account_jwt, OpenBao, TokenReview};
use serde_json::Value;

const ADMIN: &str = "bootstrap_admin";
// Every secret carries the sentinel of tests/sentinel.txt (scripts/sentinel.py).
const ADMIN_PW: &str = concat!(
    "bootstrap-Admin-pw-7-",
    include_str!("../../tests/sentinel.txt")
);
const DF_PW: &str = concat!("df-pw-", include_str!("../../tests/sentinel.txt"));
const DF_URL: &str = concat!(
    "redis://:df-pw-",
    include_str!("../../tests/sentinel.txt"),
    "@127.0.0.1:6379/0"
);
const RF_KEY: &str = concat!("rf-key-", include_str!("../../tests/sentinel.txt"));
const RF_KEY_2: &str = concat!("rf-key-2-", include_str!("../../tests/sentinel.txt"));
const MQ_ACCESS: &str = concat!("mq-access-", include_str!("../../tests/sentinel.txt"));
const MQ_SECRET: &str = concat!("mq-secret-", include_str!("../../tests/sentinel.txt"));
const APP_DB: &str = "bootstrap_app";
const AGENT_DB: &str = "bootstrap_agent";
const LEGACY_DB: &str = "bootstrap_legacy";

fn psql(user: &str, password: Option<&str>, db: &str, sql: &str) -> Output {
    let mut cmd = Command::new("psql");
    cmd.args(["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1"])
        .args(["-h", "127.0.0.1", "-U", user, "-d", db, "-c", sql])
        .env_remove("PGPASSWORD");
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    cmd.output().expect("psql is installed with PostgreSQL")
}

fn mysql(user: &str, password: &str, db: &str, sql: &str) -> Output {
    let mut cmd = Command::new("mysql");
    cmd.args(["-h", "127.0.0.1", "-P", "3306", "-u", user, "-N", "-B"]);
    if !db.is_empty() {
        cmd.args(["-D", db]);
    }
    cmd.args(["-e", sql]).env("MYSQL_PWD", password);
    cmd.output()
        .expect("the mysql client is installed with MariaDB")
}

fn ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// The admin user and the databases, once per test binary (the tests run in parallel).
fn databases() {
    static READY: OnceLock<()> = OnceLock::new();
    READY.get_or_init(|| {
        ok(
            &psql(
                "postgres",
                None,
                "postgres",
                &format!(
                    "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ADMIN}') THEN \
                     CREATE ROLE {ADMIN}; END IF; END $$; \
                     ALTER ROLE {ADMIN} WITH LOGIN CREATEROLE PASSWORD '{ADMIN_PW}';"
                ),
            ),
            "postgres admin",
        );
        for db in [APP_DB, AGENT_DB] {
            let exists = ok(
                &psql(
                    "postgres",
                    None,
                    "postgres",
                    &format!("SELECT count(*) FROM pg_database WHERE datname = '{db}'"),
                ),
                "pg_database",
            );
            if exists == "0" {
                ok(
                    &psql(
                        "postgres",
                        None,
                        "postgres",
                        &format!("CREATE DATABASE {db} OWNER {ADMIN}"),
                    ),
                    "create database",
                );
            }
        }
        ok(
            &mysql(
                "root",
                "",
                "",
                &format!(
                    "CREATE DATABASE IF NOT EXISTS {LEGACY_DB}; \
                     CREATE USER IF NOT EXISTS '{ADMIN}'@'%' IDENTIFIED BY '{ADMIN_PW}'; \
                     ALTER USER '{ADMIN}'@'%' IDENTIFIED BY '{ADMIN_PW}'; \
                     GRANT CREATE USER ON *.* TO '{ADMIN}'@'%'; \
                     GRANT ALL PRIVILEGES ON {LEGACY_DB}.* TO '{ADMIN}'@'%' WITH GRANT OPTION;"
                ),
            ),
            "mariadb admin",
        );
    });
}

/// A stack with a dynamic role per alias on both engines and a KV mount the dev server does
/// not have yet (`kv`), so bootstrap has to create it.
fn stack_file(dir: &Path) -> String {
    let path = dir.join("stack.toml");
    std::fs::write(
        &path,
        format!(
            "[aliases.default]\nservice = \"supabase\"\ndatabase = \"{APP_DB}\"\nvault_role = \"app\"\n\n\
             [aliases.agent_db]\nservice = \"supabase\"\ndatabase = \"{AGENT_DB}\"\nvault_role = \"agent\"\n\n\
             [aliases.legacy]\nservice = \"mariadb\"\ndatabase = \"{LEGACY_DB}\"\nvault_role = \"legacy\"\n\n\
             [routes]\npython_agent = \"agent_db\"\n\n\
             [vault]\nkv_mount = \"kv\"\nkv_prefix = \"apps/agent\"\ndatabase_mount = \"db\"\n"
        ),
    )
    .unwrap();
    path.display().to_string()
}

fn dbstack(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dbstack"));
    cmd.args(args)
        .env_clear()
        .env("HOME", "/nonexistent-home")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    sentinel::record("cli-vault-bootstrap", args, &out.stdout, &out.stderr);
    out
}

/// An admin token that is not the dev server's well-known root id, so the tests can check
/// that no output contains it.
fn admin_token(bao: &OpenBao) -> String {
    bao.ok(&[
        "token",
        "create",
        "-field=token",
        "-policy=root",
        "-ttl=1h",
        &format!("-id={}", openbao::sentinel_secret("admin")),
    ])
}

fn bootstrap(bao: &OpenBao, token: &str, args: &[&str]) -> (Output, String) {
    bootstrap_env(bao, token, args, &[])
}

/// `dbstack vault bootstrap` with the admin token and `extra` variables (for `--from-env`).
fn bootstrap_env(
    bao: &OpenBao,
    token: &str,
    args: &[&str],
    extra: &[(&str, &str)],
) -> (Output, String) {
    let mut all = vec!["vault", "bootstrap"];
    all.extend_from_slice(args);
    let mut env = vec![("VAULT_ADDR", bao.addr.as_str()), ("VAULT_TOKEN", token)];
    env.extend_from_slice(extra);
    let out = dbstack(&all, &env);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for secret in [token, ADMIN_PW, DF_PW, RF_KEY, MQ_SECRET] {
        assert!(!text.contains(secret), "a secret was printed:\n{text}");
    }
    (out, text)
}

fn database_urls() -> [String; 4] {
    [
        "--database-url".into(),
        format!("supabase=postgres://{ADMIN}:{ADMIN_PW}@127.0.0.1:5432/postgres?sslmode=disable"),
        "--database-url".into(),
        format!("mysql://{ADMIN}:{ADMIN_PW}@127.0.0.1:3306/{LEGACY_DB}"),
    ]
}

/// The KV layout the resolution reads (static secrets; the databases' users come from the
/// database engine).
fn seed_kv(bao: &OpenBao) {
    bao.kv_put(
        "kv/apps/agent/supabase",
        &[
            ("host", "127.0.0.1"),
            ("port", "5432"),
            ("sslmode", "disable"),
        ],
    );
    bao.kv_put("kv/apps/agent/dragonfly", &[("password", DF_PW)]);
    bao.kv_put("kv/apps/agent/ragflow", &[("api_key", RF_KEY)]);
    bao.kv_put(
        "kv/apps/agent/rocketmq",
        &[("access_key", MQ_ACCESS), ("secret_key", MQ_SECRET)],
    );
}

/// `dbstack resolve --json --show-secrets --profile production` with `env`; the databases.
fn resolve_databases(stack: &str, env: &[(&str, &str)]) -> Value {
    let out = dbstack(
        &[
            "resolve",
            "--json",
            "--show-secrets",
            "--profile",
            "production",
            "--stack",
            stack,
        ],
        env,
    );
    let text = ok(&out, "dbstack resolve (production, application login)");
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["vault"]["status"], "ok", "{doc:#}");
    assert_eq!(doc["vault"]["leases"].as_array().map(Vec::len), Some(3));
    assert_eq!(doc["fallback"]["active"], false);
    doc["django"]["DATABASES"].clone()
}

/// Each alias got its own dynamic user, and each logs in to its database; returns the
/// PostgreSQL and MariaDB user names.
fn assert_dynamic_logins(databases: &Value) -> (Vec<String>, String) {
    let mut users = Vec::new();
    for (alias, db) in [("default", APP_DB), ("agent_db", AGENT_DB)] {
        let d = &databases[alias];
        assert_eq!(d["NAME"], db, "{databases:#}");
        assert_eq!(d["HOST"], "127.0.0.1");
        let user = d["USER"].as_str().unwrap();
        let pw = d["PASSWORD"].as_str().unwrap();
        assert!(user.starts_with("v-"), "not a dynamic user: {user}");
        let who = ok(
            &psql(
                user,
                Some(pw),
                db,
                "select current_user || ' ' || current_database()",
            ),
            "login with the dynamic postgres credentials",
        );
        assert_eq!(who, format!("{user} {db}"));
        users.push(user.to_owned());
    }
    assert_ne!(users[0], users[1]);
    let legacy = &databases["legacy"];
    let user = legacy["USER"].as_str().unwrap();
    let pw = legacy["PASSWORD"].as_str().unwrap();
    assert!(user.starts_with("v-"), "not a dynamic user: {user}");
    let who = ok(
        &mysql(user, pw, LEGACY_DB, "select database()"),
        "login with the dynamic mariadb credentials",
    );
    assert_eq!(who, LEGACY_DB);
    (users, user.to_owned())
}

/// The application's token reads what the plan reads and nothing else.
fn assert_least_privilege(bao: &OpenBao, app_token: &str, api_key: &str) {
    let as_app = |args: &[&str]| {
        let mut cmd = Command::new(openbao::bao_bin());
        cmd.args(args)
            .env("BAO_ADDR", &bao.addr)
            .env("BAO_TOKEN", app_token)
            .env("HOME", bao.dir.path());
        cmd.output().unwrap()
    };
    // Raw API paths: `bao kv` would first ask `sys/internal/ui/mounts`, a path of its own.
    let allowed = as_app(&["read", "-format=json", "kv/data/apps/agent/ragflow"]);
    assert!(ok(&allowed, "app reads its KV secret").contains(&format!("\"{api_key}\"")));
    // The keeper's own endpoints: lookup-self and renew-self.
    ok(&as_app(&["token", "lookup"]), "app looks up its token");
    ok(&as_app(&["token", "renew"]), "app renews its token");
    for denied in [
        vec!["read", "kv/data/apps/agent/other"],
        vec!["read", "secret/data/dbstack/supabase"],
        vec!["read", "db/creds/other"],
        vec!["read", "db/config/supabase"],
        vec!["read", "sys/policy/dbstack"],
        vec!["delete", "kv/data/apps/agent/ragflow"],
        vec!["write", "-f", "db/rotate-root/supabase"],
    ] {
        let out = as_app(&denied);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains("permission denied"),
            "`bao {}` as the application: {err}",
            denied.join(" ")
        );
    }
}

/// Another application's role on the same engine: the plan's token must not read it.
fn other_role(bao: &OpenBao) {
    bao.ok(&[
        "write",
        "db/roles/other",
        "db_name=supabase",
        "creation_statements=CREATE ROLE \"{{name}}\" LOGIN PASSWORD '{{password}}';",
    ]);
}

/// Revokes every lease of the database engine when dropped (also when a test fails), so the
/// shared servers keep no dynamic users.
struct RevokeOnDrop<'a>(&'a OpenBao);

impl Drop for RevokeOnDrop<'_> {
    fn drop(&mut self) {
        let _ = self
            .0
            .cli(&["lease", "revoke", "-sync", "-prefix", "db/creds"]);
    }
}

/// Revoking the leases drops the users: the roles' revocation statements work.
fn assert_revocation_drops(bao: &OpenBao, (pg_users, my_user): (Vec<String>, String)) {
    bao.ok(&["lease", "revoke", "-sync", "-prefix", "db/creds"]);
    for user in pg_users {
        let left = ok(
            &psql(
                "postgres",
                None,
                "postgres",
                &format!("SELECT count(*) FROM pg_roles WHERE rolname = '{user}'"),
            ),
            "pg_roles",
        );
        assert_eq!(left, "0", "{user} survived its lease");
    }
    let left = ok(
        &mysql(
            "root",
            "",
            "",
            &format!("SELECT count(*) FROM mysql.user WHERE user = '{my_user}'"),
        ),
        "mysql.user",
    );
    assert_eq!(left, "0", "{my_user} survived its lease");
}

#[test]
fn approle_bootstrap_of_a_fresh_server() {
    databases();
    let bao = OpenBao::start();
    let dir = tempfile::tempdir().unwrap();
    let stack = stack_file(dir.path());
    let token = admin_token(&bao);
    let urls = database_urls();
    let mut args: Vec<&str> = vec!["--auth", "approle", "--stack", &stack];
    args.extend(urls.iter().map(String::as_str));

    // A dry run on the fresh server plans everything and writes nothing.
    let mut dry = args.clone();
    dry.push("--dry-run");
    let (out, text) = bootstrap(&bao, &token, &dry);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("would create 10, update 0, leave 0 unchanged; nothing was written"),
        "{text}"
    );
    assert!(!bao.ok(&["secrets", "list"]).contains("kv/"));
    assert!(!bao.ok(&["policy", "list"]).contains("dbstack"));
    assert!(!bao.ok(&["auth", "list"]).contains("approle/"));

    // The real run creates all of it.
    let (out, text) = bootstrap(&bao, &token, &args);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("created 10, updated 0, 0 unchanged"),
        "{text}"
    );
    for line in [
        "sys/mounts/kv",
        "sys/mounts/db",
        "sys/policy/dbstack",
        "sys/auth/approle",
        "auth/approle/role/dbstack",
        "db/config/supabase",
        "db/config/mariadb",
        "db/roles/app",
        "db/roles/agent",
        "db/roles/legacy",
    ] {
        assert!(text.contains(line), "{line} missing:\n{text}");
    }
    let role_id = text
        .lines()
        .find_map(|l| l.strip_prefix("approle role id: "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no role id in:\n{text}"))
        .to_owned();
    assert_eq!(
        role_id,
        bao.ok(&[
            "read",
            "-field=role_id",
            "auth/approle/role/dbstack/role-id"
        ])
    );
    // The policy Vault holds is `dbstack vault policy`'s text.
    let policy = dbstack(&["vault", "policy", "--stack", &stack], &[]);
    assert_eq!(
        bao.ok(&["policy", "read", "dbstack"]),
        ok(&policy, "vault policy").trim()
    );

    // Idempotent: the second run, and a dry run, change nothing and say so.
    let (out, text) = bootstrap(&bao, &token, &args);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("vault bootstrap: no change, all 10 objects are as planned"),
        "{text}"
    );
    let (_, text) = bootstrap(&bao, &token, &dry);
    assert!(text.contains("no change"), "{text}");

    // --from-env writes the KV layout from this environment's variables, once.
    let from_env = [
        ("SUPABASE_DB_HOST", "127.0.0.1"),
        ("SUPABASE_DB_PORT", "5432"),
        ("SUPABASE_DB_SSLMODE", "disable"),
        ("DRAGONFLY_URL", DF_URL),
        ("RAGFLOW_API_KEY", RF_KEY),
        ("ROCKETMQ_ACCESS_KEY", MQ_ACCESS),
        ("ROCKETMQ_SECRET_KEY", MQ_SECRET),
    ];
    let mut with_env = args.clone();
    with_env.push("--from-env");
    let (out, text) = bootstrap_env(&bao, &token, &with_env, &from_env);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("created 4, updated 0, 10 unchanged"),
        "{text}"
    );
    assert!(
        text.contains("KV secret of `dragonfly` from the environment (password): created"),
        "{text}"
    );
    assert_eq!(
        bao.ok(&["kv", "get", "-field=password", "kv/apps/agent/dragonfly"]),
        DF_PW
    );
    let (_, text) = bootstrap_env(&bao, &token, &with_env, &from_env);
    assert!(text.contains("no change, all 14 objects"), "{text}");
    // Another value is refused without --overwrite, and nothing is written.
    let mut changed = from_env.to_vec();
    changed[4] = ("RAGFLOW_API_KEY", RF_KEY_2);
    let (out, text) = bootstrap_env(&bao, &token, &with_env, &changed);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("`kv/data/apps/agent/ragflow` already exists")
            && text.contains("--overwrite"),
        "{text}"
    );
    assert!(!text.contains(RF_KEY_2), "{text}");
    assert_eq!(
        bao.ok(&["kv", "get", "-field=api_key", "kv/apps/agent/ragflow"]),
        RF_KEY
    );
    with_env.push("--overwrite");
    let (out, text) = bootstrap_env(&bao, &token, &with_env, &changed);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("updated (api_key)"), "{text}");
    assert!(
        text.contains("created 0, updated 1, 13 unchanged"),
        "{text}"
    );

    // --from-env reads the environment as `dbstack resolve` does: RAGFLOW_API_KEY from
    // RAGFLOW_API_KEY_FILE (less its newline), the RocketMQ keys from an --env-file. The same
    // values as stored: no change, and still all four KV secrets planned (14 objects).
    let key_file = dir.path().join("ragflow-api-key");
    std::fs::write(&key_file, format!("{RF_KEY_2}\n")).unwrap();
    let env_file = dir.path().join("rocketmq.env");
    std::fs::write(
        &env_file,
        format!("ROCKETMQ_ACCESS_KEY={MQ_ACCESS}\nROCKETMQ_SECRET_KEY='{MQ_SECRET}'\n"),
    )
    .unwrap();
    let (key_path, env_path) = (
        key_file.display().to_string(),
        env_file.display().to_string(),
    );
    let from_files = [
        ("SUPABASE_DB_HOST", "127.0.0.1"),
        ("SUPABASE_DB_PORT", "5432"),
        ("SUPABASE_DB_SSLMODE", "disable"),
        ("DRAGONFLY_URL", DF_URL),
        ("RAGFLOW_API_KEY_FILE", key_path.as_str()),
    ];
    let mut with_files = with_env.clone();
    with_files.extend(["--env-file", env_path.as_str()]);
    let (out, text) = bootstrap_env(&bao, &token, &with_files, &from_files);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("no change, all 14 objects"), "{text}");

    // The application logs in with AppRole and resolves in production.
    let secret_id = bao.approle_secret_id("dbstack");
    let env = [
        ("VAULT_ADDR", bao.addr.as_str()),
        ("VAULT_AUTH_METHOD", "approle"),
        ("VAULT_ROLE_ID", role_id.as_str()),
        ("VAULT_SECRET_ID", secret_id.as_str()),
        ("LEGACY_URL", "mysql://127.0.0.1:3306/bootstrap_legacy"),
    ];
    let _revoke = RevokeOnDrop(&bao);
    let databases = resolve_databases(&stack, &env);
    let users = assert_dynamic_logins(&databases);

    other_role(&bao);
    let app_token = bao.ok(&[
        "write",
        "-field=token",
        "auth/approle/login",
        &format!("role_id={role_id}"),
        &format!("secret_id={secret_id}"),
    ]);
    assert_least_privilege(&bao, &app_token, RF_KEY_2);
    assert_revocation_drops(&bao, users);
}

#[test]
fn kubernetes_bootstrap_through_the_tokenreview_stand_in() {
    databases();
    let bao = OpenBao::start();
    let reviewer = TokenReview::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let stack = stack_file(dir.path());
    let ca = dir.path().join("k8s-ca.pem");
    std::fs::write(&ca, any_pem_certificate()).unwrap();
    let token = admin_token(&bao);
    let host = format!("http://127.0.0.1:{}", reviewer.port);
    let ca_path = ca.display().to_string();
    let urls = database_urls();
    let mut args: Vec<&str> = vec![
        "--stack",
        &stack,
        "--kubernetes-host",
        &host,
        "--kubernetes-ca-cert",
        &ca_path,
        "--namespace",
        "apps",
    ];
    args.extend(urls.iter().map(String::as_str));

    // A token without the administrator's rights is denied at the first read: exit 3, naming
    // the path, nothing written.
    let weak = bao.token(&["default"], "10m");
    let (out, text) = bootstrap(&bao, &weak, &args);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(
        text.contains("sys/mounts") && text.contains("403"),
        "{text}"
    );

    // A mount bootstrap does not own (KV v1 where the database engine goes) stops the run
    // before anything is written.
    bao.ok(&["secrets", "enable", "-path=db", "-version=1", "kv"]);
    let (out, text) = bootstrap(&bao, &token, &args);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("`sys/mounts/db` already exists"), "{text}");
    assert!(!bao.ok(&["policy", "list"]).contains("dbstack"));
    assert!(!bao.ok(&["secrets", "list"]).contains("kv/"));
    bao.ok(&["secrets", "disable", "db"]);

    let (out, text) = bootstrap(&bao, &token, &args);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("created 11, updated 0, 0 unchanged"),
        "{text}"
    );
    assert!(
        text.contains("kubernetes role `dbstack` (service account `apps/agent-runtime`)"),
        "{text}"
    );
    let (_, text) = bootstrap(&bao, &token, &args);
    assert!(text.contains("no change, all 11 objects"), "{text}");

    // Drift is found and repaired: a hand-edited policy and role TTL. A dry run reports
    // them and leaves them; the real run puts them back.
    bao.policy("dbstack", "path \"kv/*\" { capabilities = [\"read\"] }\n");
    bao.ok(&["write", "auth/kubernetes/role/dbstack", "token_ttl=5m"]);
    let mut dry = args.clone();
    dry.push("--dry-run");
    let (out, text) = bootstrap(&bao, &token, &dry);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("would update (rules)"), "{text}");
    assert!(text.contains("would update (token_ttl)"), "{text}");
    assert!(bao.ok(&["policy", "read", "dbstack"]).contains("kv/*"));
    let (_, text) = bootstrap(&bao, &token, &args);
    assert!(text.contains("created 0, updated 2, 9 unchanged"), "{text}");
    assert!(!bao.ok(&["policy", "read", "dbstack"]).contains("kv/*"));

    // The application logs in as its service account and resolves in production.
    seed_kv(&bao);
    let jwt_path = dir.path().join("token");
    std::fs::write(
        &jwt_path,
        service_account_jwt("apps", "agent-runtime", "uid-7", "jti-7"),
    )
    .unwrap();
    let jwt_file = jwt_path.display().to_string();
    let env = [
        ("VAULT_ADDR", bao.addr.as_str()),
        ("VAULT_AUTH_METHOD", "kubernetes"),
        ("VAULT_K8S_ROLE", "dbstack"),
        ("VAULT_K8S_TOKEN_PATH", jwt_file.as_str()),
        ("LEGACY_URL", "mysql://127.0.0.1:3306/bootstrap_legacy"),
    ];
    let _revoke = RevokeOnDrop(&bao);
    let databases = resolve_databases(&stack, &env);
    let users = assert_dynamic_logins(&databases);

    // Another service account in the namespace is not bound to the role.
    std::fs::write(
        &jwt_path,
        service_account_jwt("apps", "someone-else", "uid-8", "jti-8"),
    )
    .unwrap();
    let out = dbstack(
        &[
            "resolve",
            "--json",
            "--profile",
            "production",
            "--stack",
            &stack,
        ],
        &env,
    );
    assert_eq!(out.status.code(), Some(3), "{out:?}");

    other_role(&bao);
    let jwt = service_account_jwt("apps", "agent-runtime", "uid-7", "jti-9");
    let app_token = bao.ok(&[
        "write",
        "-field=token",
        "auth/kubernetes/login",
        "role=dbstack",
        &format!("jwt={jwt}"),
    ]);
    assert_least_privilege(&bao, &app_token, RF_KEY);
    assert_revocation_drops(&bao, users);
}

#[test]
fn policy_command_prints_the_plan_paths_and_bad_input_exits_2() {
    let out = dbstack(&["vault", "policy"], &[]);
    let text = ok(&out, "vault policy");
    assert!(
        text.contains("path \"secret/data/dbstack/supabase\""),
        "{text}"
    );
    assert!(text.contains("path \"sys/leases/revoke\""), "{text}");

    let out = dbstack(
        &["vault", "policy", "--stack", "/nonexistent/stack.toml"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));

    // No VAULT_ADDR: a configuration error naming it, before any network traffic.
    let out = dbstack(&["vault", "bootstrap", "--dry-run"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("VAULT_ADDR"));

    // A bad flag value names the flag; a URL's password is never repeated.
    let out = dbstack(
        &["vault", "bootstrap", "--token-ttl", "forever"],
        &[("VAULT_ADDR", "http://127.0.0.1:9")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--token-ttl"));
    let out = dbstack(
        &[
            "vault",
            "bootstrap",
            "--database-url",
            "supabase=mysql://root:hunter2-pw@db/x",
        ],
        &[("VAULT_ADDR", "http://127.0.0.1:9")],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!err.contains("hunter2"), "{err}");

    // Vault unreachable: exit 3.
    let out = dbstack(
        &["vault", "bootstrap", "--dry-run"],
        &[("VAULT_ADDR", "http://127.0.0.1:9"), ("VAULT_TOKEN", "t")],
    );
    assert_eq!(out.status.code(), Some(3), "{out:?}");
}
