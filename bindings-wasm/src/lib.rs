//! WASM bindings: filled in by the WASM issue.
