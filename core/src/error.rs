//! Errors of the core, and the structured diagnostic record every binding shows.
//!
//! Messages are lowercase, name where the bad value came from, and never contain a secret.

use serde::{Deserialize, Serialize};

use crate::url::UrlError;
use crate::vault::VaultFailure;

/// Exit code: bad input or configuration.
pub const EXIT_CONFIG: i32 = 2;
/// Exit code: Vault unavailable or denied where the profile forbids fallback.
pub const EXIT_VAULT: i32 = 3;

/// Why a resolution (or a plan) could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ResolveError {
    /// A variable has a value that cannot be used.
    #[error("invalid value in `{name}`: {reason}")]
    InvalidVariable { name: String, reason: String },
    /// A URL in a variable could not be parsed.
    #[error("invalid URL in `{name}`: {error}")]
    InvalidUrl { name: String, error: UrlError },
    /// The stack file is not valid TOML or not a valid stack.
    #[error("invalid stack file {file}:{line}:{column}: {message}")]
    InvalidStack {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// An override key is not a known setting.
    #[error("invalid override `{key}`: {reason}")]
    InvalidOverride { key: String, reason: String },
    /// The profile forbids fallback and Vault failed.
    #[error("vault unavailable in the {profile} profile (no fallback): {}", .failure.message)]
    VaultRequired {
        profile: String,
        failure: VaultFailure,
    },
}

impl ResolveError {
    /// The documented process exit code.
    pub fn exit_code(&self) -> i32 {
        match self {
            ResolveError::VaultRequired { .. } => EXIT_VAULT,
            _ => EXIT_CONFIG,
        }
    }

    /// A stable machine-readable kind.
    pub fn kind(&self) -> &'static str {
        match self {
            ResolveError::InvalidVariable { .. } => "invalid_variable",
            ResolveError::InvalidUrl { .. } => "invalid_url",
            ResolveError::InvalidStack { .. } => "invalid_stack",
            ResolveError::InvalidOverride { .. } => "invalid_override",
            ResolveError::VaultRequired { .. } => "vault_required",
        }
    }

    /// Where the bad value came from: a variable, `file:line:column`, a Vault path.
    pub fn source_name(&self) -> String {
        match self {
            ResolveError::InvalidVariable { name, .. } | ResolveError::InvalidUrl { name, .. } => {
                name.clone()
            }
            ResolveError::InvalidStack {
                file, line, column, ..
            } => format!("{file}:{line}:{column}"),
            ResolveError::InvalidOverride { key, .. } => format!("--set {key}"),
            ResolveError::VaultRequired { failure, .. } => failure.source.clone(),
        }
    }

    pub fn to_diagnostic(&self) -> Diagnostic {
        Diagnostic {
            kind: self.kind().to_owned(),
            message: self.to_string(),
            source: self.source_name(),
            exit_code: self.exit_code(),
        }
    }
}

/// One error as a record: what the CLI prints, the browser shows and a Python exception carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub kind: String,
    pub message: String,
    pub source: String,
    pub exit_code: i32,
}
