//! The retry policy of one resolution's exchange with Vault.
//!
//! - **429 (rate limited).** Vault is alive and asks for patience. The request waits at least
//!   the `Retry-After` Vault sent, plus full jitter (a uniform wait in
//!   `0..=min(RATE_LIMIT_CAP_MS, RATE_LIMIT_BASE_MS * 2^n)` after the n-th 429 of that request),
//!   and tries again, for as long as the storm deadline (`DBSTACK_VAULT_DEADLINE`, counted from
//!   the start of the exchange) allows. From the first 429 on, the exchange's requests go one at
//!   a time: a rate-limited pod then costs Vault one request per retry, not one per read.
//! - **Connection errors and 5xx.** At most [`MAX_RETRIES`] retries with a short jittered
//!   backoff. A timeout and every other 4xx are final.
//! - **Slow answers during a storm.** A request that times out after Vault has answered 429 in
//!   this exchange waits and retries like a 429 (Vault is alive, only loaded); before any 429 a
//!   timeout is final.
//! - **Fail fast.** The exchange must finish within [`DEADLINE_FACTOR`] per-request timeouts
//!   of its start or of its last 429's retry time: an unreachable, sealed or hanging Vault fails
//!   within seconds, as it always did; only 429s extend the wait, up to the storm deadline.
//!
//! Only requests are retried, never the whole exchange: a resolution logs in once.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use dbstack_core::vault::{VaultFailure, VaultSettings};

use super::client::Refusal;
use super::failure::{self, classify, kind, Target};

/// Retries after the first attempt, for connection errors and 5xx.
pub const MAX_RETRIES: u32 = 2;
/// The first backoff after a connection error or 5xx; doubled on each retry, jittered to 50–100 %.
pub const BACKOFF_BASE_MS: u64 = 50;
/// Without a 429, the exchange must finish within this many per-request timeouts.
pub const DEADLINE_FACTOR: u32 = 3;
/// The full-jitter window after the first 429 of a request; doubled on each further 429.
pub const RATE_LIMIT_BASE_MS: u64 = 1_000;
/// The full-jitter window never grows beyond this.
pub const RATE_LIMIT_CAP_MS: u64 = 10_000;

/// The time limits of one exchange, shared by its requests.
#[derive(Debug)]
pub(crate) struct Budget {
    per_request: Duration,
    started: Instant,
    /// `DBSTACK_VAULT_DEADLINE` after the start: no retry is scheduled beyond it.
    storm_end: Instant,
    deadline_ms: u64,
    /// The fail-fast deadline, pushed forward by each 429 (never beyond `storm_end`).
    fast_end: Mutex<Instant>,
    /// Set by the first 429: requests then take turns.
    limited: AtomicBool,
    turn: tokio::sync::Mutex<()>,
}

impl Budget {
    pub(crate) fn new(settings: &VaultSettings) -> Budget {
        let per_request = Duration::from_millis(settings.timeout_ms.max(1));
        let started = Instant::now();
        Budget {
            per_request,
            started,
            storm_end: started + Duration::from_millis(settings.deadline_ms),
            deadline_ms: settings.deadline_ms,
            fast_end: Mutex::new(started + per_request * DEADLINE_FACTOR),
            limited: AtomicBool::new(false),
            turn: tokio::sync::Mutex::new(()),
        }
    }

    fn fast(&self) -> MutexGuard<'_, Instant> {
        self.fast_end.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// When the exchange fails unless a 429 extends it.
    pub(crate) fn fast_end(&self) -> Instant {
        *self.fast()
    }

    /// How long the exchange has been running.
    pub(crate) fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// A 429 was answered and the request will retry after `wait`: extends the fail-fast
    /// deadline past that retry. False when the retry would start after the storm deadline.
    fn rate_limited(&self, wait: Duration) -> bool {
        self.limited.store(true, Ordering::Relaxed);
        let Some(retry_at) = Instant::now().checked_add(wait) else {
            return false;
        };
        if retry_at >= self.storm_end {
            return false;
        }
        let end = (retry_at + self.per_request * DEADLINE_FACTOR).min(self.storm_end);
        let mut fast = self.fast();
        *fast = end.max(*fast);
        true
    }
}

