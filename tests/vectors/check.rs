//! The checker of the shared corpus, included by the Rust test suites of the core and the CLI
//! (`#[path = "../../tests/vectors/check.rs"] mod check;`). The Python and WASM suites have
//! their own small copies of the same rules (see README.md here).
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;

use serde_json::Value;

pub(crate) fn corpus() -> Vec<(String, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for file in files {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let group = doc["group"].as_str().unwrap().to_owned();
        for case in doc["cases"].as_array().unwrap() {
            cases.push((
                format!("{group}: {}", case["name"].as_str().unwrap()),
                case.clone(),
            ));
        }
    }
    cases
}

pub(crate) fn lookup<'a>(mut node: &'a Value, dotted: &str) -> Option<&'a Value> {
    for seg in dotted.split('.') {
        node = match node {
            Value::Object(m) => m.get(seg)?,
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

pub(crate) fn source_text(source: &Value) -> String {
    format!(
        "{}:{}",
        source["kind"].as_str().unwrap_or(""),
        source["name"].as_str().unwrap_or("")
    )
}

/// Checks one case against a binding's answer (`{ok, resolution, secret_paths}` or
/// `{ok: false, error}`) and its plan answer (`{ok, plan}`); returns the failures.
pub(crate) fn check(case: &Value, answer: &Value, plan: Option<&Value>) -> Vec<String> {
    let mut fails = Vec::new();
    let expect = &case["expect"];
    if let (Some(plan_expect), Some(plan)) = (expect.get("plan").and_then(Value::as_object), plan) {
        if plan["ok"] != Value::Bool(true) {
            fails.push(format!("plan failed: {plan}"));
        } else {
            for (path, want) in plan_expect {
                let got = lookup(&plan["plan"], path);
                if got != Some(want) {
                    fails.push(format!("plan.{path}: want {want}, got {got:?}"));
                }
            }
            for path in expect["plan_absent"].as_array().into_iter().flatten() {
                if lookup(&plan["plan"], path.as_str().unwrap()).is_some() {
                    fails.push(format!("plan.{path} should be absent"));
                }
            }
        }
    }

    if let Some(err) = expect.get("error") {
        if answer["ok"] != Value::Bool(false) {
            fails.push(format!("expected error {err}, got a resolution"));
            return fails;
        }
        let got = &answer["error"];
        for key in ["kind", "source", "exit_code"] {
            if got[key] != err[key] {
                fails.push(format!(
                    "error.{key}: want {}, got {} ({})",
                    err[key], got[key], got["message"]
                ));
            }
        }
        let message = got["message"].as_str().unwrap_or_default();
        for s in expect["error_excludes"].as_array().into_iter().flatten() {
            if message.contains(s.as_str().unwrap()) {
                fails.push(format!("error message leaks {s}: {message}"));
            }
        }
        return fails;
    }
    if answer["ok"] != Value::Bool(true) {
        fails.push(format!("unexpected error: {}", answer["error"]));
        return fails;
    }
    let doc = &answer["resolution"];
    for (path, want) in expect["values"].as_object().into_iter().flatten() {
        let got = lookup(doc, path);
        if got != Some(want) {
            fails.push(format!(
                "{path}: want {want}, got {}",
                got.map_or("<absent>".into(), Value::to_string)
            ));
        }
    }
    for path in expect["absent"].as_array().into_iter().flatten() {
        if lookup(doc, path.as_str().unwrap()).is_some() {
            fails.push(format!("{path} should be absent"));
        }
    }
    for (path, want) in expect["sources"].as_object().into_iter().flatten() {
        let got = doc["provenance"]
            .get(path)
            .map(|p| source_text(&p["source"]));
        if got.as_deref() != want.as_str() {
            fails.push(format!("source of {path}: want {want}, got {got:?}"));
        }
    }
    for (path, want) in expect["overrode"].as_object().into_iter().flatten() {
        let got: Vec<String> = doc["provenance"][path]["overrode"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|o| source_text(&o["source"]))
            .collect();
        let want: Vec<String> = want
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        if got != want {
            fails.push(format!("overrode of {path}: want {want:?}, got {got:?}"));
        }
    }
    let codes: Vec<&str> = doc["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap())
        .collect();
    for code in expect["warnings"].as_array().into_iter().flatten() {
        if !codes.contains(&code.as_str().unwrap()) {
            fails.push(format!("missing warning {code} (have {codes:?})"));
        }
    }
    for code in expect["no_warnings"].as_array().into_iter().flatten() {
        if codes.contains(&code.as_str().unwrap()) {
            fails.push(format!("unexpected warning {code}"));
        }
    }
    // Bindings that return the document alone (the CLI) have no `secret_paths` to check.
    if let Some(paths) = answer.get("secret_paths").and_then(Value::as_array) {
        let secret_paths: Vec<&str> = paths.iter().filter_map(Value::as_str).collect();
        for path in expect["secret_paths"].as_array().into_iter().flatten() {
            if !secret_paths.contains(&path.as_str().unwrap()) {
                fails.push(format!("{path} is not among secret_paths"));
            }
        }
    }
    let text = doc.to_string();
    for s in expect["output_excludes"].as_array().into_iter().flatten() {
        if text.contains(s.as_str().unwrap()) {
            fails.push(format!("the masked document leaks {s}"));
        }
    }
    fails
}
