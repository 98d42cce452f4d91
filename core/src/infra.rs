//! The infrastructure model behind `dbstack check-infra`: facts read from the Kubernetes
//! manifests and the Terraform modules (each with its file and line), compared with the
//! catalog and with each other. Pure: the runtime parses the files and hands the facts here.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::catalog::ServiceKind;
use crate::env_vars;

/// Name of the ConfigMap of non-secret connection facts the application reads with `envFrom`.
pub const CONFIG_MAP_NAME: &str = "dbstack-database-config";

/// Keys the ConfigMap must carry (all are variables dbstack reads).
pub const REQUIRED_CONFIG_KEYS: &[&str] = &[
    "DBSTACK_PROFILE",
    "VAULT_ADDR",
    "VAULT_AUTH_METHOD",
    "VAULT_K8S_ROLE",
    "SUPABASE_DB_HOST",
    "SUPABASE_DB_PORT",
    "DRAGONFLY_URL",
    "RAGFLOW_URL",
    "ROCKETMQ_NAMESRV_ADDR",
];

/// The ClusterRole Vault's Kubernetes auth needs (TokenReview).
pub const AUTH_DELEGATOR_ROLE: &str = "system:auth-delegator";

/// Where a fact was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    Kubernetes,
    Terraform,
}

impl Origin {
    /// `kubernetes` or `terraform`.
    pub fn name(self) -> &'static str {
        match self {
            Origin::Kubernetes => "kubernetes",
            Origin::Terraform => "terraform",
        }
    }
}

/// A file and a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    pub file: String,
    pub line: usize,
}

impl Location {
    pub fn new(file: impl Into<String>, line: usize) -> Self {
        Location {
            file: file.into(),
            line,
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A value and where it is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Located<T> {
    pub value: T,
    pub at: Location,
}

impl<T> Located<T> {
    pub fn new(value: T, at: Location) -> Self {
        Located { value, at }
    }
}

/// A port of a Service. The value is kept as written (a Terraform expression that could not
/// be resolved stays text and then differs from every number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Port {
    pub name: Option<String>,
    pub port: Located<String>,
}

/// A container of a workload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Container {
    pub name: Located<String>,
    pub image: Option<Located<String>>,
    /// Names of the `env` entries.
    pub env: Vec<Located<String>>,
    /// ConfigMaps read with `envFrom`.
    pub env_from: Vec<Located<String>>,
    /// Probe summaries (`exec pg_isready ...`, `tcp 5432`, `http /path 9380`).
    pub liveness: Option<Located<String>>,
    pub readiness: Option<Located<String>>,
    pub has_resources: bool,
}

/// One Kubernetes object, from a manifest or a Terraform resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resource {
    pub origin: Origin,
    /// Kubernetes kind (`Service`, `StatefulSet`, `ConfigMap`, ...).
    pub kind: String,
    /// `metadata.name`, located where it is written.
    pub name: Located<String>,
    pub labels: BTreeMap<String, String>,
    pub labels_at: Location,
    /// Service ports.
    pub ports: Vec<Port>,
    /// Workload containers (init containers included).
    pub containers: Vec<Container>,
    /// ConfigMap data.
    pub data: Vec<(Located<String>, String)>,
    /// ClusterRoleBinding `roleRef.name`.
    pub role_ref: Option<String>,
}

impl Resource {
    /// An object with nothing but a kind and a name.
    pub fn new(origin: Origin, kind: impl Into<String>, name: Located<String>) -> Self {
        let labels_at = name.at.clone();
        Resource {
            origin,
            kind: kind.into(),
            name,
            labels: BTreeMap::new(),
            labels_at,
            ports: Vec::new(),
            containers: Vec::new(),
            data: Vec::new(),
            role_ref: None,
        }
    }
}

/// Everything read from both trees.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InfraFacts {
    /// The manifests folder as given (`kubernetes`), used to name expected files.
    pub kubernetes_root: String,
    /// The Terraform folder as given (`terraform`).
    pub terraform_root: String,
    pub resources: Vec<Resource>,
}

