//! Reads the inputs once into typed settings: profile, Kubernetes context, stack and
//! Vault settings, each remembering where it came from. Every bad value becomes an error
//! naming its variable.

use std::collections::BTreeMap;

use crate::catalog::{self, ServiceKind};
use crate::error::ResolveError;
use crate::input::Inputs;
use crate::resolution::{Source, SourceKind};
use crate::stack::Stack;
use crate::vault::{AuthMethod, VaultSettings};

/// Development or production.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Profile {
    Development,
    Production,
}

impl Profile {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Profile::Development => "development",
            Profile::Production => "production",
        }
    }
}

/// A value and the source that supplied it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sourced<T> {
    pub(crate) value: T,
    pub(crate) source: Source,
}

pub(crate) fn src(kind: SourceKind, name: impl Into<std::borrow::Cow<'static, str>>) -> Source {
    Source {
        kind,
        name: name.into(),
    }
}

/// The parsed, validated view of the inputs.
#[derive(Debug, Clone)]
pub(crate) struct Context<'a> {
    pub(crate) env: &'a BTreeMap<String, String>,
    pub(crate) profile: Sourced<Profile>,
    pub(crate) in_cluster: Sourced<bool>,
    pub(crate) namespace: Sourced<String>,
    pub(crate) cluster_domain: Sourced<String>,
    pub(crate) stack: std::borrow::Cow<'static, Stack>,
    pub(crate) vault: Option<VaultSettings>,
}

