//! The checks behind `dbstack check-infra`: the facts read from both trees compared with the
//! catalog and with each other. Pure: the readers hand the facts here.

use std::collections::{BTreeMap, BTreeSet};

use dbstack_core::catalog::ServiceKind;
use dbstack_core::env_vars;
use dbstack_core::url::split_host_port;

use crate::model::{
    Container, Finding, FindingKind, InfraFacts, InfraReport, Located, Location, Origin, Port,
    Resource,
};

/// Name of the ConfigMap of non-secret connection facts the application reads with `envFrom`.
pub(crate) const CONFIG_MAP_NAME: &str = "dbstack-database-config";

/// Keys the ConfigMap must carry (all are variables dbstack reads).
pub(crate) const REQUIRED_CONFIG_KEYS: &[&str] = &[
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
pub(crate) const AUTH_DELEGATOR_ROLE: &str = "system:auth-delegator";

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
pub(crate) fn split_image(image: &str) -> (&str, Option<&str>) {
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

/// Where a missing object is expected: `kubernetes/<k8s>` or `terraform/<tf>`, line 1.
fn expected_at(facts: &InfraFacts, origin: Origin, k8s: &str, tf: &str) -> Location {
    let (root, rel) = match origin {
        Origin::Kubernetes => (&facts.kubernetes_root, k8s),
        Origin::Terraform => (&facts.terraform_root, tf),
    };
    Location::new(format!("{}/{rel}", root.trim_end_matches('/')), 1)
}

/// Where a missing catalog object is expected.
fn expected_file(facts: &InfraFacts, origin: Origin, service: ServiceKind) -> Location {
    let name = service.name();
    expected_at(
        facts,
        origin,
        &format!("{name}-deployment.yaml"),
        &format!("modules/{name}/main.tf"),
    )
}

/// Runs every check. Findings come sorted by file, line and kind.
pub fn check(facts: &InfraFacts) -> InfraReport {
    let mut findings = Vec::new();
    let mut resources = BTreeMap::new();
    for origin in [Origin::Kubernetes, Origin::Terraform] {
        let of: Vec<&Resource> = facts
            .resources
            .iter()
            .filter(|r| r.origin == origin)
            .collect();
        check_catalog(facts, origin, &of, &mut findings);
        check_config_map(facts, origin, &of, &mut findings);
        check_hygiene(&of, &mut findings);
        check_vault_bootstrap(&of, &mut findings);
        resources.insert(origin.name(), of.len());
    }
    check_drift(facts, &mut findings);
    findings
        .sort_by(|a, b| (a.file.as_str(), a.line, a.kind).cmp(&(b.file.as_str(), b.line, b.kind)));
    findings.dedup();
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

/// The host and port of `scheme://user@host:port/path` or `host:port` (the core's splitter).
fn host_port(value: &str) -> (&str, Option<&str>) {
    let rest = value.split_once("://").map_or(value, |(_, r)| r);
    let authority = rest.split(['/', '?', ';']).next().unwrap_or(rest);
    split_host_port(authority.rsplit_once('@').map_or(authority, |(_, h)| h))
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
    let names: BTreeSet<&str> = config_maps.iter().map(|m| m.name.value.as_str()).collect();
    // envFrom must name an existing ConfigMap.
    for r in resources {
        for c in &r.containers {
            for from in &c.env_from {
                if !names.contains(from.value.as_str()) {
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
        let at = expected_at(facts, origin, "database-config.yaml", "config.tf");
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
            let port_ok = !with_port || port == Some(spec.port.to_string().as_str());
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

/// Kinds whose pods run to completion: no probes expected.
const RUN_TO_COMPLETION: [&str; 2] = ["Job", "CronJob"];

/// The health endpoints of `dbstack.django.urls` (mounted at `healthz/`) each probe should use.
const HEALTH_PROBES: [(&str, &str); 3] = [
    ("startup", "/healthz/ready"),
    ("readiness", "/healthz/ready"),
    ("liveness", "/healthz/live"),
];

fn check_hygiene(resources: &[&Resource], findings: &mut Vec<Finding>) {
    for r in resources {
        for c in &r.containers {
            check_probe_cost(r, c, findings);
            if RUN_TO_COMPLETION.contains(&r.kind.as_str()) {
                continue;
            }
            if c.env_from.iter().any(|f| f.value == CONFIG_MAP_NAME) {
                check_health_probes(r, c, findings);
            }
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

/// The Job that runs `dbstack vault bootstrap`.
pub(crate) const VAULT_BOOTSTRAP_JOB: &str = "vault-bootstrap";

/// The value of `--flag VALUE` or `--flag=VALUE` in `args`, where it is written.
fn flag_value<'a>(args: &'a [Located<String>], flag: &str) -> Option<&'a Located<String>> {
    let joined = format!("{flag}=");
    args.iter().enumerate().find_map(|(i, a)| {
        if a.value == flag {
            args.get(i + 1)
        } else if a.value.starts_with(&joined) {
            Some(a)
        } else {
            None
        }
    })
}

/// The `vault-bootstrap` Job binds Vault's role to the application: with Kubernetes auth, its
/// `--role` (default `dbstack`) must be the ConfigMap's `VAULT_K8S_ROLE`, and its
/// `--service-account` (default `agent-runtime`) a ServiceAccount in the set that the
/// application's workload (the one reading the ConfigMap) runs as.
fn check_vault_bootstrap(resources: &[&Resource], findings: &mut Vec<Finding>) {
    let Some(job) = resources
        .iter()
        .find(|r| r.kind == "Job" && r.name.value == VAULT_BOOTSTRAP_JOB)
    else {
        return;
    };
    let Some(container) = job.containers.iter().find(|c| {
        c.args
            .windows(2)
            .any(|w| matches!(w, [a, b] if a.value == "vault" && b.value == "bootstrap"))
    }) else {
        findings.push(Finding::new(
            FindingKind::VaultBootstrapMismatch,
            &job.name.at,
            format!("Job `{VAULT_BOOTSTRAP_JOB}` has no container running `vault bootstrap`"),
        ));
        return;
    };
    let value = |flag: &str| {
        flag_value(&container.args, flag).map(|a| {
            let v = a
                .value
                .strip_prefix(&format!("{flag}="))
                .unwrap_or(&a.value);
            (v.to_owned(), a.at.clone())
        })
    };
    let auth = value("--auth").map_or_else(|| "kubernetes".to_owned(), |(v, _)| v);
    if auth != "kubernetes" {
        return;
    }
    let at_args = container
        .args
        .first()
        .map_or_else(|| container.name.at.clone(), |a| a.at.clone());
    let (role, role_at) = value("--role").unwrap_or_else(|| ("dbstack".into(), at_args.clone()));
    let config_role = resources
        .iter()
        .filter(|r| r.kind == "ConfigMap" && r.name.value == CONFIG_MAP_NAME)
        .flat_map(|r| r.data.iter())
        .find(|(k, _)| k.value == "VAULT_K8S_ROLE");
    if let Some((key, configured)) = config_role {
        if *configured != role {
            findings.push(
                Finding::new(
                    FindingKind::VaultBootstrapMismatch,
                    &role_at,
                    format!(
                        "Job `{VAULT_BOOTSTRAP_JOB}` creates the Vault role `{role}`, but the application logs in with VAULT_K8S_ROLE `{configured}`"
                    ),
                )
                .expected(configured.clone(), role.clone())
                .related(&key.at),
            );
        }
    }
    let (account, account_at) =
        value("--service-account").unwrap_or_else(|| ("agent-runtime".into(), at_args));
    if !resources
        .iter()
        .any(|r| r.kind == "ServiceAccount" && r.name.value == account)
    {
        findings.push(Finding::new(
            FindingKind::VaultBootstrapMismatch,
            &account_at,
            format!(
                "Job `{VAULT_BOOTSTRAP_JOB}` binds the Vault role to ServiceAccount `{account}`, which is not defined"
            ),
        ));
    }
    for app in resources.iter().filter(|r| {
        r.kind != "Job"
            && r.containers
                .iter()
                .any(|c| c.env_from.iter().any(|e| e.value == CONFIG_MAP_NAME))
    }) {
        let runs_as = app.service_account.as_ref();
        if runs_as.map(|s| s.value.as_str()) != Some(account.as_str()) {
            let found = runs_as.map_or("default".to_owned(), |s| s.value.clone());
            let mut finding = Finding::new(
                FindingKind::VaultBootstrapMismatch,
                &account_at,
                format!(
                    "Job `{VAULT_BOOTSTRAP_JOB}` binds the Vault role to ServiceAccount `{account}`, but {} `{}` runs as `{found}`",
                    app.kind, app.name.value
                ),
            )
            .expected(account.clone(), found);
            if let Some(s) = runs_as {
                finding = finding.related(&s.at);
            }
            findings.push(finding);
        }
    }
}

/// A probe whose command starts Django costs an interpreter, Django's start-up, a Vault login
/// and, for a `vault_role` alias, a new database user, on every period of every pod.
fn check_probe_cost(r: &Resource, c: &Container, findings: &mut Vec<Finding>) {
    for (what, probe) in [
        ("startup", &c.startup),
        ("liveness", &c.liveness),
        ("readiness", &c.readiness),
    ] {
        let Some(probe) = probe else { continue };
        let Some(command) = probe.value.strip_prefix("exec ") else {
            continue;
        };
        if command
            .split([' ', '"', '\'', ',', '[', ']'])
            .any(|w| w.ends_with("manage.py") || w == "django-admin")
        {
            findings.push(
                Finding::new(
                    FindingKind::ExpensiveProbe,
                    &probe.at,
                    format!(
                        "{what} probe of container `{}` of {} `{}` starts Django (`{command}`) on every probe; \
                         probe the running process with httpGet on /healthz/ (dbstack.django.urls) and keep \
                         the command for `kubectl exec` and a Job",
                        c.name.value, r.kind, r.name.value
                    ),
                )
                .expected("httpGet", probe.value.clone()),
            );
        }
    }
}

/// The application's probes are `httpGet` on `healthz/ready` (startup, readiness) and
/// `healthz/live` (liveness).
fn check_health_probes(r: &Resource, c: &Container, findings: &mut Vec<Finding>) {
    for (what, path) in HEALTH_PROBES {
        let probe = match what {
            "startup" => &c.startup,
            "liveness" => &c.liveness,
            _ => &c.readiness,
        };
        let found = probe.as_ref().map(|p| p.value.as_str());
        let ok = found.is_some_and(|v| {
            v.strip_prefix("http ")
                .and_then(|rest| rest.split(' ').next())
                .is_some_and(|p| p.trim_end_matches('/').ends_with(path))
        });
        if !ok {
            let at = probe.as_ref().map_or(&c.name.at, |p| &p.at);
            findings.push(
                Finding::new(
                    FindingKind::HealthProbe,
                    at,
                    format!(
                        "{what} probe of container `{}` of {} `{}` should be httpGet on `{path}` \
                         (path(\"healthz/\", include(\"dbstack.django.urls\")))",
                        c.name.value, r.kind, r.name.value
                    ),
                )
                .expected(format!("http {path}"), found.unwrap_or("none")),
            );
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

fn compare_pair<'a>(y: &'a Resource, t: &'a Resource, findings: &mut Vec<Finding>) {
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
    let keys = |r: &'a Resource| -> BTreeMap<&'a str, (&'a Location, &'a str)> {
        r.data
            .iter()
            .map(|(k, v)| (k.value.as_str(), (&k.at, v.as_str())))
            .collect()
    };
    let (y_keys, t_keys) = (keys(y), keys(t));
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
        ("startup", &y.startup, &t.startup),
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
            ("dragonfly", Some("6379"))
        );
        assert_eq!(
            host_port("rocketmq-namesrv:9876"),
            ("rocketmq-namesrv", Some("9876"))
        );
        assert_eq!(host_port("http://[::1]:8200/v1"), ("::1", Some("8200")));
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
