#!/usr/bin/env bash
# The preview page end to end in real headless Chromium (Debian chromium + playwright-core).
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
source "$REPO_ROOT/scripts/lib/wasm.sh"
cd "$REPO_ROOT"
suite_log browser

step "WASM tools (wasm-bindgen-cli, npm packages; installed the first time)" ensure_wasm_tools
step "Chromium (apt-get the first time)" ensure_browser_tools
step "build bindings-wasm/www/pkg" build_wasm_pkg
step "node --test tests/browser/preview.test.mjs (headless Chromium)" \
  node --test --test-concurrency=1 tests/browser/preview.test.mjs
