//! plan() and resolve(): in progress.
use crate::{
    error::ResolveError,
    input::Inputs,
    resolution::Resolution,
    vault::{VaultAnswers, VaultPlan},
};

pub fn plan(_inputs: &Inputs) -> Result<VaultPlan, ResolveError> {
    Ok(VaultPlan {
        settings: None,
        reads: Vec::new(),
    })
}

pub fn resolve(_inputs: &Inputs, _vault: &VaultAnswers) -> Result<Resolution, ResolveError> {
    Ok(Resolution {
        leaves: Vec::new(),
        warnings: Vec::new(),
    })
}
