//! Start storms: a 429 means Vault is alive and asks for patience. The client honours
//! `Retry-After` (seconds or an HTTP date), else backs off with full jitter, keeps trying until
//! `DBSTACK_VAULT_DEADLINE`, and logs in once per resolution. Against a real OpenBao with a
//! `sys/quotas/rate-limit` quota, and a proxy that answers 429 itself where the exact header
//! matters (OpenBao sends `Retry-After` only when `enable_rate_limit_response_headers` is set).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

use common::net::refusing_proxy;
use common::openbao::{OpenBao, ROOT_TOKEN};
use common::{
    approle_login, default_kv_reads, failure, plan, seed_default_layout, settings, token_env,
};
use dbstack_core::vault::{VaultAnswers, VaultFailure, VaultSettings, VaultStatus};
use dbstack_runtime::vault::perform;

/// The number of tokens the server knows (root's included): one more per login.
fn tokens(bao: &OpenBao) -> usize {
    bao.ok(&["list", "-format=json", "auth/token/accessors"])
        .matches("\"")
        .count()
        / 2
}

/// Deletes the rate-limit quota `storm` once a window has room (the quota applies to the CLI
/// too), trying every 0.5 s up to `tries` times.
fn delete_storm_quota(bao: &OpenBao, tries: usize) -> bool {
    (0..tries).any(|_| {
        std::thread::sleep(Duration::from_millis(500));
        bao.cli(&["delete", "sys/quotas/rate-limit/storm"])
            .status
            .success()
    })
}

/// Runs the default reads with the root token against the proxy on `port`, with settings
/// `configure` adjusts; the answers and how long they took.
fn through_proxy(
    port: u16,
    configure: impl FnOnce(&mut VaultSettings),
) -> (VaultAnswers, Duration) {
    let mut s = settings(&format!("http://127.0.0.1:{port}"));
    configure(&mut s);
    let start = Instant::now();
    let answers = perform(&plan(s, default_kv_reads()), &token_env(ROOT_TOKEN));
    (answers, start.elapsed())
}

/// A refusal for the rate limit (HTTP 429).
fn assert_rate_limited(error: &VaultFailure) {
    assert_eq!(
        (error.kind.as_str(), error.status),
        ("rate_limited", Some(429)),
        "{error:?}"
    );
}

#[test]
fn a_rate_limited_openbao_is_waited_for_and_the_approle_login_happens_once() {
    let bao = OpenBao::start();
    seed_default_layout(&bao);
    let (role_id, secret_id) = bao.dbstack_reader_approle("dbstack", &["token_ttl=10m"]);
    let before = tokens(&bao);
    // Two requests a second for everybody; the exchange needs five (login, four reads), and
    // the quota's window is spent by the time it starts. OpenBao's defaults: no Retry-After.
    bao.ok(&[
        "write",
        "sys/quotas/rate-limit/storm",
        "rate=2",
        "interval=1s",
    ]);
    // Spend the current window, so that the login itself is likely refused first.
    for _ in 0..3 {
        let _ = bao.cli(&["read", "sys/quotas/rate-limit/storm"]);
    }
    let (s, env) = approle_login(&bao.addr, role_id, secret_id);
    let start = Instant::now();
    let answers = perform(&plan(s, default_kv_reads()), &env);
    let elapsed = start.elapsed();
    assert_eq!(answers.status, VaultStatus::Ok, "{answers:?}");
    assert_eq!(answers.results.len(), 4);
    // Five requests at two a second take two windows at least: the 429s were waited out.
    assert!(elapsed >= Duration::from_secs(1), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}");
    assert!(delete_storm_quota(&bao, 20), "could not delete the quota");
    assert_eq!(
        tokens(&bao),
        before + 1,
        "one resolution, one login (refused logins create no token)"
    );
}

