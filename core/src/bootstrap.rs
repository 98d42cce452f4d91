//! `dbstack vault bootstrap`, the pure half: what Vault must contain for a stack (the desired
//! state, as a list of [`Step`]s) and how each step compares with what Vault holds now
//! ([`Step::diff`]). The runtime reads the current state, asks for the diff and writes only
//! what differs, so a second run changes nothing.
//!
//! Managed, and nothing else: the KV v2 mount and the database secrets engine mount of the
//! stack's `[vault]` table, the policy (`dbstack vault policy`), the auth method's mount, its
//! configuration (Kubernetes) and the role bound to the policy, one database connection per
//! database service that has a `vault_role`, and one database role per `vault_role`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::{json, Map, Value};

use crate::catalog::{ServiceKind, DEFAULT_CLUSTER_DOMAIN, DEFAULT_NAMESPACE};
use crate::error::ResolveError;
use crate::policy::policy_hcl;
use crate::resolve::context::vault_settings;
use crate::stack::Stack;
use crate::url::{parse_database_url, DatabaseConfig};
use crate::vault::{kv_text, AuthMethod, VaultSettings};

/// How the application logs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthSetup {
    /// Kubernetes auth bound to one service account.
    Kubernetes {
        /// Auth mount, normally `kubernetes`.
        mount: String,
        /// The API server Vault calls for TokenReview.
        host: String,
        /// PEM of the API server's CA, for a Vault outside the cluster; setting it also
        /// disables Vault's local service-account token (the client's JWT reviews itself).
        ca_cert: Option<String>,
        /// The service account name bound to the role.
        service_account: String,
        /// The service account's namespace.
        namespace: String,
    },
    /// AppRole (role id + secret id).
    Approle {
        /// Auth mount, normally `approle`.
        mount: String,
    },
}

/// Lifetimes in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ttls {
    /// The application's Vault token.
    pub token: u64,
    /// Maximum TTL of the application's token, in seconds.
    pub token_max: u64,
    /// Dynamic database credentials (their lease).
    pub creds: u64,
    /// Maximum TTL of dynamic database credentials, in seconds.
    pub creds_max: u64,
}

impl Default for Ttls {
    /// Token 1 h (renewable to 24 h), credentials 1 h (renewable to 24 h): the keeper renews
    /// both at 2/3 of their TTL.
    fn default() -> Ttls {
        Ttls {
            token: 3600,
            token_max: 86_400,
            creds: 3600,
            creds_max: 86_400,
        }
    }
}

/// Everything the operator decides.
#[derive(Debug, Clone)]
pub struct BootstrapSpec<'a> {
    /// The stack being bootstrapped.
    pub stack: &'a Stack,
    /// The auth role and the policy's name.
    pub role: String,
    /// How the application logs in.
    pub auth: AuthSetup,
    /// The admin connection of each database service (`--database-url`).
    pub databases: Vec<(ServiceKind, DatabaseConfig)>,
    /// Token and credential TTLs.
    pub ttls: Ttls,
    /// `--from-env`: the environment whose values are written into the KV layout.
    pub from_env: Option<&'a BTreeMap<String, String>>,
    /// `--overwrite`: replace existing KV secrets with other values.
    pub overwrite: bool,
}

/// Why the set-up cannot be computed or applied. Never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BootstrapError {
    /// A flag or the stack asks for something that cannot be done.
    #[error("{message} (source: {source_name})")]
    Input {
        /// The flag or file concerned.
        source_name: String,
        /// What is wrong.
        message: String,
    },
    /// Vault holds something at a managed path that dbstack must not replace.
    #[error("`{path}` already exists and is not what dbstack manages: {message}")]
    Conflict {
        /// The Vault path concerned.
        path: String,
        /// How it differs.
        message: String,
    },
}

impl BootstrapError {
    /// Exit code 2: bad input or configuration.
    pub fn exit_code(&self) -> i32 {
        crate::error::EXIT_CONFIG
    }

    fn input(source_name: impl Into<String>, message: impl Into<String>) -> BootstrapError {
        BootstrapError::Input {
            source_name: source_name.into(),
            message: message.into(),
        }
    }
}

/// One thing bootstrap makes sure of, in apply order.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// What it is, for people (`policy dbstack`, `database role app`).
    pub what: String,
    /// The request it makes.
    pub kind: StepKind,
}

#[derive(Debug, Clone, PartialEq)]
/// What a bootstrap step writes to Vault.
pub enum StepKind {
    /// A secrets engine (`sys/mounts/<path>`) or auth method (`sys/auth/<path>`).
    Mount {
        /// An auth method (`sys/auth/`), not a secrets engine (`sys/mounts/`).
        auth: bool,
        /// The mount path, without a trailing `/`.
        path: String,
        /// `kv`, `database`, `kubernetes`, `approle`.
        engine: String,
        /// `{"version": "2"}` for KV v2.
        options: Map<String, Value>,
    },
    /// An ACL policy (`sys/policy/<name>`).
    Policy {
        /// The policy's name.
        name: String,
        /// Its HCL text.
        text: String,
    },
    /// An object written at `path` with `body`; `compare` lists the JSON pointers, in the
    /// object read back at `path`, of the fields Vault returns, each ending in its body key.
    /// Keys not listed (a password) are written but cannot be compared.
    Object {
        /// The Vault path written.
        path: String,
        /// The body written.
        body: Map<String, Value>,
        /// JSON pointers in the object read back, each ending in the body key compared.
        compare: Vec<String>,
        /// The mount it lives under; when that mount is still to be created, the object is
        /// too (nothing to read yet).
        mount: String,
    },
    /// A KV v2 secret written from the environment (`--from-env`): `data` by field name.
    /// An existing secret with other values is replaced only when `overwrite` is set.
    Secret {
        /// The KV v2 mount.
        mount: String,
        /// The secret's path under the mount.
        secret: String,
        /// The fields written.
        data: Map<String, Value>,
        /// Whether an existing secret with other values is replaced.
        overwrite: bool,
    },
    /// An object that must already exist because the operator gave nothing to write it with
    /// (a database connection without `--database-url`); `roles` must be in its
    /// `allowed_roles`.
    Existing {
        /// The Vault path that must exist.
        path: String,
        /// The roles it must allow.
        roles: Vec<String>,
        /// What to pass to write it.
        hint: String,
        /// The mount it lives under.
        mount: String,
    },
}

