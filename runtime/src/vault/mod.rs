//! Performs the core's Vault plan: authenticate once, then every read concurrently.
//!
//! Every request has the plan's per-request timeout (`timeout_ms`); connection errors, 5xx
//! and 429 are retried a bounded number of times with jittered exponential backoff (never
//! other 4xx, never a timeout); the whole exchange has a total deadline of
//! [`DEADLINE_FACTOR`] times the per-request timeout. Failures come back as a
//! [`VaultFailure`] record naming the address or path and the HTTP status, never a secret.

mod auth;
mod client;
pub mod failure;
mod read;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use dbstack_core::vault::{VaultAnswers, VaultFailure, VaultPlan, VaultStatus};
use vaultrs::client::Client as _;

use failure::{classify, kind, Target};

/// Retries after the first attempt, for connection errors, 5xx and 429.
pub const MAX_RETRIES: u32 = 2;
/// The first backoff; doubled on each retry, then jittered to 50–100 %.
pub const BACKOFF_BASE_MS: u64 = 50;
/// The total deadline is this many per-request timeouts.
pub const DEADLINE_FACTOR: u32 = 3;

/// Performs every read of `plan` (auth first, then the reads concurrently) and blocks until
/// done. `env` supplies the secrets the plan leaves out (`VAULT_TOKEN`, `VAULT_SECRET_ID`,
/// `HOME` for `~/.vault-token`). Safe to call from inside a tokio runtime (it then runs on a
/// helper thread).
pub fn perform(plan: &VaultPlan, env: &BTreeMap<String, String>) -> VaultAnswers {
    if plan.settings.is_none() {
        return VaultAnswers::default();
    }
    let run = || match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(perform_async(plan, env)),
        Err(e) => failed(
            failure::failure(
                kind::CONFIG,
                "tokio",
                None,
                format!("cannot start the async runtime: {e}"),
            ),
            Vec::new(),
        ),
    };
    if tokio::runtime::Handle::try_current().is_ok() {
        std::thread::scope(|s| {
            s.spawn(run).join().unwrap_or_else(|_| {
                failed(
                    failure::failure(kind::CONFIG, "vault", None, "the vault thread failed"),
                    Vec::new(),
                )
            })
        })
    } else {
        run()
    }
}

/// The async form of [`perform`].
pub async fn perform_async(plan: &VaultPlan, env: &BTreeMap<String, String>) -> VaultAnswers {
    let Some(settings) = plan.settings.as_ref() else {
        return VaultAnswers::default();
    };
    let mut warnings = Vec::new();
    if settings.skip_verify {
        warnings.push(format!(
            "VAULT_SKIP_VERIFY is set: the TLS certificate of vault at `{}` is not verified",
            settings.addr
        ));
    }
    let per_request = Duration::from_millis(settings.timeout_ms.max(1));
    let deadline = per_request * DEADLINE_FACTOR;
    match tokio::time::timeout(deadline, exchange(plan, env)).await {
        Ok(Ok(results)) => VaultAnswers {
            status: VaultStatus::Ok,
            auth: Some(settings.auth),
            results,
            warnings,
        },
        Ok(Err(failure)) => {
            let mut answers = failed(failure, warnings);
            answers.auth = Some(settings.auth);
            answers
        }
        Err(_) => {
            let mut answers = failed(
                failure::failure(
                    kind::TIMEOUT,
                    settings.addr.clone(),
                    None,
                    format!(
                        "vault at `{}` did not finish within the total deadline of {} ms",
                        settings.addr,
                        deadline.as_millis()
                    ),
                ),
                warnings,
            );
            answers.auth = Some(settings.auth);
            answers
        }
    }
}

fn failed(error: VaultFailure, warnings: Vec<String>) -> VaultAnswers {
    VaultAnswers {
        status: VaultStatus::Failed { error },
        auth: None,
        results: BTreeMap::new(),
        warnings,
    }
}

type Results = BTreeMap<String, dbstack_core::vault::VaultResult>;

async fn exchange(
    plan: &VaultPlan,
    env: &BTreeMap<String, String>,
) -> Result<Results, VaultFailure> {
    let Some(settings) = plan.settings.as_ref() else {
        return Ok(BTreeMap::new());
    };
    let mut client = client::build(settings)?;
    let token = auth::login(&mut client, settings, env).await?;
    client.set_token(&token);
    let client = Arc::new(client);

    let mut tasks = tokio::task::JoinSet::new();
    for (index, read) in plan.reads.iter().enumerate() {
        let client = Arc::clone(&client);
        let read = read.clone();
        let addr = settings.addr.clone();
        let timeout_ms = settings.timeout_ms;
        tasks.spawn(async move {
            let answer = read::perform(&client, &addr, timeout_ms, &read).await;
            (index, read.path, answer)
        });
    }
    let mut answers = Vec::with_capacity(plan.reads.len());
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(answer) => answers.push(answer),
            Err(e) => {
                return Err(failure::failure(
                    kind::CONFIG,
                    settings.addr.clone(),
                    None,
                    format!("a vault read task failed: {e}"),
                ))
            }
        }
    }
    // The first failure in plan order wins, so the report does not depend on timing.
    answers.sort_by_key(|(index, _, _)| *index);
    let mut results = BTreeMap::new();
    for (_, path, answer) in answers {
        results.insert(path, answer?);
    }
    Ok(results)
}

/// Runs one request with the per-request timeout and the retry policy.
pub(crate) async fn with_retries<T, F, Fut>(
    target: &Target<'_>,
    timeout_ms: u64,
    mut attempt: F,
) -> Result<T, VaultFailure>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, vaultrs::error::ClientError>>,
{
    let per_request = Duration::from_millis(timeout_ms.max(1));
    let mut tries = 0;
    loop {
        let outcome = match tokio::time::timeout(per_request, attempt()).await {
            Err(_) => return Err(failure::timeout(target, timeout_ms)),
            Ok(outcome) => outcome,
        };
        match outcome {
            Ok(value) => return Ok(value),
            Err(err) => {
                let classified = classify(&err, target);
                if !classified.retryable || tries >= MAX_RETRIES {
                    return Err(classified.failure);
                }
                tokio::time::sleep(backoff(tries)).await;
                tries += 1;
            }
        }
    }
}

/// Exponential backoff with jitter: 50–100 % of `BACKOFF_BASE_MS * 2^tries`.
fn backoff(tries: u32) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let full = BACKOFF_BASE_MS.saturating_mul(1u64 << tries.min(10));
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(tries);
    let jitter = hasher.finish() % (full / 2 + 1);
    Duration::from_millis(full / 2 + jitter)
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
    fn no_settings_means_not_contacted() {
        let plan = VaultPlan {
            settings: None,
            reads: Vec::new(),
        };
        assert_eq!(perform(&plan, &BTreeMap::new()), VaultAnswers::default());
    }
}
