//! The result of a resolution: a set of leaf values, each with its provenance, rendered
//! into the `dbstack.resolution/v1` document with secrets masked or revealed.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::secret::MASK;

/// Identifier of the document format.
pub(crate) const SCHEMA_ID: &str = "dbstack.resolution/v1";

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Source {
    /// `override`, `vault`, `env`, `kubernetes`, `stack`, `default` or `fallback`; the runtime
    /// says `file` (an `X_FILE` variable's file) or `env-file` (`--env-file`, `env_file=`)
    /// for an environment value it read from a file.
    pub kind: SourceKind,
    /// The variable, Vault path (with `#field`), Service DNS name, `file:line` or setting.
    pub name: Cow<'static, str>,
}

/// Precedence levels, lowest first. Fallback is not a level: it replaces the databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum SourceKind {
    /// The built-in default.
    Default,
    /// The stack file.
    Stack,
    /// Kubernetes discovery.
    Kubernetes,
    /// An environment variable.
    Env,
    /// A Vault read.
    Vault,
    /// An explicit override.
    Override,
    /// A fallback value.
    Fallback,
    /// An environment variable's value read from the file its `X_FILE` names (runtime only:
    /// set after the resolution, never compared).
    File,
    /// An environment variable's value from an env file, at `<path>:<line>` (runtime only).
    #[serde(rename = "env-file")]
    EnvFile,
}

impl SourceKind {
    /// Its name in the JSON document.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SourceKind::Default => "default",
            SourceKind::Stack => "stack",
            SourceKind::Kubernetes => "kubernetes",
            SourceKind::Env => "env",
            SourceKind::Vault => "vault",
            SourceKind::Override => "override",
            SourceKind::Fallback => "fallback",
            SourceKind::File => "file",
            SourceKind::EnvFile => "env-file",
        }
    }
}

impl Source {
    /// The source as a person reads it, naming what to change: the variable, the stack file
    /// and line, the Vault path, the Kubernetes fact or the built-in default (`explain`,
    /// `verify`). The document keeps `kind` and `name` apart.
    pub(crate) fn label(&self) -> String {
        let name = &self.name;
        match self.kind {
            SourceKind::Default if name.starts_with("built-in ") => name.to_string(),
            SourceKind::Default => format!("built-in default: {name}"),
            SourceKind::Stack => format!("stack file {name}"),
            SourceKind::Kubernetes => format!("Kubernetes: {name}"),
            SourceKind::Env | SourceKind::File | SourceKind::EnvFile => {
                format!("{} {name}", self.kind.as_str())
            }
            SourceKind::Vault => format!("Vault {name}"),
            SourceKind::Override if name.starts_with("--") => name.to_string(),
            SourceKind::Override => format!("override {name}"),
            SourceKind::Fallback => match name.as_ref() {
                "fallback rule" => "development fallback rule".to_owned(),
                "default fallback" => "fallback: built-in DBSTACK_FALLBACK_URL".to_owned(),
                _ => format!("fallback: env {name}"),
            },
        }
    }

    /// `{"kind": ..., "name": ...}`, as in the document's provenance.
    pub(crate) fn to_json(&self) -> Value {
        object([
            ("kind", self.kind.as_str().into()),
            ("name", self.name.as_ref().into()),
        ])
    }
}

/// `value` as compact JSON text, as `Value`'s `Display` writes it. Not `Display`: its `{:#}`
/// branch links serde_json's pretty printer (and a `std::io` adapter) into the WASM module
/// (BENCHMARKS.md, "WASM size steps"). Writing a `Value` cannot fail.
pub(crate) fn json_text(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// A JSON object of `entries`, in their order. Not `json!`: its interpolations are
/// `to_value(..).unwrap()`, whose panic message links serde_json's error texts into the WASM
/// module.
pub(crate) fn object<const N: usize>(entries: [(&str, Value); N]) -> Value {
    let mut map = Map::new();
    for (key, value) in entries {
        map.insert(key.to_owned(), value);
    }
    Value::Object(map)
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.kind.as_str(), self.name)
    }
}

/// A value a higher-precedence source overrode.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Overridden {
    pub source: Source,
    /// The overridden value, masked when secret.
    pub(crate) value: Value,
}

impl Overridden {
    /// `{"source": {...}, "value": ...}`.
    pub(crate) fn to_json(&self) -> Value {
        object([
            ("source", self.source.to_json()),
            ("value", self.value.clone()),
        ])
    }
}

