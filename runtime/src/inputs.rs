//! Gathers the core's inputs from the process: environment (with `.env` files and `X_FILE`
//! secret files), Kubernetes files, stack file.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use dbstack_core::DiagnosticKind;
use dbstack_core::{Inputs, KubeFacts, StackSource};
use dbstack_core::{Resolution, Source, SourceKind, Warning};

/// Where Kubernetes mounts the service-account token and namespace.
pub const SERVICE_ACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// The largest file an `X_FILE` variable may name (a secret, a URL, a key).
pub const MAX_SECRET_FILE_BYTES: u64 = 64 * 1024;
/// The largest env file (`--env-file`, `env_file=`).
pub const MAX_ENV_FILE_BYTES: u64 = 1024 * 1024;

/// Why the inputs could not be gathered.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot read stack file `{path}` (from {origin}): {reason}")]
    StackFile {
        path: String,
        origin: String,
        reason: String,
    },
    #[error("cannot read env file `{path}`: {reason}")]
    EnvFile { path: String, reason: String },
    #[error("env file {path}:{line}: {reason}")]
    EnvFileLine {
        path: String,
        line: usize,
        reason: String,
    },
    #[error("cannot read {variable} `{path}`: {reason}")]
    SecretFile {
        variable: String,
        path: String,
        reason: String,
    },
    #[error("{variable}{variable_origin} and {file_variable}{file_origin} are both set: set one of them")]
    BothSet {
        variable: String,
        variable_origin: String,
        file_variable: String,
        file_origin: String,
    },
    /// Another file dbstack reads (`what` says which).
    #[error("cannot read {what} `{path}`: {reason}")]
    File {
        path: String,
        what: &'static str,
        reason: String,
    },
    /// A variable dbstack reads holds bytes that are not UTF-8 (its value is not shown).
    #[error("variable `{name}` is not valid UTF-8 (its value is not shown)")]
    NotUtf8 { name: String },
}

impl InputError {
    pub fn exit_code(&self) -> i32 {
        dbstack_core::EXIT_CONFIG
    }

    /// The diagnostic's kind: a secret file is a variable's value that cannot be used.
    pub fn kind(&self) -> DiagnosticKind {
        match self {
            InputError::StackFile { .. } => DiagnosticKind::InvalidStack,
            InputError::EnvFile { .. } | InputError::EnvFileLine { .. } => {
                DiagnosticKind::InvalidEnvFile
            }
            // The service-account namespace file: a fact of the environment that cannot be read.
            InputError::SecretFile { .. }
            | InputError::BothSet { .. }
            | InputError::NotUtf8 { .. }
            | InputError::File { .. } => DiagnosticKind::InvalidVariable,
        }
    }

    pub fn source_name(&self) -> String {
        match self {
            InputError::StackFile { path, .. }
            | InputError::EnvFile { path, .. }
            | InputError::File { path, .. } => path.clone(),
            InputError::EnvFileLine { path, line, .. } => format!("{path}:{line}"),
            InputError::SecretFile { variable, .. } | InputError::BothSet { variable, .. } => {
                variable.clone()
            }
            InputError::NotUtf8 { name } => name.clone(),
        }
    }
}

/// Reads the Kubernetes facts from `dir` (normally [`SERVICE_ACCOUNT_DIR`]). A missing
/// namespace file is no namespace; one that cannot be read (a FIFO, too large) is an error.
pub fn kube_facts(dir: &Path) -> Result<KubeFacts, InputError> {
    let path = dir.join("namespace");
    let namespace_file = crate::fs::read_text_if_any(&path, crate::fs::MAX_TOKEN_FILE)
        .map_err(|e| InputError::File {
            path: path.display().to_string(),
            what: "the service-account namespace file",
            reason: e.to_string(),
        })?
        .map(|text| text.trim().to_owned())
        .filter(|s| !s.is_empty());
    Ok(KubeFacts {
        token_present: dir.join("token").is_file(),
        namespace_file,
    })
}

