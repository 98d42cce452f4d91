//! Python bindings: a thin adapter over the core's JSON boundary and the runtime. Everything else
//! is Python (`python/dbstack/`), which raises the answers' `{"ok": false, "error": {..}}`.

use std::collections::BTreeMap;
use std::time::Duration;

use dbstack_core::{ffi, render, Resolution, ResolveCall};
use dbstack_runtime::resolve::ResolveOptions;
use dbstack_runtime::{inputs, verify as live};
use pyo3::prelude::*;
use serde_json::{json, Value};

/// `resolve` over JSON text (the boundary WASM uses too).
#[pyfunction]
fn resolve(call_json: &str) -> String {
    ffi::resolve_json(call_json)
}

/// `plan` over JSON text: the Vault reads the inputs need.
#[pyfunction]
fn plan(inputs_json: &str) -> String {
    ffi::plan_json(inputs_json)
}

/// `explain` over JSON text: the provenance table.
#[pyfunction]
fn explain(call_json: &str) -> String {
    ffi::explain_json(call_json)
}

/// The JSON Schema of the resolution document.
#[pyfunction]
fn schema() -> String {
    ffi::schema_json()
}

/// What `dbstack.Stack` is built from: both renderings, the secrets' paths, the explain table.
fn stack_answer(res: &Resolution, rendered: Value) -> Value {
    let mut answer = ffi::answer(res, true);
    if let Some(map) = answer.as_object_mut() {
        map.insert("redacted".into(), res.to_json(false));
        map.insert("explain".into(), render::explain(res, false).into());
        map.insert("rendered".into(), rendered);
    }
    answer
}

fn failure(kind: &str, message: String, source: &str) -> Value {
    json!({"ok": false, "error": {"kind": kind, "message": message, "source": source, "exit_code": 2}})
}

/// Resolves a full call (inputs plus Vault answers) without I/O.
#[pyfunction]
fn stack_from_call(py: Python<'_>, call_json: &str) -> PyResult<Py<PyAny>> {
    let answer = match ResolveCall::from_json(call_json) {
        Ok(call) => match dbstack_core::resolve(&call.inputs, &call.vault) {
            Ok(res) => stack_answer(&res, Value::Null),
            Err(e) => ffi::error_answer(&e),
        },
        Err(e) => ffi::bad_call(&e),
    };
    to_py(py, &answer).map(Bound::unbind)
}

/// Gathers the inputs (process or given environment, Kubernetes files, stack file), performs
/// the Vault plan unless `offline`, and resolves. `render` adds a CLI rendering as `rendered`.
#[pyfunction]
#[pyo3(signature = (*, env=None, profile=None, stack_file=None, offline=false, render=None, reveal=false))]
fn stack_from_process(
    py: Python<'_>,
    env: Option<BTreeMap<String, String>>,
    profile: Option<String>,
    stack_file: Option<String>,
    offline: bool,
    render: Option<String>,
    reveal: bool,
) -> PyResult<Py<PyAny>> {
    let answer = py.allow_threads(move || {
        let env = env.unwrap_or_else(inputs::process_env);
        let options = ResolveOptions {
            profile,
            stack_file,
            offline,
            ..ResolveOptions::default()
        };
        match dbstack_runtime::resolve::resolve(env, options) {
            Ok(resolved) => {
                let res = &resolved.resolution;
                let rendered = match render.as_deref() {
                    Some("json") => render::json(res, reveal).into(),
                    Some("django") => render::django(res, reveal).into(),
                    Some("env") => render::env(res, reveal).into(),
                    Some("table") => render::table(res).into(),
                    Some("explain") => render::explain(res, reveal).into(),
                    Some("explain-json") => ffi::explain_value(res, reveal)
                        .get("rows")
                        .cloned()
                        .unwrap_or_default(),
                    _ => Value::Null,
                };
                stack_answer(res, rendered)
            }
            Err(e) => json!({"ok": false, "error": e.to_diagnostic()}),
        }
    });
    to_py(py, &answer).map(Bound::unbind)
}

/// Live checks of every service of a revealed resolution document (`dbstack verify`).
#[pyfunction]
#[pyo3(signature = (doc_json, *, timeout=None, env=None))]
fn verify(
    py: Python<'_>,
    doc_json: &str,
    timeout: Option<f64>,
    env: Option<BTreeMap<String, String>>,
) -> PyResult<Py<PyAny>> {
    let answer = py.allow_threads(move || {
        let doc: Value = match serde_json::from_str(doc_json) {
            Ok(doc) => doc,
            Err(e) => return failure("invalid_call", format!("invalid document: {e}"), "doc"),
        };
        let mut options = live::VerifyOptions::from_env(&env.unwrap_or_else(inputs::process_env));
        if let Some(secs) = timeout.filter(|s| s.is_finite() && *s > 0.0) {
            options.timeout = Duration::from_secs_f64(secs);
        }
        match live::verify(&doc, &options) {
            Ok(report) => json!({"ok": true, "report": report.to_json(), "table": report.render_table(), "exit_code": report.exit_code()}),
            Err(e) => failure("verify", e.to_string(), "doc"),
        }
    });
    to_py(py, &answer).map(Bound::unbind)
}

/// JSON to Python objects directly, so that `import dbstack` need not import `json`.
fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(pythonize::pythonize(py, value)?)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(resolve, m)?)?;
    m.add_function(wrap_pyfunction!(plan, m)?)?;
    m.add_function(wrap_pyfunction!(explain, m)?)?;
    m.add_function(wrap_pyfunction!(schema, m)?)?;
    m.add_function(wrap_pyfunction!(stack_from_call, m)?)?;
    m.add_function(wrap_pyfunction!(stack_from_process, m)?)?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    Ok(())
}
