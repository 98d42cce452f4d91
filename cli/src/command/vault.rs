//! `dbstack vault policy` (the least-privilege policy of the stack) and `dbstack vault
//! bootstrap` (configure a Vault for the stack with an administrator's token).

use std::path::Path;

use dbstack_core::bootstrap::{self, AuthSetup, BootstrapError, BootstrapSpec, Ttls};
use dbstack_core::catalog::ServiceKind;
use dbstack_core::url::DatabaseConfig;
use dbstack_core::Stack;
use dbstack_runtime::inputs::{kube_facts, stack_source, Environment, SERVICE_ACCOUNT_DIR};

use super::common::env_or_exit;
use dbstack_runtime::vault::admin;

use crate::output;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Print the Vault policy (HCL) the application needs: `read` on exactly the paths of the
    /// plan, plus token lookup/renew and lease renew/revoke for the credential keeper.
    Policy(PolicyArgs),
    /// Configure Vault for the stack (KV v2 mount, policy, auth role, database engine) with
    /// an administrator's VAULT_TOKEN; idempotent, `--dry-run` prints the plan of changes.
    Bootstrap(Box<BootstrapArgs>),
}

#[derive(Debug, clap::Args)]
struct PolicyArgs {
    /// Stack file, TOML (beats DBSTACK_CONFIG).
    #[arg(long, value_name = "FILE")]
    stack: Option<String>,
}

/// How the application logs in to Vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum AuthKind {
    /// Kubernetes auth bound to the application's service account.
    Kubernetes,
    /// AppRole (role id + secret id).
    Approle,
}

#[derive(Debug, clap::Args)]
struct BootstrapArgs {
    /// Stack file, TOML (beats DBSTACK_CONFIG).
    #[arg(long, value_name = "FILE")]
    stack: Option<String>,
    /// How the application logs in.
    #[arg(long, value_enum, default_value_t = AuthKind::Kubernetes)]
    auth: AuthKind,
    /// Name of the auth role and of the policy.
    #[arg(long, value_name = "NAME", default_value = "dbstack")]
    role: String,
    /// Mount path of the auth method (default `kubernetes` or `approle`).
    #[arg(long, value_name = "PATH")]
    auth_mount: Option<String>,
    /// Kubernetes API server Vault sends TokenReviews to.
    #[arg(
        long,
        value_name = "URL",
        default_value = "https://kubernetes.default.svc"
    )]
    kubernetes_host: String,
    /// PEM file of the API server's CA, for a Vault running outside the cluster (also
    /// disables Vault's local service-account token).
    #[arg(long, value_name = "FILE")]
    kubernetes_ca_cert: Option<String>,
    /// Service account the application runs as.
    #[arg(long, value_name = "NAME", default_value = "agent-runtime")]
    service_account: String,
    /// Namespace of that service account (default: this pod's namespace, POD_NAMESPACE, `default`).
    #[arg(long, value_name = "NAMESPACE")]
    namespace: Option<String>,
    /// Admin connection of a database service's secrets engine, `[SERVICE=]URL`; `@FILE`
    /// instead of the URL reads it from a file (repeatable, one per database service).
    #[arg(long = "database-url", value_name = "[SERVICE=]URL")]
    database_urls: Vec<String>,
    /// TTL of the application's Vault token.
    #[arg(long, value_name = "TTL", default_value = "1h")]
    token_ttl: String,
    /// Longest the token may be renewed to.
    #[arg(long, value_name = "TTL", default_value = "24h")]
    token_max_ttl: String,
    /// TTL of dynamic database credentials.
    #[arg(long, value_name = "TTL", default_value = "1h")]
    creds_ttl: String,
    /// Longest dynamic database credentials may be renewed to.
    #[arg(long, value_name = "TTL", default_value = "24h")]
    creds_max_ttl: String,
    /// Also write the current environment's values into the KV layout (DATABASE_URL or
    /// SUPABASE_DB_*, DRAGONFLY_URL, RAGFLOW_API_KEY, ROCKETMQ_*_KEY).
    #[arg(long)]
    from_env: bool,
    /// With --from-env: replace KV secrets that hold other values (refused otherwise).
    #[arg(long, requires = "from_env")]
    overwrite: bool,
    /// With --from-env: read variables from a `.env` file too (repeatable; the environment beats
    /// every file). `X_FILE` variables are read as `dbstack resolve` reads them.
    #[arg(long = "env-file", value_name = "PATH", requires = "from_env")]
    env_file: Vec<String>,
    /// Print the plan of changes; write nothing.
    #[arg(long)]
    dry_run: bool,
}

