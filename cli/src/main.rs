//! `dbstack`: resolve, explain and check the data-service configuration of a Django stack.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod command;
mod output;

/// Resolve Django DATABASES, CACHES, CHANNEL_LAYERS, RAGflow and RocketMQ settings from the
/// environment, Kubernetes discovery and Vault, and say where every value came from.
#[derive(Debug, Parser)]
#[command(name = "dbstack", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the resolved configuration.
    Resolve(command::resolve::Args),
    /// Print where every value came from and what it overrode.
    Explain(command::explain::Args),
    /// Print the Vault reads a resolution needs, without contacting Vault.
    Plan(command::plan::Args),
    /// Check live connections to every service of the resolved stack.
    Verify(command::verify::Args),
    /// Check that the Kubernetes manifests and Terraform modules agree with the catalog.
    CheckInfra(command::check_infra::Args),
    /// Print the JSON Schema of the resolution document.
    Schema,
    /// Vault set-up: the least-privilege policy of the stack, and bootstrap.
    Vault(command::vault::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Resolve(args) => command::resolve::run(&args),
        Command::Explain(args) => command::explain::run(&args),
        Command::Plan(args) => command::plan::run(&args),
        Command::Verify(args) => command::verify::run(&args),
        Command::CheckInfra(args) => command::check_infra::run(&args),
        Command::Schema => command::schema::run(),
        Command::Vault(args) => command::vault::run(&args),
    };
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
