"""Terraform modules read with python-hcl2 (a second HCL parser, independent of the hcl-edit
reader inside `dbstack check-infra`) and cross-checked with the YAML manifests read by PyYAML."""

from __future__ import annotations

import pathlib
import re
from typing import Any

import hcl2
import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
TF = ROOT / "terraform"
K8S = ROOT / "kubernetes"
MODULES = ["supabase", "dragonfly", "ragflow", "rocketmq", "vault"]
TF_FILES = sorted(TF.rglob("*.tf"))

# DESIGN.md's table: Kubernetes Service -> port.
SERVICES = {
    "supabase-db": 5432,
    "dragonfly": 6379,
    "ragflow": 9380,
    "rocketmq-namesrv": 9876,
    "rocketmq-broker": 10911,
    "vault": 8200,
}


def load(path: pathlib.Path) -> dict[str, Any]:
    with path.open() as f:
        return hcl2.load(f)


def unquote(value: Any) -> Any:
    # python-hcl2 8 keeps string literals quoted.
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def resources(doc: dict[str, Any], rtype: str) -> list[dict[str, Any]]:
    out = []
    for block in doc.get("resource", []):
        for key, by_name in block.items():
            if unquote(key) == rtype:
                out.extend(by_name.values())
    return out


def tf_services() -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for module in MODULES:
        doc = load(TF / "modules" / module / "main.tf")
        for svc in resources(doc, "kubernetes_service_v1"):
            name = unquote(svc["metadata"][0]["name"])
            ports = [int(p["port"]) for p in svc["spec"][0]["port"]]
            found[name] = ports
    return found


def yaml_services() -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc["kind"] == "Service":
                found[doc["metadata"]["name"]] = [p["port"] for p in doc["spec"]["ports"]]
    return found


@pytest.mark.parametrize("path", TF_FILES, ids=[str(p.relative_to(ROOT)) for p in TF_FILES])
def test_every_tf_file_parses(path: pathlib.Path) -> None:
    doc = load(path)
    assert isinstance(doc, dict) and doc, f"{path} parsed to nothing"


def test_tf_files_were_found() -> None:
    # 5 modules x 4 files + the root module's files.
    assert len(TF_FILES) >= 25, TF_FILES


@pytest.mark.parametrize("module", MODULES)
def test_module_layout_and_typed_described_validated_variables(module: str) -> None:
    d = TF / "modules" / module
    for name in ["main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"]:
        assert (d / name).is_file(), f"{d / name} is missing"
    variables = load(d / "variables.tf")["variable"]
    assert variables
    for block in variables:
        for name, body in block.items():
            assert "type" in body, f"{module}: variable {name} has no type"
            assert unquote(body.get("description", "")), f"{module}: variable {name} has no description"
            assert body.get("validation"), f"{module}: variable {name} has no validation"
    versions = load(d / "versions.tf")["terraform"][0]["required_providers"][0]
    assert unquote(versions["kubernetes"]["source"]) == "hashicorp/kubernetes"
    outputs = load(d / "outputs.tf")["output"]
    assert outputs and all("description" in body for o in outputs for body in o.values())


def test_services_and_ports_agree_between_terraform_yaml_and_design() -> None:
    tf = tf_services()
    ym = yaml_services()
    assert set(tf) == set(SERVICES), tf
    assert set(ym) == set(SERVICES), ym
    for name, port in SERVICES.items():
        assert tf[name] == [port], (name, tf[name])
        assert ym[name] == [port], (name, ym[name])


def test_module_image_defaults_equal_the_yaml_images() -> None:
    yaml_images = set()
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc["kind"] in ("Deployment", "StatefulSet"):
                for c in doc["spec"]["template"]["spec"]["containers"]:
                    yaml_images.add(c["image"])
    tf_images = set()
    for module in MODULES:
        for block in load(TF / "modules" / module / "variables.tf")["variable"]:
            for name, body in block.items():
                if unquote(name) == "image":
                    tf_images.add(unquote(body["default"]))
    for block in load(TF / "variables.tf")["variable"]:
        for name, body in block.items():
            if unquote(name) == "app_image":
                tf_images.add(unquote(body["default"]))
    assert tf_images == yaml_images
    for image in yaml_images:
        assert re.search(r":[A-Za-z0-9_][A-Za-z0-9_.-]*$", image) and not image.endswith(":latest"), image


def test_root_module_composes_every_module_and_the_config_map() -> None:
    main = load(TF / "main.tf")
    sources = {unquote(body["source"]) for block in main["module"] for body in block.values()}
    assert sources == {f"./modules/{m}" for m in MODULES}
    config = load(TF / "config.tf")
    maps = resources(config, "kubernetes_config_map_v1")
    assert [unquote(m["metadata"][0]["name"]) for m in maps] == ["dbstack-database-config"]


def test_no_secret_values_in_manifests() -> None:
    secret_names = re.compile(r"(PASSWORD|TOKEN|SECRET|API_KEY)$")
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc:
                continue
            assert doc["kind"] != "Secret", f"{path}: a Secret object in the manifests"
            if doc["kind"] == "ConfigMap":
                for key, value in doc.get("data", {}).items():
                    assert not secret_names.search(key), f"{path}: {key}"
                    assert not re.search(r"://[^/@]*:[^/@]*@", value), f"{path}: {key} has credentials"
            spec = doc.get("spec", {}).get("template", {}).get("spec", {})
            for c in spec.get("containers", []):
                for e in c.get("env", []):
                    if secret_names.search(e["name"]):
                        assert "value" not in e, f"{path}: {e['name']} has a literal value"