pub(crate) fn run(args: &Args) -> i32 {
    match &args.command {
        Command::Policy(a) => policy(a),
        Command::Bootstrap(a) => bootstrap_command(a),
    }
}

/// The stack of `--stack`, else `DBSTACK_CONFIG`, else the built-in one.
fn load_stack(flag: Option<&str>) -> Result<Stack, i32> {
    let env = env_or_exit()?;
    let source = stack_source(&env, flag).map_err(|e| {
        output::error_line(&e.to_string());
        e.exit_code()
    })?;
    match source {
        None => Ok(Stack::builtin()),
        Some(source) => Stack::parse(&source).map_err(|e| {
            output::error_line(&e.to_string());
            e.exit_code()
        }),
    }
}

fn policy(args: &PolicyArgs) -> i32 {
    match load_stack(args.stack.as_deref()) {
        Ok(stack) => {
            output::print(&dbstack_core::policy::policy_hcl(&stack));
            0
        }
        Err(code) => code,
    }
}

fn fail(e: &BootstrapError) -> i32 {
    output::error_line(&e.to_string());
    e.exit_code()
}

fn bootstrap_command(args: &BootstrapArgs) -> i32 {
    let stack = match load_stack(args.stack.as_deref()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let env = match env_or_exit() {
        Ok(env) => env,
        Err(code) => return code,
    };
    let settings = match bootstrap::admin_settings(&env) {
        Ok(s) => s,
        Err(e) => {
            output::error_line(&format!("{e} (source: {})", e.source_name()));
            return e.exit_code();
        }
    };
    // What --from-env writes: the environment as `dbstack resolve` sees it (env files, X_FILE).
    let from_env = if args.from_env {
        match Environment::gather(env.clone(), &args.env_file) {
            Ok(environment) => Some(environment.vars),
            Err(e) => {
                output::error_line(&e.to_string());
                return e.exit_code();
            }
        }
    } else {
        None
    };
    let spec = match spec(args, &stack, &env, from_env.as_ref()) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let steps = match bootstrap::steps(&spec) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let role_id_path = bootstrap::role_id_path(&spec);
    match admin::bootstrap(
        &settings,
        &env,
        &steps,
        role_id_path.as_deref(),
        args.dry_run,
    ) {
        Ok(outcome) => {
            let mut text = bootstrap::report(&outcome.changes, args.dry_run);
            if let (Some(id), Some(path)) = (&outcome.role_id, &role_id_path) {
                let role = path.trim_end_matches("/role-id");
                text.push_str(&format!(
                    "approle role id: {id} (VAULT_ROLE_ID; a secret id for VAULT_SECRET_ID: `bao write -f {role}/secret-id`)\n"
                ));
            }
            output::print(&text);
            0
        }
        Err(e) => {
            output::error_line(&format!("{e} (source: {})", e.source_name()));
            e.exit_code()
        }
    }
}

fn spec<'a>(
    args: &BootstrapArgs,
    stack: &'a Stack,
    env: &'a std::collections::BTreeMap<String, String>,
    from_env: Option<&'a std::collections::BTreeMap<String, String>>,
) -> Result<BootstrapSpec<'a>, BootstrapError> {
    let input = |source: &str, message: String| BootstrapError::Input {
        source_name: source.to_owned(),
        message,
    };
    let auth = match args.auth {
        AuthKind::Kubernetes => {
            let ca_cert = match &args.kubernetes_ca_cert {
                Some(path) => Some(read_small(path, "--kubernetes-ca-cert")?),
                None => None,
            };
            let namespace = match &args.namespace {
                Some(ns) => ns.clone(),
                None => kube_facts(Path::new(SERVICE_ACCOUNT_DIR))
                    .map_err(|e| input(&e.source_name(), e.to_string()))?
                    .namespace_file
                    .or_else(|| env.get("POD_NAMESPACE").filter(|n| !n.is_empty()).cloned())
                    .unwrap_or_else(|| dbstack_core::catalog::DEFAULT_NAMESPACE.to_owned()),
            };
            if !args.kubernetes_host.starts_with("https://")
                && !args.kubernetes_host.starts_with("http://")
            {
                return Err(input(
                    "--kubernetes-host",
                    format!(
                        "`{}` must start with https:// or http://",
                        args.kubernetes_host
                    ),
                ));
            }
            AuthSetup::Kubernetes {
                mount: args
                    .auth_mount
                    .clone()
                    .unwrap_or_else(|| "kubernetes".into()),
                host: args.kubernetes_host.clone(),
                ca_cert,
                service_account: args.service_account.clone(),
                namespace,
            }
        }
        AuthKind::Approle => AuthSetup::Approle {
            mount: args.auth_mount.clone().unwrap_or_else(|| "approle".into()),
        },
    };
    let mut databases: Vec<(ServiceKind, DatabaseConfig)> = Vec::new();
    for arg in &args.database_urls {
        // `SERVICE=` is a name without `:` or `/` before the first `=`; `@FILE` follows it.
        let (service, value) = match arg.split_once('=') {
            Some((name, value)) if !name.contains(':') && !name.contains('/') => {
                (Some(name), value)
            }
            _ => (None, arg.as_str()),
        };
        let value = match value.strip_prefix('@') {
            Some(file) => read_small(
                file,
                &format!("--database-url {}", service.unwrap_or("URL")),
            )?,
            None => value.to_owned(),
        };
        let arg = match service {
            Some(name) => format!("{name}={value}"),
            None => value,
        };
        let (service, config) = bootstrap::database_url_arg(&arg)?;
        if databases.iter().any(|(s, _)| *s == service) {
            return Err(input(
                "--database-url",
                format!("`{}` is given twice", service.name()),
            ));
        }
        databases.push((service, config));
    }
    Ok(BootstrapSpec {
        stack,
        role: args.role.clone(),
        auth,
        databases,
        ttls: Ttls {
            token: bootstrap::ttl_arg("--token-ttl", &args.token_ttl)?,
            token_max: bootstrap::ttl_arg("--token-max-ttl", &args.token_max_ttl)?,
            creds: bootstrap::ttl_arg("--creds-ttl", &args.creds_ttl)?,
            creds_max: bootstrap::ttl_arg("--creds-max-ttl", &args.creds_max_ttl)?,
        },
        from_env,
        overwrite: args.overwrite,
    })
}

/// A small file's text (at most 64 KiB), less one trailing newline.
fn read_small(path: &str, flag: &str) -> Result<String, BootstrapError> {
    let fail = |why: String| BootstrapError::Input {
        source_name: path.to_owned(),
        message: format!("cannot read `{path}` ({flag}): {why}"),
    };
    let text = dbstack_runtime::fs::read_text(Path::new(path), dbstack_runtime::fs::MAX_TOKEN_FILE)
        .map_err(|e| fail(e.to_string()))?;
    let text = text.strip_suffix('\n').unwrap_or(&text);
    Ok(text.strip_suffix('\r').unwrap_or(text).to_owned())
}
