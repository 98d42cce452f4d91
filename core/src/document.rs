//! The `dbstack.resolution/v1` document as Rust types, for the code that reads a document
//! (`verify`): the sections it needs, typed, instead of JSON looked up by path strings. Only
//! what a reader uses is declared; other keys are ignored. Values a caller may have changed by
//! hand or with `--set` in ways the resolver never writes (a port as text, a secret that is
//! not a string) stay `Value`, so the reader can name the path that is wrong.

use std::collections::BTreeMap;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use crate::resolution::Source;

/// A resolution document (the parts its readers use).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Document {
    /// `development` or `production`.
    pub profile: String,
    /// The development fallback.
    pub fallback: Fallback,
    /// Vault.
    pub vault: Vault,
    /// The Django settings.
    pub django: Django,
    /// The `RAGFLOW` settings.
    pub ragflow: Ragflow,
    /// The `ROCKETMQ` settings.
    pub rocketmq: Rocketmq,
    /// Where each value came from, by dotted path.
    pub(crate) provenance: BTreeMap<String, Provenance>,
}

impl Document {
    /// Reads a document.
    pub fn from_value(doc: &Value) -> Result<Document, serde_json::Error> {
        Document::deserialize(doc)
    }

    /// The source of the value at a dotted path, as a person reads it (`env DATABASE_URL`).
    pub fn source_label(&self, path: &str) -> Option<String> {
        self.provenance.get(path).map(|p| p.source.label())
    }
}

/// `fallback`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Fallback {
    /// The fallback replaced the databases.
    pub active: bool,
}

/// `vault`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Vault {
    /// Vault is configured.
    pub enabled: bool,
    /// Its address.
    pub addr: Option<String>,
    /// `not_configured`, `not_contacted`, `ok` or `failed`.
    pub status: Option<String>,
}

/// `django`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Django {
    /// `DATABASES`, in document order; `None` when the document has none.
    #[serde(rename = "DATABASES")]
    pub databases: Option<Databases>,
    /// `CACHES`.
    #[serde(rename = "CACHES")]
    pub caches: Caches,
}

/// The `DATABASES` dict: aliases in document order.
#[derive(Debug, Clone, Default)]
pub struct Databases(pub Vec<(String, Database)>);

impl<'de> Deserialize<'de> for Databases {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Databases, D::Error> {
        struct InOrder;
        impl<'de> Visitor<'de> for InOrder {
            type Value = Databases;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a dict of database aliases")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Databases, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<String, Database>()? {
                    out.push(entry);
                }
                Ok(Databases(out))
            }
        }
        deserializer.deserialize_map(InOrder)
    }
}

/// One alias of `DATABASES`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "UPPERCASE")]
#[non_exhaustive]
pub struct Database {
    /// Django engine.
    pub engine: String,
    /// Database name (a file for sqlite).
    pub name: String,
    /// User.
    pub user: String,
    /// Password (a secret; masked unless revealed).
    pub password: Value,
    /// Host, a unix-socket directory, or empty.
    pub host: String,
    /// Port: a number, or `""` for the driver's default.
    pub port: Value,
    /// `OPTIONS`.
    pub options: Option<serde_json::Map<String, Value>>,
}

/// `CACHES`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Caches {
    /// The `default` cache.
    pub default: Cache,
}

/// One cache.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "UPPERCASE")]
#[non_exhaustive]
pub struct Cache {
    /// The cache URL.
    pub location: Option<String>,
}

/// `ragflow`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "UPPERCASE")]
#[non_exhaustive]
pub struct Ragflow {
    /// The HTTP API's base URL.
    pub base_url: Option<String>,
    /// Its health endpoint.
    pub health_url: Option<String>,
    /// The API key (a secret).
    pub api_key: Value,
}

/// `rocketmq`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "UPPERCASE")]
#[non_exhaustive]
pub struct Rocketmq {
    /// Name servers, `host:port[;host:port]`.
    pub namesrv_addr: Option<String>,
}

/// One provenance entry.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct Provenance {
    /// The source that won.
    pub(crate) source: Source,
}
