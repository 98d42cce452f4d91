//! Reads the Kubernetes manifests (`*.yaml`, `*.yml`) and the Terraform files (`*.tf`) into
//! the core's infra facts; the comparison itself is `dbstack_core::infra::check`.
//!
//! YAML is parsed with yaml-rust2 (maintained fork of yaml-rust, pure Rust, marked events give
//! the line of every key and value); HCL with hcl-edit (the parser under hcl-rs, with spans).

mod hcl;
mod yaml;

use std::path::{Path, PathBuf};

use dbstack_core::infra::{check, InfraFacts, InfraReport};

/// Why the infrastructure files could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InfraError {
    /// A folder or file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    /// A folder holds no file of the expected kind.
    #[error("{path} has no {what} files")]
    Empty { path: String, what: &'static str },
    /// YAML or HCL syntax error.
    #[error("cannot parse {file}:{line}:{column}: {message}")]
    Syntax {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// Parsed, but not a Kubernetes object.
    #[error("invalid manifest {file}:{line}: {message}")]
    Invalid {
        file: String,
        line: usize,
        message: String,
    },
}

impl InfraError {
    /// The file (or folder) the error is about.
    pub fn file(&self) -> &str {
        match self {
            InfraError::Io { path, .. } | InfraError::Empty { path, .. } => path,
            InfraError::Syntax { file, .. } | InfraError::Invalid { file, .. } => file,
        }
    }
}

/// `exec pg_isready ... (delay 30, period 10)`: the same text for YAML and Terraform probes.
pub(crate) fn probe_summary(action: &str, timing: &[(&str, Option<String>)]) -> String {
    let parts: Vec<String> = timing
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} {v}")))
        .collect();
    if parts.is_empty() {
        action.to_string()
    } else {
        format!("{action} ({})", parts.join(", "))
    }
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

/// Every file under `dir` (recursively, sorted) whose name ends with one of `extensions`,
/// skipping hidden folders (`.terraform`).
fn files_under(dir: &Path, extensions: &[&str]) -> Result<Vec<PathBuf>, InfraError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|source| InfraError::Io {
            path: display(&d),
            source,
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| InfraError::Io {
                path: display(&d),
                source,
            })?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().to_string();
            if path.is_dir() {
                if !name.starts_with('.') {
                    stack.push(path);
                }
            } else if extensions.iter().any(|e| name.ends_with(e)) {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn read(path: &Path) -> Result<String, InfraError> {
    std::fs::read_to_string(path).map_err(|source| InfraError::Io {
        path: display(path),
        source,
    })
}

/// Reads both trees into facts. File names in the facts are `dir` joined with the file's
/// path below it, as given.
pub fn read_facts(kubernetes: &Path, terraform: &Path) -> Result<InfraFacts, InfraError> {
    let mut resources = Vec::new();
    let manifests = files_under(kubernetes, &[".yaml", ".yml"])?;
    if manifests.is_empty() {
        return Err(InfraError::Empty {
            path: display(kubernetes),
            what: "YAML",
        });
    }
    for path in manifests {
        let file = display(&path);
        resources.extend(yaml::resources(&file, &read(&path)?)?);
    }
    let tf_paths = files_under(terraform, &[".tf"])?;
    if tf_paths.is_empty() {
        return Err(InfraError::Empty {
            path: display(terraform),
            what: "Terraform (.tf)",
        });
    }
    let mut tf_files = Vec::new();
    for path in tf_paths {
        tf_files.push(hcl::TfFile::parse(display(&path), read(&path)?)?);
    }
    resources.extend(hcl::resources(&tf_files));
    Ok(InfraFacts {
        kubernetes_root: display(kubernetes),
        terraform_root: display(terraform),
        resources,
    })
}

/// Reads both trees and runs the core's checks.
pub fn check_dirs(kubernetes: &Path, terraform: &Path) -> Result<InfraReport, InfraError> {
    Ok(check(&read_facts(kubernetes, terraform)?))
}
