//! `verify` reads `VAULT_SKIP_VERIFY` with the core's boolean parser: every case of the shared
//! corpus (tests/vectors) that states the plan's `settings.skip_verify` must give `verify` the
//! same answer (regression: `on` skipped certificate checks for Vault reads only).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use dbstack_runtime::verify::VerifyOptions;
use serde_json::Value;

#[test]
fn verify_reads_vault_skip_verify_like_the_plan() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.extension().is_some_and(|e| e == "json") {
            continue;
        }
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for case in doc["cases"].as_array().unwrap() {
            let Some(want) = case["expect"]["plan"]["settings.skip_verify"].as_bool() else {
                continue;
            };
            let env: BTreeMap<String, String> =
                serde_json::from_value(case["call"]["env"].clone()).unwrap();
            let options = VerifyOptions::from_env(&env);
            assert_eq!(options.vault_skip_verify, want, "{}", case["name"]);
            checked += 1;
        }
    }
    assert!(
        checked >= 2,
        "the corpus states skip_verify in {checked} cases"
    );
}
