# Tools for the WASM package and the browser preview. Source after scripts/lib.sh.
#   ensure_wasm_tools    wasm32 target, wasm-bindgen-cli (exactly the crate's version), wasm-opt,
#                        npm typescript (cached in $DBSTACK_TOOLS/node)
#   ensure_browser_tools Debian chromium + npm playwright-core (cached)
#   build_wasm_pkg       build bindings-wasm into www/pkg (web) and pkg-node (nodejs), wasm-opt -Oz (tuned),
#                        the JS guard (bindings-wasm/js/) appended to both glues

# The wasm-bindgen version pinned in the root Cargo.toml; the CLI must match it exactly.
wasm_bindgen_version() {
  sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' "$REPO_ROOT/Cargo.toml"
}

DBSTACK_NODE="$DBSTACK_TOOLS/node"
export DBSTACK_NODE
PLAYWRIGHT_CORE_VERSION="1.64.1"
TYPESCRIPT_VERSION="5.9.3"
# wasm-opt: npm `binaryen` (binaryen's own Node.js build). Debian bookworm's binaryen 108 is
# too old for wasm-bindgen 0.2.130 output: its -Oz turns the externref table into a funcref
# table and the module fails at load ("function-typed object must be null").
BINARYEN_VERSION="132.0.0"
# Property tests of the JS package (bindings-wasm/tests/node/hostile.test.mjs, issue 18).
FAST_CHECK_VERSION="4.10.2"
WASM_OPT="$DBSTACK_NODE/node_modules/binaryen/bin/wasm-opt"

# wasm-bindgen-cli at exactly version $1. Like ensure_cargo_tool, but when the crate's own
# Cargo.lock pins a yanked crate (0.2.130 pins webpki-roots 1.0.11) `--locked` cannot
# resolve, so it retries without `--locked` (same CLI version, fresh dependency versions).
# That retry is expected: the first attempt's output is kept aside and shown only when the
# retry fails too.
ensure_wasm_bindgen_cli() {
  local v="$1"
  if "$DBSTACK_TOOLS/cargo/bin/wasm-bindgen" --version 2>/dev/null | grep -qx "wasm-bindgen $v"; then
    return 0
  fi
  local first="$DBSTACK_TOOLS/cargo/.wasm-bindgen-cli-$v-locked.log"
  mkdir -p "$DBSTACK_TOOLS/cargo"
  # (errexit is off inside `||`, so success is judged by the binary's own --version.)
  ensure_cargo_tool wasm-bindgen-cli "$v" wasm-bindgen >"$first" 2>&1 || true
  if ! "$DBSTACK_TOOLS/cargo/bin/wasm-bindgen" --version 2>/dev/null | grep -qx "wasm-bindgen $v"; then
    log "wasm-bindgen-cli $v: its Cargo.lock pins a yanked crate, so \`cargo install --locked\` cannot resolve it (expected); installing without --locked"
    rm -f "$DBSTACK_TOOLS/cargo/.wasm-bindgen-cli-$v"
    if ! CARGO_PROFILE_DEV_DEBUG=0 cargo install --quiet --debug --force wasm-bindgen-cli --version "=$v" \
      --root "$DBSTACK_TOOLS/cargo" --target-dir "$DBSTACK_TOOLS/cargo-build"; then
      echo "cargo install wasm-bindgen-cli@$v failed with and without --locked; the --locked attempt said:" >&2
      cat "$first" >&2
      return 1
    fi
    touch "$DBSTACK_TOOLS/cargo/.wasm-bindgen-cli-$v"
  fi
  rm -f "$first"
  if ! "$DBSTACK_TOOLS/cargo/bin/wasm-bindgen" --version 2>/dev/null | grep -qx "wasm-bindgen $v"; then
    echo "wasm-bindgen $v is not installed in $DBSTACK_TOOLS/cargo/bin" >&2
    return 1
  fi
}

ensure_wasm_tools() {
  local v
  v="$(wasm_bindgen_version)"
  if [ -z "$v" ]; then
    echo "cannot read the wasm-bindgen version from Cargo.toml" >&2
    return 1
  fi
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    log "rustup target add wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi
  ensure_wasm_bindgen_cli "$v"
  command -v node >/dev/null || ensure_apt nodejs
  ensure_node_packages
}

