//! Options shared by the subcommands that resolve, and the one place that runs the resolution.

use std::collections::BTreeMap;

use dbstack_runtime::inputs::process_env;
use dbstack_runtime::resolve::{resolve, ResolveOptions, Resolved};

use crate::output;

/// Where the resolution's inputs come from.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ResolveArgs {
    /// `development` or `production` (beats DBSTACK_PROFILE).
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// Stack file, TOML (beats DBSTACK_CONFIG).
    #[arg(long, value_name = "FILE")]
    pub stack: Option<String>,
    /// Do not contact Vault.
    #[arg(long)]
    pub offline: bool,
    /// Explicit override of one setting, e.g. `--set django.DATABASES.default.HOST=db` (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Per-request Vault timeout, e.g. `2s` or `500ms` (beats DBSTACK_VAULT_TIMEOUT).
    #[arg(long, value_name = "DURATION")]
    pub vault_timeout: Option<String>,
    /// Read variables from a `.env` file (dotenv syntax; repeatable, a later file beats an
    /// earlier one; the environment beats every file).
    #[arg(long = "env-file", value_name = "PATH")]
    pub env_file: Vec<String>,
}

impl ResolveArgs {
    /// Resolves the process environment; on failure prints the error and returns its exit code.
    pub(crate) fn run(&self) -> Result<Resolved, i32> {
        let mut overrides = BTreeMap::new();
        for item in &self.set {
            let Some((key, value)) = item.split_once('=') else {
                output::error_line(&format!("invalid `--set {item}`: expected PATH=VALUE"));
                return Err(dbstack_core::EXIT_CONFIG);
            };
            overrides.insert(key.trim().to_owned(), value.to_owned());
        }
        let options = ResolveOptions {
            profile: self.profile.clone(),
            stack_file: self.stack.clone(),
            overrides,
            offline: self.offline,
            vault_timeout: self.vault_timeout.clone(),
            env_files: self.env_file.clone(),
        };
        resolve(env_or_exit()?, options).map_err(|e| {
            let d = e.to_diagnostic();
            output::error_line(&format!("{} (source: {})", d.message, d.source));
            d.exit_code
        })
    }
}

/// Prints the resolution's warnings on stderr, so people see them whatever the format.
pub(crate) fn print_warnings(resolved: &Resolved) {
    for w in &resolved.resolution.warnings {
        output::warning_line(&w.message);
    }
}

/// The process environment; a variable dbstack reads that is not UTF-8 is printed as an
/// error (exit 2) naming it.
pub(crate) fn env_or_exit() -> Result<std::collections::BTreeMap<String, String>, i32> {
    process_env().map_err(|e| {
        output::error_line(&format!("{e} (source: {})", e.source_name()));
        e.exit_code()
    })
}
