//! Python bindings: a thin adapter over the core's JSON boundary and the runtime. Everything else
//! is Python (`python/dbstack/`), which raises the answers' `{"ok": false, "error": {..}}`.
//!
//! Two rules hold for every function here:
//! - No panic crosses into Python: each body runs under [`guarded`], which turns a panic into
//!   an `internal` error answer (Python raises `DbstackError`, not pyo3's `PanicException`,
//!   which `except Exception` does not catch).
//! - The process environment is read while this thread holds the GIL, never inside
//!   `allow_threads`: CPython's `os.environ[...] = ...` calls `setenv` holding the GIL, and
//!   reading `environ` while another thread reallocates it crashes the interpreter.

mod keeper;

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use dbstack_core::{ffi, render, Resolution, ResolveCall};
use dbstack_runtime::resolve::{ResolveOptions, RuntimeError};
use dbstack_runtime::{inputs, verify as live};
use pyo3::prelude::*;
use serde_json::{json, Value};

fn failure(kind: &str, message: String, source: &str) -> Value {
    json!({"ok": false, "error": {"kind": kind, "message": message, "source": source, "exit_code": 2}})
}

/// Runs `body`; a panic becomes an `internal` error answer instead of crossing into Python.
pub(crate) fn guarded<T>(body: impl FnOnce() -> T, wrap: impl FnOnce(Value) -> T) -> T {
    // The state a panicking body touched is its own (nothing shared is left half-written).
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| {
        wrap(failure(
            "internal",
            "dbstack failed internally (a bug: please report it); nothing was changed".into(),
            "dbstack",
        ))
    })
}

/// A guarded body whose answer is JSON text.
fn guarded_text(body: impl FnOnce() -> String) -> String {
    guarded(body, |answer| answer.to_string())
}

/// `resolve` over JSON text (the boundary WASM uses too).
#[pyfunction]
fn resolve(py: Python<'_>, call_json: &str) -> String {
    py.allow_threads(|| guarded_text(|| ffi::resolve_json(call_json)))
}

/// `plan` over JSON text: the Vault reads the inputs need.
#[pyfunction]
fn plan(py: Python<'_>, inputs_json: &str) -> String {
    py.allow_threads(|| guarded_text(|| ffi::plan_json(inputs_json)))
}

/// `explain` over JSON text: the provenance table.
#[pyfunction]
fn explain(py: Python<'_>, call_json: &str) -> String {
    py.allow_threads(|| guarded_text(|| ffi::explain_json(call_json)))
}

/// The JSON Schema of the resolution document.
#[pyfunction]
fn schema() -> String {
    ffi::schema_json()
}

/// A resolution kept for what Python renders only when asked (`Stack.explain()`): the
/// explain table of 5,000 aliases is megabytes, not worth building on every resolve.
#[pyclass(name = "_Resolved", module = "dbstack._native", frozen)]
struct Resolved {
    resolution: Resolution,
}

#[pymethods]
impl Resolved {
    /// `{"ok": true, "text": <the explain table, secrets masked>}` or an error answer.
    fn explain(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let answer = py.allow_threads(|| {
            guarded(
                || json!({"ok": true, "text": render::explain(&self.resolution, false)}),
                |e| e,
            )
        });
        to_py(py, &answer).map(Bound::unbind)
    }
}

/// What `dbstack.Stack` is built from: both renderings and the secrets' paths; `rendered`
/// is a CLI rendering when one was asked for.
pub(crate) fn stack_answer(res: &Resolution, rendered: Value) -> Value {
    let mut answer = ffi::answer(res, true);
    if let Some(map) = answer.as_object_mut() {
        map.insert("redacted".into(), res.to_json(false));
        map.insert("rendered".into(), rendered);
    }
    answer
}

