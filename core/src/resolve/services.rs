//! The `services` section, Django `CACHES` / `CHANNEL_LAYERS`, and the RAGflow and
//! RocketMQ settings.

use serde_json::{Map, Value};

use super::builder::{Builder, Cand};
use super::context::{parse_port, src, Context};
use super::databases::{fallback_config, parse_url_var, primary_url_vars};
use super::fields::{
    resolve_fields, Part, Parts, Scope, Section, UrlKind, RAGFLOW_KEY, ROCKETMQ_KEYS, SERVICES,
};
use super::VaultView;
use crate::catalog::{self, ServiceKind};
use crate::error::ResolveError;
use crate::resolution::{Leaf, Source, SourceKind};
use crate::url::{parse_cache_url, split_host_port_checked, CacheUrl};

/// The merged cache connection, ready to render.
pub(super) struct Cache {
    url: CacheUrl,
    /// The highest-precedence source among its parts.
    source: Source,
    options: Option<Map<String, Value>>,
}

/// A section's URL variable, parsed into the parts the field table reads.
fn url_parts(ctx: &Context<'_>, section: &Section) -> Result<Option<Parts>, ResolveError> {
    let found = if section.url_kind == UrlKind::Database {
        primary_url_vars(ctx)
            .into_iter()
            .find_map(|n| ctx.var(n).map(|v| (n, v)))
    } else {
        ctx.first_var(section.url)
    };
    let Some((var, text)) = found else {
        return Ok(None);
    };
    let mut values = Vec::with_capacity(6);
    match section.url_kind {
        UrlKind::Database => {
            let cfg = parse_url_var(var, text)?;
            if !cfg.host.is_empty() {
                values.push((Part::Host, Value::from(cfg.host)));
            }
            if let Some(port) = cfg.port {
                values.push((Part::Port, Value::from(port)));
            }
        }
        UrlKind::Cache => {
            let url = parse_cache_url(text).map_err(|error| ResolveError::InvalidUrl {
                name: var.to_owned(),
                error,
            })?;
            values.push((Part::Host, Value::from(url.host.as_str())));
            if let Some(port) = url.port {
                values.push((Part::Port, Value::from(port)));
            }
            if let Some(db) = url.db {
                values.push((Part::Db, Value::from(db)));
            }
            values.push((Part::Tls, Value::from(url.scheme == "rediss")));
            values.push((Part::User, Value::from(url.username.as_str())));
            values.push((Part::Password, Value::from(url.password.as_str())));
        }
        UrlKind::Http | UrlKind::Namesrv => {
            let (host, port) = if section.url_kind == UrlKind::Http {
                http_host_port(var, text)?
            } else {
                namesrv_addrs(var, text)?
                    .into_iter()
                    .next()
                    .unwrap_or_default()
            };
            values.push((Part::Host, Value::from(host)));
            values.push((Part::Port, Value::from(port)));
        }
    }
    Ok(Some(Parts {
        var: var.to_owned(),
        values,
    }))
}

pub(super) fn write_services(
    ctx: &Context<'_>,
    vault: &VaultView<'_>,
    b: &mut Builder<'_>,
    fallback: bool,
) -> Result<Cache, ResolveError> {
    let mut cache = None;
    for section in &SERVICES {
        let spec = section.service.spec();
        b.fixed(
            &["services", spec.name, "service"],
            src(SourceKind::Default, "catalog"),
            spec.k8s_service.map_or(Value::Null, Value::from),
        )?;
        let url = url_parts(ctx, section)?;
        let start = resolve_section(ctx, vault, b, section, url.as_slice())?;
        if section.service == ServiceKind::Dragonfly {
            cache = Some(merge_cache(ctx, b.written(start)));
        }
    }

    if fallback {
        let (var, cfg) = fallback_config(ctx)?;
        let source = src(SourceKind::Fallback, var);
        b.fixed(
            &["services", "mariadb", "service"],
            source.clone(),
            Value::Null,
        )?;
        b.fixed(
            &["services", "mariadb", "host"],
            source.clone(),
            cfg.host.as_str(),
        )?;
        b.fixed(
            &["services", "mariadb", "port"],
            source,
            cfg.port.unwrap_or(catalog::MARIADB.port),
        )?;
    }
    Ok(cache.unwrap_or_else(|| merge_cache(ctx, &[])))
}