/// What kind of difference a finding reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A catalog Service has no Service object.
    MissingService,
    /// A Service object whose name is not in the catalog.
    UnknownService,
    /// A catalog Service does not expose the catalog's port.
    PortMismatch,
    /// A container runs a catalog image with another tag.
    ImageMismatch,
    /// No container runs a catalog image.
    MissingImage,
    /// An image without a tag, or `:latest`.
    UnpinnedImage,
    /// An object in the YAML has no Terraform counterpart.
    MissingInTerraform,
    /// A Terraform object has no YAML counterpart.
    MissingInKubernetes,
    /// Ports differ between YAML and Terraform.
    PortDrift,
    /// Images differ between YAML and Terraform.
    ImageDrift,
    /// Labels differ between YAML and Terraform.
    LabelDrift,
    /// Probes differ between YAML and Terraform.
    ProbeDrift,
    /// Env variable names, `envFrom` or containers differ between YAML and Terraform.
    EnvDrift,
    /// ConfigMap keys or values differ between YAML and Terraform.
    ConfigDrift,
    /// The ConfigMap of connection facts is absent.
    MissingConfigMap,
    /// A required key is absent from the ConfigMap.
    ConfigKeyMissing,
    /// A ConfigMap key is not a variable dbstack reads.
    ConfigKeyUnknown,
    /// A ConfigMap value disagrees with the catalog.
    ConfigValueMismatch,
    /// A ConfigMap carries a secret.
    SecretInConfigMap,
    /// A container has no liveness or readiness probe.
    MissingProbe,
    /// A container has no resources.
    MissingResources,
    /// No ClusterRoleBinding grants `system:auth-delegator`.
    MissingAuthDelegator,
}

impl FindingKind {
    /// The snake_case name used in JSON and in messages.
    pub fn name(self) -> &'static str {
        match self {
            FindingKind::MissingService => "missing_service",
            FindingKind::UnknownService => "unknown_service",
            FindingKind::PortMismatch => "port_mismatch",
            FindingKind::ImageMismatch => "image_mismatch",
            FindingKind::MissingImage => "missing_image",
            FindingKind::UnpinnedImage => "unpinned_image",
            FindingKind::MissingInTerraform => "missing_in_terraform",
            FindingKind::MissingInKubernetes => "missing_in_kubernetes",
            FindingKind::PortDrift => "port_drift",
            FindingKind::ImageDrift => "image_drift",
            FindingKind::LabelDrift => "label_drift",
            FindingKind::ProbeDrift => "probe_drift",
            FindingKind::EnvDrift => "env_drift",
            FindingKind::ConfigDrift => "config_drift",
            FindingKind::MissingConfigMap => "missing_config_map",
            FindingKind::ConfigKeyMissing => "config_key_missing",
            FindingKind::ConfigKeyUnknown => "config_key_unknown",
            FindingKind::ConfigValueMismatch => "config_value_mismatch",
            FindingKind::SecretInConfigMap => "secret_in_config_map",
            FindingKind::MissingProbe => "missing_probe",
            FindingKind::MissingResources => "missing_resources",
            FindingKind::MissingAuthDelegator => "missing_auth_delegator",
        }
    }
}

/// One difference, located.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub file: String,
    pub line: usize,
    pub message: String,
    pub expected: Option<String>,
    pub found: Option<String>,
    /// The other side of a YAML/Terraform comparison.
    pub related: Option<Location>,
}

impl Finding {
    fn new(kind: FindingKind, at: &Location, message: String) -> Self {
        Finding {
            kind,
            file: at.file.clone(),
            line: at.line,
            message,
            expected: None,
            found: None,
            related: None,
        }
    }

    fn expected(mut self, expected: impl Into<String>, found: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self.found = Some(found.into());
        self
    }

    fn related(mut self, at: &Location) -> Self {
        self.related = Some(at.clone());
        self
    }

    /// `file:line: kind: message (expected X, found Y)`.
    pub fn to_line(&self) -> String {
        let mut text = format!(
            "{}:{}: {}: {}",
            self.file,
            self.line,
            self.kind.name(),
            self.message
        );
        if let (Some(expected), Some(found)) = (&self.expected, &self.found) {
            text.push_str(&format!(" (expected `{expected}`, found `{found}`)"));
        }
        if let Some(other) = &self.related {
            text.push_str(&format!(" [other side: {other}]"));
        }
        text
    }
}

/// The checks' answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InfraReport {
    pub findings: Vec<Finding>,
    /// Objects read, per origin.
    pub resources: BTreeMap<&'static str, usize>,
}

impl InfraReport {
    /// No finding.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }

