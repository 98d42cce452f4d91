//! `dbstack verify`: check live connections to every service of the resolved stack.

use std::time::Duration;

use dbstack_runtime::verify::{verify, VerifyOptions, DEFAULT_TIMEOUT};

use super::common::{print_warnings, ResolveArgs};
use crate::output;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Print the report as JSON (for scripts) instead of a table.
    #[arg(long)]
    json: bool,
    /// Timeout of each check, in seconds (default 3).
    #[arg(long, value_name = "SECS", value_parser = parse_timeout)]
    timeout: Option<Duration>,
    #[command(flatten)]
    resolve: ResolveArgs,
}

fn parse_timeout(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .and_then(dbstack_runtime::verify::timeout_from_secs)
        .ok_or_else(|| format!("`{text}` is not a number of seconds between 0 and 3600"))
}

pub(crate) fn run(args: &Args) -> i32 {
    let resolved = match args.resolve.run() {
        Ok(r) => r,
        Err(code) => return code,
    };
    print_warnings(&resolved);
    // The checks need the real credentials; the report never contains them.
    let doc = resolved.resolution.to_json(true);
    let options = VerifyOptions {
        timeout: args.timeout.unwrap_or(DEFAULT_TIMEOUT),
        // The environment the resolution read (env files and `X_FILE` included).
        ..VerifyOptions::from_env(&resolved.inputs.env)
    };
    match verify(&doc, &options) {
        Ok(report) => {
            if args.json {
                output::print_json(&report.to_json());
            } else {
                output::print(&report.render_table());
            }
            report.exit_code()
        }
        Err(e) => {
            output::error_line(&e.to_string());
            e.exit_code()
        }
    }
}
