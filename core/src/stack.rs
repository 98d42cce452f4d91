//! The stack spec: which aliases exist, which service and database each uses, the
//! app-label routes and the Vault layout. Parsed from TOML; the built-in default is
//! the Agent Runtime stack.

use serde_json::{Map, Value};

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
    /// (app label, route), sorted by app label (a list: a stack has a few routes).
    pub routes: Vec<(String, Route)>,
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
            routes: vec![(
                "python_agent".to_owned(),
                Route {
                    read: "agent_db".into(),
                    write: "agent_db".into(),
                    migrate: "agent_db".into(),
                },
            )],
            vault: VaultLayout::default(),
        }
    }

    /// The built-in stack, built once.
    pub fn builtin_ref() -> &'static Stack {
        static BUILTIN_STACK: std::sync::OnceLock<Stack> = std::sync::OnceLock::new();
        BUILTIN_STACK.get_or_init(Stack::builtin)
    }

    /// Parses and validates a stack file.
    ///
    /// The TOML is read into a plain document first and then checked key by key here:
    /// one parser instance for every table (serde-derived structs would instantiate
    /// `basic-toml`'s deserializer per struct, about 25 KB of the WASM module), and every
    /// message names the key in stack-file terms. `basic-toml` keeps no positions, so the
    /// line and column of a bad key or value are found in the text by [`locate_key`].
    pub fn parse(source: &StackSource) -> Result<Stack, ResolveError> {
        let text = &source.text;
        let parsed: Value = basic_toml::from_str(text).map_err(|e| {
            let message = e.to_string();
            let (line, column) = e.line_col().map_or((1, 1), |(l, c)| (l + 1, c + 1));
            ResolveError::InvalidStack {
                file: source.name.clone(),
                line,
                column,
                message: strip_position(&message).trim().to_owned(),
            }
        })?;
        let doc = Doc { source, text };
        let no_keys = Map::new();
        // A TOML document is always a table.
        let root = parsed.as_object().unwrap_or(&no_keys);
        doc.known_keys(root, &[], &["aliases", "routes", "vault"])?;

        let vault = doc.table(root, "vault")?.unwrap_or(&no_keys);
        doc.known_keys(
            vault,
            &["vault"],
            &["kv_mount", "kv_prefix", "database_mount"],
        )?;
        let defaults = VaultLayout::default();
        let vault = VaultLayout {
            kv_mount: doc
                .string(vault, &["vault"], "kv_mount")?
                .unwrap_or(defaults.kv_mount),
            kv_prefix: doc
                .string(vault, &["vault"], "kv_prefix")?
                .unwrap_or(defaults.kv_prefix),
            database_mount: doc
                .string(vault, &["vault"], "database_mount")?
                .unwrap_or(defaults.database_mount),
        };

        // One pass for the common `[aliases.<name>]` + `database = ...` form; any other form
        // is found by `locate_key` (a scan per alias).
        let database_lines = database_lines(text);
        let mut aliases = Vec::new();
        for (name, value) in doc.table(root, "aliases")?.unwrap_or(&no_keys) {
            let table = ["aliases", name.as_str()];
            if !is_identifier(name) {
                return Err(doc.at_value(
                    &["aliases"],
                    name,
                    format!("alias `{name}` must be a Python identifier (letters, digits, `_`)"),
                ));
            }
            let Some(fields) = value.as_object() else {
                return Err(doc.at_value(
                    &["aliases"],
                    name,
                    format!("alias `{name}` must be a table with a `service` key"),
                ));
            };
            doc.known_keys(
                fields,
                &table,
                &["service", "database", "vault_role", "url_env"],
            )?;
            let Some(service_name) = doc.string(fields, &table, "service")? else {
                return Err(doc.at_value(
                    &["aliases"],
                    name,
                    format!("alias `{name}` has no `service` (use `supabase` or `mariadb`)"),
                ));
            };
            let service = match ServiceKind::from_name(&service_name) {
                Some(kind @ (ServiceKind::Supabase | ServiceKind::Mariadb)) => kind,
                Some(_) => {
                    return Err(doc.at_value(
                        &table,
                        "service",
                        format!("alias `{name}` uses `{service_name}`, which is not a database (use `supabase` or `mariadb`)"),
                    ))
                }
                None => {
                    return Err(doc.at_value(
                        &table,
                        "service",
                        format!("unknown service `{service_name}` for alias `{name}` (known: supabase, mariadb)"),
                    ))
                }
            };
            let database = doc.string(fields, &table, "database")?;
            let database_origin = match &database {
                Some(_) => {
                    let line = match database_lines.iter().find(|(alias, _)| alias == name) {
                        Some((_, line)) => *line,
                        None => doc.value_at(&table, "database").0,
                    };
                    format!("{}:{line}", source.name)
                }
                None => source.name.clone(),
            };
            aliases.push(Alias {
                url_env: match doc.string(fields, &table, "url_env")? {
                    Some(var) => var,
                    None => default_url_env(name),
                },
                vault_role: doc.string(fields, &table, "vault_role")?,
                name: name.clone(),
                service,
                database,
                database_origin,
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
        // `default` first, then by name. An insertion sort (a stack has a few aliases): std's
        // sort would instantiate its sorting code for this type in the WASM module.
        for i in 1..aliases.len() {
            let Some(alias) = aliases.get(i) else { break };
            let at = aliases
                .iter()
                .take(i)
                .position(|a| alias_order(a) > alias_order(alias));
            if let Some(moved) = at.and_then(|at| aliases.get_mut(at..=i)) {
                moved.rotate_right(1);
            }
        }

        let mut routes: Vec<(String, Route)> = Vec::new();
        for (label, value) in doc.table(root, "routes")?.unwrap_or(&no_keys) {
            if !is_identifier(label) {
                return Err(doc.at_value(
                    &["routes"],
                    label,
                    format!(
                        "app label `{label}` must be a Python identifier (letters, digits, `_`)"
                    ),
                ));
            }
            let route = match value {
                Value::String(alias) => Route {
                    read: alias.clone(),
                    write: alias.clone(),
                    migrate: alias.clone(),
                },
                // A table of `read` / `write` / `migrate`; other keys are ignored.
                Value::Object(ops) => {
                    let table = ["routes", label.as_str()];
                    let write = doc
                        .string(ops, &table, "write")?
                        .unwrap_or_else(|| "default".into());
                    Route {
                        read: doc.string(ops, &table, "read")?.unwrap_or_else(|| write.clone()),
                        migrate: doc
                            .string(ops, &table, "migrate")?
                            .unwrap_or_else(|| write.clone()),
                        write,
                    }
                }
                _ => {
                    return Err(doc.at_value(
                        &["routes"],
                        label,
                        format!("route `{label}` must be an alias name or a table of `read`, `write` and `migrate`"),
                    ))
                }
            };
            for target in [&route.read, &route.write, &route.migrate] {
                if !aliases.iter().any(|a| &a.name == target) {
                    let known: Vec<&str> = aliases.iter().map(|a| a.name.as_str()).collect();
                    return Err(doc.at_value(
                        &["routes"],
                        label,
                        format!(
                            "route `{label}` points to unknown alias `{target}` (known: {})",
                            known.join(", ")
                        ),
                    ));
                }
            }
            // TOML keys are unique, so each label is new.
            let at = routes.partition_point(|(other, _)| other < label);
            routes.insert(at, (label.clone(), route));
        }

        Ok(Stack {
            origin: source.name.clone(),
            aliases,
            routes,
            vault,
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

/// The line of `database = ...` under each `[aliases.<name>]` header, in one pass (the
/// first per alias counts). Texts with multi-line strings are left to [`locate_key`], which
/// tracks them. A list, not a map: a stack has a handful of aliases.
fn database_lines(text: &str) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = Vec::new();
    if text.contains("'''") || text.contains("\"\"\"") {
        return out;
    }
    let mut alias: Option<String> = None;
    for (index, line) in text.split('\n').enumerate() {
        let body = line.trim_start();
        if let Some(rest) = body.strip_prefix('[') {
            alias = dotted_key(rest).and_then(|(keys, _)| match keys.as_slice() {
                [table, name] if table == "aliases" => Some(name.clone()),
                _ => None,
            });
        } else if let (Some(name), Some((keys, _))) = (&alias, dotted_key(body)) {
            if keys.len() == 1
                && keys.first().is_some_and(|k| k == "database")
                && !out.iter().any(|(alias, _)| alias == name)
            {
                out.push((name.clone(), index + 1));
            }
        }
    }
    out
}

/// Where a key is written in a TOML text: 1-based (line, column) of the key and of its value.
/// For a table defined by a header (`[aliases.default]`) both are the header's `[`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Located {
    pub key: (usize, usize),
    pub value: (usize, usize),
}

/// Finds where `key` of the table `table` (its dotted path, `[]` for the root) is written
/// in `text`: as `key = ...` under a `[table]` header, as a dotted key (`table.key = ...`,
/// `key.sub = ...`), as a header `[table.key]`, or inside an inline table on one line
/// (`table = { key = ... }`). The first definition wins (TOML forbids a second one).
/// A line scanner, not a parser: the text has already been parsed by `basic-toml`, which
/// keeps no positions.
pub(crate) fn locate_key(text: &str, table: &[&str], key: &str) -> Option<Located> {
    let target: Vec<&str> = table.iter().copied().chain([key]).collect();
    let mut header: Vec<String> = Vec::new();
    // Inside a multi-line string: its closing delimiter.
    let mut open_string: Option<&str> = None;
    for (index, line) in text.split('\n').enumerate() {
        let line_no = index + 1;
        if let Some(delim) = open_string {
            if line.matches(delim).count() % 2 == 1 {
                open_string = None;
            }
            continue;
        }
        let body = line.trim_start();
        let indent = line.len() - body.len();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        if let Some(rest) = body.strip_prefix('[') {
            let rest = rest.strip_prefix('[').unwrap_or(rest);
            if let Some((keys, _)) = dotted_key(rest) {
                header = keys;
                if header.iter().map(String::as_str).eq(target.iter().copied()) {
                    let at = (line_no, column(line, indent));
                    return Some(Located { key: at, value: at });
                }
            }
            continue;
        }
        let Some((keys, after_key)) = dotted_key(body) else {
            continue;
        };
        let Some(value) = body
            .get(after_key..)
            .and_then(|r| r.trim_start().strip_prefix('='))
        else {
            continue;
        };
        let value_offset = line.len() - value.trim_start().len();
        let path: Vec<&str> = header.iter().chain(&keys).map(String::as_str).collect();
        if path == target {
            return Some(Located {
                key: (line_no, column(line, indent)),
                value: (line_no, column(line, value_offset)),
            });
        }
        if path.starts_with(&target) {
            // `key.sub = ...`: the table `key` is defined by its first dotted key.
            let at = (line_no, column(line, indent));
            return Some(Located { key: at, value: at });
        }
        if let Some(rest) = target.strip_prefix(path.as_slice()) {
            if value.trim_start().starts_with('{') {
                if let Some((key_at, value_at)) = inline_key(line, value_offset, rest) {
                    return Some(Located {
                        key: (line_no, column(line, key_at)),
                        value: (line_no, column(line, value_at)),
                    });
                }
            }
        }
        for delim in ["\"\"\"", "'''"] {
            if value.matches(delim).count() % 2 == 1 {
                open_string = Some(delim);
            }
        }
    }
    None
}

/// 1-based column (in characters) of a byte offset in a line.
fn column(line: &str, offset: usize) -> usize {
    line.get(..offset)
        .map_or(0, |before| before.chars().count())
        + 1
}

/// A dotted key at the start of `text` (`a.b`, `"quoted key".c`, `'literal'`): its parts
/// and the byte offset just after it.
fn dotted_key(text: &str) -> Option<(Vec<String>, usize)> {
    let mut keys = Vec::new();
    let mut pos = 0;
    loop {
        let rest = text.get(pos..)?;
        pos += rest.len() - rest.trim_start().len();
        let rest = text.get(pos..)?;
        let (part, len) = simple_key(rest)?;
        keys.push(part);
        pos += len;
        let rest = text.get(pos..)?;
        let trimmed = rest.trim_start();
        match trimmed.strip_prefix('.') {
            Some(_) => pos += rest.len() - trimmed.len() + 1,
            None => return Some((keys, pos)),
        }
    }
}

/// One key: bare (`[A-Za-z0-9_-]+`), "basic" (with `\"` and `\\` escapes) or 'literal';
/// its text and its length in bytes.
fn simple_key(text: &str) -> Option<(String, usize)> {
    let mut chars = text.char_indices();
    match chars.next()? {
        (_, quote @ ('"' | '\'')) => {
            let mut key = String::new();
            let mut escaped = false;
            for (i, c) in chars {
                if escaped {
                    key.push(c);
                    escaped = false;
                } else if c == '\\' && quote == '"' {
                    escaped = true;
                } else if c == quote {
                    return Some((key, i + 1));
                } else {
                    key.push(c);
                }
            }
            None
        }
        _ => {
            let len = text
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                .unwrap_or(text.len());
            (len > 0).then(|| (text.get(..len).unwrap_or_default().to_owned(), len))
        }
    }
}

/// Inside an inline table that starts at `from` in `line`: the byte offsets of the key
/// `path` (each part nested in the previous one's inline table) and of its value.
fn inline_key(line: &str, from: usize, path: &[&str]) -> Option<(usize, usize)> {
    let mut pos = from;
    let mut found = None;
    for part in path {
        let (key_at, value_at) = find_assignment(line, pos, part)?;
        found = Some((key_at, value_at));
        pos = value_at;
    }
    found
}

/// The first `part = ` (or `"part" = `) at or after `from` that follows `{`, `,` or a space.
fn find_assignment(line: &str, from: usize, part: &str) -> Option<(usize, usize)> {
    let mut pos = from;
    while let Some(rest) = line.get(pos..) {
        let start = rest.find(['{', ','])?;
        pos += start + 1;
        let after = line.get(pos..)?;
        let key_at = pos + (after.len() - after.trim_start().len());
        if let Some((keys, len)) = line.get(key_at..).and_then(dotted_key) {
            if keys.len() == 1 && keys.first().is_some_and(|k| k == part) {
                let value = line.get(key_at + len..)?.trim_start().strip_prefix('=')?;
                return Some((key_at, line.len() - value.trim_start().len()));
            }
        }
    }
    None
}

/// `basic-toml` appends " at line L column C" to its messages; the message without it.
fn strip_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(i)
            if message
                .get(i..)
                .is_some_and(|tail| tail.contains(" column ")) =>
        {
            message.get(..i).unwrap_or(message)
        }
        _ => message,
    }
}

/// The parsed stack file, for checking its tables with errors at their place in the text.
struct Doc<'a> {
    source: &'a StackSource,
    text: &'a str,
}

impl Doc<'_> {
    fn error(&self, (line, column): (usize, usize), message: String) -> ResolveError {
        ResolveError::InvalidStack {
            file: self.source.name.clone(),
            line,
            column,
            message,
        }
    }

    /// Where `table.key`'s value is written (a header `[table.key]` counts), else 1:1.
    fn value_at(&self, table: &[&str], key: &str) -> (usize, usize) {
        locate_key(self.text, table, key).map_or((1, 1), |found| found.value)
    }

    fn at_value(&self, table: &[&str], key: &str, message: String) -> ResolveError {
        self.error(self.value_at(table, key), message)
    }

    /// An unknown key is an error at the key (a misspelling would otherwise be ignored).
    fn known_keys(
        &self,
        fields: &Map<String, Value>,
        table: &[&str],
        known: &[&str],
    ) -> Result<(), ResolveError> {
        let Some(key) = fields.keys().find(|k| !known.contains(&k.as_str())) else {
            return Ok(());
        };
        let place = match table {
            [] => "at the top level".to_owned(),
            _ => format!("in `[{}]`", table.join(".")),
        };
        let at = locate_key(self.text, table, key).map_or((1, 1), |found| found.key);
        Err(self.error(
            at,
            format!("unknown key `{key}` {place} (known: {})", known.join(", ")),
        ))
    }

    /// The top-level table `key`, if present.
    fn table<'v>(
        &self,
        root: &'v Map<String, Value>,
        key: &str,
    ) -> Result<Option<&'v Map<String, Value>>, ResolveError> {
        match root.get(key) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(_) => Err(self.at_value(&[], key, format!("`{key}` must be a table"))),
        }
    }

    /// The string under `key`, if present.
    fn string(
        &self,
        fields: &Map<String, Value>,
        table: &[&str],
        key: &str,
    ) -> Result<Option<String>, ResolveError> {
        match fields.get(key) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(_) => {
                let mut path = table.to_vec();
                path.push(key);
                Err(self.at_value(table, key, format!("`{}` must be a string", path.join("."))))
            }
        }
    }
}

