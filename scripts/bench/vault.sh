#!/usr/bin/env bash
# Vault benchmark (BENCHMARKS.md, section "Vault"): whole-process `dbstack resolve --json`
# (release build, token auth, the four KV v2 reads of the default layout and one dynamic
# PostgreSQL credential) against a local OpenBao dev server, next to the Python peer
# benches/vault_peer.py (hvac + dj-database-url + django-environ doing the same reads), and
# `dbstack resolve --json --offline` (the same process without Vault). hyperfine, same session.
#
#   scripts/bench/vault.sh            # RUNS=30 by default
#   RUNS=100 scripts/bench/vault.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
source "$REPO_ROOT/scripts/lib/openbao.sh"
cd "$REPO_ROOT"
RUNS="${RUNS:-30}"

ensure_services
ensure_apt hyperfine postgresql-client
ensure_openbao
peer_reqs=(hvac==2.4.0 dj-database-url==3.0.1 django-environ==0.12.0)
if ! "$DBSTACK_VENV/bin/python" -c 'import hvac, dj_database_url, environ' 2>/dev/null; then
  log "pip install ${peer_reqs[*]}"
  "$DBSTACK_VENV/bin/pip" install -q --disable-pip-version-check "${peer_reqs[@]}"
fi
log "cargo build --release -p dbstack-cli"
cargo build --release -p dbstack-cli --quiet
dbstack="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/release/dbstack"

work="$(mktemp -d)"
cleanup() {
  if [ -n "${OPENBAO_PID:-}" ]; then
    "$DBSTACK_BAO_BIN" lease revoke -prefix database/creds/app >/dev/null 2>&1 || true
  fi
  openbao_dev_stop
  rm -rf "$work"
}
trap cleanup EXIT

# A PostgreSQL admin role with a password for OpenBao's database plugin.
psql -X -q -h 127.0.0.1 -U postgres -d postgres -v ON_ERROR_STOP=1 -c "
  DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dbstack_vault_admin') THEN
    CREATE ROLE dbstack_vault_admin LOGIN CREATEROLE PASSWORD 'admin-pw'; END IF; END \$\$;
  ALTER ROLE dbstack_vault_admin WITH LOGIN CREATEROLE PASSWORD 'admin-pw';
  GRANT CONNECT ON DATABASE postgres TO dbstack_vault_admin WITH GRANT OPTION;" >/dev/null

openbao_dev_start "$work"
bao() { "$DBSTACK_BAO_BIN" "$@" >/dev/null; }
bao kv put secret/dbstack/supabase username=app_user password=pg-secret-1
bao kv put secret/dbstack/dragonfly password=df-secret-2
bao kv put secret/dbstack/ragflow api_key=rf-secret-3
bao kv put secret/dbstack/rocketmq access_key=mq-access secret_key=mq-secret-4
bao secrets enable database
bao write database/config/supabase plugin_name=postgresql-database-plugin allowed_roles=app \
  'connection_url=postgresql://{{username}}:{{password}}@127.0.0.1:5432/postgres?sslmode=disable' \
  username=dbstack_vault_admin password=admin-pw
bao write database/roles/app db_name=supabase default_ttl=10m max_ttl=1h \
  "creation_statements=CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"
printf '%s\n' 'path "secret/data/dbstack/*" { capabilities = ["read"] }' \
  'path "database/creds/app" { capabilities = ["read"] }' | bao policy write dbstack -
token="$("$DBSTACK_BAO_BIN" token create -policy=dbstack -ttl=1h -field=token)"

# A clean environment: only what the two commands need.
run_env=(env -i PATH="$PATH" HOME="$work" VAULT_ADDR="$BAO_ADDR" VAULT_TOKEN="$token"
  DBSTACK_CONFIG="$REPO_ROOT/benches/vault_stack.toml" DBSTACK_PROFILE=development)

log "sanity check: both commands resolve through Vault"
"${run_env[@]}" "$dbstack" resolve --json >"$work/dbstack.json"
"$DBSTACK_VENV/bin/python" - "$work/dbstack.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
vault = doc["vault"]
assert vault["status"] == "ok", vault
assert len(vault["leases"]) == 1, vault
assert doc["fallback"]["active"] is False, doc["fallback"]
PY
"${run_env[@]}" "$DBSTACK_VENV/bin/python" benches/vault_peer.py >"$work/peer.json"

log "hyperfine: $RUNS runs each"
hyperfine -N --style basic --warmup 3 --runs "$RUNS" --export-json "$work/hyperfine.json" \
  -n "dbstack resolve --json --offline" "${run_env[*]} $dbstack resolve --json --offline" \
  -n "dbstack resolve --json (Vault)" "${run_env[*]} $dbstack resolve --json" \
  -n "python peer (hvac)" "${run_env[*]} $DBSTACK_VENV/bin/python $REPO_ROOT/benches/vault_peer.py" >&2

# One auth round trip and one read round trip, over a kept-alive connection (the floor).
"$DBSTACK_VENV/bin/python" - "$BAO_ADDR" "$token" "$work/hyperfine.json" "$RUNS" <<'PY'
import http.client, json, statistics, sys, time, urllib.parse
addr, token, results, runs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
u = urllib.parse.urlparse(addr)
conn = http.client.HTTPConnection(u.hostname, u.port)
def rtt(path, n=50):
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        conn.request("GET", path, headers={"X-Vault-Token": token})
        conn.getresponse().read()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples) * 1000
auth = rtt("/v1/auth/token/lookup-self")
kv = rtt("/v1/secret/data/dbstack/supabase")
creds = rtt("/v1/database/creds/app", 10)
med = {r["command"]: statistics.median(r["times"]) * 1000 for r in json.load(open(results))["results"]}
off, vault, peer = med["dbstack resolve --json --offline"], med["dbstack resolve --json (Vault)"], med["python peer (hvac)"]
print(f"| command | median wall time |")
print(f"|---|---|")
print(f"| `dbstack resolve --json` (Vault: auth + 4 KV + 1 dynamic credential) | {vault:.1f} ms |")
print(f"| Python peer (hvac + dj-database-url + django-environ), same reads | {peer:.1f} ms |")
print(f"| `dbstack resolve --json --offline` (same process, no Vault) | {off:.1f} ms |")
print()
print(f"Ratio (Python / dbstack): **{peer / vault:.1f}x** ({runs} runs each, medians).")
print(f"Vault share of dbstack's time: {vault - off:.1f} ms; one lookup-self round trip {auth:.2f} ms, "
      f"one KV read {kv:.2f} ms, one dynamic credential {creds:.2f} ms (kept-alive connection, medians); "
      f"floor = auth + slowest read = {auth + max(kv, creds):.1f} ms.")
PY
