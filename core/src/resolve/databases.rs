//! Django `DATABASES`: one dict per alias in dj-database-url's shape, each key with its
//! provenance, or the development fallback replacing them all.

use serde_json::Value;

use super::builder::{Builder, Cand};
use super::context::{src, Context, Profile};
use super::fields::{pooler, resolve_fields, Part, Parts, Scope, DATABASE};
use super::VaultView;
use crate::catalog::{self, EngineFamily, ServiceKind, SSLMODES};
use crate::error::ResolveError;
use crate::resolution::{Source, SourceKind};
use crate::stack::Alias;
use crate::url::{parse_database_url, DatabaseConfig};

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
    let primary_url = primary_url_vars(ctx)
        .into_iter()
        .any(|n| ctx.var(n).is_some());
    let discrete = DISCRETE.iter().any(|n| ctx.var(n).is_some());
    // A failed Vault keeps what the other sources configure (its `vault_failed` warning says
    // what is missing); the fallback only stands in for a primary database nothing configures.
    if let Some(failure) = vault.failure() {
        return (!primary_url && !discrete).then(|| format!("vault failed: {}", failure.message));
    }
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
                    && EngineFamily::of(&cfg.engine) != Some(EngineFamily::Sqlite) =>
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
    cfg.port_value()
}

/// The parts of a database URL the field table reads; an inherited URL (the server of
/// `default`) gives no name.
fn db_parts(var: &str, cfg: &DatabaseConfig, own: bool) -> Parts {
    let mut values = Vec::with_capacity(6);
    if own {
        values.push((Part::Name, Value::from(cfg.name.as_str())));
    }
    values.push((Part::User, Value::from(cfg.user.as_str())));
    values.push((Part::Password, Value::from(cfg.password.as_str())));
    values.push((Part::Host, Value::from(cfg.host.as_str())));
    values.push((Part::Port, url_port(cfg)));
    values.push((Part::Engine, Value::from(cfg.engine.as_str())));
    Parts {
        var: var.to_owned(),
        values,
    }
}

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
    let mut urls = Vec::with_capacity(2);
    urls.extend(own.map(|(var, cfg)| db_parts(var, cfg, true)));
    urls.extend(inherited.map(|(var, cfg)| db_parts(var, cfg, false)));
    let base = format!("django.DATABASES.{name}");
    let scope = Scope {
        service: alias.service,
        base: &base,
        urls: &urls,
        alias: Some(alias),
        creds,
    };
    let start = resolve_fields(ctx, vault, b, &scope, &DATABASE)?;
    // In the table's order: NAME, USER, PASSWORD, HOST, PORT, …, ENGINE.
    let leaves = b.written(start);
    let value = |i: usize| leaves.get(i).map(|l| &l.value);
    let no_password = value(2).and_then(Value::as_str).is_some_and(str::is_empty);
    let postgres = value(8)
        .and_then(Value::as_str)
        .and_then(EngineFamily::of)
        .is_some_and(|f| f == EngineFamily::Postgres);
    // A transaction pooler, and whether server-side cursors are off for it.
    let transaction = match pooler(alias, value(4)) {
        Some((why, true)) => Some((
            if why.kind == SourceKind::Stack {
                why.name
            } else {
                "port 6543".into()
            },
            value(7).and_then(Value::as_bool) == Some(true),
        )),
        _ => None,
    };

    // OPTIONS: the URL's query, plus sslmode for PostgreSQL, over the stack's `options`; one
    // leaf, whose source is the highest-precedence part.
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
    // The stack file's `options` (the alias's over `[django]`'s): below every variable.
    if let Some(set) = alias.setting("options") {
        let mut used = false;
        for (key, value) in set.value.as_object().into_iter().flatten() {
            if !options.contains_key(key) {
                // A libpq mode, as in a URL or `SUPABASE_DB_SSLMODE`.
                if postgres && key == "sslmode" {
                    checked_sslmode(&set.origin, value.as_str().unwrap_or_default())?;
                }
                options.insert(key.clone(), value.clone());
                used = true;
            }
        }
        if used {
            parts.push(src(SourceKind::Stack, set.origin.clone()));
        }
    }
    if let Some(source) = parts.into_iter().max_by_key(|p| p.kind) {
        b.leaf(
            &path("OPTIONS"),
            vec![Cand::new(source, Value::Object(options))],
        )?;
    }

    if ctx.profile.value == Profile::Production && postgres && no_password {
        b.warn(
            "missing_credentials",
            format!("alias `{name}` has no database password in the production profile"),
            Some(format!("django.DATABASES.{name}.PASSWORD")),
        );
    }
    if let Some((why, cursors)) = transaction {
        b.warn(
            "transaction_pooler",
            format!(
                "alias `{name}` is behind a transaction pooler ({why}): DISABLE_SERVER_SIDE_CURSORS is {cursors}"
            ),
            Some(format!("django.DATABASES.{name}.DISABLE_SERVER_SIDE_CURSORS")),
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
        let db_name =
            if name == "default" || EngineFamily::of(&cfg.engine) == Some(EngineFamily::Sqlite) {
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
    let scheme = cfg.scheme();
    let port = cfg.port.map(|p| format!(":{p}")).unwrap_or_default();
    let user = if cfg.user.is_empty() {
        String::new()
    } else {
        format!("{}@", cfg.user)
    };
    format!("{scheme}://{user}{}{port}/{}", cfg.host, cfg.name)
}
