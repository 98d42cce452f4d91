//! Everything the resolver reads. The runtime gathers these; the core never does I/O.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::vault::VaultAnswers;

/// The inputs of one resolution.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Inputs {
    /// The process environment (or a pasted `.env`).
    pub env: BTreeMap<String, String>,
    /// Facts about the Kubernetes pod that only the filesystem can tell.
    pub kubernetes: KubeFacts,
    /// The stack file, when one is given (`DBSTACK_CONFIG` / `--stack`).
    pub stack: Option<StackSource>,
    /// `--profile` / `profile=`: beats `DBSTACK_PROFILE`.
    pub profile: Option<String>,
    /// Explicit overrides (`--set key=value`): the highest precedence level.
    /// Keys are provenance paths such as `django.DATABASES.default.HOST`.
    pub overrides: BTreeMap<String, String>,
}

/// What the runtime found on the pod's filesystem.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KubeFacts {
    /// The service-account token file exists.
    pub token_present: bool,
    /// Contents of the service-account `namespace` file, when it exists.
    pub namespace_file: Option<String>,
}

/// A stack file: its name (for error messages) and its TOML text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackSource {
    pub name: String,
    pub text: String,
}

/// The JSON boundary of `resolve`: inputs plus the Vault answers the runtime obtained.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResolveCall {
    #[serde(flatten)]
    pub inputs: Inputs,
    /// Answers to the reads of `plan()`. Absent: Vault was not contacted.
    pub vault: VaultAnswers,
    /// Reveal secrets in the rendered document.
    pub reveal: bool,
}
