//! The result of a resolution: a set of leaf values, each with its provenance, rendered
//! into the `dbstack.resolution/v1` document with secrets masked or revealed.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::secret::MASK;

/// Identifier of the document format.
pub const SCHEMA_ID: &str = "dbstack.resolution/v1";

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// `override`, `vault`, `env`, `kubernetes`, `stack`, `default` or `fallback`.
    pub kind: SourceKind,
    /// The variable, Vault path (with `#field`), Service DNS name, `file:line` or setting.
    pub name: Cow<'static, str>,
}

/// Precedence levels, lowest first. Fallback is not a level: it replaces the databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Default,
    Stack,
    Kubernetes,
    Env,
    Vault,
    Override,
    Fallback,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Default => "default",
            SourceKind::Stack => "stack",
            SourceKind::Kubernetes => "kubernetes",
            SourceKind::Env => "env",
            SourceKind::Vault => "vault",
            SourceKind::Override => "override",
            SourceKind::Fallback => "fallback",
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.kind.as_str(), self.name)
    }
}

/// A value a higher-precedence source overrode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overridden {
    pub source: Source,
    /// The overridden value, masked when secret.
    pub value: Value,
}

/// One resolved value at a dotted path of the document, e.g. `django.DATABASES.default.HOST`.
/// Segments never contain a dot: aliases and app labels are identifiers, and `OPTIONS`
/// dicts are single leaves.
#[derive(Clone, PartialEq)]
pub struct Leaf {
    /// Dotted path from the document root.
    pub path: String,
    /// The value itself (secrets included).
    pub value: Value,
    /// What to show instead when secrets are not revealed; `None` when not secret.
    pub masked: Option<Value>,
    pub source: Source,
    /// Lower-precedence candidates, highest first (masked when secret).
    pub overrode: Vec<Overridden>,
}

impl Leaf {
    pub fn dotted(&self) -> &str {
        &self.path
    }

    pub fn is_secret(&self) -> bool {
        self.masked.is_some()
    }

    /// The value as it is shown: masked unless `reveal`.
    pub fn shown(&self, reveal: bool) -> &Value {
        match (&self.masked, reveal) {
            (Some(masked), false) => masked,
            _ => &self.value,
        }
    }
}

impl std::fmt::Debug for Leaf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leaf")
            .field("path", &self.dotted())
            .field("value", self.shown(false))
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// A warning carried in the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// Stable code, e.g. `fallback_active`.
    pub code: String,
    pub message: String,
    /// The variable, Vault path or file concerned, when there is one.
    pub source: Option<String>,
}

/// A computed resolution. `Debug` is always masked.
#[derive(Clone, PartialEq)]
pub struct Resolution {
    /// Every leaf, in document order.
    pub leaves: Vec<Leaf>,
    pub warnings: Vec<Warning>,
}

impl std::fmt::Debug for Resolution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_json(false).to_string())
    }
}

/// Places `value` at `path`, creating the objects on the way.
fn insert(root: &mut Map<String, Value>, path: &str, value: Value) {
    let Some((parents, last)) = path.rsplit_once('.') else {
        root.insert(path.to_owned(), value);
        return;
    };
    let mut node = root;
    for segment in parents.split('.') {
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

impl Resolution {
    /// The leaf at a dotted path.
    pub fn get(&self, dotted: &str) -> Option<&Leaf> {
        self.leaves.iter().find(|leaf| leaf.path == dotted)
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
            let mut entry = Map::new();
            entry.insert("value".into(), leaf.shown(reveal).clone());
            entry.insert(
                "source".into(),
                serde_json::to_value(&leaf.source).unwrap_or(Value::Null),
            );
            let overrode: Vec<Value> = leaf
                .overrode
                .iter()
                .map(|o| {
                    let mut m = Map::new();
                    m.insert(
                        "source".into(),
                        serde_json::to_value(&o.source).unwrap_or(Value::Null),
                    );
                    m.insert("value".into(), o.value.clone());
                    Value::Object(m)
                })
                .collect();
            entry.insert("overrode".into(), Value::Array(overrode));
            provenance.insert(leaf.path.clone(), Value::Object(entry));
        }
        root.insert("provenance".into(), Value::Object(provenance));
        root.insert(
            "warnings".into(),
            serde_json::to_value(&self.warnings).unwrap_or(Value::Array(Vec::new())),
        );
        Value::Object(root)
    }
}

/// The mask value as JSON.
pub fn mask() -> Value {
    Value::String(MASK.to_owned())
}