/// Reads a stack file (a regular file of at most [`crate::fs::MAX_STACK_FILE`] bytes);
/// `origin` says who named it (`--stack` or `DBSTACK_CONFIG`).
pub fn read_stack(path: &str, origin: &str) -> Result<StackSource, InputError> {
    crate::fs::read_text(Path::new(path), crate::fs::MAX_STACK_FILE)
        .map(|text| StackSource {
            name: path.to_owned(),
            text,
        })
        .map_err(|e| InputError::StackFile {
            path: path.to_owned(),
            origin: origin.to_owned(),
            reason: e.to_string(),
        })
}

/// The stack file named by `--stack` (`flag`), else by `DBSTACK_CONFIG`; `None` for the
/// built-in stack.
pub fn stack_source(
    env: &BTreeMap<String, String>,
    flag: Option<&str>,
) -> Result<Option<StackSource>, InputError> {
    match (flag, env.get("DBSTACK_CONFIG")) {
        (Some(path), _) => Ok(Some(read_stack(path, "--stack")?)),
        (None, Some(path)) if !path.is_empty() => Ok(Some(read_stack(path, "DBSTACK_CONFIG")?)),
        _ => Ok(None),
    }
}

/// Options a caller may set on top of the environment.
#[derive(Debug, Clone, Default)]
pub struct GatherOptions {
    pub profile: Option<String>,
    pub stack_file: Option<String>,
    pub overrides: BTreeMap<String, String>,
}

/// Builds the inputs from an environment map plus the real filesystem.
pub fn gather(env: BTreeMap<String, String>, options: GatherOptions) -> Result<Inputs, InputError> {
    let stack = stack_source(&env, options.stack_file.as_deref())?;
    Ok(Inputs {
        kubernetes: kube_facts(Path::new(SERVICE_ACCOUNT_DIR))?,
        env,
        stack,
        profile: options.profile,
        overrides: options.overrides,
    })
}

/// The process environment as a map. A variable whose name is not UTF-8 is skipped (dbstack
/// reads none such); one that dbstack reads ([`reads`]) with a value that is not UTF-8 is
/// an error naming it, never silently unset (`DBSTACK_PROFILE=production\xff` would
/// otherwise fall back to development).
pub fn process_env() -> Result<BTreeMap<String, String>, InputError> {
    env_from(std::env::vars_os())
}

/// [`process_env`] over any list of variables.
pub fn env_from(
    vars: impl IntoIterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
) -> Result<BTreeMap<String, String>, InputError> {
    let mut env = BTreeMap::new();
    for (name, value) in vars {
        match (name.into_string(), value.into_string()) {
            (Ok(name), Ok(value)) => {
                env.insert(name, value);
            }
            (Ok(name), Err(_)) if reads(&name) => return Err(InputError::NotUtf8 { name }),
            _ => {}
        }
    }
    Ok(env)
}

/// Whether dbstack may read the variable `name`: the documented ones, `HOME` (for
/// `~/.vault-token`), an alias's `<ALIAS>_URL`, a secret's `<VAR>_FILE`, and every name of
/// its prefixes (`DBSTACK_`, `VAULT_`, `SUPABASE_`, `RAGFLOW_`, `ROCKETMQ_`, `DRAGONFLY_`).
pub fn reads(name: &str) -> bool {
    const PREFIXES: [&str; 6] = [
        "DBSTACK_",
        "VAULT_",
        "SUPABASE_",
        "RAGFLOW_",
        "ROCKETMQ_",
        "DRAGONFLY_",
    ];
    name == "HOME"
        || name.ends_with("_URL")
        || name.ends_with("_FILE")
        || PREFIXES.iter().any(|p| name.starts_with(p))
        || dbstack_core::env_vars::KNOWN.iter().any(|v| v.name == name)
}

