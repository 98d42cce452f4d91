//! The facts read from the Kubernetes manifests and the Terraform modules (each with its file
//! and line) and the findings the checks report about them.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};

/// Where a fact was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Origin {
    /// A manifest under the Kubernetes folder.
    Kubernetes,
    /// A `kubernetes_*` resource under the Terraform folder.
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
    /// The file as named under the folder given on the command line.
    pub file: String,
    /// 1-based line.
    pub line: usize,
}

impl Location {
    /// `file:line`.
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
    /// The value.
    pub value: T,
    /// Where it is written.
    pub at: Location,
}

impl<T> Located<T> {
    /// A value written at `at`.
    pub fn new(value: T, at: Location) -> Self {
        Located { value, at }
    }
}

/// A port of a Service. The value is kept as written (a Terraform expression that could not
/// be resolved stays text and then differs from every number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Port {
    /// The port's `name`.
    pub name: Option<String>,
    /// The port number as written.
    pub port: Located<String>,
}

/// A container of a workload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Container {
    /// The container's `name`.
    pub name: Located<String>,
    /// The container's `image`.
    pub image: Option<Located<String>>,
    /// Names of the `env` entries.
    pub env: Vec<Located<String>>,
    /// ConfigMaps read with `envFrom`.
    pub env_from: Vec<Located<String>>,
    /// Probe summaries (`exec pg_isready ...`, `tcp 5432`, `http /path 9380`).
    pub liveness: Option<Located<String>>,
    /// The readiness probe's summary.
    pub readiness: Option<Located<String>>,
    /// The startup probe's summary.
    pub startup: Option<Located<String>>,
    /// Whether `resources` is set and not empty.
    pub has_resources: bool,
    /// `args`, each where it is written.
    pub args: Vec<Located<String>>,
}

/// One Kubernetes object, from a manifest or a Terraform resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resource {
    /// Which tree it was read from.
    pub origin: Origin,
    /// Kubernetes kind (`Service`, `StatefulSet`, `ConfigMap`, ...).
    pub kind: String,
    /// `metadata.name`, located where it is written.
    pub name: Located<String>,
    /// `metadata.labels`.
    pub labels: BTreeMap<String, String>,
    /// Where the labels are written (the name when there are none).
    pub labels_at: Location,
    /// Service ports.
    pub ports: Vec<Port>,
    /// Workload containers (init containers included).
    pub containers: Vec<Container>,
    /// ConfigMap data.
    pub data: Vec<(Located<String>, String)>,
    /// ClusterRoleBinding `roleRef.name`.
    pub role_ref: Option<String>,
    /// A workload's pod `serviceAccountName`.
    pub service_account: Option<Located<String>>,
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
            service_account: None,
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
    /// The objects of both trees.
    pub resources: Vec<Resource>,
}

/// Declares [`FindingKind`] and its snake_case names in one list.
macro_rules! finding_kinds {
    ($($(#[doc = $doc:literal])* $kind:ident = $name:literal,)*) => {
        /// What kind of difference a finding reports.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum FindingKind {
            $($(#[doc = $doc])* $kind,)*
        }

        impl FindingKind {
            /// The snake_case name used in JSON and in messages.
            pub fn name(self) -> &'static str {
                match self {
                    $(FindingKind::$kind => $name,)*
                }
            }
        }
    };
}

finding_kinds! {
    /// A catalog Service has no Service object.
    MissingService = "missing_service",
    /// A Service object whose name is not in the catalog.
    UnknownService = "unknown_service",
    /// A catalog Service does not expose the catalog's port.
    PortMismatch = "port_mismatch",
    /// A container runs a catalog image with another tag.
    ImageMismatch = "image_mismatch",
    /// No container runs a catalog image.
    MissingImage = "missing_image",
    /// An image without a tag, or `:latest`.
    UnpinnedImage = "unpinned_image",
    /// An object in the YAML has no Terraform counterpart.
    MissingInTerraform = "missing_in_terraform",
    /// A Terraform object has no YAML counterpart.
    MissingInKubernetes = "missing_in_kubernetes",
    /// Ports differ between YAML and Terraform.
    PortDrift = "port_drift",
    /// Images differ between YAML and Terraform.
    ImageDrift = "image_drift",
    /// Labels differ between YAML and Terraform.
    LabelDrift = "label_drift",
    /// Probes differ between YAML and Terraform.
    ProbeDrift = "probe_drift",
    /// Env variable names, `envFrom` or containers differ between YAML and Terraform.
    EnvDrift = "env_drift",
    /// ConfigMap keys or values differ between YAML and Terraform.
    ConfigDrift = "config_drift",
    /// The ConfigMap of connection facts is absent.
    MissingConfigMap = "missing_config_map",
    /// A required key is absent from the ConfigMap.
    ConfigKeyMissing = "config_key_missing",
    /// A ConfigMap key is not a variable dbstack reads.
    ConfigKeyUnknown = "config_key_unknown",
    /// A ConfigMap value disagrees with the catalog.
    ConfigValueMismatch = "config_value_mismatch",
    /// A ConfigMap carries a secret.
    SecretInConfigMap = "secret_in_config_map",
    /// A container has no liveness or readiness probe.
    MissingProbe = "missing_probe",
    /// A probe runs a command that starts Django (`manage.py`, `django-admin`): an interpreter,
    /// a Vault login and new database users on every probe.
    ExpensiveProbe = "expensive_probe",
    /// The application (a long-running workload reading the dbstack ConfigMap) lacks an
    /// `httpGet` startup, readiness or liveness probe on the health endpoints.
    HealthProbe = "health_probe",
    /// A container has no resources.
    MissingResources = "missing_resources",
    /// No ClusterRoleBinding grants `system:auth-delegator`.
    MissingAuthDelegator = "missing_auth_delegator",
    /// The `vault-bootstrap` Job's role or service account is not the application's.
    VaultBootstrapMismatch = "vault_bootstrap_mismatch",
}

impl Serialize for FindingKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// One difference, located.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What kind of difference.
    pub kind: FindingKind,
    /// The file it is reported at.
    pub file: String,
    /// The 1-based line it is reported at.
    pub line: usize,
    /// What is wrong, in words.
    pub message: String,
    /// The value the check expected.
    pub expected: Option<String>,
    /// The value it found.
    pub found: Option<String>,
    /// The other side of a YAML/Terraform comparison.
    pub related: Option<Location>,
}

impl Finding {
    pub(crate) fn new(kind: FindingKind, at: &Location, message: String) -> Self {
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

    pub(crate) fn expected(
        mut self,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Self {
        self.expected = Some(expected.into());
        self.found = Some(found.into());
        self
    }

    pub(crate) fn related(mut self, at: &Location) -> Self {
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
    /// Every difference, sorted by file, line and kind.
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

/// `exec pg_isready ... (delay 30, period 10)`: the same text for YAML and Terraform probes.
pub(crate) fn probe_summary(action: &str, timing: &[(&str, Option<String>)]) -> String {
    let parts: Vec<String> = timing
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} {v}")))
        .collect();
    if parts.is_empty() {
        action.to_string()
    } else {
        format!("{action} ({})", parts.join(", "))
    }
}
