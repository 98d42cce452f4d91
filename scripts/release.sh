#!/usr/bin/env bash
# Builds every artifact of a release into dist/ and checks it (README, "Cutting a release"):
#   dist/crates/  dbstack-core, dbstack-runtime, dbstack-infra, dbstack-cli (`cargo package`, verified by a build)
#   dist/python/  the abi3 wheel and the sdist                   (maturin; `twine check --strict`)
#   dist/npm/     the npm package `dbstack`                      (`npm pack` of the two WASM builds)
#   dist/SHA256SUMS
# Checks: one version everywhere (Cargo workspace = crates = wheel = `dbstack.__version__` =
# package.json = `version()` of the npm package = `dbstack --version`); licence and changelog in
# every package and in its metadata; the wheel installed into a fresh venv runs the example
# Django project; the tarball installed offline into a fresh Node.js project runs the README's
# example and type-checks.
#
#   scripts/release.sh [--allow-dirty]
# Without --allow-dirty a checkout with uncommitted changes is refused (a release is cut from a
# commit). The test command runs it with --allow-dirty (suite `release`).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$REPO_ROOT/scripts/lib/python.sh"
source "$REPO_ROOT/scripts/lib/wasm.sh"
cd "$REPO_ROOT"

allow_dirty=""
for arg in "$@"; do
  case "$arg" in
  --allow-dirty) allow_dirty="--allow-dirty" ;;
  *)
    echo "usage: scripts/release.sh [--allow-dirty]" >&2
    exit 2
    ;;
  esac
done
if [ -z "$allow_dirty" ] && [ -n "$(git status --porcelain)" ]; then
  echo "the checkout has uncommitted changes (git status); commit them or pass --allow-dirty" >&2
  exit 2
fi

py="$DBSTACK_VENV/bin/python"
checks="$REPO_ROOT/scripts/lib/release_checks.py"
DIST="$REPO_ROOT/dist"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

check_sources() {
  rm -rf "$DIST"
  mkdir -p "$DIST/crates" "$DIST/python" "$DIST/npm"
  cargo metadata --no-deps --format-version 1 --locked >"$work/metadata.json"
  version="$("$py" "$checks" sources "$work/metadata.json")"
  python_version="$("$py" "$checks" pep440 "$version")"
  echo "version $version (the wheel's: $python_version)"
}

build_crates() {
  # `cargo package` without its own verification: with several unpublished crates that depend on
  # each other it verifies through an overlay registry unpacked into the shared $CARGO_HOME, whose
  # copies and artifacts count as immutable (stale on the next run) and which concurrent runs
  # delete under each other. The same check instead: the packaged sources, unpacked into a fixed
  # folder of the build cache and tied together by [patch.crates-io], build with the locked
  # dependency versions (fresh mtimes, so they are always rebuilt; the dependencies are reused).
  nice -n 10 cargo package --quiet --locked --no-verify $allow_dirty -p dbstack-core -p dbstack-runtime -p dbstack-infra -p dbstack-cli
  cp "$CARGO_TARGET_DIR"/package/dbstack-{core,runtime,infra,cli}-"$version".crate "$DIST/crates/"
  "$py" "$checks" crates "$DIST/crates" "$version"
  local verify="$CARGO_TARGET_DIR/package-verify" crate
  exec 9>"$CARGO_TARGET_DIR/package-verify.lock"
  flock 9
  rm -rf "$verify"
  mkdir -p "$verify"
  for crate in core runtime infra cli; do
    tar -xzmf "$DIST/crates/dbstack-$crate-$version.crate" -C "$verify"
  done
  cat >"$verify/Cargo.toml" <<EOF
[workspace]
members = ["dbstack-core-$version", "dbstack-runtime-$version", "dbstack-infra-$version", "dbstack-cli-$version"]
resolver = "2"

[patch.crates-io]
dbstack-core = { path = "dbstack-core-$version" }
dbstack-runtime = { path = "dbstack-runtime-$version" }
dbstack-infra = { path = "dbstack-infra-$version" }
EOF
  cp Cargo.lock "$verify/Cargo.lock"
  (cd "$verify" && nice -n 10 cargo build --quiet --offline --workspace)
  exec 9>&-
  echo "the packaged crates build on their own: $(cd "$DIST/crates" && ls | tr '\n' ' ')"
}

