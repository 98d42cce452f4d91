# Shared helpers for the test command and the suites. Source it; do not run it.
# Every install is idempotent and cached under one fixed folder, $DBSTACK_TOOLS.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DBSTACK_TOOLS="${DBSTACK_TOOLS:-$HOME/.cache/dbstack-tools}"
# A checkout may bring its own venv (parallel work trees must not share the editable install).
export DBSTACK_VENV="${DBSTACK_VENV:-$DBSTACK_TOOLS/venv}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# The workspace's own ./target, as `cargo run` (command 1) and `cargo install --locked --path cli`
# use it: one build of the workspace serves all three. CI clones afresh each time and points
# CARGO_TARGET_DIR at a machine-wide cache instead (.ci/run).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$REPO_ROOT/target}"
mkdir -p "$DBSTACK_TOOLS/bin"
export PATH="$DBSTACK_TOOLS/bin:$DBSTACK_TOOLS/cargo/bin:$PATH"

# Progress: every step has a banner with the time since the test command started; its output
# goes to the suite's log file in one fixed folder, and the terminal gets a heartbeat while it
# runs, a line of counts when it ends, and the tail of the log when it fails.
export DBSTACK_LOGS="${DBSTACK_LOGS:-$REPO_ROOT/tests/out/logs}"
export DBSTACK_RUN_START="${DBSTACK_RUN_START:-$(date +%s)}"
# Seconds between two heartbeat lines of a running step.
DBSTACK_HEARTBEAT="${DBSTACK_HEARTBEAT:-45}"
# Lines of the log printed when a step fails.
DBSTACK_TAIL_LINES="${DBSTACK_TAIL_LINES:-60}"

# `m:ss` since the test command started.
elapsed() {
  local s=$(($(date +%s) - DBSTACK_RUN_START))
  printf '%d:%02d' $((s / 60)) $((s % 60))
}

log() { printf '\n==> [%s] %s\n' "$(elapsed)" "$*" >&2; }

# Where this suite's output goes: `suite_log NAME` (once per suite) truncates it.
suite_log() { # name
  mkdir -p "$DBSTACK_LOGS"
  DBSTACK_SUITE_LOG="$DBSTACK_LOGS/$1.log"
  : >"$DBSTACK_SUITE_LOG"
  export DBSTACK_SUITE_LOG
  trap _step_exit EXIT
}

_STEP_NAME=""
_STEP_OFFSET=0
_STEP_TICKER=""

_step_stop_ticker() {
  if [ -n "$_STEP_TICKER" ]; then
    kill "$_STEP_TICKER" 2>/dev/null || true
    _STEP_TICKER=""
  fi
}

# On exit of a suite: when a step was running, it failed — print the tail of its output.
_step_exit() {
  local rc=$?
  _step_stop_ticker
  if [ -n "$_STEP_NAME" ] && [ "$rc" != 0 ]; then
    printf '    FAILED: %s (exit %s) — last %s lines of its output (all of it: %s):\n' \
      "$_STEP_NAME" "$rc" "$DBSTACK_TAIL_LINES" "$DBSTACK_SUITE_LOG" >&2
    tail -c +$((_STEP_OFFSET + 1)) "$DBSTACK_SUITE_LOG" | tail -n "$DBSTACK_TAIL_LINES" | sed 's/^/    | /' >&2
  fi
}

_step_ticker() { # title start
  while sleep "$DBSTACK_HEARTBEAT" </dev/null >/dev/null 2>&1; do
    printf '    ... still running: %s (%d min; output in %s)\n' "$1" \
      $((($(date +%s) - $2) / 60)) "$DBSTACK_SUITE_LOG" >&2
  done
}

# Runs one step: `step "what it does" command args...` (a command or a shell function; it
# runs in this shell, so what a function exports stays). Output goes to the suite's log.
step() { # title command...
  local title="$1"
  shift
  log "$title"
  if [ -z "${DBSTACK_SUITE_LOG:-}" ]; then
    "$@"
    return
  fi
  _STEP_NAME="$title"
  _STEP_OFFSET=$(stat -c %s "$DBSTACK_SUITE_LOG")
  printf '\n==> [%s] %s\n$ %s\n' "$(elapsed)" "$title" "$*" >>"$DBSTACK_SUITE_LOG"
  local start
  start=$(date +%s)
  # The heartbeat, started as a grandchild (not a job of this shell, whose bookkeeping of
  # killed jobs trips bash 5.2); `sleep` must not hold the terminal or a pipe open afterwards.
  _STEP_TICKER=$(
    _step_ticker "$title" "$start" >/dev/null &
    echo $!
  )
  "$@" >>"$DBSTACK_SUITE_LOG" 2>&1
  _step_stop_ticker
  local counts
  counts="$(step_counts "$DBSTACK_SUITE_LOG" "$_STEP_OFFSET")"
  local took=$(($(date +%s) - start))
  printf '    ok in %dm%02ds%s\n' $((took / 60)) $((took % 60)) "${counts:+: $counts}" >&2
  _STEP_NAME=""
}

