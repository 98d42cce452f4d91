//! The stack spec: which aliases exist, which service and database each uses, the
//! app-label routes and the Vault layout. Parsed from TOML; the built-in default is
//! the Agent Runtime stack.

use serde_json::{Map, Value};

use crate::catalog::ServiceKind;
use crate::error::ResolveError;
use crate::input::StackSource;

mod positions;
use positions::{Located, Positions};
mod django;

/// Name shown for the built-in stack in provenance.
pub(crate) const BUILTIN: &str = "built-in stack";

/// A validated stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stack {
    /// Where it came from: a file name or [`BUILTIN`].
    pub(crate) origin: String,
    /// Aliases in a stable order: `default` first, then by name.
    pub(crate) aliases: Vec<Alias>,
    /// (app label, route), sorted by app label (a list: a stack has a few routes).
    pub(crate) routes: Vec<(String, Route)>,
    /// The Vault layout of the stack.
    pub(crate) vault: VaultLayout,
}

/// One Django database alias.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Alias {
    pub(crate) name: String,
    pub(crate) service: ServiceKind,
    /// Database name; `None` uses the service's (Vault `dbname`, `SUPABASE_DB_NAME`, `postgres`).
    pub(crate) database: Option<String>,
    /// Where `database` was written (`file:line`), for provenance.
    pub(crate) database_origin: String,
    /// Dynamic credentials from `<database_mount>/creds/<role>`.
    pub(crate) vault_role: Option<String>,
    /// The variable holding this alias's URL (`DATABASE_URL` for `default`, `<ALIAS>_URL` otherwise).
    pub(crate) url_env: String,
    /// Django connection settings (`conn_max_age`, `options`, `pooler`, ...): the alias's own
    /// over the `[django]` table's.
    pub(crate) django: Vec<Setting>,
}

/// A Django connection setting of the stack file and the `file:line` it was written at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Setting {
    pub(crate) key: &'static str,
    pub(crate) value: Value,
    pub(crate) origin: String,
}

impl Alias {
    /// The stack's setting `key` for this alias, if any.
    pub(crate) fn setting(&self, key: &str) -> Option<&Setting> {
        self.django.iter().find(|s| s.key == key)
    }
}

/// Where an app label's queries and migrations go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Route {
    pub(crate) read: String,
    pub(crate) write: String,
    pub(crate) migrate: String,
}

/// Where secrets live in Vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VaultLayout {
    pub(crate) kv_mount: String,
    pub(crate) kv_prefix: String,
    pub(crate) database_mount: String,
    /// Which of [`KV_SERVICES`](crate::catalog::KV_SERVICES) read a static secret from KV
    /// (`[vault] kv_services`), by index; all four by default. A service not listed gets no
    /// KV read.
    pub(crate) kv_services: [bool; 4],
}

