//! Runs the shared corpus `tests/vectors/*.json` against the core's JSON boundary.
#![allow(clippy::unwrap_used)]

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

/// `expect.env_lines` / `env_excludes`: lines the `.env` rendering (`render::env`, revealed)
/// must / must not contain.
fn check_env(case: &Value) -> Vec<String> {
    let expect = &case["expect"];
    if expect.get("env_lines").is_none() && expect.get("env_excludes").is_none() {
        return Vec::new();
    }
    let call = dbstack_core::ResolveCall::from_json(&case["call"].to_string()).unwrap();
    let resolution = dbstack_core::resolve(&call.inputs, &call.vault).unwrap();
    let text = dbstack_core::render::env(&resolution, true);
    let mut fails = Vec::new();
    for line in expect["env_lines"].as_array().into_iter().flatten() {
        if !text.lines().any(|l| l == line.as_str().unwrap()) {
            fails.push(format!("env output lacks `{line}`:\n{text}"));
        }
    }
    for part in expect["env_excludes"].as_array().into_iter().flatten() {
        if text.contains(part.as_str().unwrap()) {
            fails.push(format!("env output contains `{part}`:\n{text}"));
        }
    }
    fails
}

#[test]
fn every_vector_passes() {
    let mut report = Vec::new();
    for (name, case) in check::corpus() {
        let answer: Value =
            serde_json::from_str(&dbstack_core::ffi::resolve_json(&case["call"].to_string()))
                .unwrap();
        let mut fails = check::check(&case, &answer, Some(&plan_for(&case)));
        fails.extend(check_env(&case));
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

/// `ffi::django_json` (the WASM package's `django`) answers the CLI's `--format django` text,
/// but for the first line's CLI hint, and fails as `resolve_json` fails, for every vector.
#[test]
fn django_json_is_the_cli_renderer() {
    let mut checked = 0;
    for (name, case) in check::corpus() {
        let text = case["call"].to_string();
        let answer: Value = serde_json::from_str(&dbstack_core::ffi::django_json(&text)).unwrap();
        let resolved: Value =
            serde_json::from_str(&dbstack_core::ffi::resolve_json(&text)).unwrap();
        if resolved["ok"] != Value::Bool(true) {
            assert_eq!(answer, resolved, "{name}: the failure answers differ");
            continue;
        }
        let call = dbstack_core::ResolveCall::from_json(&text).unwrap();
        let resolution = dbstack_core::resolve(&call.inputs, &call.vault).unwrap();
        let reveal = case["call"]["reveal"] == Value::Bool(true);
        let cli = dbstack_core::render::django(&resolution, reveal);
        let expected = cli.replacen(
            "; secrets are masked (use --show-secrets).\n",
            "; secrets are masked.\n",
            1,
        );
        assert_eq!(answer["ok"], Value::Bool(true), "{name}");
        assert_eq!(answer["text"].as_str(), Some(expected.as_str()), "{name}");
        assert_eq!(
            expected.lines().next().unwrap().contains("masked"),
            !reveal,
            "{name}"
        );
        checked += 1;
    }
    assert!(checked >= 40, "only {checked} vectors resolved");
}