# The counts in a step's output (cargo/libtest, wasm-bindgen-test, pytest, node --test, mypy,
# checkov, kubernetes-validate): one line instead of the test runners' own listings.
step_counts() { # log offset
  tail -c +$(($2 + 1)) "$1" | awk '
    /^test result: / {
      bins++
      for (i = 2; i <= NF; i++) {
        w = $i; sub(/;$/, "", w)
        if (w == "passed") p += $(i - 1)
        if (w == "failed") f += $(i - 1)
        if (w == "ignored") ig += $(i - 1)
      }
    }
    /^# tests [0-9]+$/ { nt += $3 } /^# pass [0-9]+$/ { np += $3 }
    /^# fail [0-9]+$/ { nf += $3 } /^# skipped [0-9]+$/ { ns += $3 }
    /^[0-9]+ (passed|failed)/ && / in [0-9.]+s/ { py = $0 }
    /^Success: no issues found/ { my = my (my ? "; " : "") "mypy: " substr($0, 10) }
    /Passed checks: / { ck = ck (ck ? "; " : "") "checkov " $0 }
    /^kubernetes-validate: / { kv = $0 }
    /^check-infra: / { ci = $0 }
    END {
      out = ""
      if (bins) out = sprintf("%d passed, %d failed, %d ignored (%d test binaries)", p, f, ig, bins)
      if (nt) out = out (out ? "; " : "") sprintf("node: %d tests, %d passed, %d failed, %d skipped", nt, np, nf, ns)
      if (py) out = out (out ? "; " : "") "pytest: " py
      if (my) out = out (out ? "; " : "") my
      if (ck) out = out (out ? "; " : "") ck
      if (kv) out = out (out ? "; " : "") kv
      if (ci) out = out (out ? "; " : "") ci
      print out
    }'
}

# A Debian package, installed once.
ensure_apt() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    log "apt-get install ${missing[*]}"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# The Python virtualenv with tests/requirements.txt; re-installed only when that file changes.
ensure_venv() {
  if [ ! -x "$DBSTACK_VENV/bin/python" ]; then
    log "creating $DBSTACK_VENV"
    python3 -m venv "$DBSTACK_VENV"
  fi
  local stamp="$DBSTACK_VENV/.requirements.sha"
  local want
  want="$(sha256sum "$REPO_ROOT/tests/requirements.txt" | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "pip install -r tests/requirements.txt"
    "$DBSTACK_VENV/bin/pip" install -q --disable-pip-version-check -r "$REPO_ROOT/tests/requirements.txt"
    echo "$want" >"$stamp"
  fi
}

# A binary from crates.io, installed once into $DBSTACK_TOOLS/cargo. The tools only serve the
# tests, so they are built in cargo's `dev` profile without debug info (`--debug`,
# CARGO_PROFILE_DEV_DEBUG=0): a fraction of a release build's compile time (BENCHMARKS.md,
# "First run"). Extra arguments go to `cargo install` (e.g. --no-default-features). A binary
# already installed at this version (in any profile) is kept.
ensure_cargo_tool() { # crate version binary [cargo install args...]
  local crate="$1" version="$2" bin="$3"
  shift 3
  if ! "$DBSTACK_TOOLS/cargo/bin/$bin" --version 2>/dev/null | grep -q "$version" &&
    [ ! -x "$DBSTACK_TOOLS/cargo/bin/$bin" -o ! -f "$DBSTACK_TOOLS/cargo/.$crate-$version" ]; then
    log "cargo install --debug $crate@$version (cached in $DBSTACK_TOOLS/cargo)"
    # Its own target folder in the cache: the tool's dependencies are not the workspace's.
    CARGO_PROFILE_DEV_DEBUG=0 cargo install --locked --quiet --debug "$@" "$crate" --version "$version" \
      --root "$DBSTACK_TOOLS/cargo" --target-dir "$DBSTACK_TOOLS/cargo-build"
    touch "$DBSTACK_TOOLS/cargo/.$crate-$version"
  fi
}

port_open() { # port
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# PostgreSQL, MariaDB and Redis at their standard ports: started when they are not running.
ensure_services() {
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  if ! port_open 5432; then
    log "starting PostgreSQL"
    ensure_apt postgresql
    $sudo pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | tail -n1)" main start
  fi
  if ! port_open 3306; then
    log "starting MariaDB"
    ensure_apt mariadb-server
    $sudo start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  fi
  if ! port_open 6379; then
    log "starting Redis"
    ensure_apt redis-server
    $sudo redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  fi
  local i
  for i in $(seq 1 50); do
    port_open 5432 && port_open 3306 && port_open 6379 && return 0
    sleep 0.2
  done
  echo "PostgreSQL, MariaDB or Redis did not come up" >&2
  return 1
}
