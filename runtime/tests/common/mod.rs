//! Helpers shared by the Vault integration tests.
#![allow(dead_code, unreachable_pub)]

pub mod net;
pub mod openbao;
pub mod tls;

use std::collections::BTreeMap;
use std::process::Command;

use dbstack_core::vault::{
    AuthMethod, ReadKind, VaultAnswers, VaultFailure, VaultPlan, VaultRead, VaultSettings,
    VaultStatus,
};

/// Runs `cmd` and fails the test, with its output, unless it succeeds.
pub fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Settings for token auth against `addr`, like the core's `plan()` builds from `VAULT_*`.
pub fn settings(addr: &str) -> VaultSettings {
    VaultSettings {
        addr: addr.to_owned(),
        addr_source: "VAULT_ADDR".to_owned(),
        auth: AuthMethod::Token,
        namespace: None,
        k8s_role: None,
        k8s_mount: "kubernetes".to_owned(),
        k8s_token_path: "/var/run/secrets/kubernetes.io/serviceaccount/token".to_owned(),
        role_id: None,
        approle_mount: "approle".to_owned(),
        cacert: None,
        skip_verify: false,
        timeout_ms: 2000,
        deadline_ms: 60_000,
    }
}

/// AppRole auth against `addr` with `role_id`, and the env that carries `secret_id`.
pub fn approle_login(
    addr: &str,
    role_id: String,
    secret_id: String,
) -> (VaultSettings, BTreeMap<String, String>) {
    let mut s = settings(addr);
    s.auth = AuthMethod::Approle;
    s.role_id = Some(role_id);
    let mut env = BTreeMap::new();
    env.insert("VAULT_SECRET_ID".to_owned(), secret_id);
    (s, env)
}

/// The failure of failed `answers` (which carry no results then); panics on success.
pub fn failure(answers: &VaultAnswers) -> &VaultFailure {
    match &answers.status {
        VaultStatus::Failed { error } => {
            eprintln!("failure: {error:?}");
            assert!(
                answers.results.is_empty(),
                "a failed exchange returns no results"
            );
            error
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}

/// A KV v2 read of `<mount>/<secret>`, as the core plans it.
pub fn kv(mount: &str, secret: &str) -> VaultRead {
    VaultRead {
        path: format!("{mount}/{secret}"),
        api_path: format!("{mount}/data/{secret}"),
        kind: ReadKind::Kv2 {
            mount: mount.to_owned(),
            secret: secret.to_owned(),
        },
        purpose: "test".to_owned(),
    }
}

/// A database-secrets-engine read of `<mount>/creds/<role>`.
pub fn creds(mount: &str, role: &str) -> VaultRead {
    VaultRead {
        path: format!("{mount}/creds/{role}"),
        api_path: format!("{mount}/creds/{role}"),
        kind: ReadKind::DatabaseCreds {
            mount: mount.to_owned(),
            role: role.to_owned(),
        },
        purpose: format!("alias:{role}"),
    }
}

/// The four KV reads of the default layout (`secret/dbstack/<service>`).
pub fn default_kv_reads() -> Vec<VaultRead> {
    ["supabase", "dragonfly", "ragflow", "rocketmq"]
        .iter()
        .map(|s| kv("secret", &format!("dbstack/{s}")))
        .collect()
}

pub fn plan(settings: VaultSettings, reads: Vec<VaultRead>) -> VaultPlan {
    VaultPlan {
        settings: Some(settings),
        reads,
    }
}

/// An env map with `VAULT_TOKEN` and a `HOME` without `.vault-token`.
pub fn token_env(token: &str) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    env.insert("VAULT_TOKEN".to_owned(), token.to_owned());
    env.insert("HOME".to_owned(), "/nonexistent-home".to_owned());
    env
}

/// The default layout's secret values: each carries the sentinel (tests/sentinel.txt).
pub const PG_SECRET: &str = concat!("pg-secret-1-", include_str!("../../../tests/sentinel.txt"));
pub const DF_SECRET: &str = concat!("df-secret-2-", include_str!("../../../tests/sentinel.txt"));
pub const RF_SECRET: &str = concat!("rf-secret-3-", include_str!("../../../tests/sentinel.txt"));
pub const MQ_SECRET: &str = concat!("mq-secret-4-", include_str!("../../../tests/sentinel.txt"));

/// Writes the default layout's four KV secrets.
pub fn seed_default_layout(bao: &openbao::OpenBao) {
    bao.kv_put(
        "secret/dbstack/supabase",
        &[
            ("username", "app_user"),
            ("password", PG_SECRET),
            ("port", "5433"),
        ],
    );
    bao.kv_put("secret/dbstack/dragonfly", &[("password", DF_SECRET)]);
    bao.kv_put("secret/dbstack/ragflow", &[("api_key", RF_SECRET)]);
    bao.kv_put(
        "secret/dbstack/rocketmq",
        &[("access_key", "mq-access"), ("secret_key", MQ_SECRET)],
    );
}