/// What a step needs done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Nothing there yet: written.
    Create,
    /// The fields that differ (names only).
    Update(Vec<String>),
    /// Already as wanted: nothing written.
    Unchanged,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The Vault path the step writes.
    pub path: String,
    /// What it is, for people.
    pub what: String,
    /// What it needs done.
    pub action: Action,
}

impl Step {
    /// A secrets engine (`auth` false) or auth method mount.
    fn mount(what: impl Into<String>, auth: bool, path: &str, engine: &str) -> Step {
        let kind = StepKind::Mount {
            auth,
            path: path.to_owned(),
            engine: engine.to_owned(),
            options: Map::new(),
        };
        Step {
            what: what.into(),
            kind,
        }
    }

    /// An object at `<mount>/<under>` whose every body field Vault returns under its name.
    fn object(what: String, mount: &str, under: &str, body: Map<String, Value>) -> Step {
        let compare = body.keys().map(|key| format!("/{key}")).collect();
        let kind = StepKind::Object {
            path: format!("{mount}/{under}"),
            body,
            compare,
            mount: mount.to_owned(),
        };
        Step { what, kind }
    }

    /// The Vault path the step writes.
    pub fn path(&self) -> String {
        match &self.kind {
            StepKind::Mount { auth, path, .. } => {
                format!("sys/{}/{path}", if *auth { "auth" } else { "mounts" })
            }
            StepKind::Policy { name, .. } => format!("sys/policy/{name}"),
            StepKind::Object { path, .. } | StepKind::Existing { path, .. } => path.clone(),
            StepKind::Secret { mount, secret, .. } => format!("{mount}/data/{secret}"),
        }
    }

    /// The mount the step's object lives under (for objects), else `None`.
    pub fn parent_mount(&self) -> Option<&str> {
        match &self.kind {
            StepKind::Object { mount, .. }
            | StepKind::Existing { mount, .. }
            | StepKind::Secret { mount, .. } => Some(mount),
            _ => None,
        }
    }

    /// Compares with `current`, what Vault holds now: for a mount its entry in `sys/mounts`
    /// or `sys/auth`, for a policy `{"rules": text}` (the read answer), for an object the
    /// data read at its path; `None` when absent.
    pub fn diff(&self, current: Option<&Value>) -> Result<Action, BootstrapError> {
        let path = self.path();
        let conflict = |message: String| {
            let path = path.clone();
            Err(BootstrapError::Conflict { path, message })
        };
        let Some(current) = current else {
            return match &self.kind {
                StepKind::Existing { hint, .. } => Err(BootstrapError::input(
                    hint.clone(),
                    format!("`{path}` does not exist in vault and nothing was given to write it: pass {hint}"),
                )),
                _ => Ok(Action::Create),
            };
        };
        match &self.kind {
            StepKind::Mount {
                engine, options, ..
            } => {
                let found = current.get("type").and_then(Value::as_str).unwrap_or("");
                if found != engine {
                    return conflict(format!("it is a `{found}` mount, the stack needs `{engine}` there (change the stack's [vault] table or remove the mount)"));
                }
                for (key, want) in options {
                    let have = current.pointer(&format!("/options/{key}"));
                    if have != Some(want) {
                        return conflict(format!(
                            "its option `{key}` is {}, the stack needs {want} (a KV v1 mount is not upgraded by dbstack: `bao kv enable-versioning`)",
                            have.map_or("unset".to_owned(), Value::to_string)
                        ));
                    }
                }
                Ok(Action::Unchanged)
            }
            StepKind::Policy { text, .. } => {
                let have = current.get("rules").and_then(Value::as_str);
                Ok(changed(if have == Some(text.as_str()) {
                    Vec::new()
                } else {
                    vec!["rules".to_owned()]
                }))
            }
            StepKind::Object { body, compare, .. } => Ok(changed(
                compare
                    .iter()
                    .map(|pointer| (pointer.rsplit('/').next().unwrap_or_default(), pointer))
                    .filter(|(key, pointer)| !same(body.get(*key), current.pointer(pointer)))
                    .map(|(key, _)| key.to_owned())
                    .collect(),
            )),
            StepKind::Secret {
                data, overwrite, ..
            } => {
                // The KV v2 read answer: `{"data": {...}, "metadata": {...}}`.
                let Some(have) = current.get("data").and_then(Value::as_object) else {
                    return Ok(Action::Create);
                };
                let keys: BTreeSet<&String> = data.keys().chain(have.keys()).collect();
                let differ: Vec<String> = keys
                    .into_iter()
                    .filter(|k| data.get(*k).map(kv_text) != have.get(*k).map(kv_text))
                    .cloned()
                    .collect();
                if differ.is_empty() || *overwrite {
                    Ok(changed(differ))
                } else {
                    conflict(format!(
                        "the secret holds other values (fields {}); pass --overwrite to replace it with the environment's",
                        differ.join(", ")
                    ))
                }
            }
            StepKind::Existing { roles, hint, .. } => {
                let allowed: Vec<&str> = current
                    .get("allowed_roles")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let missing: Vec<&str> = roles
                    .iter()
                    .map(String::as_str)
                    .filter(|r| !allowed.contains(r) && !allowed.contains(&"*"))
                    .collect();
                if missing.is_empty() {
                    Ok(Action::Unchanged)
                } else {
                    Err(BootstrapError::input(
                        hint.clone(),
                        format!(
                            "`{path}` does not allow the role(s) {}: pass {hint} so dbstack can rewrite it",
                            missing.join(", ")
                        ),
                    ))
                }
            }
        }
    }
}

