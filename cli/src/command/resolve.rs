//! In progress.

/// Arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

pub(crate) fn run(_args: &Args) -> i32 {
    crate::output::error_line("in progress");
    2
}
