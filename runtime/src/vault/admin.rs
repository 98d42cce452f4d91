//! `dbstack vault bootstrap`, the I/O half: log in with the administrator's token, read what
//! Vault holds for every step the core planned (`dbstack_core::bootstrap::steps`), ask the
//! core for each difference, and only then, unless it is a dry run, write what differs.
//! Nothing is written when any step cannot be done (a conflicting mount, a missing
//! connection), so a refused run leaves Vault as it was.
//!
//! Mounts and the policy go through vaultrs' typed endpoints; the other objects (auth
//! configuration and roles, database connections and roles) through one generic endpoint
//! executed by the same vaultrs client, because the diff needs the raw answer and vaultrs
//! has no MySQL connection request.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;

use dbstack_core::bootstrap::{Action, BootstrapError, Change, Step, StepKind};
use dbstack_core::vault::{VaultFailure, VaultSettings};
use rustify::enums::RequestMethod;
use serde_json::{json, Map, Value};
use vaultrs::api::sys::requests::EnableEngineRequest;
use vaultrs::client::VaultClient;

use super::client::{Raw, Refusal};
use super::failure::{self, kind, Target};
use super::{client, with_retries, Budget};

/// What a bootstrap run did (or, in a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub changes: Vec<Change>,
    /// The AppRole role id when the auth method is AppRole and the role exists (not a
    /// secret on its own; the secret id is, and bootstrap never creates one).
    pub role_id: Option<String>,
}

/// Why a bootstrap run stopped.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Bootstrap(#[from] BootstrapError),
    #[error("{}", .0.message)]
    Vault(VaultFailure),
}

impl From<VaultFailure> for AdminError {
    fn from(failure: VaultFailure) -> AdminError {
        AdminError::Vault(failure)
    }
}

impl AdminError {
    /// 2 for bad input, a conflict or a write Vault rejected as invalid (HTTP 400); 3 when
    /// Vault is unavailable or denies the token.
    pub fn exit_code(&self) -> i32 {
        match self {
            AdminError::Bootstrap(e) => e.exit_code(),
            AdminError::Vault(f) if f.kind == kind::CONFIG || f.status == Some(400) => {
                dbstack_core::EXIT_CONFIG
            }
            AdminError::Vault(_) => dbstack_core::EXIT_VAULT,
        }
    }

    /// The Vault path, variable or flag the error is about.
    pub fn source_name(&self) -> String {
        match self {
            AdminError::Bootstrap(BootstrapError::Input { source_name, .. }) => source_name.clone(),
            AdminError::Bootstrap(BootstrapError::Conflict { path, .. }) => path.clone(),
            AdminError::Vault(f) => f.source.clone(),
        }
    }
}

/// Runs the bootstrap (blocking; see [`bootstrap_async`]).
pub fn bootstrap(
    settings: &VaultSettings,
    env: &BTreeMap<String, String>,
    steps: &[Step],
    role_id_path: Option<&str>,
    dry_run: bool,
) -> Result<Outcome, AdminError> {
    super::runtime()?.block_on(bootstrap_async(settings, env, steps, role_id_path, dry_run))
}

/// Logs in with the administrator's token (`VAULT_TOKEN`, else `~/.vault-token`; checked
/// with `auth/token/lookup-self`), reads every step's current state, then writes.
pub async fn bootstrap_async(
    settings: &VaultSettings,
    env: &BTreeMap<String, String>,
    steps: &[Step],
    role_id_path: Option<&str>,
    dry_run: bool,
) -> Result<Outcome, AdminError> {
    let budget = Budget::new(settings);
    let (client, _) = super::connect(settings, env, &budget).await?;
    let admin = Admin {
        client: &client,
        settings,
        budget: &budget,
    };

    // Read phase: every difference is known before anything is written.
    let mounts = admin.read("sys/mounts").await?.unwrap_or_default();
    let auths = admin.read("sys/auth").await?.unwrap_or_default();
    let mut created_mounts: Vec<String> = Vec::new();
    let mut changes = Vec::with_capacity(steps.len());
    for step in steps {
        let current = match &step.kind {
            StepKind::Mount { auth, path, .. } => {
                let listing = if *auth { &auths } else { &mounts };
                listing.get(&format!("{path}/")).cloned()
            }
            StepKind::Policy { name, .. } => admin
                .read(&format!("sys/policy/{name}"))
                .await?
                .map(|v| json!({ "rules": v.get("rules").cloned().unwrap_or(Value::Null) })),
            // An object, secret or existing item: nothing yet under a mount this run creates.
            _ if created_mounts
                .iter()
                .any(|c| Some(c.as_str()) == step.parent_mount()) =>
            {
                None
            }
            _ => admin.read(&step.path()).await?.map(Value::Object),
        };
        let action = step.diff(current.as_ref())?;
        if let (StepKind::Mount { auth, path, .. }, Action::Create) = (&step.kind, &action) {
            created_mounts.push(if *auth {
                format!("auth/{path}")
            } else {
                path.clone()
            });
        }
        changes.push(Change {
            path: step.path(),
            what: step.what.clone(),
            action,
        });
    }

    // Write phase.
    let differs = |(_, change): &(&Step, &Change)| !dry_run && change.action != Action::Unchanged;
    for (step, _) in steps.iter().zip(&changes).filter(differs) {
        admin.write_step(step).await?;
    }

    // The AppRole role id, for the operator to hand to the application.
    let created = |path: &str| {
        changes
            .iter()
            .any(|c| c.path == path && c.action == Action::Create)
    };
    let role_id = match role_id_path {
        Some(path) if !dry_run || !created(path.trim_end_matches("/role-id")) => admin
            .read(path)
            .await?
            .and_then(|v| v.get("role_id").and_then(Value::as_str).map(str::to_owned)),
        _ => None,
    };
    Ok(Outcome { changes, role_id })
}