/// The order of [`Stack::aliases`]: `default` first, then by name.
fn alias_order(alias: &Alias) -> (bool, &str) {
    (alias.name != "default", &alias.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(key: (usize, usize), value: (usize, usize)) -> Option<Located> {
        Some(Located { key, value })
    }

    #[test]
    fn locate_key_under_a_header() {
        let text = "# c\n[aliases.default]\n  service =  \"supabase\"\ndatabase='x'\n";
        assert_eq!(
            locate_key(text, &["aliases", "default"], "service"),
            at((3, 3), (3, 14))
        );
        assert_eq!(
            locate_key(text, &["aliases", "default"], "database"),
            at((4, 1), (4, 10))
        );
        assert_eq!(
            locate_key(text, &["aliases"], "default"),
            at((2, 1), (2, 1))
        );
        assert_eq!(locate_key(text, &["aliases", "default"], "url_env"), None);
        assert_eq!(locate_key(text, &["aliases", "other"], "service"), None);
    }

    #[test]
    fn locate_key_quoted_dotted_and_inline() {
        let text = "[aliases.\"bad-name\"]\nservice = \"x\"\n[routes]\napp.write = \"w\"\nr = { read = \"a\", write = \"b\" }\n";
        assert_eq!(
            locate_key(text, &["aliases"], "bad-name"),
            at((1, 1), (1, 1))
        );
        assert_eq!(locate_key(text, &["routes"], "app"), at((4, 1), (4, 1)));
        assert_eq!(
            locate_key(text, &["routes", "app"], "write"),
            at((4, 1), (4, 13))
        );
        assert_eq!(locate_key(text, &["routes"], "r"), at((5, 1), (5, 5)));
        assert_eq!(
            locate_key(text, &["routes", "r"], "write"),
            at((5, 19), (5, 27))
        );
        let text = "aliases.default.service = \"s\"\n";
        assert_eq!(
            locate_key(text, &["aliases", "default"], "service"),
            at((1, 1), (1, 27))
        );
    }

    #[test]
    fn locate_key_counts_characters_and_skips_multiline_strings() {
        let text = "[a]\nx = \"\"\"\n[b]\ny = 1\n\"\"\"\n[b]\ny = \"é\" # é\nz = 2\n";
        assert_eq!(locate_key(text, &["b"], "y"), at((7, 1), (7, 5)));
        assert_eq!(locate_key(text, &["b"], "z"), at((8, 1), (8, 5)));
    }

    #[test]
    fn toml_errors_name_the_offending_line() {
        let parse = |text: &str| {
            Stack::parse(&StackSource {
                name: "s.toml".into(),
                text: text.into(),
            })
            .map(|_| ())
            .map_err(|e| e.source_name())
        };
        // Syntax: basic-toml's own position.
        assert_eq!(
            parse("[aliases.default]\nservice = supabase\n"),
            Err("s.toml:2:11".into())
        );
        // Unknown field: the key, not the table.
        assert_eq!(
            parse("[aliases.default]\nservice = \"supabase\"\ndatabse = \"x\"\n"),
            Err("s.toml:3:1".into())
        );
        assert_eq!(parse("[vault]\n\nkv = 1\n"), Err("s.toml:3:1".into()));
        // A route that is neither a string nor a table: its value.
        assert_eq!(
            parse("[aliases.default]\nservice = \"supabase\"\n[routes]\nx = 3\n"),
            Err("s.toml:4:5".into())
        );
        // Validation: the value of the route, the service.
        assert_eq!(
            parse("[aliases.default]\nservice = \"supabase\"\n\n[routes]\npython_agent = \"agents\"\n"),
            Err("s.toml:5:16".into())
        );
        assert_eq!(
            parse("[aliases.default]\nservice = \"supabase\"\n[aliases.x]\nservice = \"redis\"\n"),
            Err("s.toml:4:11".into())
        );
        // A value of the wrong type: the value.
        assert_eq!(
            parse("[aliases.default]\nservice = \"supabase\"\ndatabase = 5\n"),
            Err("s.toml:3:12".into())
        );
        assert_eq!(parse("aliases = 1\n"), Err("s.toml:1:11".into()));
        assert_eq!(
            parse("[aliases.default]\nservice = \"supabase\"\n[routes.x]\nread = true\n"),
            Err("s.toml:4:8".into())
        );
        // A missing service: the alias.
        assert_eq!(
            parse("[aliases.default]\ndatabase = \"x\"\n"),
            Err("s.toml:1:1".into())
        );
        assert_eq!(parse("[aliases.default]\nservice = \"supabase\"\n"), Ok(()));
    }

    #[test]
    fn stack_errors_say_what_is_expected() {
        let message = |text: &str| match Stack::parse(&StackSource {
            name: "s.toml".into(),
            text: text.into(),
        }) {
            Err(ResolveError::InvalidStack { message, .. }) => message,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            message("[aliases.default]\nservice = \"supabase\"\ndatabse = \"x\"\n"),
            "unknown key `databse` in `[aliases.default]` (known: service, database, vault_role, url_env)"
        );
        assert_eq!(
            message("[aliases.default]\nservice = \"supabase\"\ndatabase = 5\n"),
            "`aliases.default.database` must be a string"
        );
        assert_eq!(
            message("[aliases.default]\ndatabase = \"x\"\n"),
            "alias `default` has no `service` (use `supabase` or `mariadb`)"
        );
    }

    #[test]
    fn strip_position_removes_only_the_position() {
        assert_eq!(strip_position("bad at line 2 column 11"), "bad");
        assert_eq!(strip_position("bad at line"), "bad at line");
    }
}