ensure_node_packages() {
  local stamp="$DBSTACK_NODE/.stamp-playwright-core-$PLAYWRIGHT_CORE_VERSION-typescript-$TYPESCRIPT_VERSION-binaryen-$BINARYEN_VERSION-fast-check-$FAST_CHECK_VERSION"
  if [ ! -f "$stamp" ]; then
    command -v npm >/dev/null || ensure_apt npm
    log "npm install playwright-core@$PLAYWRIGHT_CORE_VERSION typescript@$TYPESCRIPT_VERSION binaryen@$BINARYEN_VERSION fast-check@$FAST_CHECK_VERSION (cached in $DBSTACK_NODE)"
    mkdir -p "$DBSTACK_NODE"
    [ -f "$DBSTACK_NODE/package.json" ] || echo '{"name":"dbstack-tools","private":true}' >"$DBSTACK_NODE/package.json"
    (cd "$DBSTACK_NODE" && npm install --no-audit --no-fund --silent --save-exact \
      "playwright-core@$PLAYWRIGHT_CORE_VERSION" "typescript@$TYPESCRIPT_VERSION" "binaryen@$BINARYEN_VERSION" "fast-check@$FAST_CHECK_VERSION")
    touch "$stamp"
  fi
  export NODE_PATH="$DBSTACK_NODE/node_modules${NODE_PATH:+:$NODE_PATH}"
}

ensure_browser_tools() {
  ensure_apt chromium fonts-dejavu-core
  ensure_node_packages
}

# Appends the JS guard (bindings-wasm/js/guard.js) and the guarded public exports of target
# $2 (web | node) to wasm-bindgen's glue $1.
append_guard() {
  local glue="$1" target="$2"
  if ! grep -q "function __wbg_reset_state" "$glue"; then
    echo "$glue has no __wbg_reset_state: wasm-bindgen --experimental-reset-state-function did not apply" >&2
    return 1
  fi
  cat "$REPO_ROOT/bindings-wasm/js/guard.js" "$REPO_ROOT/bindings-wasm/js/exports.$target.js" >>"$glue"
}

# Builds the release (profile `wasm`) package: www/pkg (--target web) and pkg-node (--target nodejs).
build_wasm_pkg() {
  local root="$REPO_ROOT/bindings-wasm"
  # strip=false here: wasm-bindgen needs the target_features section; wasm-opt strips after it.
  (cd "$REPO_ROOT" && CARGO_PROFILE_WASM_STRIP=false cargo build --quiet -p dbstack-wasm --target wasm32-unknown-unknown --profile wasm)
  local raw="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/wasm32-unknown-unknown/wasm/dbstack_wasm.wasm"
  rm -rf "$root/www/pkg" "$root/pkg"
  # --experimental-reset-state-function: `__wbg_reset_state()` re-instantiates the module; the
  # guard appended below calls it when the module traps (issue 18).
  wasm-bindgen --target web --experimental-reset-state-function --out-dir "$root/www/pkg" "$raw"
  wasm-bindgen --target nodejs --experimental-reset-state-function --out-dir "$root/pkg/node" "$raw"
  append_guard "$root/www/pkg/dbstack_wasm.js" web
  append_guard "$root/pkg/node/dbstack_wasm.js" node
  local f="$root/www/pkg/dbstack_wasm_bg.wasm"
  # -Oz, but binaryen inlines a function with one caller only if it has at most 20 instructions
  # (default: any size), and runs its passes until nothing shrinks: gzip -9 121,194 B instead of
  # 127,438 B (raw 284,958 B instead of 281,300 B) — what the browser downloads is the gzip.
  "$WASM_OPT" -Oz --one-caller-inline-max-function-size=20 --converge \
    --strip-debug --strip-producers "$f" -o "$f.opt"
  mv "$f.opt" "$f"
  # Both targets share the same module; only the JS glue differs.
  cp "$f" "$root/pkg/node/dbstack_wasm_bg.wasm"
}
