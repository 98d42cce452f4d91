//! The stack spec: which aliases exist, which service and database each uses, the
//! app-label routes and the Vault layout. Parsed from TOML; the built-in default is
//! the Agent Runtime stack.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use crate::catalog::ServiceKind;
use crate::error::ResolveError;
use crate::input::StackSource;

/// Name shown for the built-in stack in provenance.
pub const BUILTIN: &str = "built-in stack";

/// A validated stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stack {
    /// Where it came from: a file name or [`BUILTIN`].
    pub origin: String,
    /// Aliases in a stable order: `default` first, then by name.
    pub aliases: Vec<Alias>,
    /// App label -> route, by app label.
    pub routes: BTreeMap<String, Route>,
    pub vault: VaultLayout,
}

/// One Django database alias.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    pub name: String,
    pub service: ServiceKind,
    /// Database name; `None` uses the service's (Vault `dbname`, `SUPABASE_DB_NAME`, `postgres`).
    pub database: Option<String>,
    /// Where `database` was written (`file:line`), for provenance.
    pub database_origin: String,
    /// Dynamic credentials from `<database_mount>/creds/<role>`.
    pub vault_role: Option<String>,
    /// The variable holding this alias's URL (`DATABASE_URL` for `default`, `<ALIAS>_URL` otherwise).
    pub url_env: String,
}

/// Where an app label's queries and migrations go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub read: String,
    pub write: String,
    pub migrate: String,
}

/// Where secrets live in Vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultLayout {
    pub kv_mount: String,
    pub kv_prefix: String,
    pub database_mount: String,
}

impl Default for VaultLayout {
    fn default() -> VaultLayout {
        VaultLayout {
            kv_mount: "secret".into(),
            kv_prefix: "dbstack".into(),
            database_mount: "database".into(),
        }
    }
}

impl Stack {
    /// The built-in Agent Runtime stack: `default` and `agent_db` on Supabase,
    /// `python_agent -> agent_db`.
    pub fn builtin() -> Stack {
        Stack {
            origin: BUILTIN.into(),
            aliases: vec![
                Alias {
                    name: "default".into(),
                    service: ServiceKind::Supabase,
                    database: None,
                    database_origin: BUILTIN.into(),
                    vault_role: None,
                    url_env: default_url_env("default"),
                },
                Alias {
                    name: "agent_db".into(),
                    service: ServiceKind::Supabase,
                    database: Some("agent".into()),
                    database_origin: BUILTIN.into(),
                    vault_role: None,
                    url_env: default_url_env("agent_db"),
                },
            ],
            routes: {
                // Built with insert: `BTreeMap::from` sorts its array first.
                let mut routes = BTreeMap::new();
                routes.insert(
                    "python_agent".to_owned(),
                    Route {
                        read: "agent_db".into(),
                        write: "agent_db".into(),
                        migrate: "agent_db".into(),
                    },
                );
                routes
            },
            vault: VaultLayout::default(),
        }
    }

