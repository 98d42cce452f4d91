//! The `services` section, Django `CACHES` / `CHANNEL_LAYERS`, and the RAGflow and
//! RocketMQ settings.

use serde_json::{json, Map, Value};

use super::builder::{Builder, Cand};
use super::context::{parse_port, src, Context};
use super::databases::{fallback_config, parse_url_var, primary_url_vars};
use super::VaultView;
use crate::catalog::{self, ServiceKind};
use crate::error::ResolveError;
use crate::resolution::{Source, SourceKind};
use crate::url::{parse_cache_url, CacheUrl};

const REDIS_CACHE: &str = "django.core.cache.backends.redis.RedisCache";
const CHANNELS_REDIS: &str = "channels_redis.core.RedisChannelLayer";
const RAGFLOW_HEALTH_PATH: &str = "/api/v1/system/healthz";

/// The merged cache connection, ready to render.
pub(super) struct Cache {
    url: CacheUrl,
    /// The highest-precedence source among its parts.
    source: Source,
    options: Option<Map<String, Value>>,
}

fn kube_or_default(ctx: &Context<'_>, kind: ServiceKind) -> (Cand, Cand) {
    let spec = kind.spec();
    let host = ctx.service_default_host(kind);
    let port_kind = if ctx.in_cluster.value && spec.k8s_service.is_some() {
        SourceKind::Kubernetes
    } else {
        SourceKind::Default
    };
    (
        Cand::new(host.source, host.value),
        Cand::new(src(port_kind, kind.default_label("port")), spec.port),
    )
}

fn service_name(b: &mut Builder<'_>, kind: ServiceKind) -> Result<(), ResolveError> {
    let spec = kind.spec();
    b.fixed(
        &["services", spec.name, "service"],
        src(SourceKind::Default, "catalog"),
        spec.k8s_service.map_or(Value::Null, Value::from),
    )?;
    Ok(())
}

pub(super) fn write_services(
    ctx: &Context<'_>,
    vault: &VaultView<'_>,
    b: &mut Builder<'_>,
    fallback: bool,
) -> Result<Cache, ResolveError> {
    // supabase: the server of the `default` alias, without the fallback.
    service_name(b, ServiceKind::Supabase)?;
    let primary = match primary_url_vars(ctx)
        .into_iter()
        .find_map(|n| ctx.var(n).map(|v| (n, v)))
    {
        Some((name, text)) => Some((name.to_owned(), parse_url_var(name, text)?)),
        None => None,
    };
    let (host_default, port_default) = kube_or_default(ctx, ServiceKind::Supabase);
    let mut hosts = Vec::new();
    let mut ports = Vec::new();
    if let Some((v, s)) = vault.kv(ServiceKind::Supabase, "host") {
        hosts.push(Cand::new(s, v.expose()));
    }
    if let Some((v, s)) = vault.kv(ServiceKind::Supabase, "port") {
        ports.push(Cand::new(s.clone(), parse_port(&s.name, v.expose())?));
    }
    if let Some((name, cfg)) = &primary {
        if !cfg.host.is_empty() {
            hosts.push(Cand::new(
                src(SourceKind::Env, name.clone()),
                cfg.host.as_str(),
            ));
        }
        if let Some(port) = cfg.port {
            ports.push(Cand::new(src(SourceKind::Env, name.clone()), port));
        }
    }
    if let Some(host) = ctx.var("SUPABASE_DB_HOST") {
        hosts.push(Cand::new(src(SourceKind::Env, "SUPABASE_DB_HOST"), host));
    }
    if let Some(port) = ctx.var("SUPABASE_DB_PORT") {
        ports.push(Cand::new(
            src(SourceKind::Env, "SUPABASE_DB_PORT"),
            parse_port("SUPABASE_DB_PORT", port)?,
        ));
    }
    hosts.push(host_default);
    ports.push(port_default);
    b.leaf(&["services", "supabase", "host"], hosts)?;
    b.leaf(&["services", "supabase", "port"], ports)?;

    let cache = write_dragonfly(ctx, vault, b)?;

    // ragflow and rocketmq: host and port of the URL / address that wins below.
    for (kind, vars) in [
        (ServiceKind::Ragflow, &["RAGFLOW_URL"][..]),
        (
            ServiceKind::Rocketmq,
            &["ROCKETMQ_NAMESRV_ADDR", "NAMESRV_ADDR"][..],
        ),
    ] {
        service_name(b, kind)?;
        let (host_default, port_default) = kube_or_default(ctx, kind);
        let mut hosts = Vec::new();
        let mut ports = Vec::new();
        if let Some((var, text)) = ctx.first_var(vars) {
            let (host, port) = if kind == ServiceKind::Ragflow {
                http_host_port(var, text)?
            } else {
                let first = namesrv_addrs(var, text)?;
                first.into_iter().next().unwrap_or_default()
            };
            hosts.push(Cand::new(src(SourceKind::Env, var), host));
            ports.push(Cand::new(src(SourceKind::Env, var), port));
        }
        hosts.push(host_default);
        ports.push(port_default);
        b.leaf(&["services", kind.name(), "host"], hosts)?;
        b.leaf(&["services", kind.name(), "port"], ports)?;
    }

    service_name(b, ServiceKind::Vault)?;
    let (host_default, port_default) = kube_or_default(ctx, ServiceKind::Vault);
    let mut hosts = Vec::new();
    let mut ports = Vec::new();
    if let Some(addr) = ctx.var("VAULT_ADDR") {
        let (host, port) = http_host_port("VAULT_ADDR", addr)?;
        hosts.push(Cand::new(src(SourceKind::Env, "VAULT_ADDR"), host));
        ports.push(Cand::new(src(SourceKind::Env, "VAULT_ADDR"), port));
    }
    hosts.push(host_default);
    ports.push(port_default);
    b.leaf(&["services", "vault", "host"], hosts)?;
    b.leaf(&["services", "vault", "port"], ports)?;

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
    Ok(cache)
}

