//! The JSON Schema (draft 2020-12) of the `dbstack.resolution/v1` document.
//!
//! The schema is a JSON file (`schema.json`, pretty-printed for people) included as text and
//! compacted at compile time: building it with `json!` would cost about 18 KB of code in the
//! WASM module; the compact text is about 5.5 KB of data instead of 9 KB.

use serde_json::Value;

/// `schema.json` as written.
const PRETTY: &[u8] = include_bytes!("schema.json");

/// The schema as compact JSON text (`dbstack schema` pretty-prints it).
pub const SCHEMA_JSON: &str = match std::str::from_utf8(&COMPACT) {
    Ok(text) => text,
    // Unreachable: whitespace outside strings is ASCII, so the rest stays UTF-8.
    Err(_) => "",
};

const COMPACT_LEN: usize = compact_len(PRETTY);
const COMPACT: [u8; COMPACT_LEN] = compact(PRETTY);

/// Whether byte `i` of a JSON text is kept: everything but whitespace between tokens.
/// `state` is (inside a string, the previous byte was a backslash in it).
const fn keep(byte: u8, state: &mut (bool, bool)) -> bool {
    let (in_string, escaped) = *state;
    if in_string {
        *state = (byte != b'"' || escaped, byte == b'\\' && !escaped);
        return true;
    }
    if byte == b'"' {
        *state = (true, false);
    }
    !matches!(byte, b' ' | b'\n' | b'\r' | b'\t')
}

// Const evaluation: an index out of bounds is a compile error, not a panic at run time.
#[allow(clippy::indexing_slicing)]
const fn compact_len(json: &[u8]) -> usize {
    let (mut i, mut len, mut state) = (0, 0, (false, false));
    while i < json.len() {
        if keep(json[i], &mut state) {
            len += 1;
        }
        i += 1;
    }
    len
}

#[allow(clippy::indexing_slicing)]
const fn compact<const N: usize>(json: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    let (mut i, mut o, mut state) = (0, 0, (false, false));
    while i < json.len() {
        if keep(json[i], &mut state) {
            out[o] = json[i];
            o += 1;
        }
        i += 1;
    }
    out
}

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
    fn the_compact_text_is_schema_json_without_whitespace() {
        let pretty: Value = serde_json::from_slice(PRETTY).unwrap();
        assert_eq!(serde_json::from_str::<Value>(SCHEMA_JSON).unwrap(), pretty);
        assert_eq!(SCHEMA_JSON, pretty.to_string());
        // Whitespace inside strings (and escaped quotes before it) is kept.
        let text = br#"{ "a b": "c \" d\\", "e": [1, 2] }"#;
        let mut state = (false, false);
        let kept: Vec<u8> = text
            .iter()
            .copied()
            .filter(|b| keep(*b, &mut state))
            .collect();
        assert_eq!(kept, br#"{"a b":"c \" d\\","e":[1,2]}"#);
    }

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