/// The answer as a Python dict, with the resolution itself under `native` when there is one.
pub(crate) fn stack_dict<'py>(
    py: Python<'py>,
    answer: &Value,
    resolution: Option<Resolution>,
) -> PyResult<Bound<'py, PyAny>> {
    let dict = to_py(py, answer)?;
    if let Some(resolution) = resolution {
        dict.set_item("native", Py::new(py, Resolved { resolution })?)?;
    }
    Ok(dict)
}

/// Resolves a full call (inputs plus Vault answers) without I/O.
#[pyfunction]
fn stack_from_call(py: Python<'_>, call_json: &str) -> PyResult<Py<PyAny>> {
    let (answer, resolution) = py.allow_threads(|| {
        guarded(
            || match ResolveCall::from_json(call_json) {
                Ok(call) => match dbstack_core::resolve(&call.inputs, &call.vault) {
                    Ok(res) => (stack_answer(&res, Value::Null), Some(res)),
                    Err(e) => (ffi::error_answer(&e), None),
                },
                Err(e) => (ffi::bad_call(&e), None),
            },
            |e| (e, None),
        )
    });
    stack_dict(py, &answer, resolution).map(Bound::unbind)
}

/// What `stack_from_process` and `keep` resolve: the environment (the caller's, or the
/// process's, read here with the GIL held — see the module's comment) and the options.
pub(crate) struct Process {
    env: Result<BTreeMap<String, String>, inputs::InputError>,
    options: ResolveOptions,
}

impl Process {
    pub(crate) fn read(
        env: Option<BTreeMap<String, String>>,
        profile: Option<String>,
        stack_file: Option<String>,
        offline: bool,
        env_files: Vec<String>,
    ) -> Process {
        Process {
            env: env.map_or_else(inputs::process_env, Ok),
            options: ResolveOptions {
                profile,
                stack_file,
                offline,
                env_files,
                ..ResolveOptions::default()
            },
        }
    }

    /// The environment and the options, or the error answer for an environment that could not
    /// be read.
    pub(crate) fn inputs(self) -> Result<(BTreeMap<String, String>, ResolveOptions), Value> {
        match self.env {
            Ok(env) => Ok((env, self.options)),
            Err(e) => Err(json!({"ok": false, "error": RuntimeError::from(e).to_diagnostic()})),
        }
    }
}

/// Gathers the inputs (process or given environment, Kubernetes files, stack file), performs
/// the Vault plan unless `offline`, and resolves. `render` adds a CLI rendering as `rendered`.
#[pyfunction]
#[pyo3(signature = (*, env=None, profile=None, stack_file=None, offline=false, render=None, reveal=false, env_files=Vec::new()))]
#[allow(clippy::too_many_arguments)]
fn stack_from_process(
    py: Python<'_>,
    env: Option<BTreeMap<String, String>>,
    profile: Option<String>,
    stack_file: Option<String>,
    offline: bool,
    render: Option<String>,
    reveal: bool,
    env_files: Vec<String>,
) -> PyResult<Py<PyAny>> {
    let process = Process::read(env, profile, stack_file, offline, env_files);
    let (answer, resolution) = py.allow_threads(move || {
        guarded(
            move || {
                let (env, options) = match process.inputs() {
                    Ok(inputs) => inputs,
                    Err(answer) => return (answer, None),
                };
                match dbstack_runtime::resolve::resolve(env, options) {
                    Ok(resolved) => {
                        let res = resolved.resolution;
                        let rendered = match render.as_deref() {
                            Some("json") => render::json(&res, reveal).into(),
                            Some("django") => render::django(&res, reveal).into(),
                            Some("env") => render::env(&res, reveal).into(),
                            Some("table") => render::table(&res).into(),
                            Some("explain") => render::explain(&res, reveal).into(),
                            Some("explain-json") => ffi::explain_value(&res, reveal)
                                .get("rows")
                                .cloned()
                                .unwrap_or_default(),
                            _ => Value::Null,
                        };
                        (stack_answer(&res, rendered), Some(res))
                    }
                    Err(e) => (json!({"ok": false, "error": e.to_diagnostic()}), None),
                }
            },
            |e| (e, None),
        )
    });
    stack_dict(py, &answer, resolution).map(Bound::unbind)
}

