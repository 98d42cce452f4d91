#!/usr/bin/env bash
# Infrastructure: the Kubernetes manifests validate strictly against the Kubernetes JSON schemas
# (kubernetes-validate, version in scripts/lib/infra.sh and kubernetes/README.md), checkov finds
# zero failed checks in kubernetes/ and terraform/ (skips are inline annotations with a reason),
# python-hcl2 parses every .tf (a second HCL parser; no terraform binary is reachable here), and
# `dbstack check-infra` (catalog vs YAML vs Terraform) passes, with its mutation tests.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
source "$REPO_ROOT/scripts/lib/infra.sh"
cd "$REPO_ROOT"

ensure_venv
ensure_checkov
py="$DBSTACK_VENV/bin/python"

log "kubernetes-validate --strict -k $DBSTACK_K8S_VERSION kubernetes/*.yaml"
"$DBSTACK_VENV/bin/kubernetes-validate" --strict --quiet -k "$DBSTACK_K8S_VERSION" kubernetes/*.yaml
echo "kubernetes-validate: $(ls kubernetes/*.yaml | wc -l) manifest files valid for Kubernetes $DBSTACK_K8S_VERSION" >&2

log "checkov on kubernetes/ and terraform/"
run_checkov kubernetes kubernetes
run_checkov terraform terraform

log "pytest tests/infra (python-hcl2 + PyYAML cross-checks)"
"$py" -m pytest -q -p no:cacheprovider tests/infra

log "cargo test: check-infra (runtime and CLI)"
cargo test -p dbstack-runtime --test infra_check --quiet
cargo test -p dbstack-cli --test check_infra --quiet

log "dbstack check-infra on the repository"
cargo run -p dbstack-cli --quiet -- check-infra
