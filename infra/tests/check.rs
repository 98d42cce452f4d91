//! `dbstack check-infra` over the repository's manifests and over mutated copies of them.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::path::Path;

use common::{repo, Copy};
use dbstack_infra::{check_dirs, Finding, FindingKind, InfraError, InfraReport};

fn line_of(path: &Path, needle: &str) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` not in {}", path.display()))
        + 1
}

fn find<'a>(report: &'a InfraReport, kind: FindingKind, file: &str, line: usize) -> &'a Finding {
    report
        .findings
        .iter()
        .find(|f| f.kind == kind && f.file == file && f.line == line)
        .unwrap_or_else(|| {
            let all: Vec<String> = report.findings.iter().map(Finding::to_line).collect();
            panic!(
                "no {} at {file}:{line}; findings:\n{}",
                kind.name(),
                all.join("\n")
            )
        })
}

fn kinds(report: &InfraReport) -> Vec<FindingKind> {
    let mut k: Vec<FindingKind> = report.findings.iter().map(|f| f.kind).collect();
    k.sort();
    k.dedup();
    k
}

#[test]
fn repository_manifests_and_modules_are_consistent() {
    let report = check_dirs(&repo().join("kubernetes"), &repo().join("terraform")).unwrap();
    let lines: Vec<String> = report.findings.iter().map(Finding::to_line).collect();
    assert!(report.is_clean(), "findings:\n{}", lines.join("\n"));
    // Both trees were actually read: every Service, workload, ConfigMap, ServiceAccount,
    // binding, policy and the namespace.
    assert_eq!(
        report.resources["kubernetes"],
        report.resources["terraform"]
    );
    assert!(
        report.resources["kubernetes"] >= 25,
        "{:?}",
        report.resources
    );
}

#[test]
fn port_changed_in_one_terraform_module() {
    let c = Copy::new();
    let rel = "terraform/modules/rocketmq/main.tf";
    let line = line_of(&c.path(rel), "port        = 10911");
    c.replace(rel, "port        = 10911", "port        = 10912");
    let report = c.check();
    let f = find(&report, FindingKind::PortMismatch, &c.file(rel), line);
    assert_eq!(f.expected.as_deref(), Some("10911"));
    assert_eq!(f.found.as_deref(), Some("10912"));
    let drift = find(&report, FindingKind::PortDrift, &c.file(rel), line);
    let other = drift.related.as_ref().unwrap();
    assert_eq!(other.file, c.file("kubernetes/rocketmq-deployment.yaml"));
    // Nothing in the YAML is blamed.
    assert!(
        report.findings.iter().all(|f| f.file == c.file(rel)),
        "{:#?}",
        report.findings
    );
}

#[test]
fn service_renamed_in_yaml() {
    let c = Copy::new();
    let rel = "kubernetes/supabase-deployment.yaml";
    let line = line_of(&c.path(rel), "name: supabase-db");
    c.replace(rel, "name: supabase-db", "name: supabase-postgres");
    let report = c.check();
    let f = find(&report, FindingKind::UnknownService, &c.file(rel), line);
    assert_eq!(f.found.as_deref(), Some("supabase-postgres"));
    find(&report, FindingKind::MissingService, &c.file(rel), 1);
    find(&report, FindingKind::MissingInTerraform, &c.file(rel), line);
    let tf = c.file("terraform/modules/supabase/main.tf");
    assert!(report
        .findings
        .iter()
        .any(|f| f.kind == FindingKind::MissingInKubernetes && f.file == tf));
}

#[test]
fn config_map_key_missing() {
    let c = Copy::new();
    let rel = "kubernetes/database-config.yaml";
    let name_line = line_of(&c.path(rel), "name: dbstack-database-config");
    c.delete_line(rel, "ROCKETMQ_NAMESRV_ADDR");
    let report = c.check();
    let f = find(
        &report,
        FindingKind::ConfigKeyMissing,
        &c.file(rel),
        name_line,
    );
    assert_eq!(f.expected.as_deref(), Some("ROCKETMQ_NAMESRV_ADDR"));
    let tf = "terraform/config.tf";
    let tf_line = line_of(&c.path(tf), "\"ROCKETMQ_NAMESRV_ADDR\"");
    find(&report, FindingKind::ConfigDrift, &c.file(tf), tf_line);
}

#[test]
fn image_tag_differs_between_yaml_and_terraform() {
    let c = Copy::new();
    let rel = "terraform/modules/dragonfly/variables.tf";
    let line = line_of(&c.path(rel), "dragonfly:v1.27.1");
    c.replace(rel, "dragonfly:v1.27.1", "dragonfly:v1.28.0");
    let report = c.check();
    let drift = find(&report, FindingKind::ImageDrift, &c.file(rel), line);
    assert_eq!(
        drift.expected.as_deref(),
        Some("docker.dragonflydb.io/dragonflydb/dragonfly:v1.27.1")
    );
    assert_eq!(
        drift.found.as_deref(),
        Some("docker.dragonflydb.io/dragonflydb/dragonfly:v1.28.0")
    );
    find(&report, FindingKind::ImageMismatch, &c.file(rel), line);
    assert_eq!(
        kinds(&report),
        vec![FindingKind::ImageMismatch, FindingKind::ImageDrift]
    );
}

#[test]
fn image_overridden_by_the_root_module_call_is_seen() {
    let c = Copy::new();
    let rel = "terraform/main.tf";
    let line = c.replace(
        rel,
        "  source     = \"./modules/vault\"\n",
        "  source     = \"./modules/vault\"\n  image      = \"hashicorp/vault:1.19.0\"\n",
    ) + 1;
    let report = c.check();
    find(&report, FindingKind::ImageMismatch, &c.file(rel), line);
}

#[test]
fn labels_probes_and_env_drift_are_found() {
    let c = Copy::new();
    let tf = "terraform/modules/ragflow/main.tf";
    c.replace(tf, "\"/api/v1/system/healthz\"", "\"/v1/system/healthz\"");
    c.replace(
        tf,
        "\"app.kubernetes.io/component\" = \"rag\"",
        "\"app.kubernetes.io/component\" = \"search\"",
    );
    let app = "terraform/app.tf";
    c.replace(app, "\"POD_NAMESPACE\"", "\"MY_NAMESPACE\"");
    let report = c.check();
    let k = kinds(&report);
    for want in [
        FindingKind::ProbeDrift,
        FindingKind::LabelDrift,
        FindingKind::EnvDrift,
    ] {
        assert!(k.contains(&want), "{want:?} not in {k:?}");
    }
    let probe = report
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::ProbeDrift)
        .unwrap();
    assert_eq!(probe.file, c.file(tf));
    assert!(probe
        .found
        .as_deref()
        .unwrap()
        .contains("/v1/system/healthz"));
}

#[test]
fn secrets_and_unknown_keys_in_the_config_map_are_findings() {
    let c = Copy::new();
    let rel = "kubernetes/database-config.yaml";
    let line = c.replace(
        rel,
        "DRAGONFLY_URL: \"redis://dragonfly:6379/0\"",
        "DRAGONFLY_URL: \"redis://default:hunter2@dragonfly:6379/0\"\n  SUPABASE_DB_PASSWORD: hunter2\n  SOME_SETTING: x",
    );
    let report = c.check();
    find(&report, FindingKind::SecretInConfigMap, &c.file(rel), line);
    find(
        &report,
        FindingKind::SecretInConfigMap,
        &c.file(rel),
        line + 1,
    );
    find(
        &report,
        FindingKind::ConfigKeyUnknown,
        &c.file(rel),
        line + 2,
    );
    // No finding repeats the secret.
    assert!(report
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::SecretInConfigMap)
        .all(|f| !f.message.contains("hunter2")));
}

#[test]
fn config_map_value_pointing_elsewhere_is_a_finding() {
    let c = Copy::new();
    let rel = "terraform/config.tf";
    let line = line_of(&c.path(rel), "\"VAULT_ADDR\"");
    c.replace(rel, "http://vault:8200", "http://vault:8300");
    let report = c.check();
    let f = find(
        &report,
        FindingKind::ConfigValueMismatch,
        &c.file(rel),
        line,
    );
    assert_eq!(f.expected.as_deref(), Some("vault:8200"));
}

#[test]
fn missing_probe_and_auth_delegator_are_findings() {
    let c = Copy::new();
    let rel = "kubernetes/vault-deployment.yaml";
    c.replace(rel, "name: \"system:auth-delegator\"", "name: view");
    c.replace(rel, "readinessProbe:", "startupProbe:");
    let report = c.check();
    let k = kinds(&report);
    assert!(k.contains(&FindingKind::MissingAuthDelegator), "{k:?}");
    assert!(k.contains(&FindingKind::MissingProbe), "{k:?}");
}

#[test]
fn unparseable_yaml_names_file_and_line() {
    let c = Copy::new();
    let rel = "kubernetes/ragflow-deployment.yaml";
    let line = c.replace(rel, "  type: ClusterIP\n", "  type: [ClusterIP\n");
    let err = c.check_err();
    assert_eq!(err.file(), c.file(rel));
    let text = err.to_string();
    assert!(text.contains(&c.file(rel)), "{text}");
    let InfraError::Syntax { line: at, .. } = err else {
        panic!("not a syntax error: {text}")
    };
    assert!(at >= line, "{text}");
}

#[test]
fn unparseable_hcl_names_file_and_line() {
    let c = Copy::new();
    let rel = "terraform/modules/vault/outputs.tf";
    std::fs::write(c.path(rel), "output \"x\" {\n  value = \n}\n").unwrap();
    let err = c.check_err();
    assert_eq!(err.file(), c.file(rel));
    let InfraError::Syntax { line, .. } = err else {
        panic!("not a syntax error")
    };
    assert!((2..=3).contains(&line), "line {line}");
}

#[test]
fn a_manifest_without_kind_is_invalid_input() {
    let c = Copy::new();
    let rel = "kubernetes/extra.yaml";
    std::fs::write(c.path(rel), "metadata:\n  name: x\n").unwrap();
    let err = c.check_err();
    assert_eq!(err.file(), c.file(rel));
    assert!(matches!(err, InfraError::Invalid { line: 1, .. }), "{err}");
}

#[test]
fn vault_bootstrap_job_role_and_service_account_are_checked() {
    let c = Copy::new();
    let rel = "kubernetes/vault-bootstrap-job.yaml";
    // The role the Job creates is not the one the application logs in with.
    let role_line = c.replace(rel, "--role=agent-runtime", "--role=dbstack");
    // The Job binds a service account nobody runs as.
    let sa_line = c.replace(
        rel,
        "--service-account=agent-runtime",
        "--service-account=agent",
    );
    let tf = "terraform/vault_bootstrap.tf";
    let tf_role_line = c.replace(tf, "\"--role=agent-runtime\"", "\"--role=other\"");
    let report = c.check();
    let f = find(
        &report,
        FindingKind::VaultBootstrapMismatch,
        &c.file(rel),
        role_line,
    );
    assert_eq!(f.expected.as_deref(), Some("agent-runtime"));
    assert_eq!(f.found.as_deref(), Some("dbstack"));
    let config = c.file("kubernetes/database-config.yaml");
    assert_eq!(
        f.related.as_ref().map(|r| r.file.as_str()),
        Some(config.as_str())
    );
    let undefined = report
        .findings
        .iter()
        .filter(|f| {
            f.kind == FindingKind::VaultBootstrapMismatch
                && f.file == c.file(rel)
                && f.line == sa_line
        })
        .count();
    // Not defined, and not what the application's Deployment runs as.
    assert_eq!(undefined, 2, "{:?}", report.findings);
    find(
        &report,
        FindingKind::VaultBootstrapMismatch,
        &c.file(tf),
        tf_role_line,
    );
}

#[test]
fn an_exec_probe_that_starts_django_is_a_finding() {
    let c = Copy::new();
    let rel = "kubernetes/app-deployment.yaml";
    // The old shape: readiness runs the management command (an interpreter, Django and a
    // Vault login on every probe of every pod).
    let line = c.replace(
        rel,
        "          readinessProbe:\n            httpGet:\n              path: /healthz/ready",
        "          readinessProbe:\n            exec:\n              command: [python, manage.py, verify_db_connections]\n            httpGet:\n              path: /healthz/ready",
    );
    let report = c.check();
    let expensive = find(&report, FindingKind::ExpensiveProbe, &c.file(rel), line + 2);
    assert!(
        expensive
            .message
            .contains("manage.py verify_db_connections")
            && expensive.message.contains("readiness")
            && expensive.message.contains("agent-runtime"),
        "{expensive:?}"
    );
    // ... and it is no longer the httpGet the application's readiness should be.
    find(&report, FindingKind::HealthProbe, &c.file(rel), line + 2);
    // The same command in a Job is what the Job is for: no finding there.
    assert!(report
        .findings
        .iter()
        .all(|f| !f.file.ends_with("app-verify-job.yaml")));
}

#[test]
fn the_application_probes_must_be_http_on_the_health_endpoints() {
    let c = Copy::new();
    let rel = "terraform/app.tf";
    // Liveness on the readiness endpoint would restart pods when a database is down.
    let line = c.replace(rel, "path = \"/healthz/live\"", "path = \"/healthz/ready\"");
    let report = c.check();
    let f = find(&report, FindingKind::HealthProbe, &c.file(rel), line - 1);
    assert_eq!(f.expected.as_deref(), Some("http /healthz/live"));
    assert!(kinds(&report).contains(&FindingKind::ProbeDrift));

    // No startup probe on the application is a finding too.
    let c = Copy::new();
    let rel = "kubernetes/app-deployment.yaml";
    c.replace(rel, "startupProbe:", "x-startupProbe:");
    let report = c.check();
    let f = report
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::HealthProbe)
        .unwrap();
    assert!(f.message.starts_with("startup probe"), "{f:?}");
    assert_eq!(f.found.as_deref(), Some("none"));
}