/// `Update` with the fields that differ, `Unchanged` when none does.
fn changed(differ: Vec<String>) -> Action {
    if differ.is_empty() {
        Action::Unchanged
    } else {
        Action::Update(differ)
    }
}

/// Equal as Vault stores them: strings without surrounding whitespace (PEM text gains or
/// loses a final newline), numbers by value, lists element by element, a missing list as
/// an empty one.
fn same(want: Option<&Value>, have: Option<&Value>) -> bool {
    match (want, have) {
        (Some(Value::String(a)), Some(Value::String(b))) => a.trim() == b.trim(),
        (Some(Value::Number(a)), Some(Value::Number(b))) => a.as_f64() == b.as_f64(),
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(Some(x), Some(y)))
        }
        (Some(Value::Array(a)), None | Some(Value::Null)) => a.is_empty(),
        (a, b) => a == b,
    }
}

/// Where the AppRole role id of `spec` is read (`auth/<mount>/role/<role>/role-id`), when
/// the application logs in with AppRole.
pub fn role_id_path(spec: &BootstrapSpec<'_>) -> Option<String> {
    match &spec.auth {
        AuthSetup::Approle { mount } => Some(format!("auth/{mount}/role/{}/role-id", spec.role)),
        AuthSetup::Kubernetes { .. } => None,
    }
}

/// A name Vault takes as one path segment: letters, digits, `_`, `-` and `.`, at most 128.
fn plain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && name != "."
        && name != ".."
}

/// The fields of a JSON object (`json!({...})`).
fn fields(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(fields) => fields,
        _ => Map::new(),
    }
}

/// The steps for `spec`, in apply order: mounts, policy, auth, database connections, roles.
pub fn steps(spec: &BootstrapSpec<'_>) -> Result<Vec<Step>, BootstrapError> {
    let (engine, mount) = match &spec.auth {
        AuthSetup::Kubernetes { mount, .. } => ("kubernetes", mount),
        AuthSetup::Approle { mount } => ("approle", mount),
    };
    let mut names = vec![("--role", &spec.role), ("--auth-mount", mount)];
    if let AuthSetup::Kubernetes {
        service_account,
        namespace,
        ..
    } = &spec.auth
    {
        names.extend([
            ("--service-account", service_account),
            ("--namespace", namespace),
        ]);
    }
    if let Some((flag, value)) = names.into_iter().find(|(_, value)| !plain(value)) {
        return Err(BootstrapError::input(
            flag,
            format!("`{value}` must be letters, digits, `_`, `-` and `.`"),
        ));
    }
    let layout = &spec.stack.vault;
    let mut kv = Step::mount("KV v2 secrets engine", false, &layout.kv_mount, "kv");
    if let StepKind::Mount { options, .. } = &mut kv.kind {
        options.insert("version".to_owned(), json!("2"));
    }
    let mut steps = vec![kv];
    if let Some(env) = spec.from_env {
        for read in crate::resolve::vault_reads(spec.stack) {
            let crate::vault::ReadKind::Kv2 { mount, secret } = read.kind else {
                continue;
            };
            let Some(service) = ServiceKind::from_name(&read.purpose) else {
                continue;
            };
            let data = kv_from_env(service, env)?;
            if data.is_empty() {
                continue;
            }
            let fields: Vec<&str> = data.keys().map(String::as_str).collect();
            steps.push(Step {
                what: format!(
                    "KV secret of `{}` from the environment ({})",
                    service.name(),
                    fields.join(", ")
                ),
                kind: StepKind::Secret {
                    mount: mount.clone(),
                    secret,
                    data,
                    overwrite: spec.overwrite,
                },
            });
        }
    }
    let roles = database_roles(spec.stack)?;
    if !roles.is_empty() {
        let what = "database secrets engine";
        steps.push(Step::mount(what, false, &layout.database_mount, "database"));
    }
    steps.push(Step {
        what: format!("policy `{}` (dbstack vault policy)", spec.role),
        kind: StepKind::Policy {
            name: spec.role.clone(),
            text: policy_hcl(spec.stack),
        },
    });
    auth_steps(spec, engine, mount, &mut steps);
    database_steps(spec, &roles, &mut steps)?;
    Ok(steps)
}

