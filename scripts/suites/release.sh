#!/usr/bin/env bash
# Release: scripts/release.sh builds every artifact into dist/ (crates, wheel and sdist, npm
# tarball) and checks them: one version, licence and changelog, registry metadata, the wheel in a
# fresh venv, the npm package in a fresh Node.js project. It reuses the WASM build of `wasm`; the
# wheel is the one `release` build of the Python module (the python suite tests a `dev` build,
# unless DBSTACK_PY_PROFILE=release); `cargo package` verifies each crate with a debug build of
# its packaged sources.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$REPO_ROOT"
suite_log release

step "scripts/release.sh --allow-dirty (every artifact into dist/, checked)" \
  bash "$REPO_ROOT/scripts/release.sh" --allow-dirty
