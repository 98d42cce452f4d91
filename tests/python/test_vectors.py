"""The shared corpus tests/vectors/*.json through the Python API (see tests/vectors/README.md):
the same cases, the same expected answers as the Rust core, the CLI and WASM."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import dbstack
from conftest import REPO

VECTORS = sorted((REPO / "tests" / "vectors").glob("*.json"))
MISSING = object()


def cases() -> list[Any]:
    out = []
    for path in VECTORS:
        data = json.loads(path.read_text())
        for case in data["cases"]:
            out.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return out


def lookup(doc: Any, dotted: str) -> Any:
    """A dotted path; a numeric segment indexes an array. Document keys may contain dots
    (provenance paths), so the longest matching key wins."""
    parts = dotted.split(".")
    node = doc
    i = 0
    while i < len(parts):
        if isinstance(node, list):
            if not parts[i].isdigit() or int(parts[i]) >= len(node):
                return MISSING
            node, i = node[int(parts[i])], i + 1
            continue
        if not isinstance(node, dict):
            return MISSING
        for j in range(len(parts), i, -1):
            key = ".".join(parts[i:j])
            if key in node:
                node, i = node[key], j
                break
        else:
            return MISSING
    return node


def source_text(source: dict[str, str]) -> str:
    return f"{source['kind']}:{source['name']}"


def test_the_corpus_is_there() -> None:
    assert len(VECTORS) >= 5, "tests/vectors/*.json is missing"
    assert len(cases()) >= 20


@pytest.mark.parametrize("case", cases())
def test_vector(case: dict[str, Any]) -> None:
    call, expect = case.get("call", {}), case["expect"]
    if "plan" in expect or "plan_absent" in expect:
        plan = dbstack.plan(call)
        for path, value in expect.get("plan", {}).items():
            assert lookup(plan, path) == value, f"plan.{path}"
        for path in expect.get("plan_absent", []):
            assert lookup(plan, path) is MISSING, f"plan.{path} should be absent"
    if "error" in expect:
        with pytest.raises(dbstack.DbstackError) as info:
            dbstack.resolve_call(call)
        error = info.value
        want = expect["error"]
        assert {"kind": error.kind, "source": error.source, "exit_code": error.exit_code} == {
            k: want[k] for k in ("kind", "source", "exit_code")
        }
        assert isinstance(error, dbstack.VaultError if want["exit_code"] == 3 else dbstack.ConfigError)
        for secret in expect.get("error_excludes", []):
            assert secret not in str(error)
        return
    stack = dbstack.resolve_call(call)
    doc = stack.to_dict(reveal=bool(call.get("reveal", False)))
    for path, value in expect.get("values", {}).items():
        assert lookup(doc, path) == value, f"{path}: {lookup(doc, path)!r} != {value!r}"
    for path in expect.get("absent", []):
        assert lookup(doc, path) is MISSING, f"{path} should be absent"
    provenance = doc["provenance"]
    for path, source in expect.get("sources", {}).items():
        assert path in provenance, f"no provenance for {path}"
        assert source_text(provenance[path]["source"]) == source, path
    for path, sources in expect.get("overrode", {}).items():
        assert [source_text(o["source"]) for o in provenance[path]["overrode"]] == sources, path
    codes = {w["code"] for w in stack.warnings}
    for code in expect.get("warnings", []):
        assert code in codes, f"warning {code} missing from {sorted(codes)}"
    for code in expect.get("no_warnings", []):
        assert code not in codes, f"unexpected warning {code}"
    for path in expect.get("secret_paths", []):
        assert path in stack.secret_paths, path
    masked = json.dumps(stack.to_dict())
    for secret in expect.get("output_excludes", []):
        assert secret not in masked and secret not in repr(stack) and secret not in stack.explain()