fn write_dragonfly(
    ctx: &Context<'_>,
    vault: &VaultView<'_>,
    b: &mut Builder<'_>,
) -> Result<Cache, ResolveError> {
    service_name(b, ServiceKind::Dragonfly)?;
    let env_url = match ctx.first_var(&["DRAGONFLY_URL", "REDIS_URL"]) {
        Some((var, text)) => Some((
            var,
            parse_cache_url(text).map_err(|error| ResolveError::InvalidUrl {
                name: var.to_owned(),
                error,
            })?,
        )),
        None => None,
    };
    let env = |f: &dyn Fn(&CacheUrl) -> Option<Value>| {
        env_url
            .as_ref()
            .and_then(|(var, url)| f(url).map(|v| Cand::new(src(SourceKind::Env, *var), v)))
    };
    let (host_default, port_default) = kube_or_default(ctx, ServiceKind::Dragonfly);
    let base = ["services", "dragonfly"];
    let mut sources: Vec<Source> = Vec::new();
    let pick = |b: &mut Builder<'_>, key: &str, cands: Vec<Cand>| -> Result<Value, ResolveError> {
        let v = b.leaf_value(&[base[0], base[1], key], cands)?;
        Ok(v)
    };

    let mut c: Vec<Cand> = env(&|u| Some(Value::from(u.host.as_str())))
        .into_iter()
        .collect();
    c.push(host_default);
    let host = pick(b, "host", c)?;
    let mut c: Vec<Cand> = env(&|u| u.port.map(Value::from)).into_iter().collect();
    c.push(port_default);
    let port = pick(b, "port", c)?;
    let mut c: Vec<Cand> = env(&|u| u.db.map(Value::from)).into_iter().collect();
    c.push(Cand::new(src(SourceKind::Default, "dragonfly db"), 0));
    let db = pick(b, "db", c)?;
    let mut c: Vec<Cand> = env(&|u| Some(Value::from(u.scheme == "rediss")))
        .into_iter()
        .collect();
    c.push(Cand::new(src(SourceKind::Default, "dragonfly tls"), false));
    let tls = pick(b, "tls", c)?;
    let mut c = Vec::new();
    if let Some((v, s)) = vault.kv(ServiceKind::Dragonfly, "username") {
        c.push(Cand::new(s, v.expose()));
    }
    c.extend(env(&|u| Some(Value::from(u.username.as_str()))));
    c.push(Cand::new(src(SourceKind::Default, "no ACL user"), ""));
    let username = pick(b, "username", c)?;
    let mut c = Vec::new();
    if let Some((v, s)) = vault.kv(ServiceKind::Dragonfly, "password") {
        c.push(Cand::secret(s, v.expose()));
    }
    if let Some((var, url)) = &env_url {
        c.push(Cand::secret(src(SourceKind::Env, *var), &url.password));
    }
    c.push(Cand::secret(src(SourceKind::Default, "no password"), ""));
    let password = pick(b, "password", c)?;

    for key in ["host", "port", "db", "tls", "username", "password"] {
        if let Some(leaf) = b_last_source(b, key) {
            sources.push(leaf);
        }
    }
    let source = sources
        .into_iter()
        .max_by_key(|s| s.kind)
        .unwrap_or_else(|| src(SourceKind::Default, "dragonfly"));
    let url = CacheUrl {
        scheme: if tls.as_bool() == Some(true) {
            "rediss"
        } else {
            "redis"
        }
        .to_owned(),
        username: username.as_str().unwrap_or_default().to_owned(),
        password: password.as_str().unwrap_or_default().to_owned(),
        host: host.as_str().unwrap_or_default().to_owned(),
        port: port.as_u64().and_then(|p| u16::try_from(p).ok()),
        db: db.as_u64().and_then(|d| u32::try_from(d).ok()),
        query: env_url
            .as_ref()
            .map(|(_, u)| u.query.clone())
            .unwrap_or_default(),
    };
    let options = env_url.as_ref().and_then(|(_, u)| u.options());
    Ok(Cache {
        url,
        source,
        options,
    })
}

