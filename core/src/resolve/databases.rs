//! Django `DATABASES`: one dict per alias in dj-database-url's shape, each key with its
//! provenance, or the development fallback replacing them all.

use serde_json::Value;

use super::builder::{Builder, Cand};
use super::context::{parse_port, src, Context, Profile};
use super::VaultView;
use crate::catalog::{self, ServiceKind};
use crate::error::ResolveError;
use crate::resolution::{Source, SourceKind};
use crate::stack::Alias;
use crate::url::{parse_database_url, DatabaseConfig};

const POSTGRES_ENGINE: &str = "django.db.backends.postgresql";
const MYSQL_ENGINE: &str = "django.db.backends.mysql";
const SSLMODES: [&str; 6] = [
    "disable",
    "allow",
    "prefer",
    "require",
    "verify-ca",
    "verify-full",
];
const DISCRETE: [&str; 6] = [
    "SUPABASE_DB_HOST",
    "SUPABASE_DB_PORT",
    "SUPABASE_DB_NAME",
    "SUPABASE_DB_USER",
    "SUPABASE_DB_PASSWORD",
    "SUPABASE_DB_SSLMODE",
];

/// Why the fallback replaces the databases, or `None` when it does not.
pub(super) fn fallback_reason(ctx: &Context<'_>, vault: &VaultView<'_>) -> Option<String> {
    if ctx.profile.value != Profile::Development {
        return None;
    }
    if let Some(failure) = vault.failure() {
        return Some(format!("vault failed: {}", failure.message));
    }
    let primary_url = primary_url_vars(ctx)
        .into_iter()
        .any(|n| ctx.var(n).is_some());
    let discrete = DISCRETE.iter().any(|n| ctx.var(n).is_some());
    if vault.configured() || primary_url || discrete {
        return None;
    }
    Some("no primary database configured (no Vault, no DATABASE_URL or SUPABASE_DB_URL, no SUPABASE_DB_* variable)".into())
}

/// The variables that configure the `default` alias, in precedence order.
pub(super) fn primary_url_vars<'s>(ctx: &'s Context<'_>) -> Vec<&'s str> {
    let mut names = Vec::with_capacity(2);
    if let Some(default) = ctx.stack.alias("default") {
        names.push(default.url_env.as_str());
    }
    if !names.contains(&"SUPABASE_DB_URL") {
        names.push("SUPABASE_DB_URL");
    }
    names
}

pub(super) fn parse_url_var(name: &str, text: &str) -> Result<DatabaseConfig, ResolveError> {
    parse_database_url(text).map_err(|error| ResolveError::InvalidUrl {
        name: name.to_owned(),
        error,
    })
}

/// The URL configuring an alias, with the variable it came from.
fn alias_url(
    ctx: &Context<'_>,
    alias: &Alias,
) -> Result<Option<(String, DatabaseConfig)>, ResolveError> {
    let names: Vec<&str> = if alias.name == "default" {
        primary_url_vars(ctx)
    } else {
        vec![alias.url_env.as_str()]
    };
    for name in names {
        if let Some(text) = ctx.var(name) {
            return Ok(Some((name.to_owned(), parse_url_var(name, text)?)));
        }
    }
    Ok(None)
}

pub(super) fn write_databases(
    ctx: &Context<'_>,
    vault: &VaultView<'_>,
    b: &mut Builder<'_>,
    fallback: Option<&str>,
) -> Result<(), ResolveError> {
    if let Some(reason) = fallback {
        // The fallback replaces the databases, but a malformed URL is still an error.
        for alias in &ctx.stack.aliases {
            alias_url(ctx, alias)?;
        }
        return write_fallback(ctx, b, reason);
    }
    let default_alias = ctx.stack.alias("default");
    let primary = match default_alias {
        Some(alias) => alias_url(ctx, alias)?,
        None => None,
    };
    for alias in &ctx.stack.aliases {
        let own = if alias.name == "default" {
            primary.clone()
        } else {
            alias_url(ctx, alias)?
        };
        // Other aliases on the primary's service share its server (not its database name).
        let inherited = match (&primary, default_alias) {
            (Some((name, cfg)), Some(d))
                if alias.name != "default"
                    && d.service == alias.service
                    && !cfg.engine.contains("sqlite") =>
            {
                Some((format!("{name} (server of alias `default`)"), cfg))
            }
            _ => None,
        };
        write_alias(
            ctx,
            vault,
            b,
            alias,
            own.as_ref().map(|(n, c)| (n.as_str(), c)),
            inherited.as_ref().map(|(n, c)| (n.as_str(), *c)),
        )?;
    }
    Ok(())
}