impl<'a> Context<'a> {
    pub(crate) fn new(inputs: &'a Inputs) -> Result<Context<'a>, ResolveError> {
        let env = &inputs.env;
        let get = |name: &str| env.get(name).map(String::as_str).filter(|v| !v.is_empty());

        let in_cluster = match get("DBSTACK_KUBERNETES") {
            Some(text) => Sourced {
                value: parse_bool("DBSTACK_KUBERNETES", text)?,
                source: src(SourceKind::Env, "DBSTACK_KUBERNETES"),
            },
            None => {
                let detected =
                    get("KUBERNETES_SERVICE_HOST").is_some() && inputs.kubernetes.token_present;
                Sourced {
                    value: detected,
                    source: src(
                        SourceKind::Kubernetes,
                        if detected {
                            "KUBERNETES_SERVICE_HOST and the service-account token"
                        } else {
                            "no KUBERNETES_SERVICE_HOST or no service-account token"
                        },
                    ),
                }
            }
        };

        let namespace = if let Some(ns) = inputs
            .kubernetes
            .namespace_file
            .as_deref()
            .filter(|s| !s.is_empty())
        {
            Sourced {
                value: ns.trim().to_owned(),
                source: src(SourceKind::Kubernetes, "serviceaccount/namespace"),
            }
        } else if let Some(ns) = get("POD_NAMESPACE") {
            Sourced {
                value: ns.to_owned(),
                source: src(SourceKind::Env, "POD_NAMESPACE"),
            }
        } else {
            Sourced {
                value: catalog::DEFAULT_NAMESPACE.to_owned(),
                source: src(SourceKind::Default, "namespace"),
            }
        };
        if !is_dns_label(&namespace.value) {
            return Err(ResolveError::InvalidVariable {
                name: namespace.source.name.to_string(),
                reason: format!(
                    "`{}` is not a valid namespace (lowercase letters, digits and `-`, at most 63)",
                    namespace.value
                ),
            });
        }

        let cluster_domain = match get("DBSTACK_CLUSTER_DOMAIN") {
            Some(domain) => {
                let domain = domain.trim_end_matches('.');
                if !domain.split('.').all(is_dns_label) {
                    return Err(ResolveError::InvalidVariable {
                        name: "DBSTACK_CLUSTER_DOMAIN".into(),
                        reason: format!("`{domain}` is not a DNS domain"),
                    });
                }
                Sourced {
                    value: domain.to_owned(),
                    source: src(SourceKind::Env, "DBSTACK_CLUSTER_DOMAIN"),
                }
            }
            None => Sourced {
                value: catalog::DEFAULT_CLUSTER_DOMAIN.to_owned(),
                source: src(SourceKind::Default, "cluster domain"),
            },
        };

        let profile = match (
            inputs.profile.as_deref().filter(|p| !p.is_empty()),
            get("DBSTACK_PROFILE"),
        ) {
            (Some(p), _) => Sourced {
                value: parse_profile("--profile", p)?,
                source: src(SourceKind::Override, "--profile"),
            },
            (None, Some(p)) => Sourced {
                value: parse_profile("DBSTACK_PROFILE", p)?,
                source: src(SourceKind::Env, "DBSTACK_PROFILE"),
            },
            (None, None) => Sourced {
                value: if in_cluster.value {
                    Profile::Production
                } else {
                    Profile::Development
                },
                source: src(
                    SourceKind::Default,
                    if in_cluster.value {
                        "in a cluster"
                    } else {
                        "outside a cluster"
                    },
                ),
            },
        };

        let stack = match &inputs.stack {
            Some(source) => std::borrow::Cow::Owned(Stack::parse(source)?),
            None => std::borrow::Cow::Borrowed(Stack::builtin_ref()),
        };

        let vault = vault_settings(
            env,
            in_cluster.value,
            &namespace.value,
            &cluster_domain.value,
        )?;

        Ok(Context {
            env,
            profile,
            in_cluster,
            namespace,
            cluster_domain,
            stack,
            vault,
        })
    }

    /// A variable's value; empty counts as unset.
    pub(crate) fn var(&self, name: &str) -> Option<&'a str> {
        self.env
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The first set variable of `names`, with its name.
    pub(crate) fn first_var(&self, names: &[&'static str]) -> Option<(&'static str, &'a str)> {
        names.iter().find_map(|&n| self.var(n).map(|v| (n, v)))
    }

    /// `<service>.<namespace>.svc.<domain>` in a cluster.
    pub(crate) fn discovered_host(&self, k8s_service: &str) -> Option<Sourced<String>> {
        if !self.in_cluster.value {
            return None;
        }
        let host = format!(
            "{k8s_service}.{}.svc.{}",
            self.namespace.value, self.cluster_domain.value
        );
        Some(Sourced {
            source: src(SourceKind::Kubernetes, host.clone()),
            value: host,
        })
    }

    /// The host a service resolves to without explicit configuration.
    pub(crate) fn service_default_host(&self, kind: ServiceKind) -> Sourced<String> {
        kind.spec()
            .k8s_service
            .and_then(|svc| self.discovered_host(svc))
            .unwrap_or_else(|| Sourced {
                value: "localhost".into(),
                source: src(SourceKind::Default, kind.default_label("host")),
            })
    }
}

fn parse_profile(name: &str, text: &str) -> Result<Profile, ResolveError> {
    match text.trim().to_ascii_lowercase().as_str() {
        "development" | "dev" => Ok(Profile::Development),
        "production" | "prod" => Ok(Profile::Production),
        _ => Err(ResolveError::InvalidVariable {
            name: name.into(),
            reason: format!("unknown profile `{text}` (use `development` or `production`)"),
        }),
    }
}

/// Booleans as Vault's and Kubernetes' tools write them.
pub(crate) fn parse_bool(name: &str, text: &str) -> Result<bool, ResolveError> {
    crate::env_vars::parse_bool(text).ok_or_else(|| ResolveError::InvalidVariable {
        name: name.into(),
        reason: format!("`{text}` is not a boolean (use `true` or `false`)"),
    })
}

/// A TCP port in a variable: 1-65535.
pub(crate) fn parse_port(name: &str, text: &str) -> Result<u16, ResolveError> {
    match text.trim().parse::<u32>() {
        Ok(p @ 1..=65535) => Ok(u16::try_from(p).unwrap_or(u16::MAX)),
        Ok(_) => Err(ResolveError::InvalidVariable {
            name: name.into(),
            reason: format!("port `{text}` is out of range (1-65535)"),
        }),
        Err(_) => Err(ResolveError::InvalidVariable {
            name: name.into(),
            reason: format!("`{text}` is not a port number (1-65535)"),
        }),
    }
}

fn is_dns_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

/// A duration in `DBSTACK_VAULT_TIMEOUT` or `DBSTACK_VAULT_DEADLINE`: `2s`, `500ms`, or
/// plain seconds (`1.5`), at most `max_s` seconds.
fn parse_duration_ms(name: &str, text: &str, max_s: u32) -> Result<u64, ResolveError> {
    // An integer bound, so the error message formats no float (float formatting costs ~20 KB
    // in the WASM module).
    let max_ms = f64::from(max_s) * 1000.0;
    let text = text.trim();
    let (number, scale) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 1.0)
    } else if let Some(s) = text.strip_suffix('s') {
        (s, 1000.0)
    } else {
        (text, 1000.0)
    };
    match number.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v * scale <= max_ms => {
            // bounded above, so the cast cannot overflow
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Ok((v * scale).round().max(1.0) as u64)
        }
        _ => Err(ResolveError::InvalidVariable {
            name: name.into(),
            reason: format!(
                "`{text}` is not a duration between 1ms and {max_s}s (e.g. `2s`, `500ms`)"
            ),
        }),
    }
}

