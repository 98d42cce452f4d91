//! The JSON boundary every binding uses: a call in, an answer out, errors as records.
//! Python, WASM and the tests go through these functions, so they all see the same shapes.

use serde_json::Value;

use crate::error::{Diagnostic, ResolveError, EXIT_CONFIG};
use crate::input::{parse_call, CallError};
use crate::resolution::{json_text, object, Resolution};
use crate::{render, resolve, schema};

fn failure(diagnostic: &Diagnostic) -> Value {
    object([("ok", Value::Bool(false)), ("error", diagnostic.to_json())])
}

/// The answer to a call that is not JSON or not of the documented shape.
pub fn bad_call(e: &CallError) -> Value {
    failure(&Diagnostic {
        kind: crate::error::DiagnosticKind::InvalidCall,
        message: format!("invalid call: {}", e.message),
        source: e.source.clone(),
        exit_code: EXIT_CONFIG,
    })
}

/// The success answer for a resolution.
pub fn answer(resolution: &Resolution, reveal: bool) -> Value {
    let mut secret_paths: Vec<String> = Vec::new();
    for leaf in &resolution.leaves {
        leaf.secret_paths(&mut secret_paths);
    }
    object([
        ("ok", Value::Bool(true)),
        ("resolution", resolution.to_json(reveal)),
        ("secret_paths", Value::from(secret_paths)),
    ])
}

/// `resolve` over JSON text.
pub fn resolve_json(call: &str) -> String {
    resolved(call, answer)
}

/// `plan` over JSON text: the Vault reads the inputs need.
pub fn plan_json(inputs: &str) -> String {
    let value = match parse_call(inputs, true) {
        Ok(call) => match resolve::plan(&call.inputs) {
            Ok(plan) => object([("ok", Value::Bool(true)), ("plan", plan.to_json())]),
            Err(e) => error_answer(&e),
        },
        Err(e) => bad_call(&e),
    };
    json_text(&value)
}

/// Resolves the call over JSON text and answers `answer(resolution, reveal)`, or the failure.
fn resolved(call: &str, answer: fn(&Resolution, bool) -> Value) -> String {
    let value = match parse_call(call, false) {
        Ok(call) => match resolve::resolve(&call.inputs, &call.vault) {
            Ok(resolution) => answer(&resolution, call.reveal),
            Err(e) => error_answer(&e),
        },
        Err(e) => bad_call(&e),
    };
    json_text(&value)
}

/// `explain` over JSON text: the provenance table as text and as rows.
pub fn explain_json(call: &str) -> String {
    resolved(call, explain_value)
}

/// `django` over JSON text: `{"ok": true, "text": ...}`, the `settings.py` snippet of
/// [`render::django`] (the CLI's `--format django`), whose first line says only whether
/// secrets are masked (a binding has its own way to reveal them: the call's `reveal`).
pub fn django_json(call: &str) -> String {
    resolved(call, |resolution, reveal| {
        let text = render::django_with(resolution, reveal, "");
        object([("ok", Value::Bool(true)), ("text", Value::from(text))])
    })
}

/// The explain answer for a resolution.
pub fn explain_value(resolution: &Resolution, reveal: bool) -> Value {
    let rows: Vec<Value> = resolution
        .leaves
        .iter()
        .map(|leaf| {
            let [value, source, overrode] = leaf.provenance(reveal);
            object([("path", leaf.path.as_str().into()), value, source, overrode])
        })
        .collect();
    object([
        ("ok", Value::Bool(true)),
        ("text", Value::from(render::explain(resolution, reveal))),
        ("rows", Value::Array(rows)),
    ])
}

/// The JSON Schema of the resolution document, as text.
pub fn schema_json() -> String {
    schema::SCHEMA_JSON.to_owned()
}

/// An error as the JSON answer bindings expect.
pub fn error_answer(error: &ResolveError) -> Value {
    failure(&error.to_diagnostic())
}
