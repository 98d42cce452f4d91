//! JSON Schema: in progress.
