//! Everything the resolver reads. The runtime gathers these; the core never does I/O.

use std::collections::BTreeMap;

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Unexpected, Visitor};
use serde::{Deserialize, Serialize};

use crate::vault::VaultAnswers;

/// The inputs of one resolution.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Inputs {
    /// The process environment (or a pasted `.env`).
    pub env: BTreeMap<String, String>,
    /// Facts about the Kubernetes pod that only the filesystem can tell.
    pub kubernetes: KubeFacts,
    /// The stack file, when one is given (`DBSTACK_CONFIG` / `--stack`).
    pub stack: Option<StackSource>,
    /// `--profile` / `profile=`: beats `DBSTACK_PROFILE`.
    pub profile: Option<String>,
    /// Explicit overrides (`--set key=value`): the highest precedence level.
    /// Keys are provenance paths such as `django.DATABASES.default.HOST`.
    pub overrides: BTreeMap<String, String>,
}

/// What the runtime found on the pod's filesystem.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KubeFacts {
    /// The service-account token file exists.
    pub token_present: bool,
    /// Contents of the service-account `namespace` file, when it exists.
    pub namespace_file: Option<String>,
}

/// A stack file: its name (for error messages) and its TOML text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackSource {
    pub name: String,
    pub text: String,
}

/// The JSON boundary of `resolve`: inputs plus the Vault answers the runtime obtained.
///
/// Deserialized by hand (below), not with `#[serde(flatten)]`: flatten buffers the whole call
/// in serde's `Content` and costs the WASM module about ten kilobytes. Same accepted JSON:
/// every field optional, an unknown field is an error (`unknown field `x``, reported at
/// the end of the call as flatten did).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ResolveCall {
    #[serde(flatten)]
    pub inputs: Inputs,
    /// Answers to the reads of `plan()`. Absent: Vault was not contacted.
    pub vault: VaultAnswers,
    /// Reveal secrets in the rendered document.
    pub reveal: bool,
}

const CALL_FIELDS: &[&str] = &[
    "env",
    "kubernetes",
    "stack",
    "profile",
    "overrides",
    "vault",
    "reveal",
];

/// The fields of [`Inputs`], in order.
const INPUT_FIELDS: &[&str] = &["env", "kubernetes", "stack", "profile", "overrides"];

impl<'de> Deserialize<'de> for ResolveCall {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_struct("ResolveCall", CALL_FIELDS, CallVisitor { plan: false })
    }
}

/// Parses the JSON call of `resolve`/`explain`, or with `plan` the [`Inputs`] of `plan` (then
/// `vault` and `reveal` are unknown fields and the messages are those of `Inputs`' derived
/// `Deserialize`). One visitor for both, so the WASM module holds one instance of
/// serde_json's parser for calls instead of two.
pub(crate) fn parse_call(text: &str, plan: bool) -> Result<ResolveCall, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let name = if plan { "Inputs" } else { "ResolveCall" };
    let call = de.deserialize_struct(name, CALL_FIELDS, CallVisitor { plan })?;
    de.end()?;
    Ok(call)
}

struct CallVisitor {
    plan: bool,
}

impl<'de> Visitor<'de> for CallVisitor {
    type Value = ResolveCall;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.plan {
            "struct Inputs"
        } else {
            "struct ResolveCall"
        })
    }

    /// `Inputs` (derived) also accepts its fields as an array; `ResolveCall` never did.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ResolveCall, A::Error> {
        if !self.plan {
            return Err(de::Error::invalid_type(Unexpected::Seq, &self));
        }
        let mut call = ResolveCall::default();
        let inputs = &mut call.inputs;
        for i in 0..INPUT_FIELDS.len() {
            let done = match i {
                0 => seq.next_element()?.map(|v| inputs.env = v),
                1 => seq.next_element()?.map(|v| inputs.kubernetes = v),
                2 => seq.next_element()?.map(|v| inputs.stack = v),
                3 => seq.next_element()?.map(|v| inputs.profile = v),
                _ => seq.next_element()?.map(|v| inputs.overrides = v),
            }
            .is_none();
            if done {
                break;
            }
        }
        Ok(call)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ResolveCall, A::Error> {
        let mut call = ResolveCall::default();
        let mut seen = 0u8;
        let mut unknown: Option<String> = None;
        while let Some(key) = map.next_key::<String>()? {
            let fields = if self.plan { INPUT_FIELDS } else { CALL_FIELDS };
            let Some((i, name)) = fields.iter().enumerate().find(|(_, f)| **f == key) else {
                if self.plan {
                    return Err(de::Error::unknown_field(&key, INPUT_FIELDS));
                }
                unknown.get_or_insert(key);
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            if seen & (1 << i) != 0 {
                return Err(de::Error::duplicate_field(name));
            }
            seen |= 1 << i;
            let inputs = &mut call.inputs;
            match i {
                0 => inputs.env = map.next_value()?,
                1 => inputs.kubernetes = map.next_value()?,
                2 => inputs.stack = map.next_value()?,
                3 => inputs.profile = map.next_value()?,
                4 => inputs.overrides = map.next_value()?,
                5 => call.vault = map.next_value()?,
                _ => call.reveal = map.next_value()?,
            }
        }
        match unknown {
            Some(key) => Err(de::Error::custom(format_args!("unknown field `{key}`"))),
            None => Ok(call),
        }
    }
}
