"""One version everywhere: the Cargo workspace's is the Python package's (native module and wheel
metadata), the npm package.json's, and has a section in CHANGELOG.md. scripts/release.sh checks the
built artifacts the same way (`dbstack --version`, the crates, the wheel, the npm tarball)."""

from __future__ import annotations

import importlib.metadata
import json
import re
import tomllib
from pathlib import Path

import dbstack

ROOT = Path(__file__).resolve().parents[2]
VERSION = tomllib.loads((ROOT / "Cargo.toml").read_text())["workspace"]["package"]["version"]


def test_dbstack_version_is_the_cargo_workspace_version() -> None:
    assert dbstack.__version__ == VERSION
    assert dbstack._native.__version__ == VERSION


def test_installed_distribution_has_the_same_version() -> None:
    # maturin writes Cargo's version, spelt as PEP 440 for pre-releases (1.0.0-rc.1 -> 1.0.0rc1).
    pep440 = re.sub(r"-(alpha|beta|rc)\.?", lambda m: {"alpha": "a", "beta": "b", "rc": "rc"}[m[1]], VERSION)
    assert importlib.metadata.version("dbstack") == pep440


def test_npm_package_json_has_the_same_version() -> None:
    package = json.loads((ROOT / "bindings-wasm" / "package.json").read_text())
    assert package["version"] == VERSION, "bindings-wasm/package.json: set its version to the Cargo workspace's"


def test_changelog_has_a_section_for_the_version_and_unreleased() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert re.search(rf"^## \[{re.escape(VERSION)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog, re.M)
    assert re.search(r"^## \[Unreleased\]$", changelog, re.M)