/// The source of the most recent `services.dragonfly.<key>` leaf.
fn b_last_source(b: &Builder<'_>, key: &str) -> Option<Source> {
    b.source_of(&["services", "dragonfly", key])
}

pub(super) fn write_caches(b: &mut Builder<'_>, cache: &Cache) -> Result<(), ResolveError> {
    let shown = cache.url.location(true);
    let masked = cache.url.location(false);
    b.fixed(
        &["django", "CACHES", "default", "BACKEND"],
        src(SourceKind::Default, "django built-in RedisCache"),
        REDIS_CACHE,
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
        CHANNELS_REDIS,
    )?;
    b.leaf(
        &["django", "CHANNEL_LAYERS", "default", "CONFIG", "hosts"],
        vec![Cand::masked(
            cache.source.clone(),
            json!([shown]),
            json!([masked]),
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
    let mut c = Vec::new();
    if let Some((v, s)) = vault.kv(ServiceKind::Ragflow, "api_key") {
        c.push(Cand::secret(s, v.expose()));
    }
    if let Some(key) = ctx.var("RAGFLOW_API_KEY") {
        c.push(Cand::secret(src(SourceKind::Env, "RAGFLOW_API_KEY"), key));
    }
    c.push(Cand::secret(src(SourceKind::Default, "no API key"), ""));
    b.leaf(&["ragflow", "API_KEY"], c)?;
    let source = b
        .source_of(&["ragflow", "BASE_URL"])
        .unwrap_or_else(|| src(SourceKind::Default, "ragflow"));
    b.fixed(
        &["ragflow", "HEALTH_URL"],
        source,
        format!("{}{RAGFLOW_HEALTH_PATH}", base.as_str().unwrap_or_default()),
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

    let mut c = Vec::new();
    if let Some((v, s)) = vault.kv(ServiceKind::Rocketmq, "access_key") {
        c.push(Cand::new(s, v.expose()));
    }
    if let Some(key) = ctx.var("ROCKETMQ_ACCESS_KEY") {
        c.push(Cand::new(src(SourceKind::Env, "ROCKETMQ_ACCESS_KEY"), key));
    }
    c.push(Cand::new(src(SourceKind::Default, "no ACL"), ""));
    b.leaf(&["rocketmq", "ACCESS_KEY"], c)?;
    let mut c = Vec::new();
    if let Some((v, s)) = vault.kv(ServiceKind::Rocketmq, "secret_key") {
        c.push(Cand::secret(s, v.expose()));
    }
    if let Some(key) = ctx.var("ROCKETMQ_SECRET_KEY") {
        c.push(Cand::secret(
            src(SourceKind::Env, "ROCKETMQ_SECRET_KEY"),
            key,
        ));
    }
    c.push(Cand::secret(src(SourceKind::Default, "no ACL"), ""));
    b.leaf(&["rocketmq", "SECRET_KEY"], c)?;
    Ok(())
}

/// Host and port of an `http(s)://host[:port][/path]` URL (no credentials allowed).
fn http_host_port(var: &str, text: &str) -> Result<(String, u16), ResolveError> {
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
    let (host, port) = split_host_port(authority);
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
        let (host, port) = split_host_port(part);
        let Some(port) = port else {
            return Err(ResolveError::InvalidVariable {
                name: var.to_owned(),
                reason: format!("`{part}` is not `host:port`"),
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

/// `host:port`, `[v6]:port`, `host`.
fn split_host_port(authority: &str) -> (&str, Option<&str>) {
    if let Some(rest) = authority.strip_prefix('[') {
        if let Some((host, after)) = rest.split_once(']') {
            return (host, after.strip_prefix(':'));
        }
        return (authority, None);
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    }
}
