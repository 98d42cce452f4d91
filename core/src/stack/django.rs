//! The stack file's Django connection settings: the `[django]` table (defaults for every
//! alias) and the same keys on an alias, each checked for its type and remembered with the
//! line it was written on (provenance `stack:<file>:<line>`). Written for size (the WASM
//! budget): one loop over the keys, one message shape.

use serde_json::{Map, Value};

use super::{Doc, Setting};
use crate::error::ResolveError;

/// The keys of an alias: its own four, then the Django settings `[django]` has too.
pub(super) const ALIAS_KEYS: [&str; 11] = [
    "service",
    "database",
    "vault_role",
    "url_env",
    "conn_max_age",
    "conn_health_checks",
    "atomic_requests",
    "disable_server_side_cursors",
    "options",
    "test",
    "pooler",
];

/// The keys of `[django]`.
pub(super) const DJANGO_KEYS: &[&str] = ALIAS_KEYS.split_at(4).1;

/// What each of [`DJANGO_KEYS`] must be.
const EXPECTED: [&str; 7] = [
    "a whole number of seconds",
    "`true` or `false`",
    "`true` or `false`",
    "`true` or `false`",
    "a table",
    "a table",
    "`transaction`, `session` or `none`",
];

impl Doc<'_> {
    /// The Django settings written in `fields` (the `[django]` table or an alias's), each
    /// checked; `defaults` (the `[django]` table's) fill the keys the alias does not set, and
    /// its `options` and `test` tables are merged under the alias's, key by key.
    pub(super) fn django_settings(
        &self,
        fields: &Map<String, Value>,
        table: &[&str],
        defaults: &[Setting],
    ) -> Result<Vec<Setting>, ResolveError> {
        let mut out: Vec<Setting> = Vec::new();
        for (i, (&key, expected)) in DJANGO_KEYS.iter().zip(EXPECTED).enumerate() {
            let under = defaults.iter().find(|d| d.key == key);
            let Some(value) = fields.get(key) else {
                if let Some(d) = under {
                    out.push(d.clone());
                }
                continue;
            };
            let ok = match i {
                0 => value.is_u64(),
                1..=3 => value.is_boolean(),
                4 | 5 => value.is_object(),
                _ => value
                    .as_str()
                    .is_some_and(|p| matches!(p, "transaction" | "session" | "none")),
            };
            if !ok {
                return Err(self.at_value(
                    table,
                    key,
                    format!("`{}.{key}` must be {expected}", table.join(".")),
                ));
            }
            let mut value = value.clone();
            if let (Value::Object(own), Some(Value::Object(under))) =
                (&mut value, under.map(|d| &d.value))
            {
                for (k, v) in under {
                    if !own.contains_key(k) {
                        own.insert(k.clone(), v.clone());
                    }
                }
            }
            out.push(Setting {
                key,
                value,
                origin: format!("{}:{}", self.source.name, self.value_at(table, key).0),
            });
        }
        Ok(out)
    }
}
