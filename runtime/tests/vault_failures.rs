//! Every Vault failure is distinct and clear: it names the address or path and the HTTP
//! status, and never carries a token or secret. Against a real OpenBao where one is needed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::net::{delaying_proxy, fixed_responder, silent_listener};
use common::openbao::{OpenBao, ROOT_TOKEN};
use common::{default_kv_reads, failure, kv, plan, seed_default_layout, settings, token_env};
use dbstack_core::vault::{VaultAnswers, VaultSettings, VaultStatus};
use dbstack_runtime::vault::{perform, MAX_RETRIES};

/// Runs the default reads with `token` and checks the token is nowhere in the failure.
fn run(s: VaultSettings, token: &str) -> (VaultAnswers, Duration) {
    let start = Instant::now();
    let answers = perform(&plan(s, default_kv_reads()), &token_env(token));
    let elapsed = start.elapsed();
    let shown = serde_json::to_string(&answers).unwrap();
    assert!(!shown.contains(token), "the token leaked: {shown}");
    (answers, elapsed)
}

#[test]
fn stopped_server_is_unreachable() {
    let mut bao = OpenBao::start();
    let addr = bao.addr.clone();
    bao.stop();
    let (answers, elapsed) = run(settings(&addr), ROOT_TOKEN);
    let error = failure(&answers);
    assert_eq!(error.kind, "unreachable", "{error:?}");
    assert_eq!(error.source, addr);
    assert_eq!(error.status, None);
    assert!(error.message.contains(&addr), "{error:?}");
    // Connection errors are retried, but boundedly and quickly.
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
}

#[test]
fn sealed_server_says_sealed() {
    let bao = OpenBao::start();
    bao.seal();
    let (answers, _) = run(settings(&bao.addr), ROOT_TOKEN);
    let error = failure(&answers);
    assert_eq!(error.kind, "sealed", "{error:?}");
    assert_eq!(error.status, Some(503));
    assert_eq!(error.source, bao.addr);
    assert!(
        error.message.contains("sealed") && error.message.contains(&bao.addr),
        "{error:?}"
    );
}

#[test]
fn policy_denial_is_permission_denied_naming_the_path() {
    let bao = OpenBao::start();
    seed_default_layout(&bao);
    bao.policy(
        "only-supabase",
        r#"path "secret/data/dbstack/supabase" { capabilities = ["read"] }"#,
    );
    let token = bao.token(&["only-supabase"], "1h");
    let (answers, _) = run(settings(&bao.addr), &token);
    let error = failure(&answers);
    assert_eq!(error.kind, "permission_denied", "{error:?}");
    assert_eq!(error.status, Some(403));
    // The first denied read in plan order: dragonfly (supabase is allowed).
    assert_eq!(error.source, "secret/dbstack/dragonfly");
    assert!(
        error.message.contains("secret/dbstack/dragonfly") && error.message.contains("403"),
        "{error:?}"
    );
}

#[test]
fn missing_secret_is_not_found_naming_the_path() {
    let bao = OpenBao::start();
    let answers = perform(
        &plan(
            settings(&bao.addr),
            vec![kv("secret", "dbstack/nothing-here")],
        ),
        &token_env(ROOT_TOKEN),
    );
    let error = failure(&answers);
    assert_eq!(error.kind, "not_found", "{error:?}");
    assert_eq!(error.status, Some(404));
    assert_eq!(error.source, "secret/dbstack/nothing-here");
    assert!(
        error.message.contains("secret/dbstack/nothing-here"),
        "{error:?}"
    );
}

#[test]
fn bogus_and_expired_tokens_are_auth_failures() {
    let bao = OpenBao::start();
    seed_default_layout(&bao);
    let (answers, _) = run(settings(&bao.addr), "s.bogus-token-value");
    let error = failure(&answers);
    assert_eq!(error.kind, "auth_failed", "{error:?}");
    assert_eq!(error.status, Some(403));
    assert_eq!(error.source, "VAULT_TOKEN");
    assert!(
        error.message.contains("expired, revoked or unknown"),
        "{error:?}"
    );

    let short = bao.token(&["default"], "1s");
    std::thread::sleep(Duration::from_millis(2100));
    let (answers, _) = run(settings(&bao.addr), &short);
    assert_eq!(failure(&answers).kind, "auth_failed", "{answers:?}");
}

