#!/usr/bin/env bash
# Python: build and install the `dbstack` package (maturin), then pytest (API, stubs, the shared
# vectors, the example Django project against real PostgreSQL, MariaDB and OpenBao) and mypy --strict.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
source "$REPO_ROOT/scripts/lib/python.sh"
source "$REPO_ROOT/scripts/lib/openbao.sh"
cd "$REPO_ROOT"

ensure_python_build_deps
ensure_venv
ensure_services
ensure_dbstack_python
ensure_openbao # exports DBSTACK_BAO_BIN for tests/python/test_vault.py

py="$DBSTACK_VENV/bin/python"
log "pytest tests/python"
"$py" -m pytest -q -p no:cacheprovider tests/python

log "mypy --strict: the dbstack package and the example Django project"
"$py" -m mypy --strict --no-incremental bindings-py/python/dbstack
(cd tests/django_project && DBSTACK_KUBERNETES=false "$py" -m mypy --no-incremental --config-file mypy.ini .)
