#!/usr/bin/env bash
# Coverage-guided fuzzing of dbstack's parsers (issue 15): every target in fuzz/ for a set time.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 60 s, every target)
#
# DBSTACK_FUZZ_CLOCK=cpu makes SECONDS_PER_TARGET CPU seconds of the fuzzer process (its
# utime + stime in /proc/<pid>/stat, read every 2 s; the run is interrupted with SIGINT, which
# makes libFuzzer print its final stats), not wall seconds: on a shared machine the wall time
# says more about the load than about the fuzzing. DBSTACK_FUZZ_NICE (default 10) is the
# niceness. Targets run one at a time.
#
# cargo-fuzz (libFuzzer) on the stable toolchain: `--sanitizer none` needs no nightly flag
# (dbstack has no unsafe code; the coverage instrumentation is stable), built in release with
# debug assertions. Seeds come from the shared corpora (tests/vectors, tests/url, tests/stacks,
# kubernetes/ and terraform/ for check-infra's readers);
# each target's corpus grows in fuzz/corpus/<target>/ (not committed), crashes land in
# fuzz/artifacts/<target>/ — turn each into a regression test. Runs under `nice -n 10`.
# `database_url_differential` is not a cargo-fuzz target: atheris (Python) runs
# fuzz/differential/database_url.py against dj-database-url with the dbstack binding
# ($DBSTACK_VENV, built by `scripts/test.sh python`); see that file.
# Not part of the test command: it is slow by design. The totals go into BENCHMARKS.md.
source "$(dirname "$0")/lib.sh"

SECONDS_PER_TARGET="${1:-60}"
CLOCK="${DBSTACK_FUZZ_CLOCK:-wall}"
NICE="${DBSTACK_FUZZ_NICE:-10}"
shift || true
ensure_cargo_tool cargo-fuzz 0.13.2 cargo-fuzz
# Its own target folder: instrumented builds must not evict the workspace's.
export CARGO_TARGET_DIR="${DBSTACK_FUZZ_TARGET_DIR:-$DBSTACK_TOOLS/target-fuzz}"
cd "$REPO_ROOT/fuzz"
TARGETS=("$@")
if [ "${#TARGETS[@]}" -eq 0 ]; then
  mapfile -t TARGETS < <(cargo fuzz list)
  TARGETS+=(database_url_differential)
fi