fn env_src(name: &str) -> Source {
    src(SourceKind::Env, name.to_owned())
}

fn url_port(cfg: &DatabaseConfig) -> Value {
    cfg.port.map_or(Value::String(String::new()), Value::from)
}

#[allow(clippy::too_many_lines)]
fn write_alias(
    ctx: &Context<'_>,
    vault: &VaultView<'_>,
    b: &mut Builder<'_>,
    alias: &Alias,
    own: Option<(&str, &DatabaseConfig)>,
    inherited: Option<(&str, &DatabaseConfig)>,
) -> Result<(), ResolveError> {
    let name = alias.name.as_str();
    let supabase = alias.service == ServiceKind::Supabase;
    let is_default = name == "default";
    let discrete = |var: &'static str| {
        if supabase {
            ctx.var(var).map(|v| (var, v))
        } else {
            None
        }
    };
    let kv = |field: &str| {
        if supabase {
            vault.kv(ServiceKind::Supabase, field)
        } else {
            None
        }
    };
    let creds = alias
        .vault_role
        .as_deref()
        .and_then(|role| vault.creds(role, &ctx.stack.vault.database_mount));
    let path = |key: &'static str| ["django", "DATABASES", name, key];
    let builtin_stack = ctx.stack.origin == crate::stack::BUILTIN;
    let spec = alias.service.spec();

    // NAME
    let mut c = Vec::new();
    if let Some((var, cfg)) = own {
        c.push(Cand::new(env_src(var), cfg.name.as_str()));
    }
    if is_default {
        if let Some((var, v)) = discrete("SUPABASE_DB_NAME") {
            c.push(Cand::new(env_src(var), v));
        }
        if let Some((v, s)) = kv("dbname") {
            c.push(Cand::new(s, v.expose()));
        }
    }
    if let Some(db) = &alias.database {
        let kind = if builtin_stack {
            SourceKind::Default
        } else {
            SourceKind::Stack
        };
        c.push(Cand::new(
            src(kind, alias.database_origin.clone()),
            db.as_str(),
        ));
    }
    c.push(Cand::new(
        src(SourceKind::Default, alias.service.default_label("database")),
        if supabase { "postgres" } else { name },
    ));
    b.leaf(&path("NAME"), c)?;

    // USER
    let mut c = Vec::new();
    if let Some((user, _, p)) = &creds {
        c.push(Cand::new(
            src(SourceKind::Vault, format!("{p}#username")),
            *user,
        ));
    }
    if let Some((v, s)) = kv("username") {
        c.push(Cand::new(s, v.expose()));
    }
    for (var, cfg) in own.iter().chain(inherited.iter()) {
        c.push(Cand::new(env_src(var), cfg.user.as_str()));
    }
    if let Some((var, v)) = discrete("SUPABASE_DB_USER") {
        c.push(Cand::new(env_src(var), v));
    }
    c.push(Cand::new(
        src(SourceKind::Default, alias.service.default_label("user")),
        if supabase { "postgres" } else { "root" },
    ));
    b.leaf(&path("USER"), c)?;

    // PASSWORD
    let mut c = Vec::new();
    if let Some((_, password, p)) = &creds {
        c.push(Cand::secret(
            src(SourceKind::Vault, format!("{p}#password")),
            password.expose(),
        ));
    }
    if let Some((v, s)) = kv("password") {
        c.push(Cand::secret(s, v.expose()));
    }
    for (var, cfg) in own.iter().chain(inherited.iter()) {
        c.push(Cand::secret(env_src(var), &cfg.password));
    }
    if let Some((var, v)) = discrete("SUPABASE_DB_PASSWORD") {
        c.push(Cand::secret(env_src(var), v));
    }
    c.push(Cand::secret(src(SourceKind::Default, "no password"), ""));
    let password = b.leaf_value(&path("PASSWORD"), c)?;

    // HOST
    let mut c = Vec::new();
    if let Some((v, s)) = kv("host") {
        c.push(Cand::new(s, v.expose()));
    }
    for (var, cfg) in own.iter().chain(inherited.iter()) {
        c.push(Cand::new(env_src(var), cfg.host.as_str()));
    }
    if let Some((var, v)) = discrete("SUPABASE_DB_HOST") {
        c.push(Cand::new(env_src(var), v));
    }
    let host = ctx.service_default_host(alias.service);
    c.push(Cand::new(host.source, host.value));
    b.leaf(&path("HOST"), c)?;

    // PORT
    let mut c = Vec::new();
    if let Some((v, s)) = kv("port") {
        let port = parse_port(&s.name, v.expose())?;
        c.push(Cand::new(s, port));
    }
    for (var, cfg) in own.iter().chain(inherited.iter()) {
        c.push(Cand::new(env_src(var), url_port(cfg)));
    }
    if let Some((var, v)) = discrete("SUPABASE_DB_PORT") {
        c.push(Cand::new(env_src(var), parse_port(var, v)?));
    }
    let port_kind = if ctx.in_cluster.value && spec.k8s_service.is_some() {
        SourceKind::Kubernetes
    } else {
        SourceKind::Default
    };
    c.push(Cand::new(
        src(port_kind, alias.service.default_label("port")),
        spec.port,
    ));
    let port = b.leaf_value(&path("PORT"), c)?;

    let defaults = src(SourceKind::Default, "dj-database-url defaults");
    b.fixed(&path("CONN_MAX_AGE"), defaults.clone(), 0)?;
    b.fixed(&path("CONN_HEALTH_CHECKS"), defaults.clone(), false)?;
    b.fixed(&path("DISABLE_SERVER_SIDE_CURSORS"), defaults, false)?;

    // ENGINE
    let mut c = Vec::new();
    for (var, cfg) in own.iter().chain(inherited.iter()) {
        c.push(Cand::new(env_src(var), cfg.engine.as_str()));
    }
    c.push(Cand::new(
        src(SourceKind::Default, alias.service.default_label("engine")),
        if supabase {
            POSTGRES_ENGINE
        } else {
            MYSQL_ENGINE
        },
    ));
    let engine = b.leaf_value(&path("ENGINE"), c)?;

    // OPTIONS: the URL's query, plus sslmode for PostgreSQL; one leaf, whose source is the
    // highest-precedence part.
    let postgres = engine
        .as_str()
        .is_some_and(|e| e.contains("postgis") || e.contains("postgresql"));
    let mut options = serde_json::Map::new();
    let mut parts: Vec<Source> = Vec::new();
    for (var, cfg) in own.iter().chain(inherited.iter()) {
        for (key, value) in cfg.options.iter().flatten() {
            if !options.contains_key(key) {
                options.insert(key.clone(), value.clone());
                if !parts.iter().any(|p| p.name == *var) {
                    parts.push(env_src(var));
                }
            }
        }
    }
    if postgres {
        let from_url = options.contains_key("sslmode");
        if let Some((v, s)) = kv("sslmode") {
            options.insert(
                "sslmode".into(),
                Value::from(checked_sslmode(&s.name, v.expose())?),
            );
            parts.push(s);
        } else if let (Some((var, v)), false) = (discrete("SUPABASE_DB_SSLMODE"), from_url) {
            options.insert("sslmode".into(), Value::from(checked_sslmode(var, v)?));
            parts.push(env_src(var));
        }
    }
    if let Some(source) = parts.into_iter().max_by_key(|p| p.kind) {
        b.leaf(
            &path("OPTIONS"),
            vec![Cand::new(source, Value::Object(options))],
        )?;
    }

    if ctx.profile.value == Profile::Production
        && postgres
        && password.as_str().is_some_and(str::is_empty)
    {
        b.warn(
            "missing_credentials",
            format!("alias `{name}` has no database password in the production profile"),
            Some(format!("django.DATABASES.{name}.PASSWORD")),
        );
    }
    if supabase && port.as_u64() == Some(6543) {
        b.warn(
            "supabase_transaction_pooler",
            format!(
                "alias `{name}` uses Supabase's transaction pooler (port 6543): prepared statements and server-side cursors do not work there; set DISABLE_SERVER_SIDE_CURSORS and psycopg's prepare_threshold=None"
            ),
            Some(format!("django.DATABASES.{name}.PORT")),
        );
    }
    Ok(())
}

