//! Gathers the core's inputs from the process: environment, Kubernetes files, stack file.

use std::collections::BTreeMap;
use std::path::Path;

use dbstack_core::{Inputs, KubeFacts, StackSource};

/// Where Kubernetes mounts the service-account token and namespace.
pub const SERVICE_ACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// Why the inputs could not be gathered.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot read stack file `{path}` (from {origin}): {reason}")]
    StackFile {
        path: String,
        origin: String,
        reason: String,
    },
}

impl InputError {
    pub fn exit_code(&self) -> i32 {
        dbstack_core::error::EXIT_CONFIG
    }

    pub fn source_name(&self) -> String {
        match self {
            InputError::StackFile { path, .. } => path.clone(),
        }
    }
}

/// Reads the Kubernetes facts from `dir` (normally [`SERVICE_ACCOUNT_DIR`]).
pub fn kube_facts(dir: &Path) -> KubeFacts {
    let namespace_file = std::fs::read_to_string(dir.join("namespace"))
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    KubeFacts {
        token_present: dir.join("token").is_file(),
        namespace_file,
    }
}

/// Reads a stack file; `origin` says who named it (`--stack` or `DBSTACK_CONFIG`).
pub fn read_stack(path: &str, origin: &str) -> Result<StackSource, InputError> {
    std::fs::read_to_string(path)
        .map(|text| StackSource {
            name: path.to_owned(),
            text,
        })
        .map_err(|e| InputError::StackFile {
            path: path.to_owned(),
            origin: origin.to_owned(),
            reason: e.to_string(),
        })
}

/// Options a caller may set on top of the environment.
#[derive(Debug, Clone, Default)]
pub struct GatherOptions {
    pub profile: Option<String>,
    pub stack_file: Option<String>,
    pub overrides: BTreeMap<String, String>,
}

/// Builds the inputs from an environment map plus the real filesystem.
pub fn gather(env: BTreeMap<String, String>, options: GatherOptions) -> Result<Inputs, InputError> {
    let stack = match (&options.stack_file, env.get("DBSTACK_CONFIG")) {
        (Some(path), _) => Some(read_stack(path, "--stack")?),
        (None, Some(path)) if !path.is_empty() => Some(read_stack(path, "DBSTACK_CONFIG")?),
        _ => None,
    };
    Ok(Inputs {
        kubernetes: kube_facts(Path::new(SERVICE_ACCOUNT_DIR)),
        env,
        stack,
        profile: options.profile,
        overrides: options.overrides,
    })
}

/// The process environment as a map (variables that are not UTF-8 are skipped).
pub fn process_env() -> BTreeMap<String, String> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}
