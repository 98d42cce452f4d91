//! The credential keeper for Python: `keep()` resolves like `stack_from_process` and hands back
//! a `Keeper` (or `None` when Vault has nothing to keep). The keeper thread is native and never
//! holds the GIL except to pass a log line to the `dbstack` logger; every blocking call
//! releases the GIL.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use dbstack_runtime::resolve::resolve_kept;
use dbstack_runtime::vault::keeper::{Keeper, KeeperError, Level, LogSink};
use pyo3::prelude::*;
use serde_json::{json, Value};

/// Set when the interpreter is about to finalize: the keeper stops logging through Python.
static FINALIZING: AtomicBool = AtomicBool::new(false);

/// The keeper of one resolution.
#[pyclass(module = "dbstack._native", name = "_Keeper", frozen)]
#[derive(Debug)]
pub(crate) struct PyKeeper {
    keeper: Keeper,
}

fn keeper_error(e: &KeeperError) -> Value {
    match e {
        KeeperError::Vault(f) => json!({
            "kind": format!("vault_{}", f.kind),
            "message": f.message,
            "source": f.source,
            "exit_code": 3,
        }),
        other => {
            json!({"kind": "keeper", "message": other.to_string(), "source": "dbstack-keeper", "exit_code": 3})
        }
    }
}

fn seconds(value: f64) -> Duration {
    if value.is_finite() && value > 0.0 {
        Duration::from_secs_f64(value.min(600.0))
    } else {
        Duration::from_secs(1)
    }
}

#[pymethods]
impl PyKeeper {
    /// `None` when the credentials are still those of `generation`, else `(generation,
    /// {alias: {"NAME", "USER", "PASSWORD", "HOST", "PORT"}})`. Starts the keeper thread.
    fn databases(&self, py: Python<'_>, generation: u64) -> PyResult<Option<(u64, Py<PyAny>)>> {
        if self.keeper.generation().ok() == Some(generation) && self.keeper.started() {
            return Ok(None);
        }
        let Ok(snapshot) = self.keeper.snapshot() else {
            return Ok(None);
        };
        let doc = snapshot.resolution.to_json(true);
        let mut out = serde_json::Map::new();
        if let Some(databases) = doc
            .get("django")
            .and_then(|d| d.get("DATABASES"))
            .and_then(Value::as_object)
        {
            for (alias, settings) in databases {
                let mut fields = serde_json::Map::new();
                for key in ["NAME", "USER", "PASSWORD", "HOST", "PORT"] {
                    if let Some(value) = settings.get(key) {
                        fields.insert(key.to_owned(), value.clone());
                    }
                }
                out.insert(alias.clone(), Value::Object(fields));
            }
        }
        let dict = pythonize::pythonize(py, &Value::Object(out))?;
        Ok(Some((snapshot.generation, dict.unbind())))
    }

    /// New credentials now (an authentication failed): `{"ok": true, "generation"}` or
    /// `{"ok": false, "error": {...}}`. Waits at most `timeout` seconds, without the GIL.
    #[pyo3(signature = (*, timeout=10.0))]
    fn refresh(&self, py: Python<'_>, timeout: f64) -> PyResult<Py<PyAny>> {
        let answer = py.allow_threads(|| match self.keeper.refresh(seconds(timeout)) {
            Ok(snapshot) => json!({"ok": true, "generation": snapshot.generation}),
            Err(e) => json!({"ok": false, "error": keeper_error(&e)}),
        });
        Ok(pythonize::pythonize(py, &answer)?.unbind())
    }

    /// Token, leases and KV: ids, paths, TTL left, renewals, next action; never a secret.
    fn status(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let answer = self
            .keeper
            .status()
            .unwrap_or_else(|e| json!({"error": e.to_string()}));
        Ok(pythonize::pythonize(py, &answer)?.unbind())
    }

    /// Stops the thread; revokes this process's leases unless `revoke` is false or
    /// `DBSTACK_KEEP_LEASES=true`. `{"revoked", "failed"}`.
    #[pyo3(signature = (*, revoke=true, timeout=10.0))]
    fn stop(&self, py: Python<'_>, revoke: bool, timeout: f64) -> PyResult<Py<PyAny>> {
        let answer = py.allow_threads(|| match self.keeper.stop(revoke, seconds(timeout)) {
            Ok(report) => json!({"revoked": report.revoked, "failed": report.failed}),
            Err(e) => json!({"revoked": 0, "failed": 0, "error": e.to_string()}),
        });
        Ok(pythonize::pythonize(py, &answer)?.unbind())
    }

    /// Whether the keeper thread has started.
    fn started(&self) -> bool {
        self.keeper.started()
    }
}

/// A log sink that hands each line to `logging.getLogger("dbstack")`; `logging` is imported on
/// the first line, not before (`import dbstack` stays light).
fn python_log() -> LogSink {
    Arc::new(move |level: Level, line: &str| {
        if FINALIZING.load(Ordering::Acquire) {
            return;
        }
        Python::with_gil(|py| {
            let method = match level {
                Level::Info => "info",
                Level::Warning => "warning",
            };
            let logger = py
                .import("logging")
                .and_then(|logging| logging.call_method1("getLogger", ("dbstack",)));
            if let Ok(logger) = logger {
                let _ = logger.call_method1(method, ("%s", line));
            }
        });
    })
}

/// `stack_from_process` plus `"keeper"`: a `Keeper`, or `None` when there is nothing to keep.
#[pyfunction]
#[pyo3(signature = (*, env=None, profile=None, stack_file=None, offline=false, env_files=Vec::new()))]
pub(crate) fn keep(
    py: Python<'_>,
    env: Option<BTreeMap<String, String>>,
    profile: Option<String>,
    stack_file: Option<String>,
    offline: bool,
    env_files: Vec<String>,
) -> PyResult<Py<PyAny>> {
    let log = python_log();
    let process = crate::Process::read(env, profile, stack_file, offline, env_files);
    let (answer, keeper, resolution) = py.allow_threads(move || {
        crate::guarded(
            move || {
                let (env, options) = match process.inputs() {
                    Ok(inputs) => inputs,
                    Err(answer) => return (answer, None, None),
                };
                match resolve_kept(env, options, log) {
                    Ok((resolved, keeper)) => (
                        crate::stack_answer(&resolved.resolution, Value::Null),
                        keeper,
                        Some(resolved.resolution),
                    ),
                    Err(e) => (json!({"ok": false, "error": e.to_diagnostic()}), None, None),
                }
            },
            |e| (e, None, None),
        )
    });
    let answer = crate::stack_dict(py, &answer, resolution)?;
    let keeper = match keeper {
        Some(keeper) => Py::new(py, PyKeeper { keeper })?.into_any(),
        None => py.None(),
    };
    answer.set_item("keeper", keeper)?;
    Ok(answer.unbind())
}

/// Called at interpreter exit, after the keepers stopped: no more log lines through Python.
#[pyfunction]
pub(crate) fn finalizing() {
    FINALIZING.store(true, Ordering::Release);
}