    /// `{"schema":"dbstack.check-infra/v1","ok":..,"resources":{..},"findings":[..]}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "schema": "dbstack.check-infra/v1",
            "ok": self.is_clean(),
            "resources": self.resources,
            "findings": self.findings,
        })
    }
}

/// One Service the catalog requires: (catalog service, Kubernetes Service name, port).
fn catalog_services() -> Vec<(ServiceKind, &'static str, u16)> {
    let mut out = Vec::new();
    for kind in ServiceKind::ALL {
        let spec = kind.spec();
        if let Some(name) = spec.k8s_service {
            out.push((kind, name, spec.port));
        }
        for extra in spec.extra_ports {
            out.push((kind, extra.k8s_service, extra.port));
        }
    }
    out
}

/// `repo` and `tag` of an image reference (`host:5000/a/b:tag` -> (`host:5000/a/b`, `tag`)).
pub fn split_image(image: &str) -> (&str, Option<&str>) {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last_slash = without_digest.rfind('/').map_or(0, |i| i + 1);
    match without_digest[last_slash..].rfind(':') {
        Some(i) => (
            &without_digest[..last_slash + i],
            Some(&without_digest[last_slash + i + 1..]),
        ),
        None => (without_digest, None),
    }
}

/// Where a missing catalog object is expected.
fn expected_file(facts: &InfraFacts, origin: Origin, service: ServiceKind) -> Location {
    match origin {
        Origin::Kubernetes => Location::new(
            format!(
                "{}/{}-deployment.yaml",
                facts.kubernetes_root.trim_end_matches('/'),
                service.name()
            ),
            1,
        ),
        Origin::Terraform => Location::new(
            format!(
                "{}/modules/{}/main.tf",
                facts.terraform_root.trim_end_matches('/'),
                service.name()
            ),
            1,
        ),
    }
}

/// Runs every check. Findings come sorted by file, line and kind.
pub fn check(facts: &InfraFacts) -> InfraReport {
    let mut findings = Vec::new();
    for origin in [Origin::Kubernetes, Origin::Terraform] {
        let of: Vec<&Resource> = facts
            .resources
            .iter()
            .filter(|r| r.origin == origin)
            .collect();
        check_catalog(facts, origin, &of, &mut findings);
        check_config_map(facts, origin, &of, &mut findings);
        check_hygiene(&of, &mut findings);
    }
    check_drift(facts, &mut findings);
    findings
        .sort_by(|a, b| (a.file.as_str(), a.line, a.kind).cmp(&(b.file.as_str(), b.line, b.kind)));
    findings.dedup();
    let mut resources = BTreeMap::new();
    for origin in [Origin::Kubernetes, Origin::Terraform] {
        let n = facts
            .resources
            .iter()
            .filter(|r| r.origin == origin)
            .count();
        resources.insert(origin.name(), n);
    }
    InfraReport {
        findings,
        resources,
    }
}

