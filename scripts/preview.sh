#!/usr/bin/env bash
# The browser preview in one command: builds the WASM package when it is missing or older
# than its sources (installing the wasm32 target, wasm-bindgen-cli and wasm-opt the first
# time, cached in $DBSTACK_TOOLS), then serves bindings-wasm/www on 127.0.0.1 and prints the
# address to open. Ctrl-C stops it.
#
#   scripts/preview.sh [PORT]      default port 8765 (0: any free port)
#   scripts/preview.sh --rebuild   build the package even when it looks current
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$REPO_ROOT/scripts/lib/wasm.sh"
cd "$REPO_ROOT"

rebuild=0
port=8765
for arg in "$@"; do
  case "$arg" in
    --rebuild) rebuild=1 ;;
    -h | --help)
      sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *[!0-9]* | "")
      echo "usage: scripts/preview.sh [--rebuild] [PORT]" >&2
      exit 2
      ;;
    *) port="$arg" ;;
  esac
done

pkg="bindings-wasm/www/pkg/dbstack_wasm_bg.wasm"
# Current when the module exists and no source of the core or the binding is newer.
stale() {
  [ ! -f "$pkg" ] && return 0
  [ -n "$(find core/src bindings-wasm/src bindings-wasm/js Cargo.toml Cargo.lock -newer "$pkg" -type f -print -quit)" ]
}

if ((rebuild)) || stale; then
  step "WASM tools (wasm32 target, wasm-bindgen-cli, wasm-opt; installed the first time)" ensure_wasm_tools
  step "build bindings-wasm/www/pkg (profile wasm, wasm-bindgen, wasm-opt -Oz)" build_wasm_pkg
else
  log "bindings-wasm/www/pkg is current (scripts/preview.sh --rebuild to build it anyway)"
fi
command -v node >/dev/null || ensure_apt nodejs

log "serving bindings-wasm/www (Ctrl-C stops)"
exec node tests/browser/serve.mjs bindings-wasm/www "$port"