/// The cache URL of the resolved `services.dragonfly` values (host, port, db, tls, username,
/// password), with the query and options of the environment's URL.
fn merge_cache(ctx: &Context<'_>, values: &[Leaf]) -> Cache {
    let env_url = match ctx.first_var(&["DRAGONFLY_URL", "REDIS_URL"]) {
        Some((_, text)) => parse_cache_url(text).ok(),
        None => None,
    };
    let get = |i: usize| values.get(i).map(|l| &l.value);
    let text = |i: usize| {
        get(i)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    // The highest level wins (among equals the last, the password). A URL of built-in
    // defaults only is named after its host's default, not after `no password`.
    let source = values
        .iter()
        .map(|l| &l.source)
        .max_by_key(|s| s.kind)
        .filter(|s| s.kind != SourceKind::Default)
        .cloned()
        .unwrap_or_else(|| src(SourceKind::Default, "dragonfly host"));
    let url = CacheUrl {
        scheme: if get(3).and_then(Value::as_bool) == Some(true) {
            "rediss"
        } else {
            "redis"
        }
        .to_owned(),
        username: text(4),
        password: text(5),
        host: text(0),
        port: get(1)
            .and_then(Value::as_u64)
            .and_then(|p| u16::try_from(p).ok()),
        db: get(2)
            .and_then(Value::as_u64)
            .and_then(|d| u32::try_from(d).ok()),
        query: env_url
            .as_ref()
            .map(|u| u.query.clone())
            .unwrap_or_default(),
    };
    let options = env_url.as_ref().and_then(CacheUrl::options);
    Cache {
        url,
        source,
        options,
    }
}

/// A section of the field table resolved with its URL.
fn resolve_section(
    ctx: &Context<'_>,
    vault: &VaultView<'_>,
    b: &mut Builder<'_>,
    section: &Section,
    urls: &[Parts],
) -> Result<usize, ResolveError> {
    let scope = Scope {
        service: section.service,
        base: section.base,
        urls,
        alias: None,
        creds: None,
    };
    resolve_fields(ctx, vault, b, &scope, section.fields)
}

pub(super) fn write_caches(b: &mut Builder<'_>, cache: &Cache) -> Result<(), ResolveError> {
    let shown = cache.url.location(true);
    let masked = cache.url.location(false);
    b.fixed(
        &["django", "CACHES", "default", "BACKEND"],
        src(SourceKind::Default, "django built-in RedisCache"),
        catalog::REDIS_CACHE_BACKEND,
    )?;
    b.leaf(
        &["django", "CACHES", "default", "LOCATION"],
        vec![Cand::masked(
            cache.source.clone(),
            Value::from(shown.as_str()),
            Value::from(masked.as_str()),
        )],
    )?;
    if let Some(options) = &cache.options {
        b.fixed(
            &["django", "CACHES", "default", "OPTIONS"],
            cache.source.clone(),
            Value::Object(options.clone()),
        )?;
    }
    b.fixed(
        &["django", "CHANNEL_LAYERS", "default", "BACKEND"],
        src(SourceKind::Default, "channels_redis"),
        catalog::CHANNELS_REDIS_BACKEND,
    )?;
    b.leaf(
        &["django", "CHANNEL_LAYERS", "default", "CONFIG", "hosts"],
        vec![Cand::masked(
            cache.source.clone(),
            Value::Array(vec![Value::from(shown)]),
            Value::Array(vec![Value::from(masked)]),
        )],
    )?;
    Ok(())
}

pub(super) fn write_ragflow(
    ctx: &Context<'_>,
    vault: &VaultView<'_>,
    b: &mut Builder<'_>,
) -> Result<(), ResolveError> {
    let mut c = Vec::new();
    if let Some(url) = ctx.var("RAGFLOW_URL") {
        http_host_port("RAGFLOW_URL", url)?;
        c.push(Cand::new(
            src(SourceKind::Env, "RAGFLOW_URL"),
            url.trim_end_matches('/'),
        ));
    }
    let host = ctx.service_default_host(ServiceKind::Ragflow);
    c.push(Cand::new(
        host.source,
        format!("http://{}:{}", host.value, catalog::RAGFLOW.port),
    ));
    let base = b.leaf_value(&["ragflow", "BASE_URL"], c)?;
    resolve_section(ctx, vault, b, &RAGFLOW_KEY, &[])?;
    let source = b
        .source_of(&["ragflow", "BASE_URL"])
        .unwrap_or_else(|| src(SourceKind::Default, "ragflow"));
    b.fixed(
        &["ragflow", "HEALTH_URL"],
        source,
        format!(
            "{}{}",
            base.as_str().unwrap_or_default(),
            catalog::RAGFLOW_HEALTH_PATH
        ),
    )?;
    Ok(())
}

pub(super) fn write_rocketmq(
    ctx: &Context<'_>,
    vault: &VaultView<'_>,
    b: &mut Builder<'_>,
) -> Result<(), ResolveError> {
    let mut c = Vec::new();
    if let Some((var, text)) = ctx.first_var(&["ROCKETMQ_NAMESRV_ADDR", "NAMESRV_ADDR"]) {
        namesrv_addrs(var, text)?;
        c.push(Cand::new(src(SourceKind::Env, var), text.trim()));
    }
    let host = ctx.service_default_host(ServiceKind::Rocketmq);
    c.push(Cand::new(
        host.source,
        format!("{}:{}", host.value, catalog::ROCKETMQ.port),
    ));
    b.leaf(&["rocketmq", "NAMESRV_ADDR"], c)?;

    let mut c = Vec::new();
    if let Some(text) = ctx.var("ROCKETMQ_BROKER_ADDR") {
        namesrv_addrs("ROCKETMQ_BROKER_ADDR", text)?;
        c.push(Cand::new(
            src(SourceKind::Env, "ROCKETMQ_BROKER_ADDR"),
            text.trim(),
        ));
    }
    let broker = catalog::ROCKETMQ.extra_ports.first();
    let (svc, port) = broker.map_or(("rocketmq-broker", 10911), |p| (p.k8s_service, p.port));
    match ctx.discovered_host(svc) {
        Some(h) => c.push(Cand::new(h.source, format!("{}:{port}", h.value))),
        None => c.push(Cand::new(
            src(SourceKind::Default, "rocketmq broker"),
            format!("localhost:{port}"),
        )),
    }
    b.leaf(&["rocketmq", "BROKER_ADDR"], c)?;

    resolve_section(ctx, vault, b, &ROCKETMQ_KEYS, &[])?;
    Ok(())
}

/// Host and port of an `http(s)://host[:port][/path]` URL (no credentials allowed).
pub(crate) fn http_host_port(var: &str, text: &str) -> Result<(String, u16), ResolveError> {
    let bad = |reason: &str| ResolveError::InvalidVariable {
        name: var.to_owned(),
        reason: reason.to_owned(),
    };
    let (rest, default_port) = if let Some(rest) = text.strip_prefix("http://") {
        (rest, 80)
    } else if let Some(rest) = text.strip_prefix("https://") {
        (rest, 443)
    } else {
        return Err(bad("expected an `http://` or `https://` URL"));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(bad(
            "credentials do not belong in this URL (use the API key variable)",
        ));
    }
    let Some((host, port)) = split_host_port_checked(authority) else {
        return Err(bad("malformed host (an IPv6 host goes in brackets)"));
    };
    if host.is_empty() {
        return Err(bad("the URL has no host"));
    }
    let port = match port {
        Some(p) => parse_port(var, p)?,
        None => default_port,
    };
    Ok((host.to_owned(), port))
}

/// `host:port[;host:port]`, as RocketMQ clients take name-server addresses.
fn namesrv_addrs(var: &str, text: &str) -> Result<Vec<(String, u16)>, ResolveError> {
    let mut out = Vec::new();
    for part in text
        .trim()
        .split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let Some((host, Some(port))) = split_host_port_checked(part) else {
            return Err(ResolveError::InvalidVariable {
                name: var.to_owned(),
                reason: format!("`{part}` is not `host:port` (IPv6: `[::1]:9876`)"),
            });
        };
        if host.is_empty() {
            return Err(ResolveError::InvalidVariable {
                name: var.to_owned(),
                reason: format!("`{part}` has no host"),
            });
        }
        out.push((host.to_owned(), parse_port(var, port)?));
    }
    if out.is_empty() {
        return Err(ResolveError::InvalidVariable {
            name: var.to_owned(),
            reason: "no address given".into(),
        });
    }
    Ok(out)
}