/// Vault is configured when `VAULT_ADDR` is set, or in a cluster when `VAULT_K8S_ROLE` is.
pub(crate) fn vault_settings(
    env: &BTreeMap<String, String>,
    in_cluster: bool,
    namespace: &str,
    domain: &str,
) -> Result<Option<VaultSettings>, ResolveError> {
    let get = |name: &str| env.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let (addr, addr_source) = match get("VAULT_ADDR") {
        Some(addr) => {
            let addr = addr.trim_end_matches('/');
            let rest = addr
                .strip_prefix("http://")
                .or_else(|| addr.strip_prefix("https://"));
            match rest {
                Some(hostport) if !hostport.is_empty() && !hostport.contains('@') => {}
                _ => {
                    return Err(ResolveError::InvalidVariable {
                        name: "VAULT_ADDR".into(),
                        reason: "expected `http://host:port` or `https://host:port`".into(),
                    })
                }
            }
            // Host and port by the rules of every address, before Vault is contacted:
            // `http://[::1` is bad input (exit 2), not a Vault that is down.
            super::services::http_host_port("VAULT_ADDR", addr)?;
            (addr.to_owned(), "VAULT_ADDR".to_owned())
        }
        None if in_cluster && get("VAULT_K8S_ROLE").is_some() => {
            let svc = catalog::VAULT.k8s_service.unwrap_or("vault");
            let host = format!("{svc}.{namespace}.svc.{domain}");
            (
                format!("http://{host}:{}", catalog::VAULT.port),
                format!("kubernetes:{host}"),
            )
        }
        None => return Ok(None),
    };
    let auth = match get("VAULT_AUTH_METHOD") {
        Some(m) => match m.trim().to_ascii_lowercase().as_str() {
            "token" => AuthMethod::Token,
            "kubernetes" | "k8s" => AuthMethod::Kubernetes,
            "approle" => AuthMethod::Approle,
            "agent" => AuthMethod::Agent,
            _ => {
                return Err(ResolveError::InvalidVariable {
                    name: "VAULT_AUTH_METHOD".into(),
                    reason: format!(
                    "unknown auth method `{m}` (use `token`, `kubernetes`, `approle` or `agent`)"
                ),
                })
            }
        },
        None if in_cluster => AuthMethod::Kubernetes,
        None => AuthMethod::Token,
    };
    let k8s_role = get("VAULT_K8S_ROLE").map(str::to_owned);
    if auth == AuthMethod::Kubernetes && k8s_role.is_none() {
        return Err(ResolveError::InvalidVariable {
            name: "VAULT_K8S_ROLE".into(),
            reason: "required for Vault's Kubernetes auth (VAULT_AUTH_METHOD=kubernetes, the default in a cluster)".into(),
        });
    }
    let role_id = get("VAULT_ROLE_ID").map(str::to_owned);
    if auth == AuthMethod::Approle && role_id.is_none() {
        return Err(ResolveError::InvalidVariable {
            name: "VAULT_ROLE_ID".into(),
            reason: "required for AppRole auth (VAULT_AUTH_METHOD=approle)".into(),
        });
    }
    let skip_verify = match get("VAULT_SKIP_VERIFY") {
        Some(text) => parse_bool("VAULT_SKIP_VERIFY", text)?,
        None => false,
    };
    let timeout_ms = match get("DBSTACK_VAULT_TIMEOUT") {
        Some(text) => parse_duration_ms("DBSTACK_VAULT_TIMEOUT", text, 600)?,
        None => 2000,
    };
    let deadline_ms = match get("DBSTACK_VAULT_DEADLINE") {
        Some(text) => parse_duration_ms("DBSTACK_VAULT_DEADLINE", text, 3600)?,
        None => 60_000,
    };
    Ok(Some(VaultSettings {
        addr,
        addr_source,
        auth,
        namespace: get("VAULT_NAMESPACE").map(str::to_owned),
        k8s_role,
        k8s_mount: get("VAULT_K8S_MOUNT").unwrap_or("kubernetes").to_owned(),
        k8s_token_path: get("VAULT_K8S_TOKEN_PATH")
            .unwrap_or("/var/run/secrets/kubernetes.io/serviceaccount/token")
            .to_owned(),
        role_id,
        approle_mount: get("VAULT_APPROLE_MOUNT").unwrap_or("approle").to_owned(),
        cacert: get("VAULT_CACERT").map(str::to_owned),
        skip_verify,
        timeout_ms,
        deadline_ms,
    }))
}