/// Where a variable's value came from when it is not the environment's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The content of the file `X_FILE` (`variable`) names.
    File { variable: String, path: String },
    /// A line of an env file.
    EnvFile { path: String, line: usize },
}

impl Origin {
    /// The provenance source of a value from here (`file:<path>`, `env-file:<path>:<line>`).
    pub fn source(&self) -> Source {
        let (kind, name) = match self {
            Origin::File { path, .. } => (SourceKind::File, path.clone()),
            Origin::EnvFile { .. } => (SourceKind::EnvFile, self.to_string()),
        };
        Source {
            kind,
            name: name.into(),
        }
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::File { variable, path } => write!(f, "{variable}={path}"),
            Origin::EnvFile { path, line } => write!(f, "{path}:{line}"),
        }
    }
}

/// The environment a resolution reads: the process's (or the caller's) variables, the env
/// files' variables the environment does not set, and the content of `X_FILE` files as `X`;
/// with where each value that did not come from the environment itself came from.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    pub vars: BTreeMap<String, String>,
    pub origins: BTreeMap<String, Origin>,
    /// Env files that do not exist (a warning each, as django-environ's `read_env` says).
    pub warnings: Vec<Warning>,
}

/// Besides every secret variable of the README's table and every `*_URL` (an alias's URL),
/// the names that come paired with a secret in a Kubernetes Secret may be read from files.
const FILE_PAIRED: &[&str] = &["SUPABASE_DB_USER", "ROCKETMQ_ACCESS_KEY", "VAULT_ROLE_ID"];

/// Whether `X_FILE` is read for the variable `X`.
pub fn reads_file(name: &str) -> bool {
    dbstack_core::env_vars::KNOWN
        .iter()
        .any(|v| v.secret && v.name == name)
        || FILE_PAIRED.contains(&name)
        || (name.len() > "_URL".len() && name.ends_with("_URL"))
}

impl Environment {
    /// `env` (the process's or the caller's), then each env file in order (a later file beats
    /// an earlier one; the environment beats every file, as django-environ and python-dotenv
    /// do), then `X_FILE` for the variables of [`reads_file`]: `X` is the file's content less
    /// one trailing newline. `X` and `X_FILE` both set (non-empty) is an error naming both.
    pub fn gather(
        env: BTreeMap<String, String>,
        env_files: &[String],
    ) -> Result<Environment, InputError> {
        let mut out = Environment {
            vars: env,
            ..Environment::default()
        };
        for path in env_files {
            let Some(entries) = read_env_file(path)? else {
                out.warnings.push(Warning {
                    code: "env_file_missing".into(),
                    message: format!("env file `{path}` does not exist; nothing read from it"),
                    source: Some(path.clone()),
                });
                continue;
            };
            for (key, value, line) in entries {
                // Not set by the environment: unset, or set by an earlier file.
                if out.origins.contains_key(&key) || !out.vars.contains_key(&key) {
                    let path = path.clone();
                    out.vars.insert(key.clone(), value);
                    out.origins.insert(key, Origin::EnvFile { path, line });
                }
            }
        }
        let file_vars: Vec<(String, String, String)> = out
            .vars
            .iter()
            .filter_map(|(key, path)| {
                let base = key.strip_suffix("_FILE")?;
                (reads_file(base) && !path.is_empty())
                    .then(|| (base.to_owned(), key.clone(), path.clone()))
            })
            .collect();
        for (base, key, path) in file_vars {
            let origin_of = |name: &str, origins: &BTreeMap<String, Origin>| {
                origins
                    .get(name)
                    .map_or_else(String::new, |o| format!(" (from {o})"))
            };
            if out.vars.get(&base).is_some_and(|v| !v.is_empty()) {
                return Err(InputError::BothSet {
                    variable_origin: origin_of(&base, &out.origins),
                    file_origin: origin_of(&key, &out.origins),
                    variable: base,
                    file_variable: key,
                });
            }
            let value = read_secret_file(&key, &path)?;
            out.vars.insert(base.clone(), value);
            out.origins.insert(
                base,
                Origin::File {
                    variable: key,
                    path,
                },
            );
        }
        Ok(out)
    }