impl Default for VaultLayout {
    fn default() -> VaultLayout {
        VaultLayout {
            kv_mount: "secret".into(),
            kv_prefix: "dbstack".into(),
            database_mount: "database".into(),
            kv_services: [true; 4],
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
                    django: Vec::new(),
                },
                Alias {
                    name: "agent_db".into(),
                    service: ServiceKind::Supabase,
                    database: Some("agent".into()),
                    database_origin: BUILTIN.into(),
                    vault_role: None,
                    url_env: default_url_env("agent_db"),
                    django: Vec::new(),
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
    /// line and column of a bad key or value are found in the text by `Positions` (`stack/positions.rs`).
    pub fn parse(source: &StackSource) -> Result<Stack, ResolveError> {
        let text = &source.text;
        if let Some(line) = too_deep(text) {
            return Err(ResolveError::InvalidStack {
                file: source.name.clone(),
                line,
                column: 1,
                // MAX_NESTING, written out (no formatting in the WASM module).
                message: "nested deeper than 100 levels (tables, arrays and dotted keys together)"
                    .into(),
            });
        }
        let parsed: Value = basic_toml::from_str(text).map_err(|e| {
            let message = e.to_string();
            let at = e.line_col().map(|(l, c)| (l + 1, c + 1));
            let (line, column) = at.unwrap_or((1, 1));
            let message = at.map_or(message.as_str(), |at| without_position(&message, at));
            ResolveError::InvalidStack {
                file: source.name.clone(),
                line,
                column,
                message: message.trim().to_owned(),
            }
        })?;
        let doc = Doc {
            source,
            text,
            positions: std::cell::OnceCell::new(),
        };
        let no_keys = Map::new();
        // A TOML document is always a table.
        let root = parsed.as_object().unwrap_or(&no_keys);
        doc.known_keys(root, &[], &["aliases", "routes", "vault", "django"])?;
        let defaults = match doc.table(root, "django")? {
            Some(table) => {
                doc.known_keys(table, &["django"], django::DJANGO_KEYS)?;
                doc.django_settings(table, &["django"], &[])?
            }
            None => Vec::new(),
        };

        let vault = doc.table(root, "vault")?.unwrap_or(&no_keys);
        doc.known_keys(
            vault,
            &["vault"],
            &["kv_mount", "kv_prefix", "database_mount", "kv_services"],
        )?;
        let layout = VaultLayout::default();
        let vault = VaultLayout {
            kv_mount: doc
                .vault_name(vault, &["vault"], "kv_mount", true)?
                .unwrap_or(layout.kv_mount),
            kv_prefix: doc
                .vault_name(vault, &["vault"], "kv_prefix", true)?
                .unwrap_or(layout.kv_prefix),
            database_mount: doc
                .vault_name(vault, &["vault"], "database_mount", true)?
                .unwrap_or(layout.database_mount),
            kv_services: match vault.get("kv_services") {
                None => layout.kv_services,
                Some(list) => doc.kv_services(list)?,
            },
        };
        if vault.kv_mount.is_empty() || vault.database_mount.is_empty() {
            let key = if vault.kv_mount.is_empty() {
                "kv_mount"
            } else {
                "database_mount"
            };
            return Err(doc.at_value(&["vault"], key, format!("`vault.{key}` must not be empty")));
        }

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
            doc.known_keys(fields, &table, &django::ALIAS_KEYS)?;
            let django = doc.django_settings(fields, &table, &defaults)?;
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
                Some(_) => format!("{}:{}", source.name, doc.value_at(&table, "database").0),
                None => source.name.clone(),
            };
            aliases.push(Alias {
                url_env: match doc.string(fields, &table, "url_env")? {
                    Some(var) => var,
                    None => default_url_env(name),
                },
                vault_role: doc.vault_name(fields, &table, "vault_role", false)?,
                django,
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
        // `default` first, then by name: an insertion sort whose place is found by binary
        // search (O(n log n) comparisons; the moves are memmoves), written out because std's
        // sort would add its code for `Alias` to the WASM module.
        for i in 1..aliases.len() {
            let Some(alias) = aliases.get(i) else { break };
            let at = sorted_place(aliases.get(..i).unwrap_or_default(), alias_order(alias));
            if let Some(moved) = aliases.get_mut(at..=i) {
                moved.rotate_right(1);
            }
        }
        let known = |target: &String| {
            let key = (target != "default", target.as_str());
            aliases
                .get(sorted_place(&aliases, key))
                .is_some_and(|a| a.name == *target)
        };

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
                if !known(target) {
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

    /// The alias named `name`, if the stack defines it.
    pub(crate) fn alias(&self, name: &str) -> Option<&Alias> {
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

/// How deep a stack file's document may nest. `basic-toml` parses inline tables, arrays and
/// dotted keys recursively without a limit of its own: 2,000 levels overflow the WASM
/// module's 1 MiB stack. A stack file nests four or five levels.
pub(crate) const MAX_NESTING: usize = 100;

/// The line at which a TOML text may nest deeper than [`MAX_NESTING`], else `None`. One pass
/// over the bytes, before the parser: an upper bound, never below the document's depth — the
/// brackets open, plus every dot outside strings and comments since the last line at the top
/// level, plus the dots of the last table header. (Floats inside inline tables and arrays
/// count too; a text with a hundred of them in one value is refused, which no stack file is.)
fn too_deep(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let (mut open, mut dots, mut header_dots, mut line) = (0usize, 0usize, 0usize, 1usize);
    // Only blanks since the last newline at the top level: a `[` there opens a header.
    let (mut in_header, mut line_start) = (false, true);
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let blank = b == b' ' || b == b'\t' || b == b'\r';
        match b {
            b'\n' => {
                line += 1;
                if open == 0 {
                    dots = 0;
                    line_start = true;
                }
            }
            b'#' => {
                while bytes.get(i + 1).is_some_and(|&c| c != b'\n') {
                    i += 1;
                }
            }
            b'"' | b'\'' => {
                let triple = bytes.get(i + 1) == Some(&b) && bytes.get(i + 2) == Some(&b);
                i += if triple { 3 } else { 1 };
                // To the closing quote(s); a basic string's backslash escapes the next byte.
                while let Some(&c) = bytes.get(i) {
                    if c == b'\\' && b == b'"' {
                        i += 1;
                    } else if c == b'\n' {
                        line += 1;
                        if !triple {
                            break;
                        }
                    } else if c == b
                        && (!triple
                            || (bytes.get(i + 1) == Some(&b) && bytes.get(i + 2) == Some(&b)))
                    {
                        i += if triple { 2 } else { 0 };
                        break;
                    }
                    i += 1;
                }
            }
            b'[' | b'{' => {
                if open == 0 && b == b'[' && line_start {
                    in_header = true;
                    header_dots = 0;
                }
                open += 1;
            }
            b']' | b'}' => {
                open = open.saturating_sub(1);
                if open == 0 {
                    in_header = false;
                }
            }
            b'.' if in_header => header_dots += 1,
            b'.' => dots += 1,
            _ => {}
        }
        if b != b'\n' && !blank && !(in_header && b == b'[') {
            line_start = false;
        }
        if open + dots + header_dots > MAX_NESTING {
            return Some(line);
        }
        i += 1;
    }
    None
}

/// `basic-toml` appends " at line L column C" to its messages; the message without it.
fn without_position(message: &str, (line, column): (usize, usize)) -> &str {
    // basic-toml's message ends with exactly this when the error has a position. Stripped as
    // a known suffix, not searched for: a substring search from the end links std's two-way
    // searcher's reverse half into the WASM module (BENCHMARKS.md, "WASM size steps").
    let suffix = format!(" at line {line} column {column}");
    message.strip_suffix(suffix.as_str()).unwrap_or(message)
}

/// The parsed stack file, for checking its tables with errors at their place in the text.
struct Doc<'a> {
    source: &'a StackSource,
    text: &'a str,
    /// Built on first use: a valid stack file without `database` keys never needs it.
    positions: std::cell::OnceCell<Positions>,
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

    fn locate(&self, table: &[&str], key: &str) -> Option<Located> {
        self.positions
            .get_or_init(|| Positions::new(self.text))
            .get(table, key)
    }

    /// Where `table.key`'s value is written (a header `[table.key]` counts), else 1:1.
    fn value_at(&self, table: &[&str], key: &str) -> (usize, usize) {
        self.locate(table, key).map_or((1, 1), |found| found.value)
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
        let at = self.locate(table, key).map_or((1, 1), |found| found.key);
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

impl Doc<'_> {
    /// `[vault] kv_services`: a list of services of
    /// [`KV_SERVICES`](crate::catalog::KV_SERVICES), each once, as flags in that order.
    /// Anything else is an error at the list (one fixed message: the WASM budget).
    fn kv_services(&self, list: &Value) -> Result<[bool; 4], ResolveError> {
        let mut on = [false; 4];
        let mut listed_once = |item: &Value| {
            // `ServiceKind`'s first four are `KV_SERVICES`, in order (a test says so).
            let kind = item.as_str().and_then(ServiceKind::from_name);
            match kind.and_then(|k| on.get_mut(k as usize)) {
                Some(flag) if !*flag => {
                    *flag = true;
                    true
                }
                _ => false,
            }
        };
        if list
            .as_array()
            .is_some_and(|items| items.iter().all(&mut listed_once))
        {
            return Ok(on);
        }
        Err(self.at_value(
            &["vault"],
            "kv_services",
            "`vault.kv_services` must list supabase, dragonfly, ragflow or rocketmq, each once"
                .into(),
        ))
    }

    /// A Vault mount, prefix (`allow_slash`: `team/secret`) or role name: letters, digits,
    /// `_`, `-`, `.`, and `/` between segments. These become policy paths, where `*` and `+`
    /// are wildcards and a `..` or an empty segment names another path, so anything else is
    /// refused here rather than widened there.
    fn vault_name(
        &self,
        fields: &Map<String, Value>,
        table: &[&str],
        key: &str,
        allow_slash: bool,
    ) -> Result<Option<String>, ResolveError> {
        let Some(name) = self.string(fields, table, key)? else {
            return Ok(None);
        };
        let plain = |segment: &str| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        };
        let ok = name.is_empty() && allow_slash
            || if allow_slash {
                name.split('/').all(plain)
            } else {
                plain(&name)
            };
        if ok {
            return Ok(Some(name));
        }
        let mut path = table.to_vec();
        path.push(key);
        let shape = if allow_slash {
            "segments of letters, digits, `_`, `-` and `.` separated by single `/`"
        } else {
            "letters, digits, `_`, `-` and `.`"
        };
        Err(self.at_value(
            table,
            key,
            format!("`{}` = `{name}` must be {shape}", path.join(".")),
        ))
    }
}

/// The order of [`Stack::aliases`]: `default` first, then by name.
fn alias_order(alias: &Alias) -> (bool, &str) {
    (alias.name != "default", &alias.name)
}

/// The first place in `sorted` whose alias does not come before `key` (a binary search).
fn sorted_place(sorted: &[Alias], key: (bool, &str)) -> usize {
    let (mut low, mut high) = (0, sorted.len());
    while low < high {
        let mid = low + (high - low) / 2;
        match sorted.get(mid) {
            Some(a) if alias_order(a) < key => low = mid + 1,
            _ => high = mid,
        }
    }
    low
}

#[cfg(test)]
mod tests {
    use super::*;

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
            "unknown key `databse` in `[aliases.default]` (known: service, database, vault_role, url_env, conn_max_age, conn_health_checks, atomic_requests, disable_server_side_cursors, options, test, pooler)"
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
        assert_eq!(without_position("bad at line 2 column 11", (2, 11)), "bad");
        assert_eq!(without_position("bad at line", (2, 11)), "bad at line");
        assert_eq!(
            without_position(
                "duplicate key: `a at line 1 column 1` at line 3 column 1",
                (3, 1)
            ),
            "duplicate key: `a at line 1 column 1`"
        );
    }
}

#[cfg(test)]
mod nesting_tests {
    use super::*;

    fn parse(text: &str) -> Result<Stack, ResolveError> {
        Stack::parse(&StackSource {
            name: "s.toml".into(),
            text: text.into(),
        })
    }

    fn refused(text: &str) -> bool {
        matches!(parse(text), Err(ResolveError::InvalidStack { message, .. }) if message.contains("nested deeper"))
    }

    #[test]
    fn deep_texts_are_refused_before_parsing() {
        let n = 2_000;
        assert!(refused(&format!(
            "x = {}1{}",
            "{a = ".repeat(n),
            "}".repeat(n)
        )));
        assert!(refused(&format!("x = {}1{}", "[".repeat(n), "]".repeat(n))));
        assert!(refused(&format!("{} = 1", vec!["a"; n].join("."))));
        assert!(refused(&format!("[{}]\nb = 1", vec!["a"; n].join("."))));
        assert!(refused(&format!(
            "[{}]\n{} = 1",
            vec!["a"; 60].join("."),
            vec!["b"; 60].join(".")
        )));
        assert!(refused(&format!("x = [\n{}\n]", "{a = [".repeat(60))));
    }

    #[test]
    fn brackets_and_dots_in_strings_and_comments_do_not_count() {
        let noise = "[{.".repeat(200);
        let text = format!(
            "# {noise}\n[vault]\nkv_mount = \"{noise}\"\nkv_prefix = '{noise}'\ndatabase_mount = \"\"\"\n{noise}\"\"\"\n"
        );
        assert!(!refused(&text), "{:?}", parse(&text));
        assert!(too_deep(&text).is_none());
        let many_tables: String = (0..500)
            .map(|i| format!("[aliases.a{i}]\nservice = \"supabase\"\n"))
            .collect();
        assert!(too_deep(&many_tables).is_none());
    }
}

#[cfg(test)]
mod scale_tests {
    use super::*;

    fn parse(text: String) -> Result<Stack, ResolveError> {
        Stack::parse(&StackSource {
            name: "s.toml".into(),
            text,
        })
    }

    /// Issue 15: 4,000 aliases as dotted keys took 22 s (a scan of the text per alias).
    #[test]
    fn thousands_of_aliases_in_every_form_parse_quickly_with_their_lines() {
        let n = 4_000;
        let dotted: String = (0..n)
            .map(|i| {
                let name = if i == 0 {
                    "default".to_owned()
                } else {
                    format!("a{i}")
                };
                format!(
                    "aliases.{name}.service = \"supabase\"\naliases.{name}.database = \"d{i}\"\n"
                )
            })
            .collect();
        let inline: String = std::iter::once("[aliases]\n".to_owned())
            .chain((0..n).map(|i| {
                let name = if i == 0 {
                    "default".to_owned()
                } else {
                    format!("a{i}")
                };
                format!("{name} = {{ service = \"supabase\", database = \"d{i}\" }}\n")
            }))
            .collect();
        for (text, last_line) in [(dotted, 2 * n), (inline, n + 1)] {
            let started = std::time::Instant::now();
            let stack = parse(text).unwrap();
            // Debug build, shared machine: the quadratic scan took 22 s in release.
            assert!(started.elapsed() < std::time::Duration::from_secs(5));
            let last = stack.alias(&format!("a{}", n - 1)).unwrap();
            assert_eq!(last.database_origin, format!("s.toml:{last_line}"));
        }
    }

    #[test]
    fn hostile_shapes_are_refused_at_once() {
        let started = std::time::Instant::now();
        for text in [
            format!("x = {}", "[".repeat(60_000)),
            format!("x = {}", "{a = ".repeat(12_000)),
            format!("[{}]\n", vec!["a"; 20_000].join(".")),
            format!("{} = 1\n", vec!["a"; 20_000].join(".")),
        ] {
            assert!(
                matches!(parse(text), Err(ResolveError::InvalidStack { message, .. }) if message.contains("nested deeper")),
            );
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}
