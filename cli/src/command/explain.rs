//! `dbstack explain`: every value, the source that won and what it overrode.

use dbstack_core::render::{self, Width};

use super::common::{print_warnings, ResolveArgs};
use crate::output;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Rows as JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Print every value whole instead of fitting the table to the terminal (`…`).
    #[arg(long)]
    wide: bool,
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
    print_warnings(&resolved);
    let res = &resolved.resolution;
    if args.json {
        let answer = dbstack_core::ffi::explain_value(res, args.show_secrets);
        output::print_json(answer.get("rows").unwrap_or(&serde_json::Value::Null));
    } else {
        let width = if args.wide {
            Width::Wide
        } else {
            Width::Fit(output::terminal_width())
        };
        output::print(&render::explain_in(res, args.show_secrets, width));
    }
    0
}