    /// Parses and validates a stack file.
    pub fn parse(source: &StackSource) -> Result<Stack, ResolveError> {
        let text = &source.text;
        let raw: RawStack = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map_or((1, 1), |span| line_col(text, span.start));
            ResolveError::InvalidStack {
                file: source.name.clone(),
                line,
                column,
                message: e.message().trim().to_owned(),
            }
        })?;
        let at = |span: Range<usize>, message: String| {
            let (line, column) = line_col(text, span.start);
            ResolveError::InvalidStack {
                file: source.name.clone(),
                line,
                column,
                message,
            }
        };

        let mut aliases = Vec::new();
        for (name, raw_alias) in raw.aliases {
            if !is_identifier(&name) {
                return Err(at(
                    raw_alias.span(),
                    format!("alias `{name}` must be a Python identifier (letters, digits, `_`)"),
                ));
            }
            let raw_alias = raw_alias.into_inner();
            let service_span = raw_alias.service.span();
            let service_name = raw_alias.service.into_inner();
            let service = match ServiceKind::from_name(&service_name) {
                Some(kind @ (ServiceKind::Supabase | ServiceKind::Mariadb)) => kind,
                Some(_) => {
                    return Err(at(
                        service_span,
                        format!("alias `{name}` uses `{service_name}`, which is not a database (use `supabase` or `mariadb`)"),
                    ))
                }
                None => {
                    return Err(at(
                        service_span,
                        format!("unknown service `{service_name}` for alias `{name}` (known: supabase, mariadb)"),
                    ))
                }
            };
            let database_origin = match &raw_alias.database {
                Some(db) => {
                    let (line, _) = line_col(text, db.span().start);
                    format!("{}:{line}", source.name)
                }
                None => source.name.clone(),
            };
            aliases.push(Alias {
                url_env: raw_alias.url_env.unwrap_or_else(|| default_url_env(&name)),
                name,
                service,
                database: raw_alias.database.map(Spanned::into_inner),
                database_origin,
                vault_role: raw_alias.vault_role,
            });
        }
        if !aliases.iter().any(|a| a.name == "default") {
            return Err(ResolveError::InvalidStack {
                file: source.name.clone(),
                line: 1,
                column: 1,
                message: "the stack has no `default` alias (Django requires one): add `[aliases.default]`".into(),
            });
        }
        aliases.sort_by(|a, b| (a.name != "default", &a.name).cmp(&(b.name != "default", &b.name)));

        let mut routes = BTreeMap::new();
        for (label, raw_route) in raw.routes {
            let span = raw_route.span();
            if !is_identifier(&label) {
                return Err(at(
                    span,
                    format!(
                        "app label `{label}` must be a Python identifier (letters, digits, `_`)"
                    ),
                ));
            }
            let route = match raw_route.into_inner() {
                RawRoute::All(alias) => Route {
                    read: alias.clone(),
                    write: alias.clone(),
                    migrate: alias,
                },
                RawRoute::Split {
                    read,
                    write,
                    migrate,
                } => {
                    let write = write.unwrap_or_else(|| "default".into());
                    Route {
                        read: read.unwrap_or_else(|| write.clone()),
                        migrate: migrate.unwrap_or_else(|| write.clone()),
                        write,
                    }
                }
            };
            for target in [&route.read, &route.write, &route.migrate] {
                if !aliases.iter().any(|a| &a.name == target) {
                    let known: Vec<&str> = aliases.iter().map(|a| a.name.as_str()).collect();
                    return Err(at(
                        span,
                        format!(
                            "route `{label}` points to unknown alias `{target}` (known: {})",
                            known.join(", ")
                        ),
                    ));
                }
            }
            routes.insert(label, route);
        }

        let raw_vault = raw.vault.unwrap_or_default();
        let defaults = VaultLayout::default();
        Ok(Stack {
            origin: source.name.clone(),
            aliases,
            routes,
            vault: VaultLayout {
                kv_mount: raw_vault.kv_mount.unwrap_or(defaults.kv_mount),
                kv_prefix: raw_vault.kv_prefix.unwrap_or(defaults.kv_prefix),
                database_mount: raw_vault.database_mount.unwrap_or(defaults.database_mount),
            },
        })
    }

    pub fn alias(&self, name: &str) -> Option<&Alias> {
        self.aliases.iter().find(|a| a.name == name)
    }
}

/// `default` -> `DATABASE_URL`; `agent_db` -> `AGENT_DB_URL`.
fn default_url_env(alias: &str) -> String {
    if alias == "default" {
        "DATABASE_URL".into()
    } else {
        format!("{}_URL", alias.to_ascii_uppercase())
    }
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStack {
    #[serde(default)]
    aliases: BTreeMap<String, Spanned<RawAlias>>,
    #[serde(default)]
    routes: BTreeMap<String, Spanned<RawRoute>>,
    vault: Option<RawVault>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlias {
    service: Spanned<String>,
    database: Option<Spanned<String>>,
    vault_role: Option<String>,
    url_env: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawRoute {
    All(String),
    Split {
        read: Option<String>,
        write: Option<String>,
        migrate: Option<String>,
    },
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawVault {
    kv_mount: Option<String>,
    kv_prefix: Option<String>,
    database_mount: Option<String>,
}