fn check_catalog(
    facts: &InfraFacts,
    origin: Origin,
    resources: &[&Resource],
    findings: &mut Vec<Finding>,
) {
    let wanted = catalog_services();
    let services: Vec<&&Resource> = resources.iter().filter(|r| r.kind == "Service").collect();
    for (kind, name, port) in &wanted {
        match services.iter().find(|s| s.name.value == *name) {
            None => findings.push(
                Finding::new(
                    FindingKind::MissingService,
                    &expected_file(facts, origin, *kind),
                    format!(
                        "the catalog's Service `{name}` ({}, port {port}) is not defined in {}",
                        kind.name(),
                        origin.name()
                    ),
                )
                .expected(*name, "nothing"),
            ),
            Some(svc) => {
                let port_text = port.to_string();
                if !svc.ports.iter().any(|p| p.port.value == port_text) {
                    let at = svc.ports.first().map_or(&svc.name.at, |p| &p.port.at);
                    let found: Vec<&str> =
                        svc.ports.iter().map(|p| p.port.value.as_str()).collect();
                    findings.push(
                        Finding::new(
                            FindingKind::PortMismatch,
                            at,
                            format!("Service `{name}` does not expose the catalog's port"),
                        )
                        .expected(port_text, found.join(",")),
                    );
                }
            }
        }
    }
    for svc in &services {
        if !wanted.iter().any(|(_, name, _)| svc.name.value == *name) {
            let known: Vec<&str> = wanted.iter().map(|(_, n, _)| *n).collect();
            findings.push(
                Finding::new(
                    FindingKind::UnknownService,
                    &svc.name.at,
                    format!(
                        "Service `{}` is not in the catalog (known: {})",
                        svc.name.value,
                        known.join(", ")
                    ),
                )
                .expected(known.join("|"), svc.name.value.clone()),
            );
        }
    }
    // Images.
    let containers: Vec<&Container> = resources.iter().flat_map(|r| &r.containers).collect();
    for kind in ServiceKind::ALL {
        let Some(image) = kind.spec().image else {
            continue;
        };
        let (repo, _) = split_image(image);
        let mut used = false;
        for c in &containers {
            let Some(found) = &c.image else { continue };
            if split_image(&found.value).0 == repo {
                used = true;
                if found.value != image {
                    findings.push(
                        Finding::new(
                            FindingKind::ImageMismatch,
                            &found.at,
                            format!(
                                "container `{}` runs {} with another tag than the catalog",
                                c.name.value,
                                kind.name()
                            ),
                        )
                        .expected(image, found.value.clone()),
                    );
                }
            }
        }
        if !used {
            findings.push(
                Finding::new(
                    FindingKind::MissingImage,
                    &expected_file(facts, origin, kind),
                    format!(
                        "no container in {} runs the catalog's {} image",
                        origin.name(),
                        kind.name()
                    ),
                )
                .expected(image, "nothing"),
            );
        }
    }
    for c in &containers {
        if let Some(image) = &c.image {
            let (_, tag) = split_image(&image.value);
            if matches!(tag, None | Some("latest")) && !image.value.contains('@') {
                findings.push(
                    Finding::new(
                        FindingKind::UnpinnedImage,
                        &image.at,
                        format!("container `{}` image is not pinned by tag", c.name.value),
                    )
                    .expected("<repository>:<tag>", image.value.clone()),
                );
            }
        }
    }
    // Vault's Kubernetes auth.
    let has_delegator = resources.iter().any(|r| {
        r.kind == "ClusterRoleBinding" && r.role_ref.as_deref() == Some(AUTH_DELEGATOR_ROLE)
    });
    if !has_delegator {
        findings.push(
            Finding::new(
                FindingKind::MissingAuthDelegator,
                &expected_file(facts, origin, ServiceKind::Vault),
                format!(
                    "no ClusterRoleBinding in {} grants `{AUTH_DELEGATOR_ROLE}` (Vault's Kubernetes auth needs it)",
                    origin.name()
                ),
            )
            .expected(AUTH_DELEGATOR_ROLE, "nothing"),
        );
    }
}

/// The host and port of `scheme://user@host:port/path` or `host:port`.
fn host_port(value: &str) -> (String, Option<String>) {
    let rest = value.split_once("://").map_or(value, |(_, r)| r);
    let authority = rest.split(['/', '?', ';']).next().unwrap_or(rest);
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    match hostport.rsplit_once(':') {
        Some((h, p)) => (h.to_string(), Some(p.to_string())),
        None => (hostport.to_string(), None),
    }
}