    /// Rewrites the provenance of values the environment level took from a file (`env X` →
    /// `file:<path>` / `env-file:<path>:<line>`), in what won and in what was overridden; adds
    /// the env files' warnings.
    pub fn relabel(&self, resolution: &mut Resolution) {
        for leaf in &mut resolution.leaves {
            let overridden = leaf.overrode.iter_mut().map(|o| &mut o.source);
            for source in std::iter::once(&mut leaf.source).chain(overridden) {
                if source.kind == SourceKind::Env {
                    if let Some(origin) = self.origins.get(source.name.as_ref()) {
                        *source = origin.source();
                    }
                }
            }
        }
        resolution.warnings.extend(self.warnings.iter().cloned());
    }

    /// A resolution error whose source is a variable read from a file names the file too.
    pub fn locate(&self, diagnostic: &mut dbstack_core::Diagnostic) {
        if let Some(origin) = self.origins.get(&diagnostic.source) {
            diagnostic.message = format!(
                "{} ({} read from {origin})",
                diagnostic.message, diagnostic.source
            );
            diagnostic.source = origin.source().to_string();
        }
    }
}

/// One entry of an env file: key, value, the line it starts on.
pub type EnvEntry = (String, String, usize);

/// The content of the file an `X_FILE` variable names, less one trailing newline.
fn read_secret_file(variable: &str, path: &str) -> Result<String, InputError> {
    let text = crate::fs::read_text(Path::new(path), MAX_SECRET_FILE_BYTES).map_err(|e| {
        InputError::SecretFile {
            variable: variable.to_owned(),
            path: path.to_owned(),
            reason: match e {
                crate::fs::ReadError::NotUtf8 => "the content is not UTF-8 text".into(),
                e => e.to_string(),
            },
        }
    })?;
    let text = text
        .strip_suffix('\n')
        .map_or(&*text, |t| t.strip_suffix('\r').unwrap_or(t));
    Ok(text.to_owned())
}

/// The entries of an env file, `(key, value, line)` in file order; `None` when it does not
/// exist. Parsed by dotenvy (quotes, `export`, comments, `${VAR}` from the process environment
/// then the file's earlier lines, multi-line quoted values); the line of each entry is where
/// it starts. A malformed entry is an error at its line, never showing the line's text (it
/// may hold a secret).
pub fn read_env_file(path: &str) -> Result<Option<Vec<EnvEntry>>, InputError> {
    let bytes = match crate::fs::read_bytes(Path::new(path), MAX_ENV_FILE_BYTES) {
        // Nothing there, not even a dangling link.
        Err(_) if Path::new(path).symlink_metadata().is_err() => return Ok(None),
        read => read.map_err(|e| InputError::EnvFile {
            path: path.to_owned(),
            reason: e.to_string(),
        })?,
    };
    let text = String::from_utf8(bytes).map_err(|e| InputError::EnvFileLine {
        path: path.to_owned(),
        line: 1 + e
            .as_bytes()
            .iter()
            .take(e.utf8_error().valid_up_to())
            .filter(|b| **b == b'\n')
            .count(),
        reason: "not UTF-8 text".into(),
    })?;
    parse_env_text(&text).map(Some).map_err(|line| InputError::EnvFileLine {
        path: path.to_owned(),
        line,
        reason: "cannot parse this entry: expected KEY=VALUE (dotenv syntax: quotes, `export`, `#` comments)".into(),
    })
}

