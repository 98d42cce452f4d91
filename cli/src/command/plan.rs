//! `dbstack plan`: the Vault reads a resolution needs, computed without contacting Vault.

use dbstack_runtime::inputs::{gather, process_env, GatherOptions};

use crate::output;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// `development` or `production` (beats DBSTACK_PROFILE).
    #[arg(long)]
    profile: Option<String>,
    /// Stack file, TOML (beats DBSTACK_CONFIG).
    #[arg(long)]
    stack: Option<String>,
}

pub(crate) fn run(args: &Args) -> i32 {
    let options = GatherOptions {
        profile: args.profile.clone(),
        stack_file: args.stack.clone(),
        ..GatherOptions::default()
    };
    let inputs = match gather(process_env(), options) {
        Ok(i) => i,
        Err(e) => {
            output::error_line(&e.to_string());
            return e.exit_code();
        }
    };
    match dbstack_core::plan(&inputs) {
        Ok(plan) => {
            output::print_json(&serde_json::to_value(&plan).unwrap_or_default());
            0
        }
        Err(e) => {
            output::error_line(&format!("{e} (source: {})", e.source_name()));
            e.exit_code()
        }
    }
}
