//! Everything the resolver reads. The runtime gathers these; the core never does I/O.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::vault::VaultAnswers;

/// The inputs of one resolution.
#[derive(Debug, Clone, Default, Serialize)]
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
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KubeFacts {
    /// The service-account token file exists.
    pub token_present: bool,
    /// Contents of the service-account `namespace` file, when it exists.
    pub namespace_file: Option<String>,
}

/// A stack file: its name (for error messages) and its TOML text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StackSource {
    /// Its name, for error messages.
    pub name: String,
    /// Its TOML text.
    pub text: String,
}

/// The JSON boundary of `resolve`: inputs plus the Vault answers the runtime obtained.
///
/// Read by [`ResolveCall::from_json`]: the JSON is parsed into a plain document and then
/// checked field by field, so every binding shares one parser and the WASM module holds a
/// single instance of serde_json's deserializer (a derived `Deserialize` per struct costs it
/// kilobytes each). Every field is optional; an unknown field is an error.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ResolveCall {
    #[serde(flatten)]
    /// The inputs to resolve.
    pub inputs: Inputs,
    /// Answers to the reads of `plan()`. Absent: Vault was not contacted.
    pub vault: VaultAnswers,
    /// Reveal secrets in the rendered document.
    pub(crate) reveal: bool,
}

/// A call that is not JSON, or not of the documented shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallError {
    /// What is wrong, naming the field by its path (`env.PGPORT`).
    pub(crate) message: String,
    /// `call:<line>:<column>` for JSON that does not parse, `call:<path>` for a bad field.
    pub(crate) source: String,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let CallError { message, source } = self;
        write!(f, "invalid call: {message} (source: {source})")
    }
}

impl std::error::Error for CallError {}

impl CallError {
    /// `parent.key` (or `key` at the top) is wrong: "`parent.key` {what}", at `call:parent.key`.
    /// The one place these messages are formatted (cold: each call site stays a few instructions).
    #[cold]
    #[inline(never)]
    pub(crate) fn field(parent: &str, key: &str, what: &str) -> CallError {
        let path = if parent.is_empty() {
            key.to_owned()
        } else {
            format!("{parent}.{key}")
        };
        CallError {
            message: format!("`{path}` {what}"),
            source: format!("call:{path}"),
        }
    }

    /// Named by its category, not by serde_json's message: displaying `serde_json::Error`
    /// links its texts and `std::io`'s into the WASM module (the position is in `source`).
    fn json(e: &serde_json::Error) -> CallError {
        CallError {
            message: if e.is_eof() {
                "not valid JSON: the text ends early"
            } else {
                "not valid JSON"
            }
            .into(),
            source: format!("call:{}:{}", e.line(), e.column()),
        }
    }
}

/// The fields of [`Inputs`], in order.
const INPUT_FIELDS: &[&str] = &["env", "kubernetes", "stack", "profile", "overrides"];
const CALL_FIELDS: &[&str] = &[
    "env",
    "kubernetes",
    "stack",
    "profile",
    "overrides",
    "vault",
    "reveal",
];

impl ResolveCall {
    /// Parses the JSON call of `resolve` / `explain`.
    pub fn from_json(text: &str) -> Result<ResolveCall, CallError> {
        parse_call(text, false)
    }
}

pub(crate) fn parse_call(text: &str, plan: bool) -> Result<ResolveCall, CallError> {
    let doc: Value = serde_json::from_str(text).map_err(|e| CallError::json(&e))?;
    let Some(fields) = doc.as_object() else {
        return Err(CallError {
            message: "the call must be a JSON object".into(),
            source: "call".into(),
        });
    };
    known_fields(fields, "", if plan { INPUT_FIELDS } else { CALL_FIELDS })?;
    let mut call = ResolveCall::default();
    let inputs = &mut call.inputs;
    if let Some(env) = present(fields, "env") {
        inputs.env = string_map(env, "env")?;
    }
    if let Some(kube) = present(fields, "kubernetes") {
        let facts = object(kube, "", "kubernetes")?;
        known_fields(facts, "kubernetes", &["token_present", "namespace_file"])?;
        inputs.kubernetes = KubeFacts {
            token_present: boolean(facts, "kubernetes", "token_present")?,
            namespace_file: string(facts, "kubernetes", "namespace_file")?,
        };
    }
    if let Some(stack) = present(fields, "stack") {
        let file = object(stack, "", "stack")?;
        known_fields(file, "stack", &["name", "text"])?;
        inputs.stack = Some(StackSource {
            name: required(file, "stack", "name")?,
            text: required(file, "stack", "text")?,
        });
    }
    inputs.profile = string(fields, "", "profile")?;
    if let Some(overrides) = present(fields, "overrides") {
        inputs.overrides = string_map(overrides, "overrides")?;
    }
    if let Some(vault) = present(fields, "vault") {
        call.vault = VaultAnswers::from_value(vault)?;
        call.vault.scrub_messages(&inputs.env);
    }
    call.reveal = boolean(fields, "", "reveal")?;
    Ok(call)
}

/// A JSON object's fields.
pub(crate) type Fields = Map<String, Value>;

/// A field that is present and not `null` (`null` means "not given", as for an absent one).
pub(crate) fn present<'v>(fields: &'v Fields, key: &str) -> Option<&'v Value> {
    fields.get(key).filter(|v| !v.is_null())
}

