# The RocketMQ name server for the verify tests: `rocketmq-namesrv` (the Rust implementation of
# Apache RocketMQ's name server) from crates.io, cached in $DBSTACK_TOOLS/cargo, and helpers to
# start a throwaway one. Source it after scripts/lib.sh; do not run it.
#
#   ensure_rocketmq_namesrv       installs it once; exports DBSTACK_NAMESRV_BIN (the tests read it)
#   rocketmq_namesrv_start DIR    starts one on a free 127.0.0.1 port with DIR as its home, logging
#                                 to DIR/namesrv.log; sets NAMESRV_ADDR, ROCKETMQ_NAMESRV_PID
#   rocketmq_namesrv_stop         stops the server started by rocketmq_namesrv_start
ROCKETMQ_NAMESRV_VERSION="${ROCKETMQ_NAMESRV_VERSION:-1.0.0}"

ensure_rocketmq_namesrv() {
  # The tests speak the name-server protocol in plain TCP: no `tls` feature (15 crates fewer of
  # about 310; aws-lc-sys, the slowest, stays: rocketmq-transport always uses reqwest with it),
  # and a `dev` build (ensure_cargo_tool). First time: BENCHMARKS.md "First run"; then cached.
  ensure_cargo_tool rocketmq-namesrv "$ROCKETMQ_NAMESRV_VERSION" rocketmq-namesrv-rust --no-default-features
  export DBSTACK_NAMESRV_BIN="$DBSTACK_TOOLS/cargo/bin/rocketmq-namesrv-rust"
  if [ ! -x "$DBSTACK_NAMESRV_BIN" ]; then
    echo "rocketmq-namesrv installed but $DBSTACK_NAMESRV_BIN is missing" >&2
    return 1
  fi
}

rocketmq_namesrv_start() { # DIR
  local dir="$1" port i
  mkdir -p "$dir"
  ensure_rocketmq_namesrv
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
  "$DBSTACK_NAMESRV_BIN" --rocketmqHome "$dir" --bindAddress 127.0.0.1 --listenPort "$port" \
    >"$dir/namesrv.log" 2>&1 &
  ROCKETMQ_NAMESRV_PID=$!
  export NAMESRV_ADDR="127.0.0.1:$port" ROCKETMQ_NAMESRV_PID
  for i in $(seq 1 100); do
    if port_open "$port"; then
      return 0
    fi
    sleep 0.1
  done
  echo "the RocketMQ name server did not come up on $NAMESRV_ADDR; see $dir/namesrv.log" >&2
  return 1
}

rocketmq_namesrv_stop() {
  if [ -n "${ROCKETMQ_NAMESRV_PID:-}" ]; then
    kill "$ROCKETMQ_NAMESRV_PID" 2>/dev/null || true
    wait "$ROCKETMQ_NAMESRV_PID" 2>/dev/null || true
    ROCKETMQ_NAMESRV_PID=""
  fi
}
