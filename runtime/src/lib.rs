//! dbstack-runtime: the I/O shell around the pure core.
//!
//! It gathers the inputs (process environment, Kubernetes files, stack file), performs
//! the core's Vault plan, probes live connections and reads infrastructure files.

pub mod infra;
pub mod inputs;
pub mod resolve;
pub mod vault;
pub mod verify;
