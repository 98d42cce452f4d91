//! `plan()` and `resolve()`: the two pure steps around the runtime's Vault I/O.
//!
//! Precedence, lowest to highest: built-in default < stack spec < Kubernetes discovery <
//! environment < Vault < explicit override. The development fallback is not a level: it
//! replaces the databases wholesale and says so.

mod builder;
pub(crate) mod context;
mod databases;
mod fields;
mod services;

use serde_json::{Map, Value};

use crate::catalog::{ServiceKind, KV_SERVICES};
use crate::error::ResolveError;
use crate::input::Inputs;
use crate::resolution::{Resolution, Source, SourceKind};
use crate::secret::Secret;
use crate::stack::Stack;
use crate::vault::{
    ReadKind, VaultAnswers, VaultFailure, VaultPlan, VaultRead, VaultResult, VaultStatus,
};

use builder::Builder;
use context::src;
pub(crate) use context::{Context, Profile};

/// The Vault reads a resolution of `inputs` needs. Pure: nothing is contacted.
pub fn plan(inputs: &Inputs) -> Result<VaultPlan, ResolveError> {
    let ctx = Context::new(inputs)?;
    Ok(vault_plan(&ctx))
}

/// Resolves `inputs` with the runtime's answers to [`plan`].
pub fn resolve(inputs: &Inputs, answers: &VaultAnswers) -> Result<Resolution, ResolveError> {
    let ctx = Context::new(inputs)?;
    let plan = vault_plan(&ctx);
    let vault = VaultView::new(&plan, answers);

    if let (Some(failure), Profile::Production) = (vault.failure(), ctx.profile.value) {
        return Err(ResolveError::VaultRequired {
            profile: ctx.profile.value.as_str().into(),
            failure: failure.clone(),
        });
    }

    let mut b = Builder::new(&inputs.overrides);
    b.fixed(
        &["profile"],
        ctx.profile.source.clone(),
        ctx.profile.value.as_str(),
    )?;
    b.fixed(
        &["environment", "kubernetes"],
        ctx.in_cluster.source.clone(),
        ctx.in_cluster.value,
    )?;
    b.fixed(
        &["environment", "namespace"],
        ctx.namespace.source.clone(),
        ctx.namespace.value.as_str(),
    )?;
    b.fixed(
        &["environment", "cluster_domain"],
        ctx.cluster_domain.source.clone(),
        ctx.cluster_domain.value.as_str(),
    )?;
    vault.write(&mut b)?;

    let fallback = databases::fallback_reason(&ctx, &vault);
    let fb_source = src(SourceKind::Fallback, "fallback rule");
    b.fixed(
        &["fallback", "active"],
        fb_source.clone(),
        fallback.is_some(),
    )?;
    b.fixed(
        &["fallback", "reason"],
        fb_source,
        fallback.clone().map_or(Value::Null, Value::String),
    )?;

    let cache = services::write_services(&ctx, &vault, &mut b, fallback.is_some())?;
    databases::write_databases(&ctx, &vault, &mut b, fallback.as_deref())?;
    b.fixed(
        &["django", "DATABASE_ROUTERS"],
        src(SourceKind::Default, "dbstack router"),
        Value::Array(vec![Value::from(crate::catalog::ROUTER_CLASS)]),
    )?;
    services::write_caches(&mut b, &cache)?;
    write_routing(&ctx, &mut b)?;
    services::write_ragflow(&ctx, &vault, &mut b)?;
    services::write_rocketmq(&ctx, &vault, &mut b)?;
    vault.warn(&mut b);
    let mut resolution = b.finish()?;
    resolution.url_vars = ctx
        .stack
        .aliases
        .iter()
        .map(|a| (a.name.clone(), a.url_env.clone()))
        .collect();
    Ok(resolution)
}

fn write_routing(ctx: &Context<'_>, b: &mut Builder<'_>) -> Result<(), ResolveError> {
    let stack = &ctx.stack;
    // An overriding route names an alias of the stack, like a route in the stack file.
    for (key, alias) in b.overrides() {
        if (key == "routing.default" || key.starts_with("routing.apps."))
            && stack.alias(alias).is_none()
        {
            return Err(ResolveError::InvalidOverride {
                key: key.clone(),
                reason: "expected an alias of routing.aliases".into(),
            });
        }
    }
    let source = if stack.origin == crate::stack::BUILTIN {
        src(SourceKind::Default, crate::stack::BUILTIN)
    } else {
        src(SourceKind::Stack, stack.origin.clone())
    };
    b.fixed(&["routing", "default"], source.clone(), "default")?;
    let aliases: Vec<Value> = stack
        .aliases
        .iter()
        .map(|a| Value::from(a.name.as_str()))
        .collect();
    b.fixed(&["routing", "aliases"], source.clone(), aliases)?;
    if stack.routes.is_empty() {
        b.fixed(
            &["routing", "apps"],
            source.clone(),
            Value::Object(Map::new()),
        )?;
    }
    for (label, route) in &stack.routes {
        for (op, alias) in [
            ("read", &route.read),
            ("write", &route.write),
            ("migrate", &route.migrate),
        ] {
            b.fixed(
                &["routing", "apps", label, op],
                source.clone(),
                alias.as_str(),
            )?;
        }
    }
    Ok(())
}

