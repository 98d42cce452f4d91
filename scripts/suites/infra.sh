#!/usr/bin/env bash
# Infrastructure: the Kubernetes manifests validate strictly against the Kubernetes JSON schemas
# (kubernetes-validate, version in scripts/lib/infra.sh and kubernetes/README.md), checkov finds
# zero failed checks in kubernetes/ and terraform/ (skips are inline annotations with a reason),
# python-hcl2 parses every .tf (a second HCL parser; no terraform binary is reachable here), and
# `dbstack check-infra` (catalog vs YAML vs Terraform, the dbstack-infra crate) passes, with its
# mutation tests and its hostile-input tests (depth, expansion, link loops, FIFOs, devices, size).
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
source "$REPO_ROOT/scripts/lib/infra.sh"
cd "$REPO_ROOT"
suite_log infra

step "venv $DBSTACK_VENV (pip install -r tests/requirements.txt when it changed)" ensure_venv
step "checkov $CHECKOV_VERSION (installed the first time)" ensure_checkov
py="$DBSTACK_VENV/bin/python"

k8s_validate() {
  "$DBSTACK_VENV/bin/kubernetes-validate" --strict --quiet -k "$DBSTACK_K8S_VERSION" kubernetes/*.yaml
  echo "kubernetes-validate: $(ls kubernetes/*.yaml | wc -l) manifest files valid for Kubernetes $DBSTACK_K8S_VERSION"
}
step "kubernetes-validate --strict -k $DBSTACK_K8S_VERSION kubernetes/*.yaml" k8s_validate

checkov_both() {
  run_checkov kubernetes kubernetes
  run_checkov terraform terraform
}
step "checkov on kubernetes/ and terraform/" checkov_both

step "pytest tests/infra (python-hcl2 + PyYAML cross-checks)" \
  "$py" -m pytest -q -p no:cacheprovider tests/infra

# `--workspace` keeps the features the rust suite's `cargo test --workspace` built with, so
# nothing recompiles; `-p dbstack-infra` alone resolves the features of one package and rebuilt
# the shared dependencies (3 min 28 s of a first run on a fresh machine, 2 December 2026).
# `--lib` runs every crate's unit tests (seconds), `--test` picks check-infra's test files.
check_infra_tests() {
  cargo test --workspace --quiet --lib --test check --test hostile --test check_infra
}
step "cargo test: check-infra (dbstack-infra and the CLI)" check_infra_tests

step "dbstack check-infra on the repository" cargo run -p dbstack-cli --quiet -- check-infra
