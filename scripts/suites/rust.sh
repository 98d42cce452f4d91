#!/usr/bin/env bash
# Rust: format, lints, unit/integration/vector/snapshot/property tests, wasm32 build of the core.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$REPO_ROOT"
rustup target list --installed | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo build -p dbstack-core --target wasm32-unknown-unknown --quiet
cargo test --workspace --quiet