/// The auth method's mount, its configuration (Kubernetes) and the role bound to the policy.
fn auth_steps(spec: &BootstrapSpec<'_>, engine: &str, mount: &str, steps: &mut Vec<Step>) {
    let role = &spec.role;
    let what = format!("{engine} auth method");
    steps.push(Step::mount(what, true, mount, engine));
    let parent = format!("auth/{mount}");
    let (what, mut body) = match &spec.auth {
        AuthSetup::Kubernetes {
            host,
            ca_cert,
            service_account,
            namespace,
            ..
        } => {
            let mut config = fields(json!({ "kubernetes_host": host }));
            if let Some(pem) = ca_cert {
                config.insert("kubernetes_ca_cert".into(), json!(pem));
                config.insert("disable_local_ca_jwt".into(), json!(true));
            }
            let what = format!("kubernetes auth configuration ({host})");
            steps.push(Step::object(what, &parent, "config", config));
            let bound = json!({
                "bound_service_account_names": [service_account],
                "bound_service_account_namespaces": [namespace],
            });
            let what = format!(
                "kubernetes role `{role}` (service account `{namespace}/{service_account}`)"
            );
            (what, fields(bound))
        }
        AuthSetup::Approle { .. } => (format!("approle role `{role}`"), Map::new()),
    };
    body.extend(fields(json!({
        "token_policies": [role],
        "token_ttl": spec.ttls.token,
        "token_max_ttl": spec.ttls.token_max,
    })));
    steps.push(Step::object(what, &parent, &format!("role/{role}"), body));
}

/// One connection per database service that has a `vault_role`, named after the service,
/// then one role per `vault_role`.
fn database_steps(
    spec: &BootstrapSpec<'_>,
    roles: &[DatabaseRole],
    steps: &mut Vec<Step>,
) -> Result<(), BootstrapError> {
    let mut services: Vec<ServiceKind> = Vec::new();
    for role in roles {
        if !services.contains(&role.service) {
            services.push(role.service);
        }
    }
    if let Some((given, _)) = spec.databases.iter().find(|(s, _)| !services.contains(s)) {
        let name = given.name();
        return Err(BootstrapError::input(
            "--database-url",
            format!(
                "`--database-url {name}=...` was given, but no alias on `{name}` has a `vault_role` in {}",
                spec.stack.origin
            ),
        ));
    }
    let admin = |service: ServiceKind| {
        let found = spec.databases.iter().find(|(s, _)| *s == service);
        found.map(|(_, config)| config)
    };
    let mount = &spec.stack.vault.database_mount;
    for service in services {
        let name = service.name();
        let path = format!("{mount}/config/{name}");
        let allowed: Vec<String> = roles
            .iter()
            .filter(|r| r.service == service)
            .map(|r| r.role.clone())
            .collect();
        steps.push(match admin(service) {
            Some(config) => {
                let (plugin, url) = connection_url(service, config)?;
                let body = json!({
                    "plugin_name": plugin,
                    "connection_url": url,
                    "username": config.user,
                    "password": config.password,
                    "allowed_roles": allowed,
                    "verify_connection": true,
                });
                Step {
                    what: format!(
                        "database connection `{name}` ({plugin}, admin user `{}`)",
                        config.user
                    ),
                    kind: StepKind::Object {
                        path,
                        body: fields(body),
                        compare: [
                            "/plugin_name",
                            "/connection_details/connection_url",
                            "/connection_details/username",
                            "/allowed_roles",
                        ]
                        .map(str::to_owned)
                        .to_vec(),
                        mount: mount.clone(),
                    },
                }
            }
            None => Step {
                what: format!("database connection `{name}` (kept as it is)"),
                kind: StepKind::Existing {
                    path,
                    roles: allowed,
                    hint: format!("--database-url {name}=URL"),
                    mount: mount.clone(),
                },
            },
        });
    }
    for role in roles {
        let admin_db = admin(role.service).map(|config| config.name.as_str());
        let Some(database) = role
            .database
            .as_deref()
            .or(admin_db.filter(|db| !db.is_empty()))
        else {
            return Err(BootstrapError::input(
                spec.stack.origin.clone(),
                format!(
                    "the database of vault_role `{}` is not known: set `database` on alias {} or pass --database-url {}=URL with a database name",
                    role.role,
                    role.aliases.join(", "),
                    role.service.name()
                ),
            ));
        };
        let (creation, revocation) = statements(role.service, database);
        let body = json!({
            "db_name": role.service.name(),
            "creation_statements": creation,
            "revocation_statements": revocation,
            "default_ttl": spec.ttls.creds,
            "max_ttl": spec.ttls.creds_max,
        });
        let what = format!(
            "database role `{}` (alias {}, database `{database}`)",
            role.role,
            role.aliases.join(", ")
        );
        let under = format!("roles/{}", role.role);
        steps.push(Step::object(what, mount, &under, fields(body)));
    }
    Ok(())
}

/// The administrator's Vault settings: `VAULT_ADDR` (required), `VAULT_NAMESPACE`,
/// `VAULT_CACERT`, `VAULT_SKIP_VERIFY` as for a resolution, token auth whatever
/// `VAULT_AUTH_METHOD` says (the token is `VAULT_TOKEN`, else `~/.vault-token`), and a
/// per-request timeout of 10 s unless `DBSTACK_VAULT_TIMEOUT` says otherwise (configuring a
/// database connection makes Vault log in to the database first).
pub fn admin_settings(env: &BTreeMap<String, String>) -> Result<VaultSettings, ResolveError> {
    let mut env = env.clone();
    env.remove("VAULT_AUTH_METHOD");
    let timeout_set = env
        .get("DBSTACK_VAULT_TIMEOUT")
        .is_some_and(|t| !t.is_empty());
    let mut settings = vault_settings(&env, false, DEFAULT_NAMESPACE, DEFAULT_CLUSTER_DOMAIN)?
        .ok_or_else(|| ResolveError::InvalidVariable {
            name: "VAULT_ADDR".into(),
            reason: "not set: `dbstack vault` needs the address of the Vault to configure".into(),
        })?;
    settings.auth = AuthMethod::Token;
    if !timeout_set {
        settings.timeout_ms = 10_000;
    }
    Ok(settings)
}