/// Runs one request with the per-request timeout and the retry policy.
pub(crate) async fn with_retries<T, F, Fut>(
    target: &Target<'_>,
    budget: &Budget,
    mut attempt: F,
) -> Result<T, VaultFailure>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Refusal>>,
{
    let timeout_ms = u64::try_from(budget.per_request.as_millis()).unwrap_or(u64::MAX);
    let mut errors = 0;
    let mut limited = 0;
    loop {
        let outcome = {
            // Once Vault has said 429, one request at a time.
            let _turn = if budget.limited.load(Ordering::Relaxed) {
                Some(budget.turn.lock().await)
            } else {
                None
            };
            tokio::time::timeout(budget.per_request, attempt()).await
        };
        let retry_after = match outcome {
            Ok(Ok(value)) => return Ok(value),
            // Once Vault has answered 429 it is alive and loaded: a slow answer is more of the
            // same, not a dead server, and waits like a 429 without `Retry-After`.
            Err(_) if budget.limited.load(Ordering::Relaxed) => None,
            Err(_) => return Err(failure::timeout(target, timeout_ms)),
            Ok(Err(refusal)) => {
                let failure = classify(&refusal.error, target);
                if failure.status != Some(429) {
                    if !failure::retryable(&failure) || errors >= MAX_RETRIES {
                        return Err(failure);
                    }
                    tokio::time::sleep(backoff(errors)).await;
                    errors += 1;
                    continue;
                }
                Some(refusal.retry_after)
            }
        };
        let wait =
            retry_after.flatten().unwrap_or_default() + full_jitter(limited, RATE_LIMIT_BASE_MS);
        limited += 1;
        if !budget.rate_limited(wait) {
            return Err(match retry_after {
                Some(asked) => rate_limited(target, budget, limited, asked),
                None => failure::timeout(target, timeout_ms),
            });
        }
        tokio::time::sleep(wait).await;
    }
}

fn rate_limited(
    target: &Target<'_>,
    budget: &Budget,
    answers: u32,
    retry_after: Option<Duration>,
) -> VaultFailure {
    let asked = match retry_after {
        Some(wait) => format!("; the last one asked to retry after {} s", wait.as_secs()),
        None => String::new(),
    };
    let (addr, api_path, deadline_ms) = (target.addr, target.api_path, budget.deadline_ms);
    let message = format!(
        "vault at `{addr}` answered `{api_path}` with HTTP 429 (rate limited) {answers} \
         times{asked}; gave up at the deadline of {deadline_ms} ms (DBSTACK_VAULT_DEADLINE)"
    );
    failure::failure(kind::RATE_LIMITED, target.source, Some(429), message)
}

/// Exponential backoff with jitter for connection errors and 5xx: 50–100 % of
/// `BACKOFF_BASE_MS * 2^tries`.
pub(crate) fn backoff(tries: u32) -> Duration {
    let full = BACKOFF_BASE_MS.saturating_mul(1u64 << tries.min(10));
    Duration::from_millis(full / 2 + random_below(full / 2 + 1))
}

/// Full jitter: uniform in `0..=min(RATE_LIMIT_CAP_MS, base * 2^tries)` milliseconds.
pub(crate) fn full_jitter(tries: u32, base_ms: u64) -> Duration {
    let window = base_ms
        .saturating_mul(1u64 << tries.min(20))
        .min(RATE_LIMIT_CAP_MS);
    Duration::from_millis(random_below(window + 1))
}

/// A random number below `n` (`n > 0`), from the standard library's per-process random keys.
fn random_below(n: u64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(Instant::now().elapsed().as_nanos());
    hasher.finish() % n.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_jittered_within_bounds() {
        for tries in 0..4 {
            let full = BACKOFF_BASE_MS << tries;
            for _ in 0..20 {
                let ms = backoff(tries).as_millis() as u64;
                assert!(
                    ms >= full / 2 && ms <= full,
                    "{ms} outside {}..={full}",
                    full / 2
                );
            }
        }
    }

    #[test]
    fn full_jitter_spans_the_window_and_stops_at_the_cap() {
        for tries in 0..3 {
            let window = RATE_LIMIT_BASE_MS << tries;
            let samples: Vec<u64> = (0..200)
                .map(|_| full_jitter(tries, RATE_LIMIT_BASE_MS).as_millis() as u64)
                .collect();
            assert!(samples.iter().all(|&ms| ms <= window), "{samples:?}");
            // Full jitter: both halves of the window are used.
            assert!(samples.iter().any(|&ms| ms < window / 2), "{samples:?}");
            assert!(samples.iter().any(|&ms| ms > window / 2), "{samples:?}");
        }
        assert!(full_jitter(40, RATE_LIMIT_BASE_MS) <= Duration::from_millis(RATE_LIMIT_CAP_MS));
    }

    #[test]
    fn a_429_extends_the_fast_deadline_up_to_the_storm_deadline() {
        let settings = VaultSettings {
            addr: "http://127.0.0.1:1".into(),
            addr_source: "VAULT_ADDR".into(),
            auth: dbstack_core::vault::AuthMethod::Token,
            namespace: None,
            k8s_role: None,
            k8s_mount: "kubernetes".into(),
            k8s_token_path: String::new(),
            role_id: None,
            approle_mount: "approle".into(),
            cacert: None,
            skip_verify: false,
            timeout_ms: 100,
            deadline_ms: 5_000,
        };
        let budget = Budget::new(&settings);
        let first = budget.fast_end();
        assert!(first <= Instant::now() + Duration::from_millis(300));
        assert!(budget.rate_limited(Duration::from_secs(2)));
        assert!(budget.fast_end() >= first + Duration::from_secs(2));
        // A retry that would start after the storm deadline is refused.
        assert!(!budget.rate_limited(Duration::from_secs(6)));
        assert!(budget.fast_end() <= budget.storm_end);
    }
}
