//! dbstack-core: the pure resolver.
//!
//! `plan(inputs) -> VaultPlan`, then the runtime performs the plan, then
//! `resolve(inputs, answers) -> Resolution`. No network, filesystem, clock or
//! environment reads happen here, so the same crate runs natively, in Python and in WASM.

pub mod catalog;
pub mod env_vars;
pub mod error;
pub mod ffi;
pub mod infra;
pub mod input;
pub mod render;
pub mod resolution;
pub mod resolve;
pub mod schema;
pub mod secret;
pub mod stack;
pub mod url;
pub mod vault;

pub use error::{Diagnostic, ResolveError};
pub use input::{CallError, Inputs, KubeFacts, ResolveCall, StackSource};
pub use resolution::{Leaf, Resolution, Source, SourceKind, Warning};
pub use resolve::{plan, resolve};
pub use secret::Secret;
pub use vault::{VaultAnswers, VaultPlan};