/// `value` as an object; `parent.key` names it in the error.
pub(crate) fn object<'v>(
    value: &'v Value,
    parent: &str,
    key: &str,
) -> Result<&'v Fields, CallError> {
    value
        .as_object()
        .ok_or_else(|| CallError::field(parent, key, "must be a JSON object"))
}

pub(crate) fn known_fields(fields: &Fields, path: &str, known: &[&str]) -> Result<(), CallError> {
    match fields.keys().find(|k| !known.contains(&k.as_str())) {
        None => Ok(()),
        Some(key) => Err(CallError::field(
            path,
            key,
            &format!("is not a field (expected one of: {})", known.join(", ")),
        )),
    }
}

pub(crate) fn string(fields: &Fields, path: &str, key: &str) -> Result<Option<String>, CallError> {
    match present(fields, key) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(CallError::field(path, key, "must be a string")),
    }
}

/// A string field that must be present.
pub(crate) fn required(fields: &Fields, path: &str, key: &str) -> Result<String, CallError> {
    string(fields, path, key)?.ok_or_else(|| CallError::field(path, key, "is required"))
}

pub(crate) fn boolean(fields: &Fields, path: &str, key: &str) -> Result<bool, CallError> {
    match present(fields, key) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(CallError::field(path, key, "must be `true` or `false`")),
    }
}

/// An object of strings (`env`, `overrides`).
fn string_map(value: &Value, path: &str) -> Result<BTreeMap<String, String>, CallError> {
    let mut out = BTreeMap::new();
    for (key, item) in object(value, "", path)? {
        let Value::String(text) = item else {
            return Err(CallError::field(path, key, "must be a string"));
        };
        out.insert(key.clone(), text.clone());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::{VaultResult, VaultStatus};

    fn source_of(text: &str) -> (String, String) {
        let e = ResolveCall::from_json(text).unwrap_err();
        (e.source, e.message)
    }

    #[test]
    fn a_full_call_is_read() {
        let call = ResolveCall::from_json(
            r#"{"env": {"A": "1"}, "kubernetes": {"token_present": true, "namespace_file": "ns"},
                "stack": {"name": "s.toml", "text": "x"}, "profile": "production",
                "overrides": {"k": "v"}, "reveal": true,
                "vault": {"status": {"state": "failed", "error": {"kind": "sealed",
                          "source": "http://v", "status": 503, "message": "sealed"}},
                          "auth": "token", "warnings": ["w"],
                          "results": {"secret/x": {"kind": "kv2", "data": {"password": "p", "port": 5432}},
                                      "database/creds/app": {"kind": "database_creds", "username": "u",
                                          "password": "s", "lease_id": "l", "lease_duration": 60,
                                          "renewable": true, "ignored": 1}}}}"#,
        )
        .unwrap();
        assert_eq!(call.inputs.env["A"], "1");
        assert!(call.inputs.kubernetes.token_present);
        assert_eq!(call.inputs.kubernetes.namespace_file.as_deref(), Some("ns"));
        assert_eq!(call.inputs.stack.unwrap().name, "s.toml");
        assert_eq!(call.inputs.profile.as_deref(), Some("production"));
        assert_eq!(call.inputs.overrides["k"], "v");
        assert!(call.reveal);
        let VaultStatus::Failed { error } = &call.vault.status else {
            panic!("{:?}", call.vault.status)
        };
        assert_eq!(error.status, Some(503));
        assert_eq!(call.vault.auth, Some(crate::vault::AuthMethod::Token));
        assert_eq!(call.vault.warnings, ["w"]);
        let kv = &call.vault.results["secret/x"];
        assert_eq!(kv.kv_field("port").map(|s| s.expose()), Some("5432"));
        assert_eq!(kv.kv_field("password").map(|s| s.expose()), Some("p"));
        let VaultResult::DatabaseCreds { lease_duration, .. } =
            &call.vault.results["database/creds/app"]
        else {
            panic!("not creds")
        };
        assert_eq!(*lease_duration, 60);
    }

    #[test]
    fn absent_and_null_fields_take_their_defaults() {
        let call = ResolveCall::from_json(r#"{"profile": null, "vault": null}"#).unwrap();
        assert!(call.inputs.env.is_empty() && call.inputs.profile.is_none());
        assert_eq!(call.vault, VaultAnswers::default());
    }

    #[test]
    fn bad_calls_name_the_field() {
        assert_eq!(
            source_of(r#"{"env": {"PGPORT": 5432}}"#).0,
            "call:env.PGPORT"
        );
        assert_eq!(source_of(r#"{"envv": {}}"#).0, "call:envv");
        assert_eq!(
            source_of(r#"{"kubernetes": {"token_present": "yes"}}"#).0,
            "call:kubernetes.token_present"
        );
        assert_eq!(
            source_of(r#"{"stack": {"name": "s.toml"}}"#).0,
            "call:stack.text"
        );
        assert_eq!(
            source_of(r#"{"vault": {"status": {"state": "maybe"}}}"#).0,
            "call:vault.status.state"
        );
        assert_eq!(
            source_of(
                r#"{"vault": {"results": {"p": {"kind": "database_creds", "username": "u"}}}}"#
            )
            .0,
            "call:vault.results.p.password"
        );
        assert_eq!(source_of("[1]").0, "call");
        // JSON that does not parse: its line and column.
        assert_eq!(source_of("{\n  \"env\": }").0, "call:2:10");
        // `plan` takes inputs only.
        assert_eq!(
            parse_call(r#"{"reveal": true}"#, true).unwrap_err().source,
            "call:reveal"
        );
    }
}