/// Parses env-file text: the entries with their first line, or the line of the first
/// malformed entry.
fn parse_env_text(text: &str) -> Result<Vec<EnvEntry>, usize> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.split('\n').collect();
    let started = Cell::new(0usize);
    let reader = LineReader {
        rest: text.as_bytes(),
        at_line_start: true,
        started: &started,
    };
    let mut out = Vec::new();
    let mut boundary = 0usize;
    let line = |n: &usize| lines.get(n - 1).copied().unwrap_or_default();
    for item in dotenvy::from_read_iter(reader) {
        let end = started.get();
        let mut span = boundary + 1..=end.max(boundary + 1);
        match item {
            Ok((key, value)) => {
                let first = span.rev().find(|n| defines(line(n), &key));
                out.push((key, value, first.unwrap_or(end.max(1))));
                boundary = end;
            }
            Err(_) => {
                let entry =
                    |n: &usize| !line(n).trim().is_empty() && !line(n).trim().starts_with('#');
                return Err(span.find(entry).unwrap_or(end.max(1)));
            }
        }
    }
    Ok(out)
}

/// Whether `line` starts the entry of `key` (`KEY=`, `KEY =`, `export KEY=`).
fn defines(line: &str, key: &str) -> bool {
    let line = line.trim_start();
    let line = match line.strip_prefix("export") {
        Some(rest) if rest.starts_with(char::is_whitespace) && key != "export" => rest.trim_start(),
        _ => line,
    };
    line.strip_prefix(key)
        .is_some_and(|rest| rest.trim_start().starts_with('='))
}

/// Hands the text out one line per `read`, counting the lines started: dotenvy's buffered
/// reader then never holds more than the line it parses, so after each entry the count is
/// the entry's last line.
struct LineReader<'a> {
    rest: &'a [u8],
    at_line_start: bool,
    started: &'a Cell<usize>,
}

