//! The whole resolution of a process: gather inputs, plan, perform the plan against Vault
//! (unless offline), resolve. The CLI and the Python package both call [`resolve`].

use std::collections::BTreeMap;

use dbstack_core::error::Diagnostic;
use dbstack_core::vault::{VaultAnswers, VaultPlan};
use dbstack_core::{Inputs, Resolution, ResolveError};

use crate::inputs::{gather, GatherOptions, InputError};

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
}

impl RuntimeError {
    pub fn exit_code(&self) -> i32 {
        match self {
            RuntimeError::Input(e) => e.exit_code(),
            RuntimeError::Resolve(e) => e.exit_code(),
        }
    }

    pub fn to_diagnostic(&self) -> Diagnostic {
        match self {
            RuntimeError::Input(e) => Diagnostic {
                kind: "invalid_stack".into(),
                message: e.to_string(),
                source: e.source_name(),
                exit_code: e.exit_code(),
            },
            RuntimeError::Resolve(e) => e.to_diagnostic(),
        }
    }
}

/// Resolves `env` (normally the process environment) with the real filesystem and Vault.
pub fn resolve(
    mut env: BTreeMap<String, String>,
    options: ResolveOptions,
) -> Result<Resolved, RuntimeError> {
    if let Some(timeout) = &options.vault_timeout {
        env.insert("DBSTACK_VAULT_TIMEOUT".into(), timeout.clone());
    }
    let offline = options.offline;
    let inputs = gather(
        env,
        GatherOptions {
            profile: options.profile,
            stack_file: options.stack_file,
            overrides: options.overrides,
        },
    )?;
    let plan = dbstack_core::plan(&inputs)?;
    let answers = match &plan.settings {
        Some(_) if !offline => crate::vault::perform(&plan, &inputs.env),
        _ => VaultAnswers::default(),
    };
    let resolution = dbstack_core::resolve(&inputs, &answers)?;
    Ok(Resolved {
        inputs,
        plan,
        answers,
        resolution,
    })
}
