//! `dbstack explain`: every value, the source that won and what it overrode.

use super::common::ResolveArgs;
use crate::output;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Rows as JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Print secrets instead of `********`.
    #[arg(long)]
    show_secrets: bool,
    #[command(flatten)]
    resolve: ResolveArgs,
}

pub(crate) fn run(args: &Args) -> i32 {
    let resolved = match args.resolve.run() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let res = &resolved.resolution;
    if args.json {
        let answer = dbstack_core::ffi::explain_value(res, args.show_secrets);
        output::print_json(answer.get("rows").unwrap_or(&serde_json::Value::Null));
    } else {
        output::print(&dbstack_core::render::explain(res, args.show_secrets));
        for w in &res.warnings {
            output::print(&format!("warning: {}", w.message));
        }
    }
    0
}
