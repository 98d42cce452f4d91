# Tools for the WASM package and the browser preview. Source after scripts/lib.sh.
#   ensure_wasm_tools    wasm32 target, wasm-bindgen-cli (exactly the crate's version), wasm-opt,
#                        npm typescript (cached in $DBSTACK_TOOLS/node)
#   ensure_browser_tools Debian chromium + npm playwright-core (cached)
#   build_wasm_pkg       build bindings-wasm into www/pkg (web) and pkg-node (nodejs), wasm-opt -Oz (tuned)

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
WASM_OPT="$DBSTACK_NODE/node_modules/binaryen/bin/wasm-opt"

# wasm-bindgen-cli at exactly version $1. Like ensure_cargo_tool, but when the crate's own
# Cargo.lock pins a yanked crate (0.2.130 pins webpki-roots 1.0.11) `--locked` cannot
# resolve, so it retries without `--locked` (same CLI version, fresh dependency versions).
ensure_wasm_bindgen_cli() {
  local v="$1"
  if "$DBSTACK_TOOLS/cargo/bin/wasm-bindgen" --version 2>/dev/null | grep -qx "wasm-bindgen $v"; then
    return 0
  fi
  # (errexit is off inside `||`, so success is judged by the binary's own --version.)
  ensure_cargo_tool wasm-bindgen-cli "$v" wasm-bindgen || true
  if ! "$DBSTACK_TOOLS/cargo/bin/wasm-bindgen" --version 2>/dev/null | grep -qx "wasm-bindgen $v"; then
    log "cargo install --locked wasm-bindgen-cli@$v failed; retrying without --locked"
    rm -f "$DBSTACK_TOOLS/cargo/.wasm-bindgen-cli-$v"
    cargo install --quiet --force wasm-bindgen-cli --version "=$v" --root "$DBSTACK_TOOLS/cargo"
    touch "$DBSTACK_TOOLS/cargo/.wasm-bindgen-cli-$v"
  fi
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
  local stamp="$DBSTACK_NODE/.stamp-playwright-core-$PLAYWRIGHT_CORE_VERSION-typescript-$TYPESCRIPT_VERSION-binaryen-$BINARYEN_VERSION"
  if [ ! -f "$stamp" ]; then
    command -v npm >/dev/null || ensure_apt npm
    log "npm install playwright-core@$PLAYWRIGHT_CORE_VERSION typescript@$TYPESCRIPT_VERSION binaryen@$BINARYEN_VERSION (cached in $DBSTACK_NODE)"
    mkdir -p "$DBSTACK_NODE"
    [ -f "$DBSTACK_NODE/package.json" ] || echo '{"name":"dbstack-tools","private":true}' >"$DBSTACK_NODE/package.json"
    (cd "$DBSTACK_NODE" && npm install --no-audit --no-fund --silent --save-exact \
      "playwright-core@$PLAYWRIGHT_CORE_VERSION" "typescript@$TYPESCRIPT_VERSION" "binaryen@$BINARYEN_VERSION")
    touch "$stamp"
  fi
  export NODE_PATH="$DBSTACK_NODE/node_modules${NODE_PATH:+:$NODE_PATH}"
}

ensure_browser_tools() {
  ensure_apt chromium fonts-dejavu-core
  ensure_node_packages
}

# Builds the release (profile `wasm`) package: www/pkg (--target web) and pkg-node (--target nodejs).
build_wasm_pkg() {
  local root="$REPO_ROOT/bindings-wasm"
  # strip=false here: wasm-bindgen needs the target_features section; wasm-opt strips after it.
  (cd "$REPO_ROOT" && CARGO_PROFILE_WASM_STRIP=false cargo build --quiet -p dbstack-wasm --target wasm32-unknown-unknown --profile wasm)
  local raw="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/wasm32-unknown-unknown/wasm/dbstack_wasm.wasm"
  rm -rf "$root/www/pkg" "$root/pkg"
  wasm-bindgen --target web --out-dir "$root/www/pkg" "$raw"
  wasm-bindgen --target nodejs --out-dir "$root/pkg/node" "$raw"
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
