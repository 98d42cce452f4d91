//! JSON Schema of the `dbstack.resolution/v1` document (in progress).
pub fn resolution_schema() -> serde_json::Value {
    serde_json::json!({})
}