fn checked_sslmode(source: &str, value: &str) -> Result<String, ResolveError> {
    if SSLMODES.contains(&value) {
        Ok(value.to_owned())
    } else {
        Err(ResolveError::InvalidVariable {
            name: source.to_owned(),
            reason: format!(
                "unknown sslmode `{value}` (use one of {})",
                SSLMODES.join(", ")
            ),
        })
    }
}

fn write_fallback(
    ctx: &Context<'_>,
    b: &mut Builder<'_>,
    reason: &str,
) -> Result<(), ResolveError> {
    let (var, cfg) = fallback_config(ctx)?;
    let source = src(SourceKind::Fallback, var);
    for alias in &ctx.stack.aliases {
        let name = alias.name.as_str();
        let path = |key: &'static str| ["django", "DATABASES", name, key];
        let db_name = if name == "default" || cfg.engine.contains("sqlite") {
            cfg.name.clone()
        } else {
            format!("{}_{name}", cfg.name)
        };
        b.fixed(&path("NAME"), source.clone(), db_name)?;
        b.fixed(&path("USER"), source.clone(), cfg.user.as_str())?;
        b.leaf(
            &path("PASSWORD"),
            vec![Cand::secret(source.clone(), &cfg.password)],
        )?;
        b.fixed(&path("HOST"), source.clone(), cfg.host.as_str())?;
        b.fixed(&path("PORT"), source.clone(), url_port(&cfg))?;
        b.fixed(&path("CONN_MAX_AGE"), source.clone(), 0)?;
        b.fixed(&path("CONN_HEALTH_CHECKS"), source.clone(), false)?;
        b.fixed(&path("DISABLE_SERVER_SIDE_CURSORS"), source.clone(), false)?;
        b.fixed(&path("ENGINE"), source.clone(), cfg.engine.as_str())?;
        if let Some(options) = &cfg.options {
            b.fixed(
                &path("OPTIONS"),
                source.clone(),
                Value::Object(options.clone()),
            )?;
        }
    }
    b.warn(
        "fallback_active",
        format!(
            "DEVELOPMENT FALLBACK: databases replaced by {} ({}): {reason}",
            safe_url(&cfg),
            var
        ),
        Some(var.to_owned()),
    );
    Ok(())
}

