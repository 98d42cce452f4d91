//! Runs the shared corpus `tests/vectors/*.json` against the core's JSON boundary.

#[path = "../../tests/vectors/check.rs"]
mod check;

use serde_json::Value;

#[allow(clippy::expect_used)]
fn plan_for(case: &Value) -> Value {
    let mut call = case["call"].clone();
    if let Some(m) = call.as_object_mut() {
        m.remove("vault");
        m.remove("reveal");
    }
    serde_json::from_str(&dbstack_core::ffi::plan_json(&call.to_string()))
        .expect("plan_json answers JSON")
}

#[test]
fn corpus_has_enough_cases() {
    assert!(
        check::corpus().len() >= 60,
        "the corpus must keep at least 60 cases"
    );
}

#[test]
fn every_vector_passes() {
    let mut report = Vec::new();
    for (name, case) in check::corpus() {
        let answer: Value =
            serde_json::from_str(&dbstack_core::ffi::resolve_json(&case["call"].to_string()))
                .unwrap();
        let fails = check::check(&case, &answer, Some(&plan_for(&case)));
        if !fails.is_empty() {
            report.push(format!("{name}\n  {}", fails.join("\n  ")));
        }
    }
    assert!(
        report.is_empty(),
        "{} failing vectors:\n{}",
        report.len(),
        report.join("\n")
    );
}