struct Admin<'a> {
    client: &'a VaultClient,
    settings: &'a VaultSettings,
    budget: &'a Budget,
}

impl Admin<'_> {
    /// One request about `path`, with the retry policy.
    async fn call<T, Fut>(
        &self,
        path: &str,
        attempt: impl FnMut() -> Fut,
    ) -> Result<T, VaultFailure>
    where
        Fut: Future<Output = Result<T, Refusal>>,
    {
        let target = Target {
            addr: &self.settings.addr,
            api_path: path,
            source: path,
            auth: false,
        };
        with_retries(&target, self.budget, attempt).await
    }

    /// `GET /v1/<path>`: the answer's `data`; `None` on 404 or an answer without data (an
    /// auth method not configured yet). A GET through vaultrs' client, keeping the envelope
    /// so that "no data" is `None` (vaultrs' `exec_with_result` makes it an error).
    async fn read(&self, path: &str) -> Result<Option<Map<String, Value>>, AdminError> {
        let get = || async {
            let endpoint = Raw {
                method: RequestMethod::GET,
                path: path.to_owned(),
                body: None,
            };
            Ok(client::envelope(&client::exec(self.client, endpoint).await?)?.data)
        };
        match self.call(path, get).await {
            Ok(None) => Ok(None),
            Ok(Some(Value::Object(data))) => Ok(Some(data)),
            Ok(Some(_)) => {
                let addr = &self.settings.addr;
                let message = format!("vault at `{addr}` answered `{path}` without an object");
                Err(failure::failure(kind::INVALID_RESPONSE, path, None, message).into())
            }
            Err(f) if f.status == Some(404) => Ok(None),
            Err(f) => Err(f.into()),
        }
    }

    /// `POST /v1/<path>` with a JSON body.
    async fn write(&self, path: &str, body: Value) -> Result<(), VaultFailure> {
        self.call(path, || async {
            let endpoint = Raw {
                method: RequestMethod::POST,
                path: path.to_owned(),
                body: Some(body.clone()),
            };
            client::exec(self.client, endpoint).await.map(|_| ())
        })
        .await
    }

    async fn write_step(&self, step: &Step) -> Result<(), VaultFailure> {
        let step_path = step.path();
        match &step.kind {
            StepKind::Mount {
                auth,
                path,
                engine,
                options,
            } => {
                let options: HashMap<String, String> = options
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect();
                self.call(&step_path, || async {
                    let done = if *auth {
                        vaultrs::sys::auth::enable(self.client, path, engine, None).await
                    } else {
                        let mut opts = EnableEngineRequest::builder();
                        if !options.is_empty() {
                            opts.options(options.clone());
                        }
                        vaultrs::sys::mount::enable(self.client, path, engine, Some(&mut opts))
                            .await
                    };
                    Ok(done?)
                })
                .await
            }
            StepKind::Policy { name, text } => {
                let set =
                    || async { Ok(vaultrs::sys::policy::set(self.client, name, text).await?) };
                self.call(&step_path, set).await
            }
            StepKind::Object { path, body, .. } => {
                self.write(path, Value::Object(body.clone())).await
            }
            StepKind::Secret { data, .. } => self.write(&step_path, json!({ "data": data })).await,
            // Never written: its diff is `Unchanged` or an error.
            StepKind::Existing { .. } => Ok(()),
        }
    }
}
