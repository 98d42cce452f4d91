//! Collects the candidates for each value, picks the winner by precedence and records
//! what it overrode. Explicit overrides are applied here, so every leaf honours them.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::ResolveError;
use crate::resolution::{mask, Leaf, Overridden, Resolution, Source, SourceKind, Warning};

/// One possible value of a leaf.
#[derive(Debug, Clone)]
pub(crate) struct Cand {
    pub source: Source,
    pub value: Value,
    /// How the value shows when masked; `None` for values that are not secret.
    pub masked: Option<Value>,
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

    /// Picks the highest-precedence candidate (the first one among equals) for `path`.
    pub(crate) fn leaf(&mut self, path: &[&str], mut cands: Vec<Cand>) -> Result<(), ResolveError> {
        let path = join(path);
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
        // An insertion sort: there are a handful of candidates, and std's stable sort would
        // instantiate a few kilobytes of sorting code for `Cand` in the WASM module.
        for i in 1..cands.len() {
            let Some(kind) = cands.get(i).map(|c| c.source.kind) else {
                break;
            };
            let at = cands.iter().take(i).position(|c| c.source.kind < kind);
            if let Some(moved) = at.and_then(|at| cands.get_mut(at..=i)) {
                moved.rotate_right(1);
            }
        }
        let mut iter = cands.into_iter();
        let Some(winner) = iter.next() else {
            return Ok(());
        };
        let secret = winner.masked.is_some();
        let overrode = iter
            .map(|c| Overridden {
                value: match (&c.masked, secret) {
                    (Some(m), _) => m.clone(),
                    (None, true) if !c.value.as_str().is_some_and(str::is_empty) => mask(),
                    _ => c.value,
                },
                source: c.source,
            })
            .collect();
        self.leaves.push(Leaf {
            path,
            value: winner.value,
            masked: winner.masked,
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
        if !self.overrides.is_empty() {
            return self.leaf(path, vec![Cand::new(source, value)]);
        }
        self.leaves.push(Leaf {
            path: join(path),
            value: value.into(),
            masked: None,
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
        })
    }
}

/// Types an override like the value it replaces (numbers stay numbers, booleans booleans).
fn override_value(key: &str, text: &str, like: Option<&Value>) -> Result<Value, ResolveError> {
    let bad = |what: &str| ResolveError::InvalidOverride {
        key: key.to_owned(),
        reason: format!("expected {what}"),
    };
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
            Ok(v @ Value::Object(_)) => Ok(v),
            _ => Err(bad("a JSON object, e.g. `{\"sslmode\": \"require\"}`")),
        },
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
