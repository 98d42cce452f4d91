"""The published JSON Schema (`dbstack schema`) validates every resolution of the shared corpus,
checked with an independent validator (jsonschema), masked and revealed."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

import dbstack
from conftest import REPO


def resolutions() -> list[Any]:
    out = []
    for path in sorted((REPO / "tests" / "vectors").glob("*.json")):
        for case in json.loads(path.read_text())["cases"]:
            if "error" not in case["expect"]:
                out.append(pytest.param(case["call"], id=f"{path.stem}: {case['name']}"))
    return out


VALIDATOR = jsonschema.Draft202012Validator(dbstack.schema())


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(dbstack.schema())


@pytest.mark.parametrize("call", resolutions())
def test_every_resolution_matches_the_schema(call: dict[str, Any]) -> None:
    stack = dbstack.resolve_call(call)
    for reveal in (False, True):
        errors = sorted(VALIDATOR.iter_errors(stack.to_dict(reveal=reveal)), key=str)
        assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def test_the_schema_rejects_a_broken_document() -> None:
    doc = dbstack.resolve(env={}).to_dict()
    doc["django"]["DATABASES"]["default"]["PORT"] = [5432]
    del doc["routing"]
    assert len(list(VALIDATOR.iter_errors(doc))) >= 2