/// Builds the plan from the parsed context.
pub(crate) fn vault_plan(ctx: &Context<'_>) -> VaultPlan {
    match ctx.vault.clone() {
        None => VaultPlan {
            settings: None,
            reads: Vec::new(),
        },
        Some(settings) => VaultPlan {
            settings: Some(settings),
            reads: vault_reads(&ctx.stack),
        },
    }
}

/// Every Vault read a stack implies, in plan order: the KV v2 secret of each service of
/// `[vault] kv_services` (in the catalog's order), then
/// the database credentials of each `vault_role` (one read per role; its `purpose` lists
/// every alias that uses it). The plan's reads when Vault is configured, and the paths of
/// the policy `dbstack vault policy` writes.
pub fn vault_reads(stack: &Stack) -> Vec<VaultRead> {
    let layout = &stack.vault;
    let mut reads: Vec<VaultRead> = Vec::new();
    for (svc, listed) in KV_SERVICES.iter().zip(layout.kv_services) {
        if !listed {
            continue;
        }
        let secret = if layout.kv_prefix.is_empty() {
            svc.name().to_owned()
        } else {
            format!("{}/{}", layout.kv_prefix, svc.name())
        };
        reads.push(VaultRead {
            path: format!("{}/{secret}", layout.kv_mount),
            api_path: format!("{}/data/{secret}", layout.kv_mount),
            kind: ReadKind::Kv2 {
                mount: layout.kv_mount.clone(),
                secret,
            },
            purpose: svc.name().to_owned(),
        });
    }
    for alias in &stack.aliases {
        let Some(role) = &alias.vault_role else {
            continue;
        };
        let path = format!("{}/creds/{role}", layout.database_mount);
        if let Some(read) = reads.iter_mut().find(|r| r.path == path) {
            read.purpose.push_str(&format!(",alias:{}", alias.name));
            continue;
        }
        reads.push(VaultRead {
            api_path: path.clone(),
            path,
            kind: ReadKind::DatabaseCreds {
                mount: layout.database_mount.clone(),
                role: role.clone(),
            },
            purpose: format!("alias:{}", alias.name),
        });
    }
    reads
}

/// The Vault answers as the resolver uses them.
pub(crate) struct VaultView<'a> {
    plan: &'a VaultPlan,
    answers: &'a VaultAnswers,
    /// The KV path of each service's static secret (a list: four services).
    kv_paths: Vec<(ServiceKind, &'a str)>,
}

