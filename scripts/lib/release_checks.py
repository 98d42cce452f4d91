"""Checks of scripts/release.sh: the sources agree on one version and carry the metadata every
registry wants; the built artifacts (crates, wheel, sdist, npm tarball) hold what they must.

    release_checks.py sources  CARGO_METADATA_JSON      prints the version
    release_checks.py pep440   VERSION                  the version as Python spells it
    release_checks.py crates   DIR VERSION              the .crate files of the publishable crates
    release_checks.py python   DIR VERSION              the wheel and the sdist
    release_checks.py npm      TARBALL VERSION          the npm package
    release_checks.py example  README OUT.mjs OUT.txt   the README's Node.js example and its output

Each failure is one line naming the file and what is wrong; exit 1 when there is any.
Standard library only (Python 3.11: tomllib), run with the test venv's Python.
"""

from __future__ import annotations

import email.parser
import hashlib
import json
import re
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# sha256 of the Apache License 2.0 text as apache.org publishes it (LICENSE-2.0.txt, 11,358 bytes).
APACHE_2_SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"
PUBLISHED_CRATES = ("dbstack-core", "dbstack-runtime", "dbstack-infra", "dbstack-cli")
CRATE_FIELDS = ("description", "license", "repository", "homepage", "readme", "keywords", "categories")

failures: list[str] = []


def fail(where: str, what: str) -> None:
    failures.append(f"{where}: {what}")


def finish() -> None:
    for line in failures:
        print(f"release check failed: {line}", file=sys.stderr)
    if failures:
        sys.exit(1)


def pep440(version: str) -> str:
    """Cargo's `1.2.0-rc.1` as Python spells it (`1.2.0rc1`), which is what maturin writes."""
    m = re.fullmatch(r"(\d+\.\d+\.\d+)(?:-(alpha|beta|rc)\.?(\d+))?", version)
    if not m:
        fail("Cargo.toml", f"version `{version}` is not MAJOR.MINOR.PATCH[-alpha|beta|rc.N]")
        return version
    base, pre, n = m.groups()
    return base + ({"alpha": "a", "beta": "b", "rc": "rc"}[pre] + n if pre else "")


def workspace_version() -> str:
    manifest = tomllib.loads((ROOT / "Cargo.toml").read_text())
    return str(manifest["workspace"]["package"]["version"])


