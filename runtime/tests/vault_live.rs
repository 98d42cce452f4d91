//! The Vault side of the runtime against a real OpenBao dev server: token, AppRole and
//! Kubernetes auth, KV v2, dynamic PostgreSQL credentials, TLS, namespaces, concurrency.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use common::openbao::{
    any_pem_certificate, service_account_jwt, OpenBao, TokenReview, READ_DBSTACK, ROOT_TOKEN,
};
use common::{
    approle_login, creds, default_kv_reads, kv, plan, seed_default_layout, settings, token_env,
    DF_SECRET, MQ_SECRET, PG_SECRET, RF_SECRET,
};
use dbstack_core::vault::{AuthMethod, VaultAnswers, VaultResult, VaultStatus};
use dbstack_runtime::vault::perform;

fn kv_value(answers: &VaultAnswers, path: &str, key: &str) -> String {
    match answers.results.get(path) {
        Some(result @ VaultResult::Kv2 { .. }) => result
            .kv_field(key)
            .unwrap_or_else(|| panic!("{path} has no `{key}`"))
            .expose()
            .to_owned(),
        other => panic!("{path}: expected a KV v2 result, got {other:?} in {answers:?}"),
    }
}

fn assert_ok(answers: &VaultAnswers) {
    assert_eq!(answers.status, VaultStatus::Ok, "{answers:?}");
}

fn assert_default_layout(answers: &VaultAnswers) {
    assert_ok(answers);
    assert_eq!(answers.results.len(), 4, "{answers:?}");
    assert_eq!(
        kv_value(answers, "secret/dbstack/supabase", "username"),
        "app_user"
    );
    assert_eq!(
        kv_value(answers, "secret/dbstack/supabase", "password"),
        PG_SECRET
    );
    assert_eq!(kv_value(answers, "secret/dbstack/supabase", "port"), "5433");
    assert_eq!(
        kv_value(answers, "secret/dbstack/dragonfly", "password"),
        DF_SECRET
    );
    assert_eq!(
        kv_value(answers, "secret/dbstack/ragflow", "api_key"),
        RF_SECRET
    );
    assert_eq!(
        kv_value(answers, "secret/dbstack/rocketmq", "secret_key"),
        MQ_SECRET
    );
}

#[test]
fn token_auth_reads_the_default_kv_layout() {
    let bao = OpenBao::start();
    seed_default_layout(&bao);
    bao.policy("dbstack-read", READ_DBSTACK);
    let token = bao.token(&["dbstack-read"], "1h");

    let answers = perform(
        &plan(settings(&bao.addr), default_kv_reads()),
        &token_env(&token),
    );
    assert_default_layout(&answers);
    assert_eq!(answers.auth, Some(AuthMethod::Token));
    assert!(answers.warnings.is_empty(), "{:?}", answers.warnings);
    // Secrets stay masked in every rendering of the answers.
    let shown = format!("{answers:?} {}", serde_json::to_string(&answers).unwrap());
    assert!(
        !shown.contains(PG_SECRET) && !shown.contains(&token),
        "{shown}"
    );
}

#[test]
fn token_comes_from_home_vault_token_when_vault_token_is_unset() {
    let bao = OpenBao::start();
    seed_default_layout(&bao);
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join(".vault-token"), format!("{ROOT_TOKEN}\n")).unwrap();
    let mut env = BTreeMap::new();
    env.insert("HOME".to_owned(), home.path().display().to_string());

    let answers = perform(&plan(settings(&bao.addr), default_kv_reads()), &env);
    assert_default_layout(&answers);
}