#[test]
fn retry_after_in_seconds_is_honoured() {
    let bao = OpenBao::start();
    seed_default_layout(&bao);
    let (port, refused, forwarded) = refusing_proxy(bao.port, 1, Some("1".to_owned()));
    // A fail-fast window of 0.6 s: waiting out `Retry-After: 1` must extend it.
    let (answers, elapsed) = through_proxy(port, |s| s.timeout_ms = 200);
    assert_eq!(answers.status, VaultStatus::Ok, "{answers:?}");
    assert_eq!(refused.load(Ordering::SeqCst), 1);
    // The token check and the four reads, each once.
    assert_eq!(forwarded.load(Ordering::SeqCst), 5);
    assert!(
        elapsed >= Duration::from_secs(1),
        "Retry-After: 1 not honoured: {elapsed:?}"
    );
}

#[test]
fn retry_after_beyond_the_deadline_fails_at_once_saying_so() {
    // Seconds, then an HTTP date: both ask for more than the 2 s deadline leaves.
    let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
    for header in ["5".to_owned(), date] {
        let (port, refused, _) = refusing_proxy(1, usize::MAX, Some(header.clone()));
        let (answers, elapsed) = through_proxy(port, |s| s.deadline_ms = 2000);
        let error = failure(&answers);
        assert_rate_limited(error);
        assert_eq!(error.source, "VAULT_TOKEN", "{error:?}");
        assert!(
            error.message.contains("DBSTACK_VAULT_DEADLINE")
                && error.message.contains("retry after"),
            "{error:?}"
        );
        assert_eq!(refused.load(Ordering::SeqCst), 1, "{header}");
        assert!(elapsed < Duration::from_secs(1), "{header}: {elapsed:?}");
    }
}

#[test]
fn endless_429_without_retry_after_backs_off_until_the_deadline() {
    let (port, refused, _) = refusing_proxy(1, usize::MAX, None);
    let (answers, elapsed) = through_proxy(port, |s| {
        s.timeout_ms = 300; // a fail-fast window of 0.9 s: the 429s must extend it
        s.deadline_ms = 2500;
    });
    let error = failure(&answers);
    assert_rate_limited(error);
    assert!(error.message.contains("2500 ms"), "{error:?}");
    let count = refused.load(Ordering::SeqCst);
    // Kept trying with backoff (not hundreds of requests) and stopped by the deadline (a retry
    // that would start after it is not made).
    assert!(elapsed < Duration::from_millis(4000), "{elapsed:?}");
    assert!((2..=12).contains(&count), "{count} requests");
}

#[test]
fn an_unreachable_vault_still_fails_fast_with_a_long_storm_deadline() {
    let mut bao = OpenBao::start();
    let addr = bao.addr.clone();
    bao.stop();
    let mut s = settings(&addr);
    s.deadline_ms = 600_000;
    let start = Instant::now();
    let answers = perform(&plan(s, default_kv_reads()), &token_env(ROOT_TOKEN));
    assert_eq!(failure(&answers).kind, "unreachable", "{answers:?}");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}

/// A small storm (the smoke of `scripts/bench/storm.sh`): 20 pods, each its own resolution
/// with its own AppRole login, start together against a quota of 20 requests a second (100
/// requests, a floor of 5 s): every pod resolves, each with one login.
#[test]
fn a_small_storm_of_independent_pods_all_resolve_with_one_login_each() {
    let bao = OpenBao::start();
    seed_default_layout(&bao);
    let (role_id, secret_id) = bao.dbstack_reader_approle("dbstack", &[]);
    let before = tokens(&bao);
    bao.ok(&[
        "write",
        "sys/quotas/rate-limit/storm",
        "rate=20",
        "interval=1s",
    ]);
    let (mut s, env) = approle_login(&bao.addr, role_id, secret_id);
    s.timeout_ms = 10_000; // the shared test machine is slow; this is about 429s, not timeouts
    let pods: Vec<_> = (0..20)
        .map(|_| {
            let (s, env) = (s.clone(), env.clone());
            std::thread::spawn(move || perform(&plan(s, default_kv_reads()), &env))
        })
        .collect();
    for pod in pods {
        let answers = pod.join().unwrap();
        assert_eq!(answers.status, VaultStatus::Ok, "{answers:?}");
        assert_eq!(answers.results.len(), 4);
    }
    assert!(delete_storm_quota(&bao, 40), "could not delete the quota");
    assert_eq!(tokens(&bao), before + 20, "one login per pod");
}
