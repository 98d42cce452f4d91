//! One module per subcommand; each has `Args` and `run(&Args) -> i32` (the exit code).

pub(crate) mod check_infra;
pub(crate) mod common;
pub(crate) mod explain;
pub(crate) mod plan;
pub(crate) mod resolve;
pub(crate) mod schema;
pub(crate) mod vault;
pub(crate) mod verify;
