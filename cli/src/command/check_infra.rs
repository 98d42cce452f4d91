//! `dbstack check-infra`: the Kubernetes manifests and the Terraform modules agree with the
//! catalog and with each other. Exit 0 consistent, 1 drift, 2 unreadable or unparseable input.

use std::path::{Path, PathBuf};

use dbstack_infra::InfraError;

use crate::output;

/// Arguments of `check-infra`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Folder of the Kubernetes manifests.
    #[arg(long, value_name = "DIR", default_value = "kubernetes")]
    kubernetes: PathBuf,
    /// Folder of the Terraform root module (modules under `modules/`).
    #[arg(long, value_name = "DIR", default_value = "terraform")]
    terraform: PathBuf,
    /// Print the report as JSON (`dbstack.check-infra/v1`).
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: &Args) -> i32 {
    let report = match dbstack_infra::check_dirs(&args.kubernetes, &args.terraform) {
        Ok(report) => report,
        Err(err) => {
            if args.json {
                output::print_json(&serde_json::json!({
                    "schema": "dbstack.check-infra/v1",
                    "ok": false,
                    "error": {"file": err.file(), "message": format!("{err}{}", path_hint(args, &err))},
                }));
            }
            output::error_line(&format!("{err}{}", path_hint(args, &err)));
            return 2;
        }
    };
    if args.json {
        output::print_json(&report.to_json());
    } else {
        let mut text = String::new();
        for finding in &report.findings {
            text.push_str(&finding.to_line());
            text.push('\n');
        }
        let counts: Vec<String> = report
            .resources
            .iter()
            .map(|(origin, n)| format!("{n} {origin} objects"))
            .collect();
        if report.is_clean() {
            text.push_str(&format!(
                "check-infra: consistent ({}; catalog, YAML and Terraform agree)",
                counts.join(", ")
            ));
        } else {
            text.push_str(&format!(
                "check-infra: {} finding(s) ({})",
                report.findings.len(),
                counts.join(", ")
            ));
        }
        output::print(&text);
    }
    i32::from(!report.is_clean())
}

/// For a folder that cannot be read or holds no files: the flag that sets it, and where the
/// default is looked for (the defaults are relative to the working folder).
fn path_hint(args: &Args, err: &InfraError) -> String {
    if !matches!(err, InfraError::Io { .. } | InfraError::Empty { .. }) {
        return String::new();
    }
    let file = Path::new(err.file());
    let (flag, dir) = if file.starts_with(&args.kubernetes) {
        ("--kubernetes", &args.kubernetes)
    } else if file.starts_with(&args.terraform) {
        ("--terraform", &args.terraform)
    } else {
        return String::new();
    };
    let place = if dir.is_relative() {
        std::env::current_dir()
            .map(|cwd| format!(" (looked in {})", cwd.join(dir).display()))
            .unwrap_or_default()
    } else {
        String::new()
    };
    format!(
        "{place}; run from the repository root or pass {flag} DIR (and {other} DIR)",
        other = if flag == "--kubernetes" {
            "--terraform"
        } else {
            "--kubernetes"
        }
    )
}