/// Live checks of every service of a revealed resolution document (`dbstack verify`).
/// `timeout`: seconds per check, above 0 and at most 3600.
#[pyfunction]
#[pyo3(signature = (doc_json, *, timeout=None, env=None))]
fn verify(
    py: Python<'_>,
    doc_json: &str,
    timeout: Option<f64>,
    env: Option<BTreeMap<String, String>>,
) -> PyResult<Py<PyAny>> {
    // Read with the GIL held (see the module's comment).
    let env = env.map_or_else(inputs::process_env, Ok);
    let answer = py.allow_threads(move || {
        guarded(
            move || {
                let env = match env {
                    Ok(env) => env,
                    Err(e) => {
                        return json!({"ok": false, "error": RuntimeError::from(e).to_diagnostic()})
                    }
                };
                let mut options = live::VerifyOptions::from_env(&env);
                if let Some(secs) = timeout {
                    match live::timeout_from_secs(secs) {
                        Some(timeout) => options.timeout = timeout,
                        None => {
                            return failure(
                                "invalid_argument",
                                format!("timeout: {secs} is not a number of seconds above 0 and at most {}", live::MAX_TIMEOUT_SECS),
                                "timeout",
                            )
                        }
                    }
                }
                let doc: Value = match serde_json::from_str(doc_json) {
                    Ok(doc) => doc,
                    Err(e) => {
                        return failure("invalid_call", format!("invalid document: {e}"), "doc")
                    }
                };
                match live::verify(&doc, &options) {
                    Ok(report) => json!({"ok": true, "report": report.to_json(), "table": report.render_table(), "exit_code": report.exit_code()}),
                    Err(e) => failure("verify", e.to_string(), "doc"),
                }
            },
            |e| e,
        )
    });
    to_py(py, &answer).map(Bound::unbind)
}

/// The variables of an env file, as `resolve(env_file=...)` reads them (dotenv syntax):
/// `{"ok": true, "values": {key: value}}` (a later line beats an earlier one), or an error
/// answer naming `path:line`. A file that does not exist is an error here.
#[pyfunction]
fn read_env_file(py: Python<'_>, path: String) -> PyResult<Py<PyAny>> {
    let answer = py.allow_threads(move || {
        guarded(
            move || match inputs::read_env_file(&path) {
                Ok(Some(entries)) => {
                    let values: serde_json::Map<String, Value> = entries
                        .into_iter()
                        .map(|(key, value, _)| (key, Value::String(value)))
                        .collect();
                    json!({"ok": true, "values": values})
                }
                Ok(None) => failure(
                    "invalid_env_file",
                    format!("env file `{path}` does not exist"),
                    &path,
                ),
                Err(e) => json!({"ok": false, "error": {"kind": e.kind(), "message": e.to_string(),
                                  "source": e.source_name(), "exit_code": e.exit_code()}}),
            },
            |e| e,
        )
    });
    to_py(py, &answer).map(Bound::unbind)
}

/// JSON to Python objects directly, so that `import dbstack` need not import `json`.
fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(pythonize::pythonize(py, value)?)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // The workspace version: maturin gives the wheel the same one (one source, Cargo.toml).
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(resolve, m)?)?;
    m.add_function(wrap_pyfunction!(plan, m)?)?;
    m.add_function(wrap_pyfunction!(explain, m)?)?;
    m.add_function(wrap_pyfunction!(schema, m)?)?;
    m.add_function(wrap_pyfunction!(stack_from_call, m)?)?;
    m.add_function(wrap_pyfunction!(stack_from_process, m)?)?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    m.add_function(wrap_pyfunction!(read_env_file, m)?)?;
    m.add_function(wrap_pyfunction!(keeper::keep, m)?)?;
    m.add_function(wrap_pyfunction!(keeper::finalizing, m)?)?;
    m.add_class::<keeper::PyKeeper>()?;
    m.add_class::<Resolved>()?;
    Ok(())
}
