# Infrastructure tools: checkov in its own venv (its dependency pins clash with the shared venv).
# Source after scripts/lib.sh.

CHECKOV_VERSION="3.3.30"
export DBSTACK_CHECKOV_VENV="$DBSTACK_TOOLS/venv-checkov"
# The Kubernetes version the manifests target (kubernetes/README.md names it).
export DBSTACK_K8S_VERSION="1.33.0"

ensure_checkov() {
  if ! "$DBSTACK_CHECKOV_VENV/bin/checkov" --version 2>/dev/null | grep -qx "$CHECKOV_VERSION"; then
    log "installing checkov $CHECKOV_VERSION into $DBSTACK_CHECKOV_VENV"
    python3 -m venv "$DBSTACK_CHECKOV_VENV"
    "$DBSTACK_CHECKOV_VENV/bin/pip" install -q --disable-pip-version-check "checkov==$CHECKOV_VERSION"
  fi
}

# checkov on one folder and framework; fails on any failed check. --skip-download: no network.
run_checkov() { # dir framework
  local out
  out="$("$DBSTACK_CHECKOV_VENV/bin/checkov" -d "$1" --framework "$2" --compact --quiet --skip-download 2>&1)" || {
    printf '%s\n' "$out" >&2
    echo "checkov reported failed checks on $1 ($2)" >&2
    return 1
  }
  printf '%s\n' "$out" | grep -E "Passed checks" >&2
}
