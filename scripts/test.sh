#!/usr/bin/env bash
# The one test command: installs what the tests need (cached in $DBSTACK_TOOLS), starts the
# local services, and runs every suite. `scripts/test.sh rust python` runs some.
#
# Progress goes to stderr: a banner with the elapsed time for every step, a heartbeat while a
# long step runs, one line of counts when it ends. The full output of suite X is in
# tests/out/logs/X.log; when a step fails, the tail of its output is printed too.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

# The suites `scripts/test.sh` runs without arguments, in order (one per line: easy to edit).
DEFAULT_SUITES=(
  rust
  python
  wasm
  browser
  infra
  release
)

suites=("$@")
if ((${#suites[@]} == 0)); then
  suites=("${DEFAULT_SUITES[@]}")
fi
for suite in "${suites[@]}"; do
  if [ ! -f "$REPO_ROOT/scripts/suites/$suite.sh" ]; then
    echo "unknown suite \`$suite\`: expected one of $(cd "$REPO_ROOT/scripts/suites" && ls *.sh | sed 's/\.sh$//' | tr '\n' ' ')" >&2
    exit 2
  fi
done

log "dbstack tests: ${suites[*]} (logs in $DBSTACK_LOGS, build in $CARGO_TARGET_DIR)"
ensure_services
# What the test helpers record for the secret sentinel check (below) starts empty every run.
rm -rf "$DBSTACK_LOGS/outputs"

declare -a summary=()
failed=0
for suite in "${suites[@]}"; do
  log "suite $suite"
  start=$(date +%s)
  if bash "$REPO_ROOT/scripts/suites/$suite.sh"; then
    status="passed"
  else
    status="FAILED"
    failed=$((failed + 1))
  fi
  took=$(($(date +%s) - start))
  line="$(printf '%-8s %-6s %3dm%02ds  %s' "$suite" "$status" $((took / 60)) $((took % 60)) "$DBSTACK_LOGS/$suite.log")"
  summary+=("$line")
  log "suite $suite $status in $((took / 60))m$((took % 60))s (log: $DBSTACK_LOGS/$suite.log)"
done

# The secret sentinel (issue 15): every test secret carries tests/sentinel.txt; it must not
# appear in any log, recorded output or artefact under tests/out (raw, percent-encoded, base64).
# Only the lines fenced as deliberately revealed (`--show-secrets`, `reveals_secrets`) are excluded.
log "secret sentinel: scanning tests/out (scripts/sentinel.py)"
if python3 "$REPO_ROOT/scripts/sentinel.py" --self-test "$REPO_ROOT/tests/out" >&2; then
  summary+=("$(printf '%-8s %-6s' sentinel passed)")
else
  summary+=("$(printf '%-8s %-6s  %s' sentinel FAILED 'a test secret reached tests/out (file:line above)')")
  failed=$((failed + 1))
fi

log "summary (total $(elapsed))"
printf '    %s\n' "${summary[@]}" >&2
if ((failed)); then
  echo "$failed of ${#suites[@]} suites (and the sentinel check) failed" >&2
  exit 1
fi
echo "all suites passed: ${suites[*]}" >&2
