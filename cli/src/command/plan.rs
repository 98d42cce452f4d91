//! `dbstack plan`: the Vault reads a resolution needs, computed without contacting Vault.

use dbstack_core::render;
use dbstack_core::vault::{ReadKind, VaultPlan};
use dbstack_runtime::inputs::{gather, process_env, Environment, GatherOptions};

use crate::output;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Print the plan as JSON (`settings`, `reads`) instead of a table.
    #[arg(long)]
    json: bool,
    /// `development` or `production` (beats DBSTACK_PROFILE).
    #[arg(long)]
    profile: Option<String>,
    /// Stack file, TOML (beats DBSTACK_CONFIG).
    #[arg(long)]
    stack: Option<String>,
    /// Read variables from a `.env` file (repeatable; the environment beats every file).
    #[arg(long = "env-file", value_name = "PATH")]
    env_file: Vec<String>,
}

/// Why the plan is empty when Vault is not configured.
const NO_VAULT: &str = "Vault is not configured, so a resolution reads nothing from it: \
    VAULT_ADDR is unset (in a cluster, VAULT_K8S_ROLE is unset too). \
    Set VAULT_ADDR to see the reads it would make";

pub(crate) fn run(args: &Args) -> i32 {
    let options = GatherOptions {
        profile: args.profile.clone(),
        stack_file: args.stack.clone(),
        ..GatherOptions::default()
    };
    let inputs = match process_env()
        .and_then(|env| Environment::gather(env, &args.env_file))
        .and_then(|environment| gather(environment.vars, options))
    {
        Ok(i) => i,
        Err(e) => {
            output::error_line(&e.to_string());
            return e.exit_code();
        }
    };
    match dbstack_core::plan(&inputs) {
        Ok(plan) => {
            if args.json {
                if plan.settings.is_none() {
                    output::note_line(NO_VAULT);
                }
                output::print_json(&serde_json::to_value(&plan).unwrap_or_default());
            } else {
                output::print(&table(&plan));
            }
            0
        }
        Err(e) => {
            output::error_line(&format!("{e} (source: {})", e.source_name()));
            e.exit_code()
        }
    }
}

/// The plan for people: where Vault is and how the process logs in, then one row per read.
fn table(plan: &VaultPlan) -> String {
    let Some(settings) = &plan.settings else {
        return format!("no Vault reads: {NO_VAULT}.\n");
    };
    let mut out = format!(
        "vault {} (from {})  auth {}{}\n\n",
        settings.addr,
        settings.addr_source,
        settings.auth.as_str(),
        settings
            .namespace
            .as_deref()
            .map(|ns| format!("  namespace {ns}"))
            .unwrap_or_default()
    );
    if plan.reads.is_empty() {
        out.push_str("no Vault reads: the stack names no Vault secret\n");
        return out;
    }
    let rows: Vec<Vec<String>> = plan
        .reads
        .iter()
        .map(|r| {
            let kind = match &r.kind {
                ReadKind::Kv2 { .. } => "kv v2",
                ReadKind::DatabaseCreds { .. } => "database creds",
            };
            vec![
                r.path.clone(),
                kind.to_owned(),
                format!("GET /v1/{}", r.api_path),
                r.purpose.clone(),
            ]
        })
        .collect();
    out.push_str(&render::columns(&["PATH", "KIND", "REQUEST", "FOR"], &rows));
    out
}