log "seeding fuzz/corpus from tests/vectors, tests/url, tests/stacks, kubernetes/, terraform/"
python3 - "$REPO_ROOT" <<'PY'
import hashlib, json, pathlib, sys
root = pathlib.Path(sys.argv[1])
corpus = root / "fuzz" / "corpus"
def seed(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = corpus / target
    d.mkdir(parents=True, exist_ok=True)
    (d / ("seed-" + hashlib.sha1(data).hexdigest()[:16])).write_bytes(data)
for path in (root / "tests" / "url").glob("*.json"):
    for case in json.loads(path.read_text())["cases"]:
        seed("cache_url" if "cache" in path.name else "database_url", case["url"])
for path in (root / "tests" / "vectors").glob("*.json"):
    for case in json.loads(path.read_text()).get("cases", []):
        call = case.get("call", {})
        seed("call", json.dumps(call))
        if "vault" in call:
            seed("vault_answers", json.dumps(call["vault"]))
        if "stack" in call and "text" in call["stack"]:
            seed("stack", call["stack"]["text"])
        for name, value in call.get("env", {}).items():
            if name.endswith("_URL") and isinstance(value, str):
                seed("cache_url" if value.startswith("redis") else "database_url", value)
for path in (root / "tests" / "stacks").glob("*.toml"):
    seed("stack", path.read_text())
for path in (root / "kubernetes").glob("*.yaml"):
    seed("infra_yaml", path.read_text())
for path in (root / "terraform").rglob("*.tf"):
    seed("infra_hcl", path.read_text())
replies = [
    b"\x00HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"status\":\"ok\",\"db\":\"ok\"}",
    b"\x00HTTP/1.1 500 Internal Server Error\r\n\r\n{\"status\":\"nok\",\"redis\":\"down\"}",
    b"\x00HTTP/1.1 200 OK\r\n\r\n{\"initialized\":true,\"sealed\":false,\"standby\":false,\"version\":\"2.7.2\"}",
    b"\x01+OK\r\n-WRONGPASS invalid\r\n:5\r\n$3\r\nabc\r\n*2\r\n$-1\r\n",
    b"\x02\x00\x00\x00\x3e{\"code\":0,\"flag\":1,\"opaque\":7,\"version\":475,\"language\":\"RUST\"}{\"brokerAddrTable\":{}}",
]
for reply in replies:
    seed("probe_replies", reply)
for text in ["s3cr/t p@ss\nserver said: hello", "hvs.TOKEN-1234\n{\"errors\":[\"denied\"]}"]:
    seed("scrub", text)
PY

log "cargo fuzz build (release, debug assertions, no sanitizer)"
nice -n "$NICE" cargo fuzz build --sanitizer none -O
BIN_DIR="$CARGO_TARGET_DIR/$(rustc -vV | sed -n 's/^host: //p')/release"

# Runs one fuzzer (its argv) with output to $out until it stops by itself or, with
# DBSTACK_FUZZ_CLOCK=cpu, until it has used SECONDS_PER_TARGET CPU seconds. Sets rc, cpu, wall.
run_budgeted() {
  local start ticks pid t kids jobs_
  start=$(date +%s)
  ticks=$(getconf CLK_TCK)
  set +e
  if [ "$CLOCK" = cpu ]; then
    # Wall-clock safety net: 20x the budget.
    nice -n "$NICE" "$@" -max_total_time=$((SECONDS_PER_TARGET * 20)) >"$out" 2>&1 &
  else
    nice -n "$NICE" "$@" -max_total_time="$SECONDS_PER_TARGET" >"$out" 2>&1 &
  fi
  pid=$!
  cpu=0
  while kill -0 "$pid" 2>/dev/null; do
    # Fields 14-17 of /proc/<pid>/stat (after the parenthesised name): utime and stime of all
    # its threads, cutime and cstime of its children once reaped (fork mode's jobs).
    # A running fork-mode job (`sh -c FUZZER ...`, so children and grandchildren) counts too: its
    # CPU joins cutime only once it is reaped.
    kids=$(pgrep -P "$pid" || true)
    jobs_=$(for k in $kids; do echo "$k"; pgrep -P "$k" || true; done)
    t=$(for p in "$pid" $jobs_; do sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null; done |
      awk -v parent="$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null)" \
        'BEGIN { split(parent, f, " "); t = f[14] + f[15] } { t += $12 + $13 } END { print t }')
    [ -n "$t" ] && cpu=$((t / ticks))
    if [ "$CLOCK" = cpu ] && [ "$cpu" -ge "$SECONDS_PER_TARGET" ]; then
      # The fuzzer and its fork-mode job, by their process ids: SIGINT first (libFuzzer prints
      # its final stats), SIGTERM after 5 s (a fork-mode parent says "interrupted" and goes on
      # starting jobs), SIGKILL after 5 s more (a fuzzer seen hanging in its exit handlers).
      for k in $jobs_; do kill -INT "$k" 2>/dev/null; done
      kill -INT "$pid" 2>/dev/null
      for signal in TERM KILL; do
        for _ in 1 2 3 4 5; do kill -0 "$pid" 2>/dev/null && sleep 1; done
        kill -0 "$pid" 2>/dev/null || break
        echo "fuzz: $signal to $pid (still running 5 s after the previous signal)" >&2
        for k in $(pgrep -P "$pid"); do kill -"$signal" $(pgrep -P "$k") "$k" 2>/dev/null; done
        kill -"$signal" "$pid" 2>/dev/null
      done
      break
    fi
    sleep 2
  done
  wait "$pid"
  rc=$?
  set -e
  wall=$(($(date +%s) - start))
  # libFuzzer exits 72 when interrupted (stopped by SIGTERM: 143, by SIGKILL: 137): the budget
  # was used, no finding.
  if [ "$CLOCK" = cpu ] && [ "$cpu" -ge "$SECONDS_PER_TARGET" ] && [[ "$rc" =~ ^(72|143|137)$ ]]; then rc=0; fi
}

SUMMARY="${DBSTACK_FUZZ_SUMMARY:-$REPO_ROOT/fuzz/summary.md}"
printf '| target | CPU s | wall s | executions | exec/s | coverage (cov) | features (ft) | corpus | crashes |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n' > "$SUMMARY"
status=0
for target in "${TARGETS[@]}"; do
  log "fuzzing $target for ${SECONDS_PER_TARGET} $CLOCK seconds"
  mkdir -p "corpus/$target" "artifacts/$target"
  out="$DBSTACK_LOGS/fuzz-$target.log"
  mkdir -p "$DBSTACK_LOGS"
  common=(-rss_limit_mb=2048 -timeout=10 -max_len=65536 -print_final_stats=1
    "-artifact_prefix=$REPO_ROOT/fuzz/artifacts/$target/")
  if [ "$target" = database_url_differential ]; then
    run_budgeted "$DBSTACK_VENV/bin/python" "$REPO_ROOT/fuzz/differential/database_url.py" \
      "${common[@]}" -max_len=4096 "corpus/$target" "corpus/database_url"
  elif [ "$target" = infra_hcl ]; then
    # Fork mode: every abandoned hcl-edit parse (the 5 s deadline) is a thread that spins until
    # its process ends; a job process per chunk of time ends them (BENCHMARKS.md).
    run_budgeted "$BIN_DIR/$target" "${common[@]}" -fork=1 -ignore_timeouts=0 "corpus/$target"
  else
    run_budgeted "$BIN_DIR/$target" "${common[@]}" "corpus/$target"
  fi
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" | tail -1)"
  # Fork mode's final stats count nothing (0): its status lines count every job's executions.
  [ "${execs:-0}" != 0 ] || execs="$( (grep -E '^#[0-9]+' "$out" || true) | tail -1 | sed 's/^#\([0-9]*\).*/\1/')"
  speed="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out" | tail -1)"
  if [ -z "$speed" ] && [ -n "$execs" ] && [ "$wall" -gt 0 ]; then speed=$((execs / wall)); fi
  # No status line at all (a run stopped before its first job reported) is not an error.
  last="$( (grep -E '^#[0-9]+' "$out" || true) | tail -1)"
  cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")"
  ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")"
  corp="$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")"
  crashes="$(find "artifacts/$target" -type f | wc -l)"
  printf '| `%s` | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$target" "$cpu" "$wall" \
    "${execs:-?}" "${speed:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes" >> "$SUMMARY"
  if [ "$rc" -ne 0 ]; then
    echo "fuzz target $target stopped with $rc (see $out and fuzz/artifacts/$target/)" >&2
    status=1
  fi
done
cat "$SUMMARY"
exit "$status"