/// Whether a URL carries a password (`scheme://user:pass@host`).
fn url_has_password(value: &str) -> bool {
    let rest = value.split_once("://").map_or(value, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    authority
        .rsplit_once('@')
        .is_some_and(|(userinfo, _)| userinfo.contains(':'))
}

/// The catalog service a ConfigMap key points at, and the part of the value to compare.
fn config_expectation(key: &str) -> Option<(ServiceKind, bool)> {
    // (service, value is a full address) — host-only keys compare the host alone.
    match key {
        "VAULT_ADDR" => Some((ServiceKind::Vault, true)),
        "SUPABASE_DB_HOST" => Some((ServiceKind::Supabase, false)),
        "DRAGONFLY_URL" | "REDIS_URL" => Some((ServiceKind::Dragonfly, true)),
        "RAGFLOW_URL" => Some((ServiceKind::Ragflow, true)),
        "ROCKETMQ_NAMESRV_ADDR" | "NAMESRV_ADDR" => Some((ServiceKind::Rocketmq, true)),
        _ => None,
    }
}

fn check_config_map(
    facts: &InfraFacts,
    origin: Origin,
    resources: &[&Resource],
    findings: &mut Vec<Finding>,
) {
    let config_maps: Vec<&&Resource> = resources.iter().filter(|r| r.kind == "ConfigMap").collect();
    // envFrom must name an existing ConfigMap.
    for r in resources {
        for c in &r.containers {
            for from in &c.env_from {
                if !config_maps.iter().any(|m| m.name.value == from.value) {
                    findings.push(
                        Finding::new(
                            FindingKind::MissingConfigMap,
                            &from.at,
                            format!(
                                "container `{}` reads ConfigMap `{}` with envFrom, which {} does not define",
                                c.name.value,
                                from.value,
                                origin.name()
                            ),
                        )
                        .expected(from.value.clone(), "nothing"),
                    );
                }
            }
        }
    }
    let Some(map) = config_maps.iter().find(|m| m.name.value == CONFIG_MAP_NAME) else {
        let at = match origin {
            Origin::Kubernetes => Location::new(
                format!(
                    "{}/database-config.yaml",
                    facts.kubernetes_root.trim_end_matches('/')
                ),
                1,
            ),
            Origin::Terraform => Location::new(
                format!("{}/config.tf", facts.terraform_root.trim_end_matches('/')),
                1,
            ),
        };
        findings.push(
            Finding::new(
                FindingKind::MissingConfigMap,
                &at,
                format!(
                    "ConfigMap `{CONFIG_MAP_NAME}` is not defined in {}",
                    origin.name()
                ),
            )
            .expected(CONFIG_MAP_NAME, "nothing"),
        );
        return;
    };
    for key in REQUIRED_CONFIG_KEYS {
        if !map.data.iter().any(|(k, _)| k.value == *key) {
            findings.push(
                Finding::new(
                    FindingKind::ConfigKeyMissing,
                    &map.name.at,
                    format!("ConfigMap `{CONFIG_MAP_NAME}` has no key `{key}`"),
                )
                .expected(*key, "nothing"),
            );
        }
    }
    for (key, value) in &map.data {
        let Some(var) = env_vars::KNOWN.iter().find(|v| v.name == key.value) else {
            findings.push(Finding::new(
                FindingKind::ConfigKeyUnknown,
                &key.at,
                format!(
                    "ConfigMap key `{}` is not a variable dbstack reads",
                    key.value
                ),
            ));
            continue;
        };
        if var.secret && (!key.value.ends_with("_URL") || url_has_password(value)) {
            findings.push(Finding::new(
                FindingKind::SecretInConfigMap,
                &key.at,
                format!(
                    "ConfigMap key `{}` holds a secret; put it in Vault or a Secret",
                    key.value
                ),
            ));
        }
        if key.value == "SUPABASE_DB_PORT" {
            let want = ServiceKind::Supabase.spec().port.to_string();
            if *value != want {
                findings.push(
                    Finding::new(
                        FindingKind::ConfigValueMismatch,
                        &key.at,
                        "`SUPABASE_DB_PORT` is not the catalog's port".to_string(),
                    )
                    .expected(want, value.clone()),
                );
            }
        }
        if let Some((service, with_port)) = config_expectation(&key.value) {
            let spec = service.spec();
            let Some(svc) = spec.k8s_service else {
                continue;
            };
            let (host, port) = host_port(value);
            let first_label = host.split('.').next().unwrap_or("");
            let port_ok = !with_port || port.as_deref() == Some(spec.port.to_string().as_str());
            if first_label != svc || !port_ok {
                let expected = if with_port {
                    format!("{svc}:{}", spec.port)
                } else {
                    svc.to_string()
                };
                findings.push(
                    Finding::new(
                        FindingKind::ConfigValueMismatch,
                        &key.at,
                        format!(
                            "`{}` does not point at the catalog's {} Service",
                            key.value,
                            service.name()
                        ),
                    )
                    .expected(expected, value.clone()),
                );
            }
        }
    }
}

fn check_hygiene(resources: &[&Resource], findings: &mut Vec<Finding>) {
    for r in resources {
        for c in &r.containers {
            for (what, probe) in [("liveness", &c.liveness), ("readiness", &c.readiness)] {
                if probe.is_none() {
                    findings.push(Finding::new(
                        FindingKind::MissingProbe,
                        &c.name.at,
                        format!(
                            "container `{}` of {} `{}` has no {what} probe",
                            c.name.value, r.kind, r.name.value
                        ),
                    ));
                }
            }
            if !c.has_resources {
                findings.push(Finding::new(
                    FindingKind::MissingResources,
                    &c.name.at,
                    format!(
                        "container `{}` of {} `{}` has no resource requests or limits",
                        c.name.value, r.kind, r.name.value
                    ),
                ));
            }
        }
    }
}

fn fmt_labels(labels: &BTreeMap<String, String>) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn fmt_ports(ports: &[Port]) -> String {
    ports
        .iter()
        .map(|p| format!("{}:{}", p.name.as_deref().unwrap_or(""), p.port.value))
        .collect::<Vec<_>>()
        .join(",")
}

fn check_drift(facts: &InfraFacts, findings: &mut Vec<Finding>) {
    let index = |origin: Origin| -> BTreeMap<(&str, &str), &Resource> {
        facts
            .resources
            .iter()
            .filter(|r| r.origin == origin)
            .map(|r| ((r.kind.as_str(), r.name.value.as_str()), r))
            .collect()
    };
    let yaml = index(Origin::Kubernetes);
    let tf = index(Origin::Terraform);
    for ((kind, name), y) in &yaml {
        if !tf.contains_key(&(*kind, *name)) {
            findings.push(Finding::new(
                FindingKind::MissingInTerraform,
                &y.name.at,
                format!("{kind} `{name}` has no Terraform counterpart"),
            ));
        }
    }
    for ((kind, name), t) in &tf {
        let Some(y) = yaml.get(&(*kind, *name)) else {
            findings.push(Finding::new(
                FindingKind::MissingInKubernetes,
                &t.name.at,
                format!("{kind} `{name}` has no counterpart in the Kubernetes manifests"),
            ));
            continue;
        };
        compare_pair(y, t, findings);
    }
}

fn compare_pair(y: &Resource, t: &Resource, findings: &mut Vec<Finding>) {
    let what = format!("{} `{}`", t.kind, t.name.value);
    if y.labels != t.labels {
        findings.push(
            Finding::new(
                FindingKind::LabelDrift,
                &t.labels_at,
                format!("labels of {what} differ between Terraform and YAML"),
            )
            .expected(fmt_labels(&y.labels), fmt_labels(&t.labels))
            .related(&y.labels_at),
        );
    }
    let port_set = |ports: &[Port]| -> BTreeSet<(Option<String>, String)> {
        ports
            .iter()
            .map(|p| (p.name.clone(), p.port.value.clone()))
            .collect()
    };
    if port_set(&y.ports) != port_set(&t.ports) {
        let at = t.ports.first().map_or(&t.name.at, |p| &p.port.at);
        let other = y.ports.first().map_or(&y.name.at, |p| &p.port.at);
        findings.push(
            Finding::new(
                FindingKind::PortDrift,
                at,
                format!("ports of {what} differ between Terraform and YAML"),
            )
            .expected(fmt_ports(&y.ports), fmt_ports(&t.ports))
            .related(other),
        );
    }
    let y_keys: BTreeMap<&str, (&Location, &str)> = y
        .data
        .iter()
        .map(|(k, v)| (k.value.as_str(), (&k.at, v.as_str())))
        .collect();
    let t_keys: BTreeMap<&str, (&Location, &str)> = t
        .data
        .iter()
        .map(|(k, v)| (k.value.as_str(), (&k.at, v.as_str())))
        .collect();
    for (key, (at, value)) in &y_keys {
        match t_keys.get(key) {
            None => findings.push(
                Finding::new(
                    FindingKind::ConfigDrift,
                    &t.name.at,
                    format!("{what} in Terraform has no key `{key}` (the YAML has it)"),
                )
                .related(at),
            ),
            Some((t_at, t_value)) if t_value != value && y.kind == "ConfigMap" => findings.push(
                Finding::new(
                    FindingKind::ConfigDrift,
                    t_at,
                    format!("value of `{key}` in {what} differs between Terraform and YAML"),
                )
                .expected(*value, *t_value)
                .related(at),
            ),
            Some(_) => {}
        }
    }
    for (key, (at, _)) in &t_keys {
        if !y_keys.contains_key(key) {
            findings.push(
                Finding::new(
                    FindingKind::ConfigDrift,
                    at,
                    format!("key `{key}` of {what} is not in the YAML"),
                )
                .related(&y.name.at),
            );
        }
    }
    for yc in &y.containers {
        let Some(tc) = t.containers.iter().find(|c| c.name.value == yc.name.value) else {
            findings.push(
                Finding::new(
                    FindingKind::EnvDrift,
                    &t.name.at,
                    format!("{what} in Terraform has no container `{}`", yc.name.value),
                )
                .related(&yc.name.at),
            );
            continue;
        };
        compare_container(&what, yc, tc, findings);
    }
    for tc in &t.containers {
        if !y.containers.iter().any(|c| c.name.value == tc.name.value) {
            findings.push(
                Finding::new(
                    FindingKind::EnvDrift,
                    &tc.name.at,
                    format!("container `{}` of {what} is not in the YAML", tc.name.value),
                )
                .related(&y.name.at),
            );
        }
    }
}

fn compare_container(what: &str, y: &Container, t: &Container, findings: &mut Vec<Finding>) {
    let cname = &t.name.value;
    let y_image = y.image.as_ref().map(|i| i.value.as_str()).unwrap_or("");
    let t_image = t.image.as_ref().map(|i| i.value.as_str()).unwrap_or("");
    if y_image != t_image {
        let at = t.image.as_ref().map_or(&t.name.at, |i| &i.at);
        let other = y.image.as_ref().map_or(&y.name.at, |i| &i.at);
        findings.push(
            Finding::new(
                FindingKind::ImageDrift,
                at,
                format!(
                    "image of container `{cname}` of {what} differs between Terraform and YAML"
                ),
            )
            .expected(y_image, t_image)
            .related(other),
        );
    }
    for (probe, yp, tp) in [
        ("liveness", &y.liveness, &t.liveness),
        ("readiness", &y.readiness, &t.readiness),
    ] {
        let yv = yp.as_ref().map(|p| p.value.as_str()).unwrap_or("none");
        let tv = tp.as_ref().map(|p| p.value.as_str()).unwrap_or("none");
        if yv != tv {
            let at = tp.as_ref().map_or(&t.name.at, |p| &p.at);
            let other = yp.as_ref().map_or(&y.name.at, |p| &p.at);
            findings.push(
                Finding::new(
                    FindingKind::ProbeDrift,
                    at,
                    format!(
                        "{probe} probe of container `{cname}` of {what} differs between Terraform and YAML"
                    ),
                )
                .expected(yv, tv)
                .related(other),
            );
        }
    }
    let names =
        |c: &Container| -> BTreeSet<String> { c.env.iter().map(|e| e.value.clone()).collect() };
    let from = |c: &Container| -> BTreeSet<String> {
        c.env_from.iter().map(|e| e.value.clone()).collect()
    };
    if names(y) != names(t) || from(y) != from(t) {
        let join = |s: BTreeSet<String>| s.into_iter().collect::<Vec<_>>().join(",");
        findings.push(
            Finding::new(
                FindingKind::EnvDrift,
                &t.name.at,
                format!(
                    "env or envFrom of container `{cname}` of {what} differs between Terraform and YAML"
                ),
            )
            .expected(
                format!("env={} envFrom={}", join(names(y)), join(from(y))),
                format!("env={} envFrom={}", join(names(t)), join(from(t))),
            )
            .related(&y.name.at),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_images() {
        assert_eq!(
            split_image("supabase/postgres:15.8.1.060"),
            ("supabase/postgres", Some("15.8.1.060"))
        );
        assert_eq!(
            split_image("registry:5000/a/b"),
            ("registry:5000/a/b", None)
        );
        assert_eq!(
            split_image("registry:5000/a/b:v1@sha256:abc"),
            ("registry:5000/a/b", Some("v1"))
        );
    }

    #[test]
    fn parses_host_port() {
        assert_eq!(
            host_port("redis://user@dragonfly:6379/0"),
            ("dragonfly".to_string(), Some("6379".to_string()))
        );
        assert_eq!(
            host_port("rocketmq-namesrv:9876"),
            ("rocketmq-namesrv".to_string(), Some("9876".to_string()))
        );
        assert!(url_has_password("redis://u:p@dragonfly:6379"));
        assert!(!url_has_password("redis://dragonfly:6379/0"));
    }

    #[test]
    fn empty_facts_report_every_catalog_service_missing() {
        let report = check(&InfraFacts {
            kubernetes_root: "k".into(),
            terraform_root: "t".into(),
            resources: vec![],
        });
        let missing = report
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::MissingService)
            .count();
        // 6 Kubernetes Services (5 services + the broker) in each tree.
        assert_eq!(missing, 12);
        assert!(!report.is_clean());
    }
}
