#!/usr/bin/env bash
# The one test command: installs what the tests need (cached in $DBSTACK_TOOLS),
# starts the local services, and runs every suite. `scripts/test.sh rust python` runs some.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

suites=("$@")
if ((${#suites[@]} == 0)); then
  suites=(rust python wasm browser infra)
fi

ensure_services
for suite in "${suites[@]}"; do
  log "suite: $suite"
  start=$SECONDS
  bash "$REPO_ROOT/scripts/suites/$suite.sh"
  log "suite $suite passed in $((SECONDS - start)) s"
done
log "all suites passed: ${suites[*]}"
