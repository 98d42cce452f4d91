//! `dbstack check-infra` over the repository's manifests and over mutated copies of them.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};

use dbstack_core::infra::{Finding, FindingKind, InfraReport};
use dbstack_runtime::infra::{check_dirs, InfraError};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A temp copy of `kubernetes/` and `terraform/`.
struct Copy {
    dir: tempfile::TempDir,
}

impl Copy {
    fn new() -> Copy {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&repo().join("kubernetes"), &dir.path().join("kubernetes"));
        copy_dir(&repo().join("terraform"), &dir.path().join("terraform"));
        Copy { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn file(&self, rel: &str) -> String {
        self.path(rel).display().to_string()
    }

    /// Replaces the first occurrence of `from` (which must exist) and returns its 1-based line.
    fn replace(&self, rel: &str, from: &str, to: &str) -> usize {
        let path = self.path(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        let at = text
            .find(from)
            .unwrap_or_else(|| panic!("`{from}` not in {rel}"));
        let line = text[..at].matches('\n').count() + 1;
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
        line
    }

    /// Deletes the first line containing `needle` and returns its number.
    fn delete_line(&self, rel: &str, needle: &str) -> usize {
        let path = self.path(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let idx = lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("`{needle}` not in {rel}"));
        let kept: Vec<&str> = lines
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != idx)
            .map(|(_, l)| *l)
            .collect();
        std::fs::write(&path, kept.join("\n") + "\n").unwrap();
        idx + 1
    }

    fn check(&self) -> InfraReport {
        check_dirs(&self.path("kubernetes"), &self.path("terraform")).unwrap()
    }

    fn check_err(&self) -> InfraError {
        check_dirs(&self.path("kubernetes"), &self.path("terraform")).unwrap_err()
    }
}

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
