//! dbstack-runtime: the I/O shell around the pure core.
//!
//! It gathers the inputs (process environment, Kubernetes files, stack file), performs
//! the core's Vault plan, and probes live connections. The Kubernetes/Terraform checker is the
//! `dbstack-infra` crate.

pub mod fs;
pub mod inputs;
pub mod resolve;
pub mod vault;
pub mod verify;