/// The fields of a service's KV secret (README: "Vault layout") from the variables that
/// configure it: the URL when one is set (`DATABASE_URL`, else `SUPABASE_DB_URL`;
/// `DRAGONFLY_URL`, else `REDIS_URL`), else the discrete variables. Empty values are left out.
/// Errors name the variable, never its value.
pub(crate) fn kv_from_env(
    service: ServiceKind,
    env: &BTreeMap<String, String>,
) -> Result<Map<String, Value>, BootstrapError> {
    let get = |name: &str| env.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let first = |names: &[&'static str]| names.iter().find_map(|n| get(n).map(|v| (*n, v)));
    let mut data = Map::new();
    let mut put = |key: &str, value: Option<&str>| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            data.insert(key.to_owned(), json!(v));
        }
    };
    match service {
        ServiceKind::Supabase => {
            if let Some((name, url)) = first(&["DATABASE_URL", "SUPABASE_DB_URL"]) {
                let c = parse_database_url(url)
                    .map_err(|e| BootstrapError::input(name, e.to_string()))?;
                put("username", Some(&c.user));
                put("password", Some(&c.password));
                put("host", Some(&c.host));
                put("port", c.port.map(|p| p.to_string()).as_deref());
                put("dbname", Some(&c.name));
                let sslmode = c
                    .options
                    .as_ref()
                    .and_then(|o| o.get("sslmode"))
                    .and_then(Value::as_str);
                put("sslmode", sslmode);
            } else {
                for (key, var) in [
                    ("username", "SUPABASE_DB_USER"),
                    ("password", "SUPABASE_DB_PASSWORD"),
                    ("host", "SUPABASE_DB_HOST"),
                    ("port", "SUPABASE_DB_PORT"),
                    ("dbname", "SUPABASE_DB_NAME"),
                    ("sslmode", "SUPABASE_DB_SSLMODE"),
                ] {
                    put(key, get(var));
                }
            }
        }
        ServiceKind::Dragonfly => {
            if let Some((name, url)) = first(&["DRAGONFLY_URL", "REDIS_URL"]) {
                let c = crate::url::parse_cache_url(url)
                    .map_err(|e| BootstrapError::input(name, e.to_string()))?;
                put("username", Some(&c.username));
                put("password", Some(&c.password));
            }
        }
        ServiceKind::Ragflow => put("api_key", get("RAGFLOW_API_KEY")),
        ServiceKind::Rocketmq => {
            put("access_key", get("ROCKETMQ_ACCESS_KEY"));
            put("secret_key", get("ROCKETMQ_SECRET_KEY"));
        }
        ServiceKind::Vault | ServiceKind::Mariadb => {}
    }
    Ok(data)
}

/// A `vault_role` with the aliases using it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DatabaseRole {
    role: String,
    service: ServiceKind,
    database: Option<String>,
    aliases: Vec<String>,
}

/// The stack's `vault_role`s in alias order; two aliases may share a role only on the same
/// service and database.
fn database_roles(stack: &Stack) -> Result<Vec<DatabaseRole>, BootstrapError> {
    let mut roles: Vec<DatabaseRole> = Vec::new();
    for alias in &stack.aliases {
        let Some(role) = &alias.vault_role else {
            continue;
        };
        let quoted = format!("`{}`", alias.name);
        match roles.iter_mut().find(|r| &r.role == role) {
            Some(found) if found.service == alias.service && found.database == alias.database => {
                found.aliases.push(quoted);
            }
            Some(found) => {
                return Err(BootstrapError::input(
                    stack.origin.clone(),
                    format!(
                        "vault_role `{role}` is used by alias {} and alias {quoted} with different services or databases: one role creates users for one database",
                        found.aliases.join(", ")
                    ),
                ))
            }
            None => roles.push(DatabaseRole {
                role: role.clone(),
                service: alias.service,
                database: alias.database.clone(),
                aliases: vec![quoted],
            }),
        }
    }
    Ok(roles)
}

