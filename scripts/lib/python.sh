# The Python package: build dependencies and the install of `dbstack` into the shared venv.
# Source it after scripts/lib.sh; do not run it.
#
#   ensure_python_build_deps   Debian packages mysqlclient builds against (MariaDB client headers)
#   ensure_dbstack_python      `maturin develop` into $DBSTACK_VENV: the native module is built into
#                              bindings-py/python/dbstack/ (cargo keeps it incremental, a re-run
#                              takes seconds) and the venv imports the package from the tree.
#                              The tests use cargo's `dev` profile, whose dependencies the rust
#                              suite's `cargo test` has mostly built already; DBSTACK_PY_PROFILE=release
#                              builds the optimised module instead (the release suite's wheel
#                              is always built in `release`).

ensure_python_build_deps() {
  ensure_apt python3-venv python3-dev pkg-config gcc default-libmysqlclient-dev
}

DBSTACK_PY_PROFILE="${DBSTACK_PY_PROFILE:-dev}"

ensure_dbstack_python() {
  log "maturin develop --profile $DBSTACK_PY_PROFILE (dbstack into $DBSTACK_VENV)"
  (cd "$REPO_ROOT" && VIRTUAL_ENV="$DBSTACK_VENV" "$DBSTACK_VENV/bin/maturin" develop --locked --profile "$DBSTACK_PY_PROFILE" --quiet)
  "$DBSTACK_VENV/bin/python" -c 'import dbstack._native' || {
    echo "dbstack did not install into $DBSTACK_VENV" >&2
    return 1
  }
}
