//! Errors of the core, and the structured diagnostic record every binding shows.
//!
//! Messages are lowercase, name where the bad value came from, and never contain a secret.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::resolution::object;
use crate::url::UrlError;
use crate::vault::VaultFailure;

/// Exit code: bad input or configuration.
pub const EXIT_CONFIG: i32 = 2;
/// Exit code: Vault unavailable or denied where the profile forbids fallback.
pub const EXIT_VAULT: i32 = 3;

/// Why a resolution (or a plan) could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// A variable has a value that cannot be used.
    #[error("invalid value in `{name}`: {reason}")]
    InvalidVariable {
        /// The variable's name.
        name: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A URL in a variable could not be parsed.
    #[error("invalid URL in `{name}`: {error}")]
    InvalidUrl {
        /// The variable's name.
        name: String,
        /// What is wrong with the URL.
        error: UrlError,
    },
    /// The stack file is not valid TOML or not a valid stack.
    #[error("invalid stack file {file}:{line}:{column}: {message}")]
    InvalidStack {
        /// The stack file's name.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// An override key is not a known setting.
    #[error("invalid override `{key}`: {reason}")]
    InvalidOverride {
        /// The override's key.
        key: String,
        /// Why it is invalid.
        reason: String,
    },
    /// The profile forbids fallback and Vault failed.
    #[error("vault unavailable in the {profile} profile (no fallback): {}", .failure.message)]
    VaultRequired {
        /// The profile that requires Vault.
        profile: String,
        /// Why Vault gave no answer.
        failure: VaultFailure,
    },
}

impl ResolveError {
    /// The documented process exit code.
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::VaultRequired { .. } => EXIT_VAULT,
            _ => EXIT_CONFIG,
        }
    }

    /// Where the bad value came from: a variable, `file:line:column`, a Vault path.
    pub fn source_name(&self) -> String {
        match self {
            Self::InvalidVariable { name, .. } | Self::InvalidUrl { name, .. } => name.clone(),
            Self::InvalidStack {
                file, line, column, ..
            } => format!("{file}:{line}:{column}"),
            Self::InvalidOverride { key, .. } => format!("--set {key}"),
            Self::VaultRequired { failure, .. } => failure.source.clone(),
        }
    }

    /// The error as a [`Diagnostic`] record.
    pub fn to_diagnostic(&self) -> Diagnostic {
        Diagnostic {
            kind: match self {
                Self::InvalidVariable { .. } => DiagnosticKind::InvalidVariable,
                Self::InvalidUrl { .. } => DiagnosticKind::InvalidUrl,
                Self::InvalidStack { .. } => DiagnosticKind::InvalidStack,
                Self::InvalidOverride { .. } => DiagnosticKind::InvalidOverride,
                Self::VaultRequired { .. } => DiagnosticKind::VaultRequired,
            },
            message: self.to_string(),
            source: self.source_name(),
            exit_code: self.exit_code(),
        }
    }
}

/// What kind of error a [`Diagnostic`] reports (`invalid_variable` in the document).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DiagnosticKind {
    /// A variable has a value that cannot be used.
    InvalidVariable,
    /// A URL in a variable could not be parsed.
    InvalidUrl,
    /// The stack file cannot be read or is not a valid stack.
    InvalidStack,
    /// An env file (`--env-file`, `env_file=`) cannot be read or parsed (runtime only).
    InvalidEnvFile,
    /// An override key is not a known setting, or its value does not fit.
    InvalidOverride,
    /// The profile forbids fallback and Vault failed.
    VaultRequired,
    /// A binding's call is not JSON or not of the documented shape.
    InvalidCall,
}

impl DiagnosticKind {
    /// The kind as the document writes it (`invalid_variable`).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DiagnosticKind::InvalidVariable => "invalid_variable",
            DiagnosticKind::InvalidUrl => "invalid_url",
            DiagnosticKind::InvalidStack => "invalid_stack",
            DiagnosticKind::InvalidEnvFile => "invalid_env_file",
            DiagnosticKind::InvalidOverride => "invalid_override",
            DiagnosticKind::VaultRequired => "vault_required",
            DiagnosticKind::InvalidCall => "invalid_call",
        }
    }
}

/// One error as a record: what the CLI prints, the browser shows and a Python exception carries.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Diagnostic {
    /// What kind of error.
    pub kind: DiagnosticKind,
    /// The message (never a secret).
    pub message: String,
    /// The variable, file or Vault path it comes from.
    pub source: String,
    /// The process exit code for it.
    pub exit_code: i32,
}

impl Diagnostic {
    /// `{"kind", "message", "source", "exit_code"}`.
    pub(crate) fn to_json(&self) -> Value {
        object([
            ("kind", self.kind.as_str().into()),
            ("message", self.message.as_str().into()),
            ("source", self.source.as_str().into()),
            ("exit_code", self.exit_code.into()),
        ])
    }
}

serialize_via_to_json!(Diagnostic);
