//! dbstack-infra: `dbstack check-infra`. Reads the Kubernetes manifests (`*.yaml`, `*.yml`) and
//! the Terraform files (`*.tf`) into located facts and checks them against dbstack's catalog
//! and against each other.
//!
//! YAML is read with yaml-rust2 (marked events give the line of every key and value); HCL with
//! hcl-edit (the parser under hcl-rs, with spans). Every input is bounded: see [`limits`].
//! The resolver (dbstack-core, the Python extension, the WASM package) links none of this.

mod check;
mod files;
mod hcl;
mod model;
mod yaml;

use std::path::Path;

pub use check::check;
pub use model::{
    Container, Finding, FindingKind, InfraFacts, InfraReport, Located, Location, Origin, Port,
    Resource,
};

/// The bounds on what `check-infra` reads (README, "Limits").
pub mod limits {
    /// Largest manifest or Terraform file read, in bytes.
    pub const MAX_FILE_BYTES: u64 = 4 << 20;
    /// Most bytes read from both folders together.
    pub const MAX_TOTAL_BYTES: u64 = 64 << 20;
    /// Most folder entries looked at in one walk (files and folders, matching or not).
    pub const MAX_ENTRIES: usize = 100_000;
    /// Deepest nesting of YAML collections. hcl-edit stops HCL at 64 levels of expressions,
    /// templates and blocks (and 128 chained operators); the evaluator keeps values to
    /// this depth too.
    pub const MAX_DEPTH: usize = 64;
    /// Longest time parsing the Terraform files may take, in seconds, all files together
    /// (hcl-edit backtracks exponentially on some malformed input; real files take milliseconds).
    pub const MAX_PARSE_SECONDS: u64 = 5;
    /// Most values the Terraform evaluator builds for one module folder (each element of a list
    /// or object counts, a reference counts the size of what it copies).
    pub const MAX_VALUES: usize = 1_000_000;
}

/// Why the infrastructure files could not be read. Each names the file (and the line where it
/// is known); the CLI exits 2 on every one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InfraError {
    /// A folder or file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The folder or file.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A folder holds no file of the expected kind.
    #[error("{path} has no {what} files")]
    Empty {
        /// The folder.
        path: String,
        /// `YAML` or `Terraform (.tf)`.
        what: &'static str,
    },
    /// A matching name that is not a regular file (a FIFO, a device, a socket).
    #[error("{path} is not a regular file ({kind}); check-infra reads only regular files")]
    NotAFile {
        /// The file.
        path: String,
        /// What it is instead.
        kind: &'static str,
    },
    /// A file, or the files together, or a folder walk beyond its bound.
    #[error("{path}: {what} exceeds the limit of {limit} {unit}")]
    TooLarge {
        /// The file or folder.
        path: String,
        /// What is too large.
        what: &'static str,
        /// The bound.
        limit: u64,
        /// `bytes` or `entries`.
        unit: &'static str,
    },
    /// YAML or HCL syntax error.
    #[error("cannot parse {file}:{line}:{column}: {message}")]
    Syntax {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// Collections (or evaluated Terraform values) nested deeper than [`limits::MAX_DEPTH`].
    #[error("{file}:{line}: nesting deeper than {limit} levels (check-infra's limit)")]
    TooDeep {
        /// The file.
        file: String,
        /// 1-based line where the limit was crossed.
        line: usize,
        /// The bound.
        limit: usize,
    },
    /// The Terraform evaluator would build more than [`limits::MAX_VALUES`] values.
    #[error(
        "{file}:{line}: evaluating this expression builds more than {limit} values \
         (check-infra's limit on expanding Terraform locals and variables)"
    )]
    Expansion {
        /// The file.
        file: String,
        /// 1-based line of the expression.
        line: usize,
        /// The bound.
        limit: usize,
    },
    /// The Terraform parser did not finish within [`limits::MAX_PARSE_SECONDS`].
    #[error(
        "{file}: parsing did not finish within {seconds} s (check-infra's limit; the HCL parser \
         backtracks exponentially on some malformed nested objects)"
    )]
    TooSlow {
        /// The file being parsed.
        file: String,
        /// The bound.
        seconds: u64,
    },
    /// Parsed, but not a Kubernetes object, or Terraform that cannot be evaluated.
    #[error("invalid {file}:{line}: {message}")]
    Invalid {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

impl InfraError {
    /// The file (or folder) the error is about.
    pub fn file(&self) -> &str {
        match self {
            InfraError::Io { path, .. }
            | InfraError::Empty { path, .. }
            | InfraError::NotAFile { path, .. }
            | InfraError::TooLarge { path, .. } => path,
            InfraError::Syntax { file, .. }
            | InfraError::TooDeep { file, .. }
            | InfraError::Expansion { file, .. }
            | InfraError::TooSlow { file, .. }
            | InfraError::Invalid { file, .. } => file,
        }
    }
}

/// Reads both trees into facts. File names in the facts are `dir` joined with the file's
/// path below it, as given.
pub fn read_facts(kubernetes: &Path, terraform: &Path) -> Result<InfraFacts, InfraError> {
    let mut budget = files::Budget::default();
    let manifests = files::read_all(kubernetes, &["yaml", "yml"], "YAML", &mut budget)?;
    let tf = files::read_all(terraform, &["tf"], "Terraform (.tf)", &mut budget)?;
    let mut facts = parse(&manifests, &tf)?;
    facts.kubernetes_root = kubernetes.display().to_string();
    facts.terraform_root = terraform.display().to_string();
    Ok(facts)
}

/// The facts of manifests and Terraform files given as `(file name, text)`, without touching
/// the filesystem (the fuzz targets' entry; a Terraform module is the folder of its file name).
pub fn parse(
    manifests: &[(String, String)],
    terraform: &[(String, String)],
) -> Result<InfraFacts, InfraError> {
    let mut resources = Vec::new();
    for (file, text) in manifests {
        resources.extend(yaml::resources(file, text)?);
    }
    resources.extend(hcl::resources(terraform)?);
    Ok(InfraFacts {
        resources,
        ..InfraFacts::default()
    })
}

/// Reads both trees and runs the checks.
pub fn check_dirs(kubernetes: &Path, terraform: &Path) -> Result<InfraReport, InfraError> {
    Ok(check(&read_facts(kubernetes, terraform)?))
}