/// One resolved value at a dotted path of the document, e.g. `django.DATABASES.default.HOST`.
/// Segments never contain a dot: aliases and app labels are identifiers, and `OPTIONS`
/// dicts are single leaves.
#[derive(Clone, PartialEq)]
pub struct Leaf {
    /// Dotted path from the document root.
    pub(crate) path: String,
    /// The value itself (secrets included).
    pub(crate) value: Value,
    /// What to show instead when secrets are not revealed; `None` when not secret.
    pub(crate) masked: Option<Value>,
    /// Where the value came from.
    pub source: Source,
    /// Lower-precedence candidates, highest first (masked when secret).
    pub overrode: Vec<Overridden>,
}

impl Leaf {
    /// The dotted paths of this leaf's secrets: the leaf itself, or the secret-named keys
    /// of a dict (`django.DATABASES.default.OPTIONS.sslpassword`).
    pub(crate) fn secret_paths(&self, out: &mut Vec<String>) {
        if self.masked.is_none() {
            return;
        }
        let before = out.len();
        if self.value.is_object() {
            crate::secret::secret_key_paths(&self.path, &self.value, out);
        }
        if out.len() == before {
            out.push(self.path.clone());
        }
    }

    /// The value as it is shown: masked unless `reveal`.
    pub(crate) fn shown(&self, reveal: bool) -> &Value {
        match (&self.masked, reveal) {
            (Some(masked), false) => masked,
            _ => &self.value,
        }
    }

    /// Its provenance entry: `value` (masked unless `reveal`), `source`, `overrode`.
    pub(crate) fn provenance(&self, reveal: bool) -> [(&'static str, Value); 3] {
        let overrode = self.overrode.iter().map(Overridden::to_json).collect();
        [
            ("value", self.shown(reveal).clone()),
            ("source", self.source.to_json()),
            ("overrode", Value::Array(overrode)),
        ]
    }
}

impl std::fmt::Debug for Leaf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leaf")
            .field("path", &self.path)
            .field("value", self.shown(false))
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// A warning carried in the document.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Warning {
    /// Stable code, e.g. `fallback_active`.
    pub code: String,
    /// The warning, for people.
    pub message: String,
    /// The variable, Vault path or file concerned, when there is one.
    pub source: Option<String>,
}

impl Warning {
    /// `{"code": ..., "message": ..., "source": ... or null}`.
    pub(crate) fn to_json(&self) -> Value {
        object([
            ("code", self.code.as_str().into()),
            ("message", self.message.as_str().into()),
            ("source", self.source.as_deref().into()),
        ])
    }
}

serialize_via_to_json!(Source, Overridden, Warning);

/// A computed resolution. `Debug` is always masked.
#[derive(Clone, PartialEq)]
pub struct Resolution {
    /// Every leaf, in document order.
    pub leaves: Vec<Leaf>,
    /// Warnings, in the order they arose.
    pub warnings: Vec<Warning>,
    /// Each alias and the variable holding its URL (`default` → `DATABASE_URL`, an alias
    /// with `url_env = "LEGACY_DSN"` → `LEGACY_DSN`), in stack order: what `render::env`
    /// writes. Not part of the document.
    pub(crate) url_vars: Vec<(String, String)>,
}

impl Resolution {
    /// The variable holding `alias`'s URL (`<ALIAS>_URL` for an alias the stack does not name).
    pub(crate) fn url_var(&self, alias: &str) -> String {
        self.url_vars.iter().find(|(a, _)| a == alias).map_or_else(
            || format!("{}_URL", alias.to_ascii_uppercase()),
            |(_, v)| v.clone(),
        )
    }

    /// The `dbstack.resolution/v1` document; secrets masked unless `reveal`.
    pub fn to_json(&self, reveal: bool) -> Value {
        let mut root = Map::new();
        root.insert("schema".into(), Value::String(SCHEMA_ID.into()));
        for leaf in &self.leaves {
            insert(&mut root, &leaf.path, leaf.shown(reveal).clone());
        }
        let mut provenance = Map::new();
        for leaf in &self.leaves {
            provenance.insert(leaf.path.clone(), object(leaf.provenance(reveal)));
        }
        root.insert("provenance".into(), Value::Object(provenance));
        let warnings = self.warnings.iter().map(Warning::to_json).collect();
        root.insert("warnings".into(), Value::Array(warnings));
        Value::Object(root)
    }
}

impl std::fmt::Debug for Resolution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&json_text(&self.to_json(false)))
    }
}

/// Places `value` at `path`, creating the objects on the way.
fn insert(root: &mut Map<String, Value>, path: &str, value: Value) {
    let mut segments = path.split('.');
    let last = segments.next_back().unwrap_or_default();
    let mut node = root;
    for segment in segments {
        let entry = node
            .entry(segment)
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        let Value::Object(map) = entry else { return };
        node = map;
    }
    node.insert(last.to_owned(), value);
}

/// The mask value as JSON.
pub(crate) fn mask() -> Value {
    Value::String(MASK.to_owned())
}