impl Read for LineReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let line_end = self
            .rest
            .iter()
            .position(|b| *b == b'\n')
            .map_or(self.rest.len(), |i| i + 1);
        let mut line = self.rest.split_at(line_end).0;
        let n = line.read(buf)?;
        let (chunk, rest) = self.rest.split_at(n);
        if n > 0 && self.at_line_start {
            self.started.set(self.started.get() + 1);
        }
        self.at_line_start = chunk.last() == Some(&b'\n');
        self.rest = rest;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<(String, String, usize)> {
        parse_env_text(text).unwrap_or_else(|line| panic!("error at line {line}"))
    }

    fn entry(key: &str, value: &str, line: usize) -> (String, String, usize) {
        (key.to_owned(), value.to_owned(), line)
    }

    #[test]
    fn env_file_entries_carry_their_first_line() {
        let text = "# comment\n\nA=1\nexport B='two words'\nC=\"multi\nline\"\n  D = 4 # trailing\nE=${A}x\n";
        assert_eq!(
            parse(text),
            vec![
                entry("A", "1", 3),
                entry("B", "two words", 4),
                entry("C", "multi\nline", 5),
                entry("D", "4", 7),
                entry("E", "1x", 8),
            ]
        );
        // A BOM, CRLF line ends and no final newline.
        assert_eq!(
            parse("\u{feff}A=1\r\nB=2"),
            vec![entry("A", "1", 1), entry("B", "2", 2)]
        );
    }

    #[test]
    fn a_malformed_entry_is_reported_at_its_line_without_its_text() {
        assert_eq!(parse_env_text("A=1\n# c\n\nnot a line\nB=2\n"), Err(4));
        assert_eq!(parse_env_text("A=1\nB=\"never closed\nC=3\n"), Err(2));
        assert_eq!(parse_env_text("A=1\nB=v w\n"), Err(2));
    }

    fn write(dir: &Path, name: &str, text: &str) -> String {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        path.to_string_lossy().into_owned()
    }

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn tmp() -> tempfile::TempDir {
        tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn env_files_fill_what_the_environment_does_not_set() {
        let dir = tmp();
        let first = write(dir.path(), "a.env", "A=from-a\nB=from-a\nC=from-a\n");
        let second = write(dir.path(), "b.env", "\nB=from-b\n");
        let got = Environment::gather(env(&[("C", "real")]), &[first.clone(), second.clone()])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(got.vars["A"], "from-a");
        assert_eq!(got.vars["B"], "from-b", "a later file beats an earlier one");
        assert_eq!(got.vars["C"], "real", "the environment beats every file");
        assert_eq!(
            got.origins["B"],
            Origin::EnvFile {
                path: second,
                line: 2
            }
        );
        assert_eq!(
            got.origins["A"].source().to_string(),
            format!("env-file:{first}:1")
        );
        assert!(!got.origins.contains_key("C"));
        assert!(got.warnings.is_empty());
    }

    #[test]
    fn a_missing_env_file_is_a_warning_other_failures_are_errors() {
        let dir = tmp();
        let missing = dir.path().join("nope.env").to_string_lossy().into_owned();
        let got = Environment::gather(env(&[]), std::slice::from_ref(&missing))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(got.warnings.len(), 1);
        assert_eq!(got.warnings[0].code, "env_file_missing");
        let dir_path = dir.path().to_string_lossy().into_owned();
        let e = Environment::gather(env(&[]), std::slice::from_ref(&dir_path)).unwrap_err();
        assert_eq!(
            (e.kind(), e.source_name()),
            (DiagnosticKind::InvalidEnvFile, dir_path)
        );
        let bad = write(
            dir.path(),
            "bad.env",
            "OK=1\nPASSWORD=\"s3cret never closed\n",
        );
        let e = Environment::gather(env(&[]), std::slice::from_ref(&bad)).unwrap_err();
        assert_eq!(e.source_name(), format!("{bad}:2"));
        assert!(!e.to_string().contains("s3cret"), "{e}");
    }

    #[test]
    fn file_variables_are_read_less_one_newline() {
        let dir = tmp();
        let url = write(dir.path(), "url", "postgres://u:p@h/db\n\n");
        let token = write(dir.path(), "token", "t0k3n\r\n");
        let got = Environment::gather(
            env(&[
                ("DATABASE_URL_FILE", &url),
                ("VAULT_TOKEN_FILE", &token),
                ("SSL_CERT_FILE", "/nope"),
            ]),
            &[],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(got.vars["DATABASE_URL"], "postgres://u:p@h/db\n");
        assert_eq!(got.vars["VAULT_TOKEN"], "t0k3n");
        assert!(
            !got.vars.contains_key("SSL_CERT"),
            "only the variables dbstack reads"
        );
        assert_eq!(
            got.origins["DATABASE_URL"].source().to_string(),
            format!("file:{url}")
        );
    }

    #[test]
    fn file_variable_errors_name_the_variable_and_path_never_the_content() {
        let dir = tmp();
        let url = write(dir.path(), "url", "postgres://u:s3cret@h/db");
        let e = Environment::gather(
            env(&[("DATABASE_URL", "x"), ("DATABASE_URL_FILE", &url)]),
            &[],
        )
        .unwrap_err();
        assert_eq!(e.kind(), DiagnosticKind::InvalidVariable);
        assert!(e.to_string().contains("DATABASE_URL_FILE"), "{e}");
        // An empty variable counts as unset, as in the official images' entrypoints.
        assert!(Environment::gather(
            env(&[("DATABASE_URL", ""), ("DATABASE_URL_FILE", &url)]),
            &[]
        )
        .is_ok());
        for (path, reason) in [
            ("/dev/zero", "not a regular file"),
            ("/nonexistent/dbstack", "No such file"),
        ] {
            let e = Environment::gather(env(&[("REDIS_URL_FILE", path)]), &[]).unwrap_err();
            assert_eq!(e.source_name(), "REDIS_URL_FILE");
            assert!(
                e.to_string().contains(path) && e.to_string().contains(reason),
                "{e}"
            );
        }
        let big = write(
            dir.path(),
            "big",
            &"x".repeat(MAX_SECRET_FILE_BYTES as usize + 1),
        );
        let e = Environment::gather(env(&[("RAGFLOW_API_KEY_FILE", &big)]), &[]).unwrap_err();
        assert!(e.to_string().contains("more than"), "{e}");
        assert!(!e.to_string().contains("xxxx"), "{e}");
        std::fs::write(dir.path().join("bin"), [0xff, 0xfe]).unwrap_or_else(|e| panic!("{e}"));
        let bin = dir.path().join("bin").to_string_lossy().into_owned();
        let e = Environment::gather(env(&[("RAGFLOW_API_KEY_FILE", &bin)]), &[]).unwrap_err();
        assert!(e.to_string().contains("not UTF-8"), "{e}");
    }

    #[test]
    fn an_env_file_may_name_a_secret_file() {
        let dir = tmp();
        let key = write(dir.path(), "key", "k\n");
        let dotenv = write(dir.path(), ".env", &format!("RAGFLOW_API_KEY_FILE={key}\n"));
        let got = Environment::gather(env(&[]), &[dotenv]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(got.vars["RAGFLOW_API_KEY"], "k");
    }

    #[test]
    fn file_variables_are_the_secrets_urls_and_their_pairs() {
        for name in [
            "DATABASE_URL",
            "AGENT_DB_URL",
            "LEGACY_URL",
            "SUPABASE_DB_PASSWORD",
            "VAULT_TOKEN",
            "SUPABASE_DB_USER",
            "ROCKETMQ_SECRET_KEY",
        ] {
            assert!(reads_file(name), "{name}");
        }
        for name in ["SSL_CERT", "DBSTACK_PROFILE", "_URL", "SUPABASE_DB_HOST"] {
            assert!(!reads_file(name), "{name}");
        }
    }
}
#[cfg(test)]
mod hostile_tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_variable_dbstack_reads_must_be_utf8() {
        use std::os::unix::ffi::OsStringExt;
        let bad = |name: &str| {
            vec![(
                std::ffi::OsString::from(name),
                std::ffi::OsString::from_vec(b"production\xff".to_vec()),
            )]
        };
        for name in [
            "DBSTACK_PROFILE",
            "VAULT_ADDR",
            "DATABASE_URL",
            "DRAGONFLY_URL",
            "DBSTACK_CONFIG",
            "NAMESRV_ADDR",
            "LEGACY_URL",
            "HOME",
        ] {
            match env_from(bad(name)) {
                Err(e @ InputError::NotUtf8 { .. }) => {
                    assert_eq!(e.source_name(), name);
                    assert!(!e.to_string().contains("production"), "{e}");
                }
                other => panic!("{name}: {other:?}"),
            }
        }
        // A variable dbstack never reads stays out of its way.
        assert_eq!(env_from(bad("LS_COLORS")).unwrap(), BTreeMap::new());
        let good = vec![(
            std::ffi::OsString::from("DBSTACK_PROFILE"),
            std::ffi::OsString::from("production"),
        )];
        assert_eq!(env_from(good).unwrap()["DBSTACK_PROFILE"], "production");
    }

    #[cfg(unix)]
    #[test]
    fn stack_files_must_be_regular_and_bounded() {
        let started = std::time::Instant::now();
        let err = read_stack("/dev/zero", "--stack").unwrap_err();
        assert_eq!(err.source_name(), "/dev/zero");
        assert!(err.to_string().contains("character device"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.toml");
        let file = std::fs::File::create(&big).unwrap();
        file.set_len(crate::fs::MAX_STACK_FILE + 1).unwrap();
        let err = read_stack(big.to_str().unwrap(), "DBSTACK_CONFIG").unwrap_err();
        assert!(err.to_string().contains("more than"), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}
