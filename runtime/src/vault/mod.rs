//! Performs the core's Vault plan: authenticate once, then every read concurrently.
//!
//! Every request has the plan's per-request timeout (`timeout_ms`). The retry policy
//! ([`retry`]): a 429 is retried (after `Retry-After`, else with full-jitter exponential
//! backoff) until the storm deadline (`deadline_ms`, `DBSTACK_VAULT_DEADLINE`); connection
//! errors and 5xx a bounded number of times; never other 4xx, never a timeout. Without a 429
//! the whole exchange has a deadline of [`DEADLINE_FACTOR`] times the per-request timeout.
//! Failures come back as a [`VaultFailure`] record naming the address or path and the HTTP
//! status, never a secret.

pub mod admin;
mod auth;
mod client;
pub mod failure;
pub mod keeper;
mod read;
mod retry;

use std::collections::BTreeMap;
use std::sync::Arc;

use dbstack_core::vault::{VaultAnswers, VaultFailure, VaultPlan, VaultStatus};
use vaultrs::client::Client as _;

use failure::kind;
pub(crate) use retry::{with_retries, Budget};
pub use retry::{
    BACKOFF_BASE_MS, DEADLINE_FACTOR, MAX_RETRIES, RATE_LIMIT_BASE_MS, RATE_LIMIT_CAP_MS,
};

/// Performs every read of `plan` (auth first, then the reads concurrently) and blocks until
/// done. `env` supplies the secrets the plan leaves out (`VAULT_TOKEN`, `VAULT_SECRET_ID`,
/// `HOME` for `~/.vault-token`). Safe to call from inside a tokio runtime (it then runs on a
/// helper thread).
pub fn perform(plan: &VaultPlan, env: &BTreeMap<String, String>) -> VaultAnswers {
    perform_session(plan, env).0
}

/// [`perform`], also returning the login (token and its TTL) for the credential keeper.
pub(crate) fn perform_session(
    plan: &VaultPlan,
    env: &BTreeMap<String, String>,
) -> (VaultAnswers, Option<auth::Login>) {
    if plan.settings.is_none() {
        return (VaultAnswers::default(), None);
    }
    let run = || match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(perform_session_async(plan, env)),
        Err(e) => (
            failed(
                failure::failure(
                    kind::CONFIG,
                    "tokio",
                    None,
                    format!("cannot start the async runtime: {e}"),
                ),
                Vec::new(),
            ),
            None,
        ),
    };
    if tokio::runtime::Handle::try_current().is_ok() {
        std::thread::scope(|s| {
            s.spawn(run).join().unwrap_or_else(|_| {
                (
                    failed(
                        failure::failure(kind::CONFIG, "vault", None, "the vault thread failed"),
                        Vec::new(),
                    ),
                    None,
                )
            })
        })
    } else {
        run()
    }
}

/// The async form of [`perform`].
pub async fn perform_async(plan: &VaultPlan, env: &BTreeMap<String, String>) -> VaultAnswers {
    perform_session_async(plan, env).await.0
}

async fn perform_session_async(
    plan: &VaultPlan,
    env: &BTreeMap<String, String>,
) -> (VaultAnswers, Option<auth::Login>) {
    let Some(settings) = plan.settings.as_ref() else {
        return (VaultAnswers::default(), None);
    };
    let mut warnings = Vec::new();
    if settings.skip_verify {
        warnings.push(format!(
            "VAULT_SKIP_VERIFY is set: the TLS certificate of vault at `{}` is not verified",
            settings.addr
        ));
    }
    let budget = Arc::new(Budget::new(settings));
    let work = exchange(plan, env, &budget);
    tokio::pin!(work);
    // The fail-fast deadline moves while Vault answers 429; wait for whichever comes first.
    let outcome = loop {
        let end = budget.fast_end();
        tokio::select! {
            outcome = &mut work => break Some(outcome),
            () = tokio::time::sleep_until(end.into()) => {
                if std::time::Instant::now() >= budget.fast_end() {
                    break None;
                }
            }
        }
    };
    match outcome {
        Some(Ok((results, login))) => (
            VaultAnswers {
                status: VaultStatus::Ok,
                auth: Some(settings.auth),
                results,
                warnings,
            },
            Some(login),
        ),
        Some(Err(failure)) => {
            let mut answers = failed(failure, warnings);
            answers.auth = Some(settings.auth);
            (answers, None)
        }
        None => {
            let mut answers = failed(
                failure::failure(
                    kind::TIMEOUT,
                    settings.addr.clone(),
                    None,
                    format!(
                        "vault at `{}` did not finish within the total deadline of {} ms",
                        settings.addr,
                        budget.elapsed().as_millis()
                    ),
                ),
                warnings,
            );
            answers.auth = Some(settings.auth);
            (answers, None)
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
    budget: &Arc<Budget>,
) -> Result<(Results, auth::Login), VaultFailure> {
    let Some(settings) = plan.settings.as_ref() else {
        return Err(failure::failure(
            kind::CONFIG,
            "VAULT_ADDR",
            None,
            "vault is not configured",
        ));
    };
    let mut client = client::build(settings)?;
    let login = auth::login(&mut client, settings, env, budget).await?;
    client.set_token(login.token.expose());
    let client = Arc::new(client);

    let mut tasks = tokio::task::JoinSet::new();
    for (index, read) in plan.reads.iter().enumerate() {
        let client = Arc::clone(&client);
        let budget = Arc::clone(budget);
        let read = read.clone();
        let addr = settings.addr.clone();
        tasks.spawn(async move {
            let answer = read::perform(&client, &addr, &budget, &read).await;
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
    Ok((results, login))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_settings_means_not_contacted() {
        let plan = VaultPlan {
            settings: None,
            reads: Vec::new(),
        };
        assert_eq!(perform(&plan, &BTreeMap::new()), VaultAnswers::default());
    }
}
