//! Not implemented yet: this subcommand lands with its own issue.

/// Arguments (none yet).
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

pub(crate) fn run(_args: &Args) -> i32 {
    crate::output::error_line("this subcommand is not implemented yet");
    2
}