/// The plugin and the templated connection URL (`{{username}}`/`{{password}}` filled in by
/// Vault from the connection's `username` and `password`, so the URL stored holds no secret).
fn connection_url(
    service: ServiceKind,
    config: &DatabaseConfig,
) -> Result<(&'static str, String), BootstrapError> {
    let name = service.name();
    let refuse = |message: &str| {
        let source = format!("--database-url {name}");
        Err(BootstrapError::input(source, message))
    };
    if config.user.is_empty() {
        return refuse("the admin URL has no user name (Vault logs in as it to create users)");
    }
    let wanted = match service {
        ServiceKind::Supabase => "postgres",
        ServiceKind::Mariadb => "mysql",
        _ => return refuse(&format!("`{name}` is not a database service")),
    };
    let scheme = config.scheme();
    if scheme_service(scheme) != Some(service) {
        return refuse(&format!(
            "`{name}` needs a {wanted}:// URL, not {scheme}://"
        ));
    }
    if service == ServiceKind::Supabase {
        let bare = DatabaseConfig {
            user: String::new(),
            password: String::new(),
            port: config.port.or(Some(5432)),
            ..config.clone()
        };
        let url = bare.to_url();
        let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
        let url = format!("postgresql://{{{{username}}}}:{{{{password}}}}@{rest}");
        return Ok(("postgresql-database-plugin", url));
    }
    if config.options.is_some() {
        return refuse("query options are not carried into the MySQL/MariaDB connection (the plugin takes Go DSN parameters): remove them");
    }
    let (host, port) = (&config.host, config.port.unwrap_or(3306));
    let address = if host.starts_with('/') {
        format!("unix({host})")
    } else if host.contains(':') {
        format!("tcp([{host}]:{port})")
    } else {
        format!("tcp({host}:{port})")
    };
    let url = format!(
        "{{{{username}}}}:{{{{password}}}}@{address}/{}",
        config.name
    );
    Ok(("mysql-database-plugin", url))
}

/// Creation and revocation statements: a login valid until the lease expires with all
/// privileges on the alias's database, dropped when the lease is revoked.
fn statements(service: ServiceKind, database: &str) -> (Vec<String>, Vec<String>) {
    match service {
        ServiceKind::Mariadb => {
            let db = database.replace('`', "``");
            (
                vec![
                    "CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}';".to_owned(),
                    format!("GRANT ALL PRIVILEGES ON `{db}`.* TO '{{{{name}}}}'@'%';"),
                ],
                vec!["DROP USER IF EXISTS '{{name}}'@'%';".to_owned()],
            )
        }
        _ => {
            let db = database.replace('"', "\"\"");
            (
                vec![
                    "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';".to_owned(),
                    format!("GRANT ALL PRIVILEGES ON DATABASE \"{db}\" TO \"{{{{name}}}}\";"),
                ],
                vec![
                    format!("REVOKE ALL PRIVILEGES ON DATABASE \"{db}\" FROM \"{{{{name}}}}\";"),
                    "DROP ROLE IF EXISTS \"{{name}}\";".to_owned(),
                ],
            )
        }
    }
}

/// The database service a URL scheme is for: postgres → supabase, mysql → mariadb.
fn scheme_service(scheme: &str) -> Option<ServiceKind> {
    match scheme {
        "postgres" | "postgis" => Some(ServiceKind::Supabase),
        "mysql" | "mysqlgis" => Some(ServiceKind::Mariadb),
        _ => None,
    }
}

/// Parses `--database-url [SERVICE=]URL`: the service is named, or follows from the scheme
/// (postgres → supabase, mysql → mariadb). The error never repeats the URL.
pub fn database_url_arg(text: &str) -> Result<(ServiceKind, DatabaseConfig), BootstrapError> {
    let (named, url) = match text.split_once('=') {
        Some((name, url)) if !name.contains(':') && !name.contains('/') => (Some(name), url),
        _ => (None, text),
    };
    let source = format!("--database-url {}", named.unwrap_or("URL"));
    let config =
        parse_database_url(url).map_err(|e| BootstrapError::input(&source, e.to_string()))?;
    let service = match named {
        Some(name) => ServiceKind::from_name(name)
            .filter(|kind| matches!(kind, ServiceKind::Supabase | ServiceKind::Mariadb))
            .ok_or_else(|| {
                let message =
                    format!("`{name}` is not a database service (use `supabase` or `mariadb`)");
                BootstrapError::input(&source, message)
            })?,
        None => scheme_service(config.scheme()).ok_or_else(|| {
            let message = format!(
                "a {}:// URL is not a database service's (use postgres:// or mysql://)",
                config.scheme()
            );
            BootstrapError::input(&source, message)
        })?,
    };
    Ok((service, config))
}

/// A lifetime flag: `90s`, `30m`, `1h`, `7d` or plain seconds; between 1 s and 10 years.
pub fn ttl_arg(flag: &str, text: &str) -> Result<u64, BootstrapError> {
    let text = text.trim();
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let factor = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => 0,
    };
    match digits.parse::<u64>() {
        Ok(n) if factor > 0 && n > 0 && n.saturating_mul(factor) <= 315_360_000 => Ok(n * factor),
        _ => Err(BootstrapError::input(
            flag,
            format!("`{text}` is not a lifetime between 1s and 3650d (e.g. `1h`, `30m`, `7d`)"),
        )),
    }
}

