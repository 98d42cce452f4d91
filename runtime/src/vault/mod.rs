//! Performs the core's Vault plan. Not implemented yet: Vault is treated as not contacted.

use std::collections::BTreeMap;

use dbstack_core::vault::{VaultAnswers, VaultPlan};

/// Performs every read of `plan` (auth first, then the reads concurrently).
/// `env` supplies the secrets the plan leaves out (`VAULT_TOKEN`, `VAULT_SECRET_ID`, `HOME`).
pub fn perform(_plan: &VaultPlan, _env: &BTreeMap<String, String>) -> VaultAnswers {
    VaultAnswers::default()
}
