# Shared helpers for the test command and the suites. Source it; do not run it.
# Every install is idempotent and cached under one fixed folder, $DBSTACK_TOOLS.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DBSTACK_TOOLS="${DBSTACK_TOOLS:-$HOME/.cache/dbstack-tools}"
export DBSTACK_VENV="$DBSTACK_TOOLS/venv"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# One build cache for every checkout the test command runs in (CI clones afresh each time):
# dependencies compile once per machine, not once per clone.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$DBSTACK_TOOLS/target}"
mkdir -p "$DBSTACK_TOOLS/bin"
export PATH="$DBSTACK_TOOLS/bin:$DBSTACK_TOOLS/cargo/bin:$PATH"

log() { printf '\n==> %s\n' "$*" >&2; }

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

# A binary from crates.io, installed once into $DBSTACK_TOOLS/cargo.
ensure_cargo_tool() { # crate version binary
  local crate="$1" version="$2" bin="$3"
  if ! "$DBSTACK_TOOLS/cargo/bin/$bin" --version 2>/dev/null | grep -q "$version" &&
    [ ! -x "$DBSTACK_TOOLS/cargo/bin/$bin" -o ! -f "$DBSTACK_TOOLS/cargo/.$crate-$version" ]; then
    log "cargo install $crate@$version (cached in $DBSTACK_TOOLS/cargo)"
    cargo install --locked --quiet "$crate" --version "$version" --root "$DBSTACK_TOOLS/cargo"
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