impl<'a> VaultView<'a> {
    fn new(plan: &'a VaultPlan, answers: &'a VaultAnswers) -> VaultView<'a> {
        // The plan has one KV read per service.
        let kv_paths = plan
            .reads
            .iter()
            .filter(|r| matches!(r.kind, ReadKind::Kv2 { .. }))
            .filter_map(|r| Some((ServiceKind::from_name(&r.purpose)?, r.path.as_str())))
            .collect();
        VaultView {
            plan,
            answers,
            kv_paths,
        }
    }

    pub(crate) fn configured(&self) -> bool {
        self.plan.settings.is_some()
    }

    /// The failure, when Vault is configured and failed.
    pub(crate) fn failure(&self) -> Option<&'a VaultFailure> {
        match (&self.plan.settings, &self.answers.status) {
            (Some(_), VaultStatus::Failed { error }) => Some(error),
            _ => None,
        }
    }

    fn status(&self) -> &'static str {
        match (&self.plan.settings, &self.answers.status) {
            (None, _) => "not_configured",
            (Some(_), VaultStatus::NotContacted) => "not_contacted",
            (Some(_), VaultStatus::Ok) => "ok",
            (Some(_), VaultStatus::Failed { .. }) => "failed",
        }
    }

    /// A KV field of a service's static secret, with its provenance.
    pub(crate) fn kv(&self, service: ServiceKind, field: &str) -> Option<(&'a Secret, Source)> {
        self.plan.settings.as_ref()?;
        let path = self.kv_paths.iter().find(|(k, _)| *k == service)?.1;
        let value = self.answers.results.get(path)?.kv_field(field)?;
        Some((value, src(SourceKind::Vault, format!("{path}#{field}"))))
    }

    /// Dynamic credentials for a role: (username, password, source).
    pub(crate) fn creds(&self, role: &str, mount: &str) -> Option<(&'a str, &'a Secret, String)> {
        self.plan.settings.as_ref()?;
        let path = format!("{mount}/creds/{role}");
        match self.answers.results.get(&path)? {
            VaultResult::DatabaseCreds {
                username, password, ..
            } => Some((username, password, path)),
            VaultResult::Kv2 { .. } => None,
        }
    }

    fn write(&self, b: &mut Builder<'_>) -> Result<(), ResolveError> {
        let settings = self.plan.settings.as_ref();
        let source = match settings {
            Some(s) if s.addr_source == "VAULT_ADDR" => src(SourceKind::Env, "VAULT_ADDR"),
            Some(s) => src(
                SourceKind::Kubernetes,
                // `kubernetes:<host>` (vault_settings); a prefix, not a pattern to trim.
                s.addr_source
                    .strip_prefix("kubernetes:")
                    .unwrap_or(&s.addr_source)
                    .to_owned(),
            ),
            None => src(SourceKind::Default, "VAULT_ADDR unset"),
        };
        b.fixed(&["vault", "enabled"], source.clone(), settings.is_some())?;
        b.fixed(
            &["vault", "addr"],
            source.clone(),
            settings.map_or(Value::Null, |s| Value::from(s.addr.as_str())),
        )?;
        let auth = settings.map_or(Value::Null, |s| Value::from(s.auth.as_str()));
        let auth_source = if self.answers.auth.is_some() || settings.is_none() {
            source.clone()
        } else {
            src(SourceKind::Env, "VAULT_AUTH_METHOD")
        };
        b.fixed(&["vault", "auth"], auth_source, auth)?;
        // Without Vault, its status has the same reason as `vault.enabled`.
        let runtime = settings.map_or_else(
            || source.clone(),
            |s| src(SourceKind::Vault, s.addr.clone()),
        );
        b.fixed(&["vault", "status"], runtime.clone(), self.status())?;
        b.fixed(
            &["vault", "error"],
            runtime.clone(),
            self.failure().map_or(Value::Null, VaultFailure::to_json),
        )?;
        let mut leases = Vec::new();
        for read in &self.plan.reads {
            if let (
                Some(VaultResult::DatabaseCreds {
                    lease_id,
                    lease_duration,
                    renewable,
                    ..
                }),
                ReadKind::DatabaseCreds { .. },
            ) = (self.answers.results.get(&read.path), &read.kind)
            {
                let aliases: Vec<&str> = read
                    .purpose
                    .split(',')
                    .map(|p| p.strip_prefix("alias:").unwrap_or(p))
                    .collect();
                // Not `json!`: see `ffi::object`.
                let mut lease = Map::new();
                lease.insert("alias".into(), Value::from(aliases.join(",")));
                lease.insert("path".into(), Value::from(read.path.as_str()));
                lease.insert("lease_id".into(), Value::from(lease_id.as_str()));
                lease.insert("lease_duration".into(), Value::from(*lease_duration));
                lease.insert("renewable".into(), Value::from(*renewable));
                leases.push(Value::Object(lease));
            }
        }
        b.fixed(&["vault", "leases"], runtime, leases)?;
        Ok(())
    }

    fn warn(&self, b: &mut Builder<'_>) {
        let Some(settings) = &self.plan.settings else {
            b.warn(
                "vault_not_configured",
                "vault is not configured (set VAULT_ADDR): credentials come from the environment only".into(),
                Some("VAULT_ADDR".into()),
            );
            return;
        };
        match &self.answers.status {
            VaultStatus::NotContacted => b.warn(
                "vault_not_contacted",
                format!(
                    "vault at {} was not contacted: values Vault would supply are missing",
                    settings.addr
                ),
                Some(settings.addr.clone()),
            ),
            VaultStatus::Failed { error } => b.warn(
                "vault_failed",
                format!(
                    "vault failed ({}): {}; the values Vault would supply are missing",
                    error.kind, error.message
                ),
                Some(error.source.clone()),
            ),
            VaultStatus::Ok => {}
        }
        for warning in &self.answers.warnings {
            b.warn("vault", warning.clone(), Some(settings.addr.clone()));
        }
    }
}
