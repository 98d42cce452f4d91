//! Secrets: values that are masked in every output unless the caller asks to reveal them.

use serde_json::Value;

/// What a secret renders as when it is not revealed.
pub const MASK: &str = "********";

/// A secret string. `Debug` and `Display` never print it; use [`Secret::expose`].
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself. Callers decide whether revealing it is allowed.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(MASK)
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(MASK)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret(value.to_owned())
    }
}

impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(MASK)
    }
}

/// Words that make an option key a secret, matched in the lower-cased key with `-` read as
/// `_`: `password`, `sslpassword`, `PASSWD`, `client_secret`, `auth-token`, `api_key`, ...
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "private_key",
    "credential",
];

/// Whether an option key names a secret (any case): the one rule every output uses.
pub fn is_secret_key(key: &str) -> bool {
    let key: String = key
        .chars()
        .map(|c| {
            if c == '-' {
                '_'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    key == "pwd" || SECRET_WORDS.iter().any(|word| key.contains(word))
}

/// `value` with every value under a secret-named key masked (`********`; an empty string
/// stays empty), at any depth of objects and arrays; `None` when nothing is secret.
pub(crate) fn mask_secret_keys(value: &Value) -> Option<Value> {
    if !value.is_object() && !value.is_array() {
        return None;
    }
    let mut masked = value.clone();
    mask_in_place(&mut masked).then_some(masked)
}

/// Masks in place; whether any key was secret. (In place rather than rebuilt: fewer
/// collection instances in the WASM module.)
fn mask_in_place(value: &mut Value) -> bool {
    let mut changed = false;
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if is_secret_key(key) {
                    changed = true;
                    if !item.as_str().is_some_and(str::is_empty) {
                        *item = Value::String(MASK.to_owned());
                    }
                } else {
                    changed |= mask_in_place(item);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                changed |= mask_in_place(item);
            }
        }
        _ => {}
    }
    changed
}

/// The dotted paths (below `prefix`) of the secret-named keys in `value`.
pub(crate) fn secret_key_paths(prefix: &str, value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                let path = [prefix, key].join(".");
                if is_secret_key(key) {
                    out.push(path);
                } else {
                    secret_key_paths(&path, item, out);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                secret_key_paths(&format!("{prefix}.{i}"), item, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_names_in_any_case() {
        for key in [
            "password",
            "sslpassword",
            "PASSWORD",
            "passwd",
            "client_secret",
            "SECRET_KEY",
            "token",
            "auth-token",
            "api_key",
            "API-KEY",
            "apikey",
            "private_key",
            "credentials",
            "pwd",
        ] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in [
            "sslmode",
            "sslkey",
            "sslcert",
            "sslrootcert",
            "KEY_PREFIX",
            "connect_timeout",
            "passfile",
            "ssl",
            "",
        ] {
            assert!(!is_secret_key(key), "{key}");
        }
    }

    #[test]
    fn masks_nested_keys_and_lists_their_paths() {
        let options = json!({"sslmode": "require", "sslpassword": "pw", "ssl": {"PassWd": "x", "ca": "/ca"}, "token": "", "list": [{"api_key": 1}]});
        let masked = mask_secret_keys(&options).unwrap();
        assert_eq!(
            masked,
            json!({"sslmode": "require", "sslpassword": MASK, "ssl": {"PassWd": MASK, "ca": "/ca"}, "token": "", "list": [{"api_key": MASK}]})
        );
        let mut paths = Vec::new();
        secret_key_paths("o", &options, &mut paths);
        assert_eq!(
            paths,
            [
                "o.sslpassword",
                "o.ssl.PassWd",
                "o.token",
                "o.list.0.api_key"
            ]
        );
        assert_eq!(mask_secret_keys(&json!({"sslmode": "require"})), None);
        assert_eq!(mask_secret_keys(&json!("password")), None);
    }
}
