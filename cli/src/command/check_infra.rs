//! `dbstack check-infra`: the Kubernetes manifests and the Terraform modules agree with the
//! catalog and with each other. Exit 0 consistent, 1 drift, 2 unreadable or unparseable input.

use std::path::PathBuf;

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
    let report = match dbstack_runtime::infra::check_dirs(&args.kubernetes, &args.terraform) {
        Ok(report) => report,
        Err(err) => {
            if args.json {
                output::print_json(&serde_json::json!({
                    "schema": "dbstack.check-infra/v1",
                    "ok": false,
                    "error": {"file": err.file(), "message": err.to_string()},
                }));
            }
            output::error_line(&err.to_string());
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
