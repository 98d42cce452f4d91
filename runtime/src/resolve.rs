//! The whole resolution of a process: gather inputs, plan, perform the plan against Vault
//! (unless offline), resolve. The CLI and the Python package both call [`resolve`].

use std::collections::BTreeMap;
use std::time::Instant;

use dbstack_core::vault::{VaultAnswers, VaultFailure, VaultPlan};
use dbstack_core::Diagnostic;
use dbstack_core::{Inputs, Resolution, ResolveError};

use crate::inputs::{gather, Environment, GatherOptions, InputError};
use crate::vault::keeper::{Keeper, KeeperOptions, LogSink};

/// What the caller sets on top of the environment.
#[derive(Debug, Clone, Default)]
pub struct ResolveOptions {
    /// `--profile`: beats `DBSTACK_PROFILE`.
    pub profile: Option<String>,
    /// `--stack`: beats `DBSTACK_CONFIG`.
    pub stack_file: Option<String>,
    /// `--set key=value`.
    pub overrides: BTreeMap<String, String>,
    /// Do not contact Vault.
    pub offline: bool,
    /// `--vault-timeout`: beats `DBSTACK_VAULT_TIMEOUT`.
    pub vault_timeout: Option<String>,
    /// `--env-file` / `env_file=`: env files, in order (a later one beats an earlier one; the
    /// environment beats them all).
    pub env_files: Vec<String>,
}

/// A finished resolution with everything that produced it.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub inputs: Inputs,
    pub plan: VaultPlan,
    pub answers: VaultAnswers,
    pub resolution: Resolution,
}

/// Why a resolution failed.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// A resolution error about a variable read from a file: the diagnostic names the file.
    #[error("{}", .0.message)]
    Located(Diagnostic),
}

impl RuntimeError {
    pub fn exit_code(&self) -> i32 {
        match self {
            RuntimeError::Input(e) => e.exit_code(),
            RuntimeError::Resolve(e) => e.exit_code(),
            RuntimeError::Located(d) => d.exit_code,
        }
    }

    pub fn to_diagnostic(&self) -> Diagnostic {
        match self {
            RuntimeError::Input(e) => Diagnostic {
                kind: e.kind(),
                message: e.to_string(),
                source: e.source_name(),
                exit_code: e.exit_code(),
            },
            RuntimeError::Resolve(e) => e.to_diagnostic(),
            RuntimeError::Located(d) => d.clone(),
        }
    }
}

/// Resolves `env` (normally the process environment) with the real filesystem and Vault.
pub fn resolve(
    env: BTreeMap<String, String>,
    options: ResolveOptions,
) -> Result<Resolved, RuntimeError> {
    resolve_with(env, options, None).map(|(resolved, _)| resolved)
}

/// [`resolve`], plus a credential keeper (not started) when Vault answered: it keeps the
/// leases and the token of this resolution valid and revokes the leases at `stop`.
/// `DBSTACK_KV_REFRESH` and `DBSTACK_KEEP_LEASES` are checked before Vault is asked.
pub fn resolve_kept(
    env: BTreeMap<String, String>,
    options: ResolveOptions,
    log: LogSink,
) -> Result<(Resolved, Option<Keeper>), RuntimeError> {
    let keeper_options = KeeperOptions::from_env(&env).map_err(invalid_variable)?;
    resolve_with(env, options, Some((keeper_options, log)))
}

/// A keeper setting that cannot be used, as the resolution error about its variable.
fn invalid_variable(f: VaultFailure) -> ResolveError {
    ResolveError::InvalidVariable {
        name: f.source,
        reason: f.message,
    }
}

fn resolve_with(
    mut env: BTreeMap<String, String>,
    options: ResolveOptions,
    keep: Option<(KeeperOptions, LogSink)>,
) -> Result<(Resolved, Option<Keeper>), RuntimeError> {
    if let Some(timeout) = &options.vault_timeout {
        env.insert("DBSTACK_VAULT_TIMEOUT".into(), timeout.clone());
    }
    let environment = Environment::gather(env, &options.env_files)?;
    let located = |e: ResolveError| {
        let mut diagnostic = e.to_diagnostic();
        environment.locate(&mut diagnostic);
        RuntimeError::Located(diagnostic)
    };
    let inputs = gather(
        environment.vars.clone(),
        GatherOptions {
            profile: options.profile,
            stack_file: options.stack_file,
            overrides: options.overrides,
        },
    )?;
    let plan = dbstack_core::plan(&inputs).map_err(located)?;
    // Before the exchange: the leases' clocks start no later than Vault's.
    let origin = Instant::now();
    let (answers, login) = match &plan.settings {
        Some(_) if !options.offline => crate::vault::perform_session(&plan, &inputs.env),
        _ => (VaultAnswers::default(), None),
    };
    let mut resolution = dbstack_core::resolve(&inputs, &answers).map_err(located)?;
    environment.relabel(&mut resolution);
    let keeper = match (keep, login) {
        (Some((keeper_options, log)), Some(login)) => Keeper::new(
            origin,
            inputs.clone(),
            plan.clone(),
            answers.clone(),
            resolution.clone(),
            login,
            keeper_options,
            log,
        )
        .map_err(invalid_variable)?,
        _ => None,
    };
    Ok((
        Resolved {
            inputs,
            plan,
            answers,
            resolution,
        },
        keeper,
    ))
}