#[test]
fn approle_login_then_reads() {
    let bao = OpenBao::start();
    seed_default_layout(&bao);
    let (role_id, secret_id) = bao.dbstack_reader_approle("dbstack", &["token_ttl=10m"]);

    let (s, mut env) = approle_login(&bao.addr, role_id, secret_id);
    let answers = perform(&plan(s.clone(), default_kv_reads()), &env);
    assert_default_layout(&answers);
    assert_eq!(answers.auth, Some(AuthMethod::Approle));

    // A wrong secret id is an auth failure naming the login path, never the secret id.
    env.insert(
        "VAULT_SECRET_ID".to_owned(),
        "11111111-2222-3333-4444-555555555555".to_owned(),
    );
    let answers = perform(&plan(s.clone(), default_kv_reads()), &env);
    let VaultStatus::Failed { error } = &answers.status else {
        panic!("expected a failure: {answers:?}")
    };
    assert_eq!(error.kind, "auth_failed", "{error:?}");
    assert_eq!(error.source, "auth/approle/login");
    assert!(
        error.status.is_some_and(|s| (400..500).contains(&s)),
        "{error:?}"
    );
    assert!(!error.message.contains("11111111"), "{error:?}");

    // No secret id at all is a configuration error naming the variable.
    env.remove("VAULT_SECRET_ID");
    let answers = perform(&plan(s, default_kv_reads()), &env);
    let VaultStatus::Failed { error } = &answers.status else {
        panic!("expected a failure: {answers:?}")
    };
    assert_eq!(
        (error.kind.as_str(), error.source.as_str()),
        ("config", "VAULT_SECRET_ID")
    );
}

#[test]
fn kubernetes_login_through_the_tokenreview_stand_in() {
    let bao = OpenBao::start();
    seed_default_layout(&bao);
    bao.policy("dbstack-read", READ_DBSTACK);
    let reviewer = TokenReview::start(&["revoked-jti"]);
    let ca = bao.dir.path().join("k8s-ca.pem");
    std::fs::write(&ca, any_pem_certificate()).unwrap();
    bao.ok(&["auth", "enable", "kubernetes"]);
    bao.ok(&[
        "write",
        "auth/kubernetes/config",
        &format!("kubernetes_host=http://127.0.0.1:{}", reviewer.port),
        "disable_local_ca_jwt=true",
        &format!("kubernetes_ca_cert=@{}", ca.display()),
    ]);
    bao.ok(&[
        "write",
        "auth/kubernetes/role/agent",
        "bound_service_account_names=agent-runtime",
        "bound_service_account_namespaces=apps",
        "token_policies=dbstack-read",
        "token_ttl=10m",
    ]);
    let dir = tempfile::tempdir().unwrap();
    let token_path = dir.path().join("token");
    std::fs::write(
        &token_path,
        service_account_jwt("apps", "agent-runtime", "uid-42", "jti-1"),
    )
    .unwrap();

    let mut s = settings(&bao.addr);
    s.auth = AuthMethod::Kubernetes;
    s.k8s_role = Some("agent".to_owned());
    s.k8s_token_path = token_path.display().to_string();
    let no_env = BTreeMap::new();
    let answers = perform(&plan(s.clone(), default_kv_reads()), &no_env);
    assert_default_layout(&answers);
    assert_eq!(answers.auth, Some(AuthMethod::Kubernetes));

    // A service account the role does not bind is refused by OpenBao.
    std::fs::write(
        &token_path,
        service_account_jwt("other", "agent-runtime", "uid-42", "jti-2"),
    )
    .unwrap();
    let answers = perform(&plan(s.clone(), default_kv_reads()), &no_env);
    let VaultStatus::Failed { error } = &answers.status else {
        panic!("expected a failure: {answers:?}")
    };
    assert_eq!(error.kind, "auth_failed", "{error:?}");
    assert_eq!(error.source, "auth/kubernetes/login");
    assert!(error.message.contains("`agent`"), "{error:?}");

    // A token the (stand-in) API server no longer accepts.
    std::fs::write(
        &token_path,
        service_account_jwt("apps", "agent-runtime", "uid-42", "revoked-jti"),
    )
    .unwrap();
    let answers = perform(&plan(s.clone(), default_kv_reads()), &no_env);
    let VaultStatus::Failed { error } = &answers.status else {
        panic!("expected a failure: {answers:?}")
    };
    assert_eq!(error.kind, "auth_failed", "{error:?}");

    // No role configured, and a missing token file: configuration errors naming the source.
    let mut no_role = s.clone();
    no_role.k8s_role = None;
    let answers = perform(&plan(no_role, default_kv_reads()), &no_env);
    let VaultStatus::Failed { error } = &answers.status else {
        panic!("{answers:?}")
    };
    assert_eq!(
        (error.kind.as_str(), error.source.as_str()),
        ("config", "VAULT_K8S_ROLE")
    );
    let mut no_file = s;
    no_file.k8s_token_path = dir.path().join("missing").display().to_string();
    let answers = perform(&plan(no_file.clone(), default_kv_reads()), &no_env);
    let VaultStatus::Failed { error } = &answers.status else {
        panic!("{answers:?}")
    };
    assert_eq!(
        (error.kind.as_str(), error.source.as_str()),
        ("config", no_file.k8s_token_path.as_str())
    );
}

