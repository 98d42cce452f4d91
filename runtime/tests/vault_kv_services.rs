//! `[vault] kv_services` (issue 14) against a real OpenBao dev server: a service not listed
//! gets no KV request (OpenBao's own audit log shows none), so a stack that keeps RAGflow's
//! key in the environment needs no empty secret; the default (all four) stays strict.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeMap;

use common::openbao::{OpenBao, ROOT_TOKEN};
use dbstack_runtime::resolve::{resolve, ResolveOptions};

/// Only the secrets the stack below lists: supabase and rocketmq.
const READ_LISTED: &str = r#"
path "secret/data/dbstack/supabase" { capabilities = ["read"] }
path "secret/data/dbstack/rocketmq" { capabilities = ["read"] }
"#;

// Test secrets carry the sentinel (tests/sentinel.txt), checked by the test command's last step.
const PG_3: &str = concat!("kv-pg-secret-3-", include_str!("../../tests/sentinel.txt"));
const MQ_4: &str = concat!("kv-mq-secret-4-", include_str!("../../tests/sentinel.txt"));
const PG_5: &str = concat!("kv-pg-secret-5-", include_str!("../../tests/sentinel.txt"));
const RF_ENV: &str = concat!(
    "env-ragflow-key-1-",
    include_str!("../../tests/sentinel.txt")
);
const REDIS_ENV: &str = concat!("env-redis-pw-2-", include_str!("../../tests/sentinel.txt"));

const STACK: &str = "[aliases.default]\nservice = \"supabase\"\n\n[vault]\nkv_services = [\n  \"rocketmq\",\n  \"supabase\",\n]\n";

fn env(bao: &OpenBao, token: &str) -> BTreeMap<String, String> {
    [
        ("VAULT_ADDR", bao.addr.as_str()),
        ("VAULT_TOKEN", token),
        ("HOME", "/nonexistent-home"),
        ("DBSTACK_KUBERNETES", "false"),
        ("RAGFLOW_API_KEY", RF_ENV),
        (
            "REDIS_URL",
            &format!("redis://:{REDIS_ENV}@127.0.0.1:6379/0"),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn options(stack: Option<&std::path::Path>) -> ResolveOptions {
    ResolveOptions {
        profile: Some("production".to_owned()),
        stack_file: stack.map(|p| p.display().to_string()),
        ..ResolveOptions::default()
    }
}

#[test]
fn unlisted_services_get_no_kv_request() {
    let bao = OpenBao::start_audited();
    bao.kv_put(
        "secret/dbstack/supabase",
        &[("username", "app"), ("password", PG_3)],
    );
    bao.kv_put(
        "secret/dbstack/rocketmq",
        &[("access_key", "ak"), ("secret_key", MQ_4)],
    );
    bao.policy("dbstack-listed", READ_LISTED);
    let token = bao.token(&["default", "dbstack-listed"], "1h");
    let dir = tempfile::tempdir().unwrap();
    let stack = dir.path().join("stack.toml");
    std::fs::write(&stack, STACK).unwrap();

    let resolved = resolve(env(&bao, &token), options(Some(&stack))).unwrap();
    let paths: Vec<&str> = resolved
        .plan
        .reads
        .iter()
        .map(|r| r.path.as_str())
        .collect();
    // The catalog's order, whatever the list's.
    assert_eq!(
        paths,
        ["secret/dbstack/supabase", "secret/dbstack/rocketmq"]
    );
    let doc = resolved.resolution.to_json(true);
    assert_eq!(doc["vault"]["status"], "ok", "{}", doc["vault"]);
    assert_eq!(doc["django"]["DATABASES"]["default"]["PASSWORD"], PG_3);
    assert_eq!(doc["rocketmq"]["SECRET_KEY"], MQ_4);
    // RAGflow's key and the cache password come from the environment: nothing read them.
    assert_eq!(doc["ragflow"]["API_KEY"], RF_ENV);
    assert_eq!(
        doc["provenance"]["ragflow.API_KEY"]["source"]["name"],
        "RAGFLOW_API_KEY"
    );
    assert!(doc["provenance"]["ragflow.API_KEY"]["overrode"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["source"]["kind"] != "vault"));
    assert_eq!(doc["services"]["dragonfly"]["password"], REDIS_ENV);

    // OpenBao's audit log: requests for the listed secrets, none for the others.
    let log = bao.audit_log();
    assert!(log.contains("secret/data/dbstack/supabase"), "{log}");
    assert!(log.contains("secret/data/dbstack/rocketmq"), "{log}");
    for unlisted in ["dbstack/ragflow", "dbstack/dragonfly"] {
        assert!(!log.contains(unlisted), "{unlisted} was requested: {log}");
    }

    // The default stack (all four) is strict: the unlisted secrets are read, and the policy
    // refuses them, which fails the production resolution (exit 3) naming the path.
    let error = resolve(env(&bao, &token), options(None)).unwrap_err();
    assert_eq!(error.exit_code(), 3, "{error}");
    let message = error.to_string();
    assert!(
        message.contains("secret/dbstack/dragonfly") || message.contains("secret/dbstack/ragflow"),
        "{message}"
    );
    assert!(!message.contains(&token));
}

#[test]
fn a_missing_secret_of_an_unlisted_service_is_not_needed() {
    // The root token: nothing is denied, and only the listed secret exists.
    let bao = OpenBao::start();
    bao.kv_put(
        "secret/dbstack/supabase",
        &[("username", "app"), ("password", PG_5)],
    );
    let dir = tempfile::tempdir().unwrap();
    let stack = dir.path().join("stack.toml");
    std::fs::write(
        &stack,
        "[aliases.default]\nservice = \"supabase\"\n\n[vault]\nkv_services = [\"supabase\"]\n",
    )
    .unwrap();
    let resolved = resolve(env(&bao, ROOT_TOKEN), options(Some(&stack))).unwrap();
    assert_eq!(resolved.plan.reads.len(), 1);
    let doc = resolved.resolution.to_json(true);
    assert_eq!(doc["django"]["DATABASES"]["default"]["PASSWORD"], PG_5);
    assert_eq!(doc["ragflow"]["API_KEY"], RF_ENV);

    // Without the list, the missing ragflow secret is a 404: production fails (strict).
    let error = resolve(env(&bao, ROOT_TOKEN), options(None)).unwrap_err();
    assert_eq!(error.exit_code(), 3, "{error}");

    // An empty list reads nothing from KV.
    std::fs::write(
        &stack,
        "[aliases.default]\nservice = \"supabase\"\n\n[vault]\nkv_services = []\n",
    )
    .unwrap();
    let resolved = resolve(env(&bao, ROOT_TOKEN), options(Some(&stack))).unwrap();
    assert!(resolved.plan.reads.is_empty());
    assert_eq!(resolved.resolution.to_json(true)["vault"]["status"], "ok");
}
