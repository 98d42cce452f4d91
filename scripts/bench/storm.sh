#!/usr/bin/env bash
# Start-storm benchmark (BENCHMARKS.md, section "Vault start storm"): N simulated pods start
# together against one real OpenBao with a rate-limit quota (sys/quotas/rate-limit, QUOTA
# requests a second for everybody). Each pod is an independent resolution: its own client, its
# own login (AppRole, and Kubernetes auth through the TokenReview stand-in), the four KV v2 reads
# of the default layout. dbstack (runtime/examples/vault_storm.rs, release build) and, beside
# it, the peer way: hvac 2.4.0 with its defaults (benches/storm_peer.py). One JSON line per run.
#
#   scripts/bench/storm.sh                       # PODS="100 300 1000" AUTHS="approle kubernetes" QUOTA=200
#   PODS=20 AUTHS=approle scripts/bench/storm.sh # a smoke run
#
# Run by hand; on the shared 2-core machine run N=1000 once.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
source "$REPO_ROOT/scripts/lib/openbao.sh"
cd "$REPO_ROOT"
PODS="${PODS:-100 300 1000}"
AUTHS="${AUTHS:-approle kubernetes}"
QUOTA="${QUOTA:-200}"
PEER="${PEER:-1}"

ensure_openbao
py="$DBSTACK_VENV/bin/python"
if [ "$PEER" = 1 ] && ! "$py" -c 'import hvac' 2>/dev/null; then
  log "pip install hvac==2.4.0"
  "$DBSTACK_VENV/bin/pip" install -q --disable-pip-version-check hvac==2.4.0
fi
log "cargo build --release -p dbstack-runtime --example vault_storm"
cargo build --release -p dbstack-runtime --example vault_storm --quiet
storm="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/release/examples/vault_storm"

work="$(mktemp -d)"
TOKENREVIEW_PID=""
cleanup() {
  [ -n "$TOKENREVIEW_PID" ] && kill "$TOKENREVIEW_PID" 2>/dev/null
  openbao_dev_stop
  rm -rf "$work"
}
trap cleanup EXIT
# Many pods: many sockets.
ulimit -n 65536 2>/dev/null || ulimit -n 8192 2>/dev/null || true

bao() { "$DBSTACK_BAO_BIN" "$@"; }

# One service-account JWT per pod (unsigned: the stand-in vouches for it, OpenBao reads claims).
write_jwts() { # DIR N
  "$py" - "$1" "$2" <<'PY'
import base64, json, sys
d, n = sys.argv[1], int(sys.argv[2])
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
for i in range(n):
    claims = {"iss": "kubernetes/serviceaccount", "sub": "system:serviceaccount:dbstack:agent-runtime",
              "jti": f"pod-{i}", "kubernetes.io/serviceaccount/namespace": "dbstack",
              "kubernetes.io/serviceaccount/secret.name": "agent-runtime-token",
              "kubernetes.io/serviceaccount/service-account.name": "agent-runtime",
              "kubernetes.io/serviceaccount/service-account.uid": "3f7c2a1e-0000-4000-8000-000000000001"}
    token = ".".join([b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode()), b64(json.dumps(claims).encode()), b64(b"sig")])
    open(f"{d}/{i}.jwt", "w").write(token)
PY
}

run_one() { # AUTH N
  local auth="$1" n="$2" dir="$work/$1-$2"
  mkdir -p "$dir"
  openbao_dev_start "$dir"
  bao kv put secret/dbstack/supabase username=app_user password=pg-secret-1 >/dev/null
  bao kv put secret/dbstack/dragonfly password=df-secret-2 >/dev/null
  bao kv put secret/dbstack/ragflow api_key=rf-secret-3 >/dev/null
  bao kv put secret/dbstack/rocketmq access_key=mq-access secret_key=mq-secret-4 >/dev/null
  printf 'path "secret/data/dbstack/*" { capabilities = ["read"] }\n' | bao policy write dbstack-read - >/dev/null
  local flags=()
  if [ "$auth" = kubernetes ]; then
    "$py" tests/standins/tokenreview.py --port 0 >"$dir/tokenreview.out" 2>"$dir/tokenreview.log" &
    TOKENREVIEW_PID=$!
    local port=""
    for _ in $(seq 1 50); do
      port="$(sed -n 's/^listening on //p' "$dir/tokenreview.out" 2>/dev/null || true)"
      [ -n "$port" ] && break
      sleep 0.1
    done
    openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=stand-in -days 1 \
      -keyout "$dir/ca.key" -out "$dir/ca.pem" >/dev/null 2>&1
    bao auth enable kubernetes >/dev/null
    bao write auth/kubernetes/config kubernetes_host="http://127.0.0.1:$port" \
      disable_local_ca_jwt=true kubernetes_ca_cert=@"$dir/ca.pem" >/dev/null
    bao write auth/kubernetes/role/dbstack bound_service_account_names=agent-runtime \
      bound_service_account_namespaces=dbstack token_policies=dbstack-read token_ttl=10m >/dev/null
    write_jwts "$dir" "$n"
    flags=(--auth kubernetes --k8s-role dbstack --jwt-dir "$dir")
  else
    bao auth enable approle >/dev/null
    bao write auth/approle/role/dbstack token_policies=dbstack-read token_ttl=10m >/dev/null
    local role_id secret_id
    role_id="$(bao read -field=role_id auth/approle/role/dbstack/role-id)"
    secret_id="$(bao write -f -field=secret_id auth/approle/role/dbstack/secret-id)"
    flags=(--auth approle --role-id "$role_id" --secret-id "$secret_id")
  fi
  bao write sys/quotas/rate-limit/storm rate="$QUOTA" interval=1s >/dev/null
  "$storm" --vault "$BAO_ADDR" --pods "$n" --quota "$QUOTA" "${flags[@]}"
  if [ "$PEER" = 1 ]; then
    sleep 2
    "$py" benches/storm_peer.py --vault "$BAO_ADDR" --pods "$n" --quota "$QUOTA" "${flags[@]}"
  fi
  [ -n "$TOKENREVIEW_PID" ] && kill "$TOKENREVIEW_PID" 2>/dev/null
  TOKENREVIEW_PID=""
  openbao_dev_stop
}

for auth in $AUTHS; do
  for n in $PODS; do
    log "storm: $n pods, $auth, quota $QUOTA/s"
    run_one "$auth" "$n"
  done
done
