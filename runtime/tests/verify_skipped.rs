//! `verify` and the engines it has no probe for (issue 14): Oracle, SQL Server, CockroachDB,
//! Redshift and engines of no known scheme are reported as skipped, with the reason, and never
//! fail the run; sqlite and spatialite files have no check at all. No server is contacted.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::print_stdout)]

use dbstack_core::ffi::resolve_json;
use dbstack_runtime::verify::{self, VerifyOptions};
use serde_json::{json, Value};

/// A test secret carrying the sentinel (tests/sentinel.txt).
const PW: &str = concat!("skip-pw-1-", include_str!("../../tests/sentinel.txt"));

fn db(engine: &str, host: &str, port: Value) -> Value {
    json!({"ENGINE": engine, "NAME": "app", "USER": "u", "PASSWORD": PW,
           "HOST": host, "PORT": port, "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": false,
           "DISABLE_SERVER_SIDE_CURSORS": false})
}

#[test]
fn engines_without_a_probe_are_skipped_with_a_reason() {
    let doc = json!({
        "schema": "dbstack.resolution/v1",
        "profile": "production",
        "fallback": {"active": false, "reason": null},
        "vault": {"enabled": false, "addr": null},
        "django": {"DATABASES": {
            "default": db("sql_server.pyodbc", "sqlserver", json!("1433")),
            "ora": db("django.db.backends.oracle", "orahost", json!("")),
            "crdb": db("django_cockroachdb", "::1", json!(26257)),
            "rs": db("django_redshift_backend", "cluster.example.com", json!(5439)),
            "custom": db("vendor.backends.db2", "db2host", json!(50000)),
            "geo": db("django.contrib.gis.db.backends.spatialite", "", json!("")),
        }},
    });
    let report = verify::verify(&doc, &VerifyOptions::default()).unwrap();
    let table = report.render_table();
    println!("{table}");
    assert!(report.ok, "{table}");
    assert_eq!(report.exit_code(), 0);
    let labels: Vec<String> = report.checks.iter().map(|c| c.label()).collect();
    assert_eq!(
        labels,
        [
            "mssql/default",
            "oracle/ora",
            "cockroach/crdb",
            "redshift/rs",
            "database/custom"
        ]
    );
    let targets: Vec<&str> = report.checks.iter().map(|c| c.target.as_str()).collect();
    assert_eq!(
        targets,
        [
            "sqlserver:1433",
            "orahost",
            "[::1]:26257",
            "cluster.example.com:5439",
            "db2host:50000"
        ]
    );
    for check in &report.checks {
        let reason = check.skipped.as_deref().unwrap();
        assert!(reason.contains("no probe for ENGINE `"), "{reason}");
        assert!(check.ok && !check.required && check.error.is_none() && check.hint.is_none());
    }
    assert!(table.contains("skipped"), "{table}");
    assert!(
        table.contains("5 checks: 0 ok, 0 failed, 0 optional failed, 5 skipped"),
        "{table}"
    );
    let json = report.to_json().to_string();
    assert!(
        json.contains(
            "\"skipped\":\"not checked: verify has no probe for ENGINE `django.db.backends.oracle`"
        ),
        "{json}"
    );
    assert!(!json.contains(PW) && !table.contains(PW));
}

/// The same from a resolution: DATABASE_URL with an mssql:// URL, the other services off.
#[test]
fn a_resolved_mssql_url_is_skipped() {
    let call = json!({
        "env": {"DATABASE_URL": format!("mssql://sa:{PW}@sqlserver:1433/app"), "DBSTACK_PROFILE": "development"},
        "reveal": true,
    });
    let answer: Value = serde_json::from_str(&resolve_json(&call.to_string())).unwrap();
    let mut doc = answer["resolution"].clone();
    assert_eq!(doc["django"]["DATABASES"]["default"]["PORT"], "1433");
    // Only the databases: no cache, RAGflow, RocketMQ or Vault to contact.
    doc["django"]["CACHES"] = json!({});
    doc["ragflow"] = json!({});
    doc["rocketmq"] = json!({});
    let dbs = doc["django"]["DATABASES"].as_object_mut().unwrap();
    dbs.retain(|alias, _| alias == "default");
    let report = verify::verify(&doc, &VerifyOptions::default()).unwrap();
    assert!(report.ok, "{}", report.render_table());
    assert_eq!(report.checks.len(), 1);
    assert_eq!(report.checks[0].label(), "mssql/default");
    assert_eq!(report.checks[0].target, "sqlserver:1433");
    assert!(report.checks[0].skipped.is_some());
}
