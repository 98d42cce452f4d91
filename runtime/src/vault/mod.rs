//! Performs the core's Vault plan: authenticate once, then every read concurrently.
//!
//! Every request has the plan's per-request timeout (`timeout_ms`). The retry policy
//! (`retry.rs`): a 429 is retried (after `Retry-After`, else with full-jitter exponential
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

use dbstack_core::vault::{
    VaultAnswers, VaultFailure, VaultPlan, VaultRead, VaultSettings, VaultStatus,
};
use vaultrs::client::{Client as _, VaultClient};

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
    let run = || match runtime() {
        Ok(rt) => rt.block_on(perform_session_async(plan, env)),
        Err(error) => (failed(error, Vec::new()), None),
    };
    if tokio::runtime::Handle::try_current().is_ok() {
        std::thread::scope(|s| {
            s.spawn(run).join().unwrap_or_else(|_| {
                let error =
                    failure::failure(kind::CONFIG, "vault", None, "the vault thread failed");
                (failed(error, Vec::new()), None)
            })
        })
    } else {
        run()
    }
}

/// A single-threaded tokio runtime to block on.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, VaultFailure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            let message = format!("cannot start the async runtime: {e}");
            failure::failure(kind::CONFIG, "tokio", None, message)
        })
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
    let work = exchange(settings, &plan.reads, env, &budget);
    tokio::pin!(work);
    // The fail-fast deadline moves while Vault answers 429; wait for whichever comes first.
    let outcome = loop {
        let end = budget.fast_end();
        tokio::select! {
            outcome = &mut work => break outcome,
            () = tokio::time::sleep_until(end.into()) => {
                if std::time::Instant::now() >= budget.fast_end() {
                    let message = format!(
                        "vault at `{}` did not finish within the total deadline of {} ms",
                        settings.addr,
                        budget.elapsed().as_millis()
                    );
                    break Err(failure::failure(kind::TIMEOUT, &settings.addr, None, message));
                }
            }
        }
    };
    let (status, results, login) = match outcome {
        Ok((results, login)) => (VaultStatus::Ok, results, Some(login)),
        Err(error) => (VaultStatus::Failed { error }, BTreeMap::new(), None),
    };
    let answers = VaultAnswers {
        status,
        auth: Some(settings.auth),
        results,
        warnings,
    };
    (answers, login)
}

fn failed(error: VaultFailure, warnings: Vec<String>) -> VaultAnswers {
    VaultAnswers {
        status: VaultStatus::Failed { error },
        auth: None,
        results: BTreeMap::new(),
        warnings,
    }
}

/// A client logged in as `settings` say, and the login.
pub(crate) async fn connect(
    settings: &VaultSettings,
    env: &BTreeMap<String, String>,
    budget: &Budget,
) -> Result<(VaultClient, auth::Login), VaultFailure> {
    let mut client = client::build(settings)?;
    let login = auth::login(&mut client, settings, env, budget).await?;
    client.set_token(login.token.expose());
    Ok((client, login))
}

type Results = BTreeMap<String, dbstack_core::vault::VaultResult>;

async fn exchange(
    settings: &VaultSettings,
    reads: &[VaultRead],
    env: &BTreeMap<String, String>,
    budget: &Arc<Budget>,
) -> Result<(Results, auth::Login), VaultFailure> {
    let (client, login) = connect(settings, env, budget).await?;
    let client = Arc::new(client);
    let mut tasks = tokio::task::JoinSet::new();
    for (index, read) in reads.iter().cloned().enumerate() {
        let client = Arc::clone(&client);
        let budget = Arc::clone(budget);
        let addr = settings.addr.clone();
        tasks.spawn(async move {
            let answer = read::perform(&client, &addr, &budget, &read).await;
            (index, read.path, answer)
        });
    }
    let mut answers = Vec::with_capacity(reads.len());
    while let Some(joined) = tasks.join_next().await {
        answers.push(joined.map_err(|e| {
            let message = format!("a vault read task failed: {e}");
            failure::failure(kind::CONFIG, &settings.addr, None, message)
        })?);
    }
    // The first failure in plan order wins, so the report does not depend on timing.
    answers.sort_by_key(|(index, _, _)| *index);
    answers
        .into_iter()
        .map(|(_, path, answer)| Ok((path, answer?)))
        .collect::<Result<_, _>>()
        .map(|results| (results, login))
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
