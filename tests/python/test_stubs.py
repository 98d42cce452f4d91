"""The checked-in stubs must match the compiled module: names, parameters, kinds, defaults."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import dbstack
from dbstack import _native

STUB = Path(dbstack.__file__).with_name("_native.pyi")


def stub_signatures() -> dict[str, list[tuple[str, str, Any]]]:
    tree = ast.parse(STUB.read_text())
    out: dict[str, list[tuple[str, str, Any]]] = {}
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        a = node.args
        params: list[tuple[str, str, Any]] = []
        positional = a.posonlyargs + a.args
        first_default = len(positional) - len(a.defaults)
        for i, arg in enumerate(positional):
            kind = "POSITIONAL_ONLY" if arg in a.posonlyargs else "POSITIONAL_OR_KEYWORD"
            default = inspect.Parameter.empty if i < first_default else ast.literal_eval(a.defaults[i - first_default])
            params.append((arg.arg, kind, default))
        for arg, kw_default in zip(a.kwonlyargs, a.kw_defaults):
            params.append((arg.arg, "KEYWORD_ONLY", inspect.Parameter.empty if kw_default is None else ast.literal_eval(kw_default)))
        out[node.name] = params
    return out


def module_signatures() -> dict[str, list[tuple[str, str, Any]]]:
    out: dict[str, list[tuple[str, str, Any]]] = {}
    for name in dir(_native):
        obj = getattr(_native, name)
        if name.startswith("_") or not callable(obj):
            continue
        sig = inspect.signature(obj)
        out[name] = [(p.name, p.kind.name, p.default) for p in sig.parameters.values()]
    return out


def test_stub_names_match_the_module() -> None:
    assert sorted(stub_signatures()) == sorted(module_signatures())


def test_stub_signatures_match_the_module() -> None:
    stub = stub_signatures()
    for name, params in module_signatures().items():
        # The compiled module reports `None` defaults as None, the stub's `= None` the same way;
        # pyo3 shows positional parameters as positional-or-keyword.
        assert stub[name] == params, f"_native.{name}: stub {stub[name]} != module {params}"


def test_public_names_exist() -> None:
    for name in dbstack.__all__:
        assert hasattr(dbstack, name), name
    assert (Path(dbstack.__file__).parent / "py.typed").is_file()