build_python() {
  (VIRTUAL_ENV="$DBSTACK_VENV" nice -n 10 "$DBSTACK_VENV/bin/maturin" build --release --locked --quiet --out "$DIST/python")
  (VIRTUAL_ENV="$DBSTACK_VENV" "$DBSTACK_VENV/bin/maturin" sdist --out "$DIST/python")
  "$py" -m twine check --strict "$DIST"/python/*
  "$py" "$checks" python "$DIST/python" "$version"
  # The sdist is a workspace of its own (core, runtime, bindings-py): its manifests resolve.
  tar -xzf "$DIST/python/dbstack-$python_version.tar.gz" -C "$work"
  (cd "$work/dbstack-$python_version" && cargo metadata --offline --format-version 1 >/dev/null)
}

check_wheel_install() {
  python3 -m venv "$work/venv"
  local wheel
  wheel="$(ls "$DIST"/python/dbstack-*-abi3-*.whl)"
  # Django through the `django` extra, at the version the tests use, and the PostgreSQL driver
  # the example project's databases need (both pinned in tests/requirements.txt).
  grep -i '^Django==' tests/requirements.txt >"$work/constraints.txt"
  "$work/venv/bin/pip" install --quiet --disable-pip-version-check -c "$work/constraints.txt" \
    "$wheel[django]" "$(grep '^psycopg\[binary\]==' tests/requirements.txt)"
  "$work/venv/bin/pip" check
  cp -r tests/django_project "$work/django_project"
  find "$work/django_project" -name __pycache__ -prune -exec rm -rf {} +
  (
    cd "$work/django_project"
    export DBSTACK_KUBERNETES=false DBSTACK_PROFILE=development PYTHONDONTWRITEBYTECODE=1
    # The password carries the secret sentinel (tests/sentinel.txt, issue 15): what the installed
    # package prints is recorded for scripts/sentinel.py, which the test command runs last.
    export DATABASE_URL="postgres://app:release-check-$(tr -d '\n' <"$REPO_ROOT/tests/sentinel.txt")@db.internal:5432/app"
    unset VAULT_ADDR VAULT_TOKEN DJANGO_SETTINGS_MODULE
    "$work/venv/bin/python" manage.py check
    DBSTACK_EXPECTED_VERSION="$version" DBSTACK_EXPECTED_PYTHON_VERSION="$python_version" \
      "$work/venv/bin/python" manage.py shell -c "$(cat "$REPO_ROOT/scripts/lib/release_wheel_check.py")"
    out="${DBSTACK_LOGS:-$work}/outputs/release-wheel.log"
    mkdir -p "$(dirname "$out")"
    for args in "resolve --json" "resolve" "explain"; do
      echo "==> python -m dbstack $args (the installed wheel)" >>"$out"
      "$work/venv/bin/python" -m dbstack $args >>"$out" 2>&1
    done
  )
}

build_npm() {
  build_wasm_pkg
  local stage="$work/npm"
  mkdir -p "$stage/pkg/web"
  cp bindings-wasm/package.json bindings-wasm/README.md LICENSE CHANGELOG.md "$stage/"
  cp -r bindings-wasm/pkg/node "$stage/pkg/node"
  cp bindings-wasm/www/pkg/dbstack_wasm.js bindings-wasm/www/pkg/dbstack_wasm.d.ts \
    bindings-wasm/www/pkg/dbstack_wasm_bg.wasm bindings-wasm/www/pkg/dbstack_wasm_bg.wasm.d.ts "$stage/pkg/web/"
  # The web build is an ES module; the package (and its node build) is CommonJS.
  echo '{ "type": "module" }' >"$stage/pkg/web/package.json"
  (cd "$stage" && npm pack --silent --pack-destination "$DIST/npm" >/dev/null)
  "$py" "$checks" npm "$DIST/npm/dbstack-$version.tgz" "$version"
}

check_npm_install() {
  local app="$work/node-app"
  mkdir -p "$app"
  (
    cd "$app"
    unset NODE_PATH # only what the project installed resolves
    npm init -y >/dev/null
    npm install --offline --no-audit --no-fund --ignore-scripts --silent "$DIST/npm/dbstack-$version.tgz"
    cp "$REPO_ROOT"/bindings-wasm/tests/package/{smoke.mjs,types.mts,tsconfig.json} "$REPO_ROOT"/tests/sentinel.{mjs,txt} .
    DBSTACK_EXPECTED_VERSION="$version" node --test smoke.mjs
    node "$DBSTACK_NODE/node_modules/typescript/bin/tsc" -p tsconfig.json
    "$py" "$checks" example "$REPO_ROOT/bindings-wasm/README.md" readme-example.mjs readme-example.txt
    node readme-example.mjs >readme-example.out
    diff -u readme-example.txt readme-example.out
    echo "the README's example ran from the installed package and printed what the README says"
  )
}

check_cli_version() {
  local said
  said="$(cargo run --quiet --locked -p dbstack-cli -- --version)"
  if [ "$said" != "dbstack $version" ]; then
    echo "dbstack --version says '$said', not 'dbstack $version'" >&2
    return 1
  fi
  echo "$said"
}

ensure_tools() {
  ensure_python_build_deps
  ensure_venv # maturin, twine
  ensure_wasm_tools
}

step "release: Python, WASM and Node.js tools (installed the first time)" ensure_tools
step "release: the sources (one version, licence, changelog, package metadata)" check_sources
step "release: crates (cargo package, each verified by a build of the packaged sources)" build_crates
step "release: Python wheel and sdist (maturin), twine check" build_python
step "release: the wheel in a fresh venv runs the example Django project" check_wheel_install
step "release: npm package (WASM builds, npm pack)" build_npm
step "release: the npm tarball installed offline into a fresh Node.js project" check_npm_install
step "release: dbstack --version" check_cli_version

(cd "$DIST" && find . -type f ! -name SHA256SUMS | sort | xargs sha256sum >SHA256SUMS)
log "release $version: every artifact built and checked in dist/"
(cd "$DIST" && find . -type f | sort | xargs ls -l | awk '{print $5, $9}') >&2