#[test]
fn no_token_anywhere_is_a_config_error() {
    let mut env = std::collections::BTreeMap::new();
    env.insert("HOME".to_owned(), "/nonexistent-home".to_owned());
    let answers = perform(
        &plan(settings("http://127.0.0.1:1"), default_kv_reads()),
        &env,
    );
    let error = failure(&answers);
    assert_eq!(
        (error.kind.as_str(), error.source.as_str()),
        ("config", "VAULT_TOKEN")
    );
}

#[test]
fn listener_that_never_answers_times_out_on_time() {
    let port = silent_listener();
    let mut s = settings(&format!("http://127.0.0.1:{port}"));
    s.timeout_ms = 300;
    let (answers, elapsed) = run(s, ROOT_TOKEN);
    let error = failure(&answers);
    assert_eq!(error.kind, "timeout", "{error:?}");
    assert!(
        error.message.contains("300 ms") || error.message.contains("in time"),
        "{error:?}"
    );
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(
        elapsed < Duration::from_millis(900),
        "timeout not honoured: {elapsed:?}"
    );
}

#[test]
fn proxy_delaying_past_the_timeout_times_out() {
    let bao = OpenBao::start();
    seed_default_layout(&bao);
    let port = delaying_proxy(bao.port, Duration::from_millis(800));
    let mut s = settings(&format!("http://127.0.0.1:{port}"));
    s.timeout_ms = 300;
    let (answers, elapsed) = run(s.clone(), ROOT_TOKEN);
    assert_eq!(failure(&answers).kind, "timeout", "{answers:?}");
    assert!(
        elapsed < Duration::from_millis(900),
        "timeout not honoured: {elapsed:?}"
    );

    // The same proxy within a generous timeout works: the timeout is what failed.
    s.timeout_ms = 3000;
    let (answers, _) = run(s, ROOT_TOKEN);
    assert_eq!(answers.status, VaultStatus::Ok, "{answers:?}");
}

#[test]
fn garbage_instead_of_json_is_an_invalid_response() {
    let (port, _) = fixed_responder("200 OK", "{\"data\": <html>not json");
    let addr = format!("http://127.0.0.1:{port}");
    let (answers, _) = run(settings(&addr), ROOT_TOKEN);
    let error = failure(&answers);
    assert_eq!(error.kind, "invalid_response", "{error:?}");
    assert!(
        error.message.contains(&addr) && error.message.contains("auth/token/lookup-self"),
        "{error:?}"
    );
}

#[test]
fn server_errors_are_retried_boundedly_and_client_errors_never() {
    // (429 is not a server error: tests/vault_storm.rs)
    let (port, count) = fixed_responder(
        "500 Internal Server Error",
        r#"{"errors":["internal error"]}"#,
    );
    let (answers, _) = run(settings(&format!("http://127.0.0.1:{port}")), ROOT_TOKEN);
    let error = failure(&answers);
    assert_eq!(
        (error.kind.as_str(), error.status),
        ("server_error", Some(500)),
        "{error:?}"
    );
    assert_eq!(count.load(Ordering::SeqCst), 1 + MAX_RETRIES as usize);

    let (port, count) = fixed_responder("400 Bad Request", r#"{"errors":["bad request"]}"#);
    let (answers, _) = run(settings(&format!("http://127.0.0.1:{port}")), ROOT_TOKEN);
    assert_eq!(failure(&answers).status, Some(400));
    assert_eq!(count.load(Ordering::SeqCst), 1, "a 4xx must not be retried");
}

#[test]
fn invalid_address_is_a_config_error() {
    let answers = perform(
        &plan(settings("vault.internal:8200"), default_kv_reads()),
        &token_env(ROOT_TOKEN),
    );
    let error = failure(&answers);
    assert_eq!(
        (error.kind.as_str(), error.source.as_str()),
        ("config", "VAULT_ADDR")
    );
}

#[test]
fn perform_works_inside_a_tokio_runtime() {
    let bao = OpenBao::start();
    seed_default_layout(&bao);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // Callers that already run tokio (a server, an async test) may call the blocking entry point.
    let answers = rt.block_on(async {
        perform(
            &plan(settings(&bao.addr), default_kv_reads()),
            &token_env(ROOT_TOKEN),
        )
    });
    assert_eq!(answers.status, VaultStatus::Ok, "{answers:?}");
    assert_eq!(answers.results.len(), 4);
}
