//! `dbstack resolve`: print the resolved configuration.

use dbstack_core::render;

use super::common::{print_warnings, ResolveArgs};
use crate::output;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// The `dbstack.resolution/v1` document.
    Json,
    /// A settings.py snippet.
    Django,
    /// `.env` lines.
    Env,
    /// A summary for people.
    Table,
}

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Shorthand for `--format json`.
    #[arg(long, conflicts_with = "format")]
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
    let format = if args.json { Format::Json } else { args.format };
    let res = &resolved.resolution;
    let reveal = args.show_secrets;
    match format {
        Format::Json => {
            print_warnings(&resolved);
            output::print(&render::json(res, reveal));
        }
        Format::Django => output::print(&render::django(res, reveal)),
        Format::Env => {
            print_warnings(&resolved);
            output::print(&render::env(res, reveal));
        }
        Format::Table => output::print(&render::table(res)),
    }
    0
}
