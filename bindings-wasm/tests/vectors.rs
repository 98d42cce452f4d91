//! The shared corpus `tests/vectors/*.json`, run through the WASM exports under Node.js
//! (`wasm-bindgen-test-runner`) and checked by the same checker as the Rust suites
//! (`tests/vectors/check.rs`). The files are embedded at compile time by build.rs: wasm32
//! tests have no filesystem.
#![cfg(target_arch = "wasm32")]
// A test crate: panicking on a broken answer is the point (clippy.toml's test allowances
// do not reach #[wasm_bindgen_test] functions and helpers).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../../tests/vectors/check.rs"]
mod check;

use serde_json::{json, Value};
use wasm_bindgen_test::wasm_bindgen_test;

include!(concat!(env!("OUT_DIR"), "/vectors.rs"));

/// Calls an export with JSON text and reads its answer back as JSON.
fn call(f: fn(&str) -> String, input: &str) -> Value {
    serde_json::from_str(&f(input)).expect("the export answers JSON")
}

/// Same cases, same order as `check::corpus()`, from the embedded files.
fn corpus() -> Vec<(String, Value)> {
    let mut cases = Vec::new();
    for (file, text) in VECTORS {
        let doc: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{file}: {e}"));
        let group = doc["group"].as_str().expect("group").to_owned();
        for case in doc["cases"].as_array().expect("cases") {
            cases.push((
                format!("{group}: {}", case["name"].as_str().expect("name")),
                case.clone(),
            ));
        }
    }
    cases
}

fn plan_for(case: &Value) -> Value {
    let mut inputs = case["call"].clone();
    if let Some(m) = inputs.as_object_mut() {
        m.remove("vault");
        m.remove("reveal");
    }
    call(dbstack_wasm::plan, &inputs.to_string())
}

#[wasm_bindgen_test]
fn corpus_is_embedded() {
    assert!(
        corpus().len() >= 60,
        "the corpus must keep at least 60 cases, got {}",
        corpus().len()
    );
}

#[wasm_bindgen_test]
fn every_vector_passes_in_wasm() {
    let mut report = Vec::new();
    let cases = corpus();
    for (name, case) in &cases {
        let answer = call(dbstack_wasm::resolve, &case["call"].to_string());
        let fails = check::check(case, &answer, Some(&plan_for(case)));
        if !fails.is_empty() {
            report.push(format!("{name}\n  {}", fails.join("\n  ")));
        }
    }
    assert!(
        report.is_empty(),
        "{} of {} failing vectors:\n{}",
        report.len(),
        cases.len(),
        report.join("\n")
    );
}

#[wasm_bindgen_test]
fn exports_answer_records_not_exceptions() {
    // A string input is the call's JSON text: this one is not JSON.
    let bad = call(dbstack_wasm::resolve, "{not json");
    assert_eq!(bad["ok"], json!(false));
    assert_eq!(bad["error"]["kind"], json!("invalid_call"));
    let plan = call(
        dbstack_wasm::plan,
        r#"{"env": {"VAULT_ADDR": "http://127.0.0.1:8200"}}"#,
    );
    assert_eq!(plan["ok"], json!(true), "{plan}");
    assert_eq!(
        plan["plan"]["settings"]["addr"],
        json!("http://127.0.0.1:8200")
    );
    let explain = call(
        dbstack_wasm::explain,
        r#"{"env": {"SUPABASE_DB_HOST": "db.test"}}"#,
    );
    assert_eq!(explain["ok"], json!(true), "{explain}");
    let row = explain["rows"]
        .as_array()
        .and_then(|rows| {
            rows.iter()
                .find(|r| r["path"] == json!("django.DATABASES.default.HOST"))
        })
        .cloned();
    assert_eq!(
        row.map(|r| r["source"].clone()),
        Some(json!({"kind": "env", "name": "SUPABASE_DB_HOST"}))
    );
    let schema: Value = serde_json::from_str(&dbstack_wasm::call(3, "")).expect("schema is JSON");
    assert!(schema.is_object());
    // (Objects, `undefined` and values JSON cannot carry are the JS wrapper's: api.test.mjs.)
}
