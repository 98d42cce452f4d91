//! The JSON Schema (draft 2020-12) of the `dbstack.resolution/v1` document.
//!
//! The schema is a JSON file (`schema.json`) included as text: building it with `json!`
//! costs about 18 KB of code in the WASM module, the text about 9 KB of data.

use serde_json::Value;

/// The schema as JSON text (pretty-printed, as `dbstack schema` prints it).
pub const SCHEMA_JSON: &str = include_str!("schema.json");

/// The schema, with `$id` naming the document format.
pub fn resolution_schema() -> Value {
    // `schema.json` is checked to parse by the tests below; `Null` is unreachable.
    serde_json::from_str(SCHEMA_JSON).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolution::SCHEMA_ID;

    #[test]
    fn schema_json_parses_and_names_the_document_format() {
        let schema: Value = serde_json::from_str(SCHEMA_JSON).unwrap();
        assert_eq!(schema, resolution_schema());
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        assert_eq!(
            schema["$id"],
            format!("https://dbstack.dev/schema/{SCHEMA_ID}")
        );
        assert_eq!(schema["properties"]["schema"]["const"], SCHEMA_ID);
    }

    #[test]
    fn schema_requires_every_top_level_key_of_the_document() {
        let schema = resolution_schema();
        let required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(
            required,
            [
                "schema",
                "profile",
                "environment",
                "vault",
                "fallback",
                "services",
                "django",
                "routing",
                "ragflow",
                "rocketmq",
                "provenance",
                "warnings"
            ]
        );
        let properties = schema["properties"].as_object().unwrap();
        for key in &required {
            assert!(properties.contains_key(*key), "no property `{key}`");
        }
        // Key order is the file's (serde_json `preserve_order`), as `json!` built it.
        assert_eq!(properties.keys().next().map(String::as_str), Some("schema"));
        assert_eq!(
            schema["properties"]["django"]["properties"]["DATABASES"]["additionalProperties"]
                ["required"][0],
            "NAME"
        );
    }
}
