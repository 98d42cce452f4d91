//! dbstack-core: the pure resolver.
//!
//! `plan(inputs) -> VaultPlan`, then the runtime performs the plan, then
//! `resolve(inputs, answers) -> Resolution`. No network, filesystem, clock or
//! environment reads happen here, so the same crate runs natively, in Python and in WASM.

#![warn(missing_docs)]

/// `Serialize` through the type's `to_json()`: the records the bindings answer with are built as
/// a `Value` in one place per type, so every serializer (the bindings' text, the CLI's `--json`,
/// Python's dicts) writes the same shape, and the WASM module holds one serializer (`Value` to
/// text) instead of one instance per derived type (BENCHMARKS.md, "WASM size steps").
macro_rules! serialize_via_to_json {
    ($($ty:ty),+ $(,)?) => {$(
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serde::Serialize::serialize(&self.to_json(), serializer)
            }
        }
    )+};
}

pub mod bootstrap;
pub mod catalog;
pub mod document;
pub mod env_vars;
mod error;
pub mod ffi;
mod input;
pub mod policy;
pub mod render;
mod resolution;
mod resolve;
mod schema;
mod scrub;
mod secret;
mod small;
mod stack;
pub mod url;
pub mod vault;

pub use error::{Diagnostic, DiagnosticKind, ResolveError, EXIT_CONFIG, EXIT_VAULT};
pub use input::{CallError, Inputs, KubeFacts, ResolveCall, StackSource};
pub use resolution::{Leaf, Resolution, Source, SourceKind, Warning};
pub use resolve::{plan, resolve, vault_reads};
pub use schema::{resolution_schema, SCHEMA_JSON};
pub use scrub::{scrub, MIN_SECRET};
pub use secret::{is_secret_key, Secret, MASK};
pub use stack::Stack;
pub use vault::{VaultAnswers, VaultPlan};