/// The fallback target: `DBSTACK_FALLBACK_URL`, else the built-in default (parsed once).
pub(super) fn fallback_config(
    ctx: &Context<'_>,
) -> Result<(&'static str, std::borrow::Cow<'static, DatabaseConfig>), ResolveError> {
    use std::borrow::Cow;
    static DEFAULT: std::sync::OnceLock<Option<DatabaseConfig>> = std::sync::OnceLock::new();
    if let Some(text) = ctx.var("DBSTACK_FALLBACK_URL") {
        return Ok((
            "DBSTACK_FALLBACK_URL",
            Cow::Owned(parse_url_var("DBSTACK_FALLBACK_URL", text)?),
        ));
    }
    let parsed = DEFAULT.get_or_init(|| parse_database_url(catalog::DEFAULT_FALLBACK_URL).ok());
    match parsed {
        Some(cfg) => Ok(("default fallback", Cow::Borrowed(cfg))),
        None => Ok((
            "default fallback",
            Cow::Owned(parse_url_var(
                "default fallback",
                catalog::DEFAULT_FALLBACK_URL,
            )?),
        )),
    }
}

/// A URL for messages: scheme, user, host, port and name; never the password.
fn safe_url(cfg: &DatabaseConfig) -> String {
    let scheme = if cfg.engine.contains("mysql") {
        "mysql"
    } else if cfg.engine.contains("sqlite") {
        "sqlite"
    } else {
        "postgres"
    };
    let port = cfg.port.map(|p| format!(":{p}")).unwrap_or_default();
    let user = if cfg.user.is_empty() {
        String::new()
    } else {
        format!("{}@", cfg.user)
    };
    format!("{scheme}://{user}{}{port}/{}", cfg.host, cfg.name)
}
