//! The service catalog: the one place where the stack's names and ports are defined.
//!
//! The Kubernetes manifests, the Terraform modules and `dbstack check-infra` all compare
//! against this table.

use serde::Serialize;

/// A service dbstack knows how to resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceKind {
    Supabase,
    Dragonfly,
    Ragflow,
    Rocketmq,
    Vault,
    Mariadb,
}

impl ServiceKind {
    /// Every service, in the order the resolution lists them.
    pub const ALL: [ServiceKind; 6] = [
        ServiceKind::Supabase,
        ServiceKind::Dragonfly,
        ServiceKind::Ragflow,
        ServiceKind::Rocketmq,
        ServiceKind::Vault,
        ServiceKind::Mariadb,
    ];

    /// The name used in stack files, Vault paths and the resolution.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// Parses a service name as written in a stack file.
    pub fn from_name(name: &str) -> Option<ServiceKind> {
        ServiceKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Provenance label of the built-in default of `field` (`supabase host`).
    pub fn default_label(self, field: &str) -> &'static str {
        /// The fields with a built-in default, and each service's labels for them (a table,
        /// not a `match` on (service, field): one lookup instead of thirty string compares).
        const FIELDS: [&str; 5] = ["host", "port", "user", "database", "engine"];
        macro_rules! labels {
            ($($name:literal),*) => {
                [$([
                    concat!($name, " host"),
                    concat!($name, " port"),
                    concat!($name, " user"),
                    concat!($name, " database"),
                    concat!($name, " engine"),
                ]),*]
            };
        }
        // In the order of the enum.
        const LABELS: [[&str; 5]; 6] = labels!(
            "supabase",
            "dragonfly",
            "ragflow",
            "rocketmq",
            "vault",
            "mariadb"
        );
        FIELDS
            .iter()
            .position(|f| *f == field)
            .and_then(|i| LABELS.get(self as usize)?.get(i).copied())
            .unwrap_or("built-in default")
    }

    /// The catalog entry of this service.
    pub fn spec(self) -> &'static ServiceSpec {
        match self {
            ServiceKind::Supabase => &SUPABASE,
            ServiceKind::Dragonfly => &DRAGONFLY,
            ServiceKind::Ragflow => &RAGFLOW,
            ServiceKind::Rocketmq => &ROCKETMQ,
            ServiceKind::Vault => &VAULT,
            ServiceKind::Mariadb => &MARIADB,
        }
    }
}

/// One row of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceSpec {
    /// Name in stack files and Vault paths (`supabase`).
    pub name: &'static str,
    /// What it is, for people.
    pub description: &'static str,
    /// Kubernetes Service name (`supabase-db`); `None` for the local-only fallback.
    pub k8s_service: Option<&'static str>,
    /// The port clients connect to.
    pub port: u16,
    /// Extra named ports the infrastructure must expose (name, Service, port).
    pub extra_ports: &'static [ExtraPort],
    /// Container image the manifests and Terraform modules deploy.
    pub image: Option<&'static str>,
}

/// A second port of a service, possibly on a companion Kubernetes Service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExtraPort {
    pub name: &'static str,
    pub k8s_service: &'static str,
    pub port: u16,
}

pub const SUPABASE: ServiceSpec = ServiceSpec {
    name: "supabase",
    description: "Supabase PostgreSQL",
    k8s_service: Some("supabase-db"),
    port: 5432,
    extra_ports: &[],
    image: Some("supabase/postgres:15.8.1.060"),
};

pub const DRAGONFLY: ServiceSpec = ServiceSpec {
    name: "dragonfly",
    description: "DragonflyDB (Redis protocol)",
    k8s_service: Some("dragonfly"),
    port: 6379,
    extra_ports: &[],
    image: Some("docker.dragonflydb.io/dragonflydb/dragonfly:v1.27.1"),
};

pub const RAGFLOW: ServiceSpec = ServiceSpec {
    name: "ragflow",
    description: "RAGflow (vector search / RAG, HTTP)",
    k8s_service: Some("ragflow"),
    port: 9380,
    extra_ports: &[],
    image: Some("infiniflow/ragflow:v0.17.2-slim"),
};

pub const ROCKETMQ: ServiceSpec = ServiceSpec {
    name: "rocketmq",
    description: "RocketMQ name server (+ broker)",
    k8s_service: Some("rocketmq-namesrv"),
    port: 9876,
    extra_ports: &[ExtraPort {
        name: "broker",
        k8s_service: "rocketmq-broker",
        port: 10911,
    }],
    image: Some("apache/rocketmq:5.3.1"),
};

pub const VAULT: ServiceSpec = ServiceSpec {
    name: "vault",
    description: "HashiCorp Vault / OpenBao",
    k8s_service: Some("vault"),
    port: 8200,
    extra_ports: &[],
    image: Some("hashicorp/vault:1.18.3"),
};

pub const MARIADB: ServiceSpec = ServiceSpec {
    name: "mariadb",
    description: "MariaDB, local-development fallback only",
    k8s_service: None,
    port: 3306,
    extra_ports: &[],
    image: None,
};

/// The default development fallback target.
pub const DEFAULT_FALLBACK_URL: &str = "mysql://root@127.0.0.1:3306/agent_runtime";
/// Default Kubernetes cluster domain.
pub const DEFAULT_CLUSTER_DOMAIN: &str = "cluster.local";
/// Default Kubernetes namespace when nothing names one.
pub const DEFAULT_NAMESPACE: &str = "default";
/// The router class every resolution installs.
pub const ROUTER_CLASS: &str = "dbstack.django.Router";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_labels_name_the_service_and_field() {
        for kind in ServiceKind::ALL {
            for field in ["host", "port", "user", "database", "engine"] {
                assert_eq!(
                    kind.default_label(field),
                    format!("{} {field}", kind.name())
                );
            }
        }
        assert_eq!(
            ServiceKind::Vault.default_label("password"),
            "built-in default"
        );
    }
}
