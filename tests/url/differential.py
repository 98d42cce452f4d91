#!/usr/bin/env python3
"""Differential test: dbstack's DATABASE_URL parsing against the real dj-database-url.

    ~/.cache/dbstack-tools/venv/bin/python tests/url/differential.py [--count N] [--seed S]

Runs every hand-picked case of database_urls.json plus N seeded random URLs (the grammar
of generate.py) through dj_database_url.parse and through dbstack's Python binding
(`dbstack._native.resolve` with DATABASE_URL set, offline, revealed), and compares
DATABASES["default"] on the keys dj-database-url returns. Accepted differences are the
documented ones (see core/src/url.rs): dbstack rejects malformed or non-UTF-8
percent-encoding, port 0, a raw `@` in a name and an sslmode that is not libpq's, and cases
whose fixture entry carries a "rust" override. Every scheme of dj-database-url is in the grammar.

Prints "N passed, N failed" and exits 1 on any difference; exits 2 when the binding is
not built (run scripts/test.sh, which builds it).
"""

import argparse
import json
import pathlib
import sys

import dj_database_url

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402  (the same URL grammar as the Rust fixtures)


def load_native():
    try:
        from dbstack import _native  # type: ignore[attr-defined]
    except ImportError as exc:
        print(f"dbstack's Python binding is not importable ({exc}); run scripts/test.sh first", file=sys.stderr)
        sys.exit(2)
    return _native


def dbstack_parse(native, url):
    """(dict, None) or (None, error kind) for DATABASE_URL=url."""
    call = {"env": {"DATABASE_URL": url, "DBSTACK_PROFILE": "development"}, "reveal": True}
    answer = json.loads(native.resolve(json.dumps(call)))
    if not answer.get("ok"):
        return None, answer["error"]
    return answer["resolution"]["django"]["DATABASES"]["default"], None


def python_parse(url):
    try:
        return dj_database_url.parse(url), None
    except Exception as exc:  # noqa: BLE001
        return None, type(exc).__name__


def same_on_python_keys(ours, theirs):
    for key, value in theirs.items():
        if key == "OPTIONS":
            options = ours.get("OPTIONS", {})
            if any(options.get(k) != v for k, v in value.items()):
                return False
        elif ours.get(key) != value:
            return False
    return True


LIBPQ_SSLMODES = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}


def deliberate(message, theirs):
    """The other documented deviations (core/src/url.rs): port 0, a raw `@` in the name (an
    unencoded password), an sslmode that is not libpq's."""
    if "the port is 0" in message:
        return theirs.get("PORT") == ""
    if "holds a raw `@`" in message:
        return "@" in theirs.get("NAME", "")
    if "`sslmode` is not a libpq mode" in message:
        return theirs.get("OPTIONS", {}).get("sslmode") not in LIBPQ_SSLMODES
    return False


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    native = load_native()

    fixture = json.loads((HERE / "database_urls.json").read_text(encoding="utf-8"))
    overridden = {case["url"] for case in fixture["cases"] if "rust" in case}
    urls = [case["url"] for case in fixture["cases"]]
    urls += generate.random_urls(args.count, seed=args.seed)

    passed, failures = 0, []
    for url in urls:
        if url in overridden:
            continue  # a documented deviation, asserted by core/tests/url_vectors.rs
        theirs, python_error = python_parse(url)
        ours, our_error = dbstack_parse(native, url)
        if python_error and our_error:
            passed += 1
        elif theirs is not None and ours is not None and same_on_python_keys(ours, theirs):
            passed += 1
        elif theirs is not None and our_error and "%" in url and "percent" in our_error.get("message", "") + our_error.get("kind", ""):
            passed += 1  # strict percent-decoding, deliberate
        elif theirs is not None and our_error and "UTF-8" in our_error.get("message", ""):
            passed += 1
        elif theirs is not None and our_error and deliberate(our_error.get("message", ""), theirs):
            passed += 1
        else:
            failures.append(f"{url!r}: dj-database-url {theirs or python_error!r}, dbstack {ours or our_error!r}")
    for failure in failures[:50]:
        print(failure)
    print(f"{passed} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