fn psql(args: &[&str], password: Option<&str>) -> std::process::Output {
    let mut cmd = Command::new("psql");
    cmd.args(["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1"])
        .args(args);
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    cmd.output()
        .expect("psql is installed with PostgreSQL; run scripts/test.sh")
}

#[test]
fn database_engine_creates_a_real_postgres_login() {
    // A dedicated admin role with a password for OpenBao's PostgreSQL plugin.
    let admin = "dbstack_vault_admin";
    let setup = format!(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{admin}') THEN \
         CREATE ROLE {admin} LOGIN CREATEROLE PASSWORD 'admin-pw'; END IF; END $$; \
         ALTER ROLE {admin} WITH LOGIN CREATEROLE PASSWORD 'admin-pw'; \
         GRANT CONNECT ON DATABASE postgres TO {admin} WITH GRANT OPTION;"
    );
    let out = psql(
        &[
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-c",
            &setup,
        ],
        None,
    );
    assert!(
        out.status.success(),
        "psql setup failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let bao = OpenBao::start();
    seed_default_layout(&bao);
    bao.ok(&["secrets", "enable", "database"]);
    bao.ok(&[
        "write",
        "database/config/supabase",
        "plugin_name=postgresql-database-plugin",
        "allowed_roles=app",
        "connection_url=postgresql://{{username}}:{{password}}@127.0.0.1:5432/postgres?sslmode=disable",
        &format!("username={admin}"),
        "password=admin-pw",
    ]);
    bao.ok(&[
        "write",
        "database/roles/app",
        "db_name=supabase",
        "creation_statements=CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; GRANT CONNECT ON DATABASE postgres TO \"{{name}}\";",
        "default_ttl=10m",
        "max_ttl=1h",
    ]);
    bao.policy(
        "dbstack-app",
        &format!("{READ_DBSTACK}\npath \"database/creds/app\" {{ capabilities = [\"read\"] }}"),
    );
    let token = bao.token(&["dbstack-app"], "1h");

    let mut reads = default_kv_reads();
    reads.push(creds("database", "app"));
    let answers = perform(&plan(settings(&bao.addr), reads), &token_env(&token));
    assert_ok(&answers);
    assert_eq!(answers.results.len(), 5);
    let Some(VaultResult::DatabaseCreds {
        username,
        password,
        lease_id,
        lease_duration,
        renewable,
    }) = answers.results.get("database/creds/app")
    else {
        panic!("no database credentials in {answers:?}")
    };
    assert!(lease_id.starts_with("database/creds/app/"), "{lease_id}");
    assert!(
        (590..=600).contains(lease_duration),
        "lease_duration {lease_duration}"
    );
    assert!(*renewable);
    assert!(!password.expose().is_empty());

    // The role exists in PostgreSQL, and logging in with the credentials works.
    let out = psql(
        &[
            "-h",
            "127.0.0.1",
            "-U",
            username,
            "-d",
            "postgres",
            "-c",
            "select current_user",
        ],
        Some(password.expose()),
    );
    assert!(
        out.status.success(),
        "login as {username} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), username);
    let out = psql(
        &["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-c",
          &format!("select rolvaliduntil is not null and rolpassword is not null from pg_authid where rolname = '{username}'")],
        None,
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "t", "{out:?}");

    // Two resolutions get two different logins.
    let again = perform(
        &plan(settings(&bao.addr), vec![creds("database", "app")]),
        &token_env(&token),
    );
    let Some(VaultResult::DatabaseCreds {
        username: second, ..
    }) = again.results.get("database/creds/app")
    else {
        panic!("{again:?}")
    };
    assert_ne!(second, username);
    bao.ok(&["lease", "revoke", "-prefix", "database/creds/app"]);
}

#[test]
fn tls_is_verified_against_vault_cacert() {
    let bao = OpenBao::start_tls();
    seed_default_layout(&bao);
    let ca = bao.ca_cert.clone().unwrap();

    let mut s = settings(&bao.addr);
    s.cacert = Some(ca.display().to_string());
    let answers = perform(&plan(s.clone(), default_kv_reads()), &token_env(ROOT_TOKEN));
    assert_default_layout(&answers);
    assert!(answers.warnings.is_empty());

    // Without the CA the server's certificate is not trusted.
    let mut untrusted = s.clone();
    untrusted.cacert = None;
    let answers = perform(
        &plan(untrusted.clone(), default_kv_reads()),
        &token_env(ROOT_TOKEN),
    );
    let VaultStatus::Failed { error } = &answers.status else {
        panic!("{answers:?}")
    };
    assert_eq!(error.kind, "tls", "{error:?}");
    assert_eq!(error.source, bao.addr);
    assert!(error.message.contains(&bao.addr), "{error:?}");

    // VAULT_SKIP_VERIFY works and says so.
    untrusted.skip_verify = true;
    let answers = perform(&plan(untrusted, default_kv_reads()), &token_env(ROOT_TOKEN));
    assert_default_layout(&answers);
    assert_eq!(answers.warnings.len(), 1);
    assert!(
        answers.warnings[0].contains("VAULT_SKIP_VERIFY"),
        "{:?}",
        answers.warnings
    );

    // A CA file that does not exist is a configuration error naming it.
    s.cacert = Some("/nonexistent/ca.pem".to_owned());
    let answers = perform(&plan(s, default_kv_reads()), &token_env(ROOT_TOKEN));
    let VaultStatus::Failed { error } = &answers.status else {
        panic!("{answers:?}")
    };
    assert_eq!(
        (error.kind.as_str(), error.source.as_str()),
        ("config", "/nonexistent/ca.pem")
    );
}

#[test]
fn namespace_header_is_sent() {
    let bao = OpenBao::start();
    bao.ok(&["namespace", "create", "team-a"]);
    bao.ok(&["secrets", "enable", "-ns=team-a", "-path=secret", "kv-v2"]);
    bao.ok(&[
        "kv",
        "put",
        "-ns=team-a",
        "secret/dbstack/ragflow",
        "api_key=ns-key",
    ]);

    let reads = vec![kv("secret", "dbstack/ragflow")];
    let mut s = settings(&bao.addr);
    s.namespace = Some("team-a".to_owned());
    let answers = perform(&plan(s.clone(), reads.clone()), &token_env(ROOT_TOKEN));
    assert_ok(&answers);
    assert_eq!(
        kv_value(&answers, "secret/dbstack/ragflow", "api_key"),
        "ns-key"
    );

    // The root namespace has no such secret.
    s.namespace = None;
    let answers = perform(&plan(s, reads), &token_env(ROOT_TOKEN));
    let VaultStatus::Failed { error } = &answers.status else {
        panic!("{answers:?}")
    };
    assert_eq!(error.kind, "not_found", "{error:?}");
}

#[test]
fn reads_run_concurrently() {
    let bao = OpenBao::start();
    seed_default_layout(&bao);
    let delay = Duration::from_millis(400);
    let port = common::net::delaying_proxy(bao.port, delay);
    let mut reads = default_kv_reads();
    reads.push(kv("secret", "dbstack/supabase-copy"));
    bao.kv_put("secret/dbstack/supabase-copy", &[("password", "x")]);

    let start = Instant::now();
    let answers = perform(
        &plan(settings(&format!("http://127.0.0.1:{port}")), reads),
        &token_env(ROOT_TOKEN),
    );
    let elapsed = start.elapsed();
    assert_ok(&answers);
    assert_eq!(answers.results.len(), 5);
    // One delayed auth request plus one round of five delayed reads in parallel; sequential
    // reads would take at least six delays.
    assert!(elapsed >= delay * 2, "{elapsed:?}");
    assert!(elapsed < delay * 4, "reads look sequential: {elapsed:?}");
}