/// The report: one line per step (`create`, `update (fields)`, `unchanged`) and a summary.
/// `dry_run` words it as a plan. Never contains a secret: paths, names and field names only.
pub fn report(changes: &[Change], dry_run: bool) -> String {
    let width = changes.iter().map(|c| c.path.len()).max().unwrap_or(0);
    let (create, update) = if dry_run {
        ("would create", "would update")
    } else {
        ("created", "updated")
    };
    let mut out = String::new();
    let (mut created, mut updated) = (0, 0);
    for change in changes {
        let action = match &change.action {
            Action::Create => {
                created += 1;
                create.to_owned()
            }
            Action::Update(fields) => {
                updated += 1;
                format!("{update} ({})", fields.join(", "))
            }
            Action::Unchanged => "unchanged".to_owned(),
        };
        let _ = writeln!(out, "{:<width$}  {}: {action}", change.path, change.what);
    }
    let unchanged = changes.len() - created - updated;
    let summary = if created + updated == 0 {
        format!("vault bootstrap: no change, all {unchanged} objects are as planned")
    } else if dry_run {
        format!("vault bootstrap (dry run): would create {created}, update {updated}, leave {unchanged} unchanged; nothing was written")
    } else {
        format!("vault bootstrap: created {created}, updated {updated}, {unchanged} unchanged")
    };
    out + &summary + "\n"
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use crate::input::StackSource;

    fn stack(text: &str) -> Stack {
        Stack::parse(&StackSource {
            name: "stack.toml".into(),
            text: text.into(),
        })
        .unwrap()
    }

    const TWO_ENGINES: &str =
        "[aliases.default]\nservice = \"supabase\"\ndatabase = \"app\"\nvault_role = \"app\"\n\
        [aliases.agent_db]\nservice = \"supabase\"\ndatabase = \"agent\"\nvault_role = \"agent\"\n\
        [aliases.legacy]\nservice = \"mariadb\"\ndatabase = \"legacy\"\nvault_role = \"legacy\"\n";

    fn spec(stack: &Stack, databases: &[&str]) -> Vec<Step> {
        steps(&BootstrapSpec {
            stack,
            role: "dbstack".into(),
            auth: AuthSetup::Kubernetes {
                mount: "kubernetes".into(),
                host: "https://kubernetes.default.svc".into(),
                ca_cert: None,
                service_account: "agent-runtime".into(),
                namespace: "apps".into(),
            },
            databases: databases
                .iter()
                .map(|u| database_url_arg(u).unwrap())
                .collect(),
            ttls: Ttls::default(),
            from_env: None,
            overwrite: false,
        })
        .unwrap()
    }

    #[test]
    fn steps_cover_mounts_policy_auth_connections_and_roles_in_order() {
        let s = stack(TWO_ENGINES);
        let steps = spec(
            &s,
            &[
                "postgres://vault_admin:pw@supabase-db:5432/postgres?sslmode=disable",
                "mariadb=mysql://root:pw2@127.0.0.1/legacy",
            ],
        );
        let paths: Vec<String> = steps.iter().map(Step::path).collect();
        assert_eq!(
            paths,
            [
                "sys/mounts/secret",
                "sys/mounts/database",
                "sys/policy/dbstack",
                "sys/auth/kubernetes",
                "auth/kubernetes/config",
                "auth/kubernetes/role/dbstack",
                "database/config/supabase",
                "database/config/mariadb",
                "database/roles/app",
                "database/roles/agent",
                "database/roles/legacy",
            ]
        );
        let StepKind::Object { body, .. } = &steps[6].kind else {
            panic!()
        };
        assert_eq!(
            body["connection_url"],
            "postgresql://{{username}}:{{password}}@supabase-db:5432/postgres?sslmode=disable"
        );
        assert_eq!(body["allowed_roles"], json!(["app", "agent"]));
        let StepKind::Object { body, .. } = &steps[7].kind else {
            panic!()
        };
        assert_eq!(
            body["connection_url"],
            "{{username}}:{{password}}@tcp(127.0.0.1:3306)/legacy"
        );
        assert_eq!(body["plugin_name"], "mysql-database-plugin");
        let StepKind::Object { body, .. } = &steps[10].kind else {
            panic!()
        };
        assert_eq!(
            body["creation_statements"][1],
            "GRANT ALL PRIVILEGES ON `legacy`.* TO '{{name}}'@'%';"
        );
    }

    #[test]
    fn the_report_never_contains_the_admin_password() {
        let s = stack(TWO_ENGINES);
        let steps = spec(
            &s,
            &[
                "postgres://vault_admin:s3cret-pw@db/postgres",
                "mysql://root:other-s3cret@db/legacy",
            ],
        );
        let changes: Vec<Change> = steps
            .iter()
            .map(|s| Change {
                path: s.path(),
                what: s.what.clone(),
                action: s.diff(None).unwrap(),
            })
            .collect();
        let text = report(&changes, false);
        assert!(!text.contains("s3cret"), "{text}");
        assert!(
            text.contains("created 11, updated 0, 0 unchanged"),
            "{text}"
        );
        assert!(report(&changes, true).contains("nothing was written"));
    }

    #[test]
    fn diff_compares_only_what_vault_returns() {
        let s = stack(TWO_ENGINES);
        let steps = spec(
            &s,
            &[
                "postgres://vault_admin:pw@db:5432/postgres",
                "mysql://root:pw@db/legacy",
            ],
        );
        let connection = &steps[6];
        let current = json!({
            "plugin_name": "postgresql-database-plugin",
            "allowed_roles": ["app", "agent"],
            "connection_details": {
                "connection_url": "postgresql://{{username}}:{{password}}@db:5432/postgres",
                "username": "vault_admin",
            },
            "verify_connection": true,
        });
        assert_eq!(connection.diff(Some(&current)).unwrap(), Action::Unchanged);
        let mut other = current.clone();
        other["allowed_roles"] = json!(["app"]);
        assert_eq!(
            connection.diff(Some(&other)).unwrap(),
            Action::Update(vec!["allowed_roles".into()])
        );
        // A KV v1 mount where KV v2 is needed is a conflict, not an overwrite.
        let kv = &steps[0];
        assert_eq!(
            kv.diff(Some(&json!({"type": "kv", "options": {"version": "2"}})))
                .unwrap(),
            Action::Unchanged
        );
        assert!(matches!(
            kv.diff(Some(&json!({"type": "kv", "options": {"version": "1"}}))),
            Err(BootstrapError::Conflict { .. })
        ));
        assert!(matches!(
            steps[1].diff(Some(&json!({"type": "kv"}))),
            Err(BootstrapError::Conflict { .. })
        ));
    }

    #[test]
    fn a_connection_without_url_must_exist_and_allow_the_roles() {
        let s = stack(TWO_ENGINES);
        let steps = spec(&s, &["mysql://root:pw@db/legacy"]);
        let supabase = &steps[6];
        assert_eq!(supabase.path(), "database/config/supabase");
        let err = supabase.diff(None).unwrap_err();
        assert!(
            err.to_string().contains("--database-url supabase=URL"),
            "{err}"
        );
        assert_eq!(
            supabase
                .diff(Some(&json!({"allowed_roles": ["app", "agent"]})))
                .unwrap(),
            Action::Unchanged
        );
        assert!(supabase
            .diff(Some(&json!({"allowed_roles": ["app"]})))
            .is_err());
    }

    #[test]
    fn flags_are_checked() {
        assert_eq!(ttl_arg("--token-ttl", "1h").unwrap(), 3600);
        assert_eq!(ttl_arg("--token-ttl", "90").unwrap(), 90);
        assert!(ttl_arg("--token-ttl", "0").is_err());
        assert!(ttl_arg("--token-ttl", "1w").is_err());
        let err = database_url_arg("redis=postgres://u:pw@h/db").unwrap_err();
        assert!(!err.to_string().contains("pw@"), "{err}");
        let err = database_url_arg("sqlite:///tmp/x").unwrap_err();
        assert!(err.to_string().contains("sqlite"), "{err}");
        // No database with a vault_role on mariadb: the URL is refused, not ignored.
        let s = stack("[aliases.default]\nservice = \"supabase\"\nvault_role = \"app\"\n");
        let result = steps(&BootstrapSpec {
            stack: &s,
            role: "dbstack".into(),
            auth: AuthSetup::Approle {
                mount: "approle".into(),
            },
            databases: vec![database_url_arg("mysql://root@db/x").unwrap()],
            ttls: Ttls::default(),
            from_env: None,
            overwrite: false,
        });
        assert!(result.is_err());
    }

    #[test]
    fn from_env_writes_the_kv_layout_and_never_overwrites_unasked() {
        let env: std::collections::BTreeMap<String, String> = [
            (
                "DATABASE_URL",
                "postgres://app:pg-s3cret@db:5433/app?sslmode=require",
            ),
            ("SUPABASE_DB_USER", "ignored-when-a-url-is-set"),
            ("REDIS_URL", "redis://:df-s3cret@dragonfly:6379/0"),
            ("RAGFLOW_API_KEY", "rf-s3cret"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let stack = Stack::builtin();
        let mut spec = BootstrapSpec {
            stack: &stack,
            role: "dbstack".into(),
            auth: AuthSetup::Approle {
                mount: "approle".into(),
            },
            databases: Vec::new(),
            ttls: Ttls::default(),
            from_env: Some(&env),
            overwrite: false,
        };
        let all = steps(&spec).unwrap();
        let secrets: Vec<&Step> = all
            .iter()
            .filter(|s| matches!(s.kind, StepKind::Secret { .. }))
            .collect();
        // rocketmq has nothing in the environment: no step, nothing invented.
        let paths: Vec<String> = secrets.iter().map(|s| s.path()).collect();
        assert_eq!(
            paths,
            [
                "secret/data/dbstack/supabase",
                "secret/data/dbstack/dragonfly",
                "secret/data/dbstack/ragflow"
            ]
        );
        let StepKind::Secret { data, .. } = &secrets[0].kind else {
            panic!()
        };
        assert_eq!(
            Value::Object(data.clone()),
            json!({"username": "app", "password": "pg-s3cret", "host": "db", "port": "5433",
                   "dbname": "app", "sslmode": "require"})
        );
        let same = json!({"data": data, "metadata": {"version": 1}});
        assert_eq!(secrets[0].diff(Some(&same)).unwrap(), Action::Unchanged);
        let other = json!({"data": {"username": "app", "password": "old-pw-9"}});
        let err = secrets[0].diff(Some(&other)).unwrap_err();
        assert!(err.to_string().contains("--overwrite"), "{err}");
        assert!(!err.to_string().contains("s3cret") && !err.to_string().contains("old-pw-9"));
        spec.overwrite = true;
        let again = steps(&spec).unwrap();
        let changes: Vec<Change> = again
            .iter()
            .filter(|s| matches!(s.kind, StepKind::Secret { .. }))
            .map(|s| Change {
                path: s.path(),
                what: s.what.clone(),
                action: s.diff(Some(&other)).unwrap(),
            })
            .collect();
        let text = report(&changes, false);
        assert!(
            text.contains("updated (dbname, host, password, port, sslmode)"),
            "{text}"
        );
        assert!(!text.contains("s3cret"), "{text}");
    }

    #[test]
    fn the_builtin_stack_needs_no_database_engine() {
        let steps = spec(Stack::builtin_ref(), &[]);
        let paths: Vec<String> = steps.iter().map(Step::path).collect();
        assert_eq!(
            paths,
            [
                "sys/mounts/secret",
                "sys/policy/dbstack",
                "sys/auth/kubernetes",
                "auth/kubernetes/config",
                "auth/kubernetes/role/dbstack",
            ]
        );
    }
}
