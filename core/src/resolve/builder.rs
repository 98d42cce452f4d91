//! Collects the candidates for each value, picks the winner by precedence and records
//! what it overrode. Explicit overrides are applied here, so every leaf honours them.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::ResolveError;
use crate::resolution::{mask, Leaf, Overridden, Resolution, Source, SourceKind, Warning};

/// One possible value of a leaf.
#[derive(Debug, Clone)]
pub(crate) struct Cand {
    pub(crate) source: Source,
    pub(crate) value: Value,
    /// How the value shows when masked; `None` for values that are not secret.
    pub(crate) masked: Option<Value>,
}

impl Cand {
    pub(crate) fn new(source: Source, value: impl Into<Value>) -> Cand {
        Cand {
            source,
            value: value.into(),
            masked: None,
        }
    }

    /// A secret value: masked as `********` unless empty.
    pub(crate) fn secret(source: Source, value: &str) -> Cand {
        Cand {
            source,
            masked: Some(if value.is_empty() {
                Value::String(String::new())
            } else {
                mask()
            }),
            value: Value::String(value.to_owned()),
        }
    }

    /// A value with a given masked form (a URL with its password masked).
    pub(crate) fn masked(source: Source, value: Value, masked: Value) -> Cand {
        Cand {
            source,
            value,
            masked: Some(masked),
        }
    }
}

pub(crate) struct Builder<'o> {
    leaves: Vec<Leaf>,
    warnings: Vec<Warning>,
    overrides: &'o BTreeMap<String, String>,
    /// The overrides applied so far (a list: there are a few).
    used: Vec<&'o str>,
}

impl<'o> Builder<'o> {
    pub(crate) fn new(overrides: &'o BTreeMap<String, String>) -> Builder<'o> {
        Builder {
            leaves: Vec::with_capacity(96),
            warnings: Vec::new(),
            overrides,
            used: Vec::new(),
        }
    }

    /// Like [`Builder::leaf`], and returns (a copy of) the winning value.
    pub(crate) fn leaf_value(
        &mut self,
        path: &[&str],
        cands: Vec<Cand>,
    ) -> Result<Value, ResolveError> {
        self.leaf(path, cands)?;
        Ok(self.leaves.last().map_or(Value::Null, |l| l.value.clone()))
    }

    /// How many leaves are written: [`Builder::written`] of it gives the ones written after.
    pub(crate) fn len(&self) -> usize {
        self.leaves.len()
    }

    /// The leaves written since `start` (a [`Builder::len`]).
    pub(crate) fn written(&self, start: usize) -> &[Leaf] {
        self.leaves.get(start..).unwrap_or_default()
    }

    /// Picks the highest-precedence candidate (the first one among equals) for `path`.
    pub(crate) fn leaf(&mut self, path: &[&str], cands: Vec<Cand>) -> Result<(), ResolveError> {
        self.leaf_at(&join(path), cands)
    }

    /// [`Builder::leaf`] at a dotted path.
    pub(crate) fn leaf_at(&mut self, path: &str, mut cands: Vec<Cand>) -> Result<(), ResolveError> {
        let path = path.to_owned();
        if !self.overrides.is_empty() {
            if let Some((key, text)) = self.overrides.get_key_value(path.as_str()) {
                self.used.push(key.as_str());
                let like = cands.iter().max_by_key(|c| c.source.kind).map(|c| &c.value);
                let value = override_value(key, text, like)?;
                let secret = cands.iter().any(|c| c.masked.is_some());
                let source = Source {
                    kind: SourceKind::Override,
                    name: format!("--set {key}").into(),
                };
                cands.push(if secret {
                    {
                        let masked = mask_like(&value);
                        Cand::masked(source, value, masked)
                    }
                } else {
                    Cand::new(source, value)
                });
            }
        }
        // Highest kind first; stable: among equal kinds the first candidate pushed wins.
        crate::small::sort_desc_by_key(&mut cands, |c| c.source.kind);
        let mut iter = cands.into_iter();
        let Some(winner) = iter.next() else {
            return Ok(());
        };
        let masked = by_key(&winner.value).or(winner.masked);
        let secret = masked.is_some();
        let overrode = iter
            .map(|c| Overridden {
                value: match (c.masked, secret) {
                    (Some(m), _) => by_key(&c.value).unwrap_or(m),
                    (None, true) if !c.value.as_str().is_some_and(str::is_empty) => {
                        by_key(&c.value).unwrap_or_else(mask)
                    }
                    _ => by_key(&c.value).unwrap_or(c.value),
                },
                source: c.source,
            })
            .collect();
        self.leaves.push(Leaf {
            path,
            value: winner.value,
            masked,
            source: winner.source,
            overrode,
        });
        Ok(())
    }

    /// A leaf with a single source.
    pub(crate) fn fixed(
        &mut self,
        path: &[&str],
        source: Source,
        value: impl Into<Value>,
    ) -> Result<(), ResolveError> {
        self.fixed_value(path, source, value.into())
    }

    /// [`Builder::fixed`]'s one body: not generic, so the module holds it once instead of
    /// once per value type (about 1.2 KB of the WASM module, before wasm-opt).
    #[inline(never)]
    fn fixed_value(
        &mut self,
        path: &[&str],
        source: Source,
        value: Value,
    ) -> Result<(), ResolveError> {
        if !self.overrides.is_empty() {
            return self.leaf(path, vec![Cand::new(source, value)]);
        }
        self.leaves.push(Leaf {
            path: join(path),
            masked: by_key(&value),
            value,
            source,
            overrode: Vec::new(),
        });
        Ok(())
    }

    /// The source of an already written leaf.
    pub(crate) fn source_of(&self, path: &[&str]) -> Option<Source> {
        self.leaves
            .iter()
            .rev()
            .find(|l| {
                let mut segments = l.path.split('.');
                path.iter().all(|p| segments.next() == Some(*p)) && segments.next().is_none()
            })
            .map(|l| l.source.clone())
    }

    /// The explicit overrides (`--set`).
    pub(crate) fn overrides(&self) -> &'o BTreeMap<String, String> {
        self.overrides
    }