def check_sources(metadata_path: str) -> str:
    version = workspace_version()
    manifest = tomllib.loads((ROOT / "Cargo.toml").read_text())

    # Crates: one version; publishable ones fully described, the others `publish = false` with a reason.
    metadata = json.loads(Path(metadata_path).read_text())
    names = set()
    for pkg in metadata["packages"]:
        name, where = pkg["name"], str(Path(pkg["manifest_path"]).relative_to(ROOT))
        names.add(name)
        if pkg["version"] != version:
            fail(where, f"version {pkg['version']} is not the workspace's {version}")
        if name in PUBLISHED_CRATES:
            if pkg["publish"] is not None:
                fail(where, "a published crate must not say `publish = false`")
            for field in CRATE_FIELDS:
                if not pkg.get(field):
                    fail(where, f"`{field}` is missing")
            if pkg.get("license") != "Apache-2.0":
                fail(where, f"license `{pkg.get('license')}` is not Apache-2.0")
            crate_dir = Path(pkg["manifest_path"]).parent
            for doc in ("LICENSE", "CHANGELOG.md"):
                if (crate_dir / doc).resolve() != ROOT / doc:
                    fail(where, f"{crate_dir.name}/{doc} must be a link to the repository's {doc}")
        else:
            if pkg["publish"] != []:
                fail(where, "not a published crate, so it must say `publish = false`")
            lines = Path(pkg["manifest_path"]).read_text().splitlines()
            at = lines.index("publish = false") if "publish = false" in lines else 0
            if at == 0 or not lines[at - 1].startswith("#"):
                fail(where, "`publish = false` needs a comment above it saying why")
    for name in PUBLISHED_CRATES:
        if name not in names:
            fail("Cargo.toml", f"the published crate {name} is not a workspace member")
    for dep, spec in manifest["workspace"]["dependencies"].items():
        if isinstance(spec, dict) and "path" in spec and spec.get("version") != version:
            fail("Cargo.toml", f"[workspace.dependencies] {dep}: version {spec.get('version')!r} is not {version!r}")

    # Python: the version comes from Cargo (dynamic), full project metadata.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    if "version" in project or "version" not in project.get("dynamic", []):
        fail("pyproject.toml", "the version must be dynamic (maturin takes the Cargo workspace's)")
    if project.get("license") != "Apache-2.0" or "LICENSE" not in project.get("license-files", []):
        fail("pyproject.toml", 'needs license = "Apache-2.0" and license-files = ["LICENSE"]')
    for field in ("description", "readme", "requires-python", "classifiers", "keywords", "urls"):
        if not project.get(field):
            fail("pyproject.toml", f"`{field}` is missing")
    if "django" not in project.get("optional-dependencies", {}):
        fail("pyproject.toml", "the `django` extra is missing")
    if "Changelog" not in project.get("urls", {}):
        fail("pyproject.toml", "project.urls needs Changelog")

    # npm: the one copied version, and what the registry shows.
    pkg = json.loads((ROOT / "bindings-wasm/package.json").read_text())
    if pkg.get("version") != version:
        fail("bindings-wasm/package.json", f"version {pkg.get('version')} is not the Cargo workspace's {version}")
    for field in ("name", "description", "license", "repository", "types", "exports", "files"):
        if not pkg.get(field):
            fail("bindings-wasm/package.json", f"`{field}` is missing")
    if pkg.get("license") != "Apache-2.0":
        fail("bindings-wasm/package.json", "license must be Apache-2.0")
    exports = pkg.get("exports", {}).get(".", {})
    for condition in ("node", "browser", "default"):
        if not isinstance(exports.get(condition), dict) or "types" not in exports[condition]:
            fail("bindings-wasm/package.json", f'exports["."] needs a `{condition}` entry with its `types`')
    for doc in ("LICENSE", "CHANGELOG.md"):
        if doc not in pkg.get("files", []):
            fail("bindings-wasm/package.json", f"`files` must list {doc}")

    # Licence and changelog.
    if hashlib.sha256((ROOT / "LICENSE").read_bytes()).hexdigest() != APACHE_2_SHA256:
        fail("LICENSE", "is not the Apache License 2.0 text as published by apache.org")
    changelog = (ROOT / "CHANGELOG.md").read_text()
    if not re.search(r"^## \[Unreleased\]$", changelog, re.M):
        fail("CHANGELOG.md", "needs an `## [Unreleased]` section")
    if not re.search(rf"^## \[{re.escape(version)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog, re.M):
        fail("CHANGELOG.md", f"needs a `## [{version}] - YYYY-MM-DD` section for this version")
    for ref in ("Unreleased", version):
        if not re.search(rf"^\[{re.escape(ref)}\]: https://", changelog, re.M):
            fail("CHANGELOG.md", f"needs a link reference `[{ref}]: https://...`")
    return version


def check_crates(dist: str, version: str) -> None:
    for name in PUBLISHED_CRATES:
        path = Path(dist) / f"{name}-{version}.crate"
        if not path.is_file():
            fail(str(path), "missing")
            continue
        with tarfile.open(path) as tar:
            files = {m.name.split("/", 1)[1] for m in tar.getmembers() if m.isfile()}
            manifest = tar.extractfile(f"{name}-{version}/Cargo.toml")
            package = tomllib.loads(manifest.read().decode()) if manifest else {}
        for doc in ("LICENSE", "CHANGELOG.md", "README.md", "Cargo.toml", "Cargo.toml.orig", "src/lib.rs"):
            if doc not in files and not (doc == "src/lib.rs" and "src/main.rs" in files):
                fail(path.name, f"does not contain {doc}")
        for f in files:
            if f.startswith(("tests/", "benches/")):
                fail(path.name, f"contains {f} (the tests run from the repository)")
        meta = package.get("package", {})
        for field in CRATE_FIELDS:
            if not meta.get(field):
                fail(path.name, f"its Cargo.toml has no `{field}`")
        if meta.get("version") != version:
            fail(path.name, f"its Cargo.toml says version {meta.get('version')}")


def core_metadata(text: str, where: str, version: str) -> None:
    msg = email.parser.Parser().parsestr(text)
    want = {
        "Name": "dbstack",
        "Version": pep440(version),
        "License-Expression": "Apache-2.0",
        "License-File": "LICENSE",
        "Requires-Python": ">=3.9",
        "Provides-Extra": "django",
    }
    for key, value in want.items():
        if value not in (msg.get_all(key) or []):
            fail(where, f"{key}: {value} is missing (has {msg.get_all(key)})")
    if not any(r.lower().startswith("django") and "extra == " in r for r in msg.get_all("Requires-Dist") or []):
        fail(where, "no Requires-Dist for Django under the `django` extra")
    urls = " ".join(msg.get_all("Project-URL") or [])
    for label in ("Homepage", "Repository", "Changelog"):
        if label not in urls:
            fail(where, f"Project-URL {label} is missing")
    classifiers = msg.get_all("Classifier") or []
    for c in ("Framework :: Django", "Programming Language :: Python :: 3 :: Only", "Typing :: Typed"):
        if c not in classifiers:
            fail(where, f"classifier `{c}` is missing")
    if not str(msg.get("Description-Content-Type", "")).startswith("text/markdown") or len(msg.get_payload() or "") < 500:
        fail(where, "the README is not the long description")


def check_python(dist: str, version: str) -> None:
    v = pep440(version)
    wheels = sorted(Path(dist).glob(f"dbstack-{v}-cp39-abi3-*.whl"))
    if len(wheels) != 1:
        fail(dist, f"expected one abi3 wheel dbstack-{v}-cp39-abi3-*.whl, found {[w.name for w in wheels]}")
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as z:
            names = set(z.namelist())
            info = f"dbstack-{v}.dist-info"
            for f in ("dbstack/__init__.py", "dbstack/_native.abi3.so", "dbstack/_native.pyi", "dbstack/py.typed",
                      "dbstack/django/__init__.py", f"{info}/licenses/LICENSE", f"{info}/METADATA"):
                if f not in names:
                    fail(wheel.name, f"does not contain {f}")
            if f"{info}/METADATA" in names:
                core_metadata(z.read(f"{info}/METADATA").decode(), wheel.name, version)
    sdist = Path(dist) / f"dbstack-{v}.tar.gz"
    if not sdist.is_file():
        fail(str(sdist), "missing")
        return
    with tarfile.open(sdist) as tar:
        names = {m.name.split("/", 1)[1] for m in tar.getmembers() if "/" in m.name}
        for f in ("pyproject.toml", "PKG-INFO", "LICENSE", "Cargo.toml", "Cargo.lock", "core/src/lib.rs",
                  "runtime/src/lib.rs", "bindings-py/src/lib.rs", "bindings-py/python/dbstack/__init__.py"):
            if f not in names:
                fail(sdist.name, f"does not contain {f}")
        pkg_info = tar.extractfile(f"dbstack-{v}/PKG-INFO")
        if pkg_info:
            core_metadata(pkg_info.read().decode(), f"{sdist.name} PKG-INFO", version)


def check_npm(tarball: str, version: str) -> None:
    pkg = json.loads((ROOT / "bindings-wasm/package.json").read_text())
    with tarfile.open(tarball) as tar:
        files = {m.name.removeprefix("package/") for m in tar.getmembers() if m.isfile()}
        packed = tar.extractfile("package/package.json")
        packed_pkg = json.loads(packed.read()) if packed else {}
    want = set(pkg["files"]) | {"package.json", "README.md"}
    if files != want:
        fail(tarball, f"files {sorted(files)} are not {sorted(want)}: missing {sorted(want - files)}, extra {sorted(files - want)}")
    if packed_pkg.get("version") != version:
        fail(tarball, f"package.json version {packed_pkg.get('version')} is not {version}")
    targets: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, str):
            targets.append(node.removeprefix("./"))
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)

    walk(packed_pkg.get("exports"))
    for target in targets + [packed_pkg.get("main", ""), packed_pkg.get("types", "")]:
        if target.removeprefix("./") not in files:
            fail(tarball, f"package.json points at {target}, which the tarball does not contain")


def extract_example(readme: str, out_js: str, out_txt: str) -> None:
    """The first ```js block under `## Node.js` and the ```text block after it."""
    text = Path(readme).read_text()
    section = text.split("\n## Node.js\n", 1)[-1].split("\n## ", 1)[0]
    js = re.search(r"```js\n(.*?)```", section, re.S)
    out = re.search(r"```js\n.*?```.*?```text\n(.*?)```", section, re.S)
    if not js or not out:
        fail(readme, "no ```js example followed by its ```text output under `## Node.js`")
        return
    Path(out_js).write_text(js.group(1))
    Path(out_txt).write_text(out.group(1))


def main(argv: list[str]) -> None:
    command, args = argv[0], argv[1:]
    if command == "sources":
        version = check_sources(args[0])
        finish()
        print(version)
        return
    if command == "pep440":
        print(pep440(args[0]))
    elif command == "crates":
        check_crates(*args)
    elif command == "python":
        check_python(*args)
    elif command == "npm":
        check_npm(*args)
    elif command == "example":
        extract_example(*args)
    else:
        fail("release_checks.py", f"unknown command {command}")
    finish()


if __name__ == "__main__":
    main(sys.argv[1:])