    pub(crate) fn warn(&mut self, code: &str, message: String, source: Option<String>) {
        self.warnings.push(Warning {
            code: code.to_owned(),
            message,
            source,
        });
    }

    pub(crate) fn finish(self) -> Result<Resolution, ResolveError> {
        if let Some(unused) = self
            .overrides
            .keys()
            .find(|k| !self.used.contains(&k.as_str()))
        {
            return Err(ResolveError::InvalidOverride {
                key: unused.clone(),
                reason: "no such setting (use a path from `dbstack explain`)".into(),
            });
        }
        Ok(Resolution {
            leaves: self.leaves,
            warnings: self.warnings,
            url_vars: Vec::new(),
        })
    }
}

/// The masked form of a dict (`OPTIONS`, `TEST`) with secret-named keys: every such key's
/// value masked, wherever the dict came from (URL query, stack file, override).
fn by_key(value: &Value) -> Option<Value> {
    crate::secret::mask_secret_keys(value)
}

/// Types an override like the value it replaces (numbers stay numbers, booleans booleans).
fn override_value(key: &str, text: &str, like: Option<&Value>) -> Result<Value, ResolveError> {
    let bad = |what: &str| ResolveError::InvalidOverride {
        key: key.to_owned(),
        reason: format!("expected {what}"),
    };
    // A port is 1-65535 wherever it comes from (a URL's dict has `""` for none).
    if key.ends_with(".PORT") && !text.is_empty() {
        match text.trim().parse::<u64>() {
            Ok(1..=65535) => {}
            _ => return Err(bad("a port (1-65535)")),
        }
    }
    match like {
        Some(Value::Number(_)) => text
            .trim()
            .parse::<u64>()
            .map(Value::from)
            .map_err(|_| bad("a whole number")),
        Some(Value::Bool(_)) => match text.trim() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(bad("`true` or `false`")),
        },
        // Lists and dicts (`CONFIG.hosts`, `OPTIONS`) are written as JSON of the same shape.
        Some(Value::Array(_)) => match serde_json::from_str::<Value>(text) {
            Ok(v @ Value::Array(_)) => Ok(v),
            _ => Err(bad("a JSON list, e.g. `[\"redis://cache:6379/1\"]`")),
        },
        Some(Value::Object(_)) => match serde_json::from_str::<Value>(text) {
            // `OPTIONS.sslmode` is a libpq mode, as in a URL or `SUPABASE_DB_SSLMODE`.
            Ok(Value::Object(o))
                if o.get("sslmode").is_some_and(|m| {
                    !m.as_str()
                        .is_some_and(|m| crate::catalog::SSLMODES.contains(&m))
                }) =>
            {
                Err(bad("a libpq sslmode"))
            }
            Ok(v @ Value::Object(_)) => Ok(v),
            _ => Err(bad("a JSON object, e.g. `{\"sslmode\": \"require\"}`")),
        },
        // A key the stack file can add and did not (`ATOMIC_REQUESTS`, `TEST`): JSON.
        None => serde_json::from_str(text).map_err(|_| bad("JSON, e.g. `true`")),
        _ => Ok(Value::String(text.to_owned())),
    }
}

/// The masked form of an overriding secret: a cache URL keeps all but its password, a list
/// is masked item by item, anything else is `********` (an empty string stays empty).
fn mask_like(value: &Value) -> Value {
    match value {
        Value::String(s) if s.is_empty() => Value::String(String::new()),
        Value::String(s) => match crate::url::parse_cache_url(s) {
            Ok(url) => Value::String(url.location(false)),
            Err(_) => mask(),
        },
        Value::Array(items) => Value::Array(items.iter().map(mask_like).collect()),
        _ => mask(),
    }
}

/// `["a", "b"]` -> `"a.b"`, in one allocation.
fn join(path: &[&str]) -> String {
    let mut joined = String::with_capacity(path.iter().map(|p| p.len() + 1).sum());
    for (i, segment) in path.iter().enumerate() {
        if i > 0 {
            joined.push('.');
        }
        joined.push_str(segment);
    }
    joined
}
