#!/usr/bin/env python3
"""The secret sentinel check (issue 15): no test secret reaches any log, output or artefact.

    python3 scripts/sentinel.py [--self-test] [PATH...]      (default: tests/out)

Every secret the tests hand to dbstack (the OpenBao root token and the AppRole secret ids,
KV secret values, passwords in URLs and variables, the RAGflow API key, Redis passwords) contains
the sentinel in tests/sentinel.txt — the one place it is set: the Rust tests read it with
`include_str!` (tests/sentinel.rs), the Python tests from the file (tests/python/conftest.py),
the JavaScript tests through tests/sentinel.mjs, this script from the file. The test command runs this script last: it reads every file under
the given paths (the suites' logs in tests/out/logs, the outputs the test helpers record in
tests/out/logs/outputs/, every other artefact in tests/out) and fails naming the file and line
of every occurrence of the sentinel in any of its forms:

  * raw (also inside JSON strings: the sentinel is plain ASCII letters and digits);
  * percent-encoded, wholly or in part (each line is also searched percent-decoded);
  * base64 and base64url, at each of the three alignments (so `user:<sentinel>` in a Basic
    header, or the sentinel inside a longer encoded text, is found too).

Output that deliberately shows secrets (`--show-secrets`, `reveal=True`) is recorded between a
line containing ALLOW_BEGIN and a line containing ALLOW_END; exactly those lines are excluded,
nothing else in the file. Exit status: 0 clean, 1 found, 2 bad usage. The report never prints
the matching line (only file, line number, form).
"""

from __future__ import annotations

import base64
import pathlib
import sys
import tempfile
import urllib.parse

REPO = pathlib.Path(__file__).resolve().parents[1]
SENTINEL_FILE = REPO / "tests" / "sentinel.txt"
ALLOW_BEGIN = b"dbstack-sentinel: deliberately revealed output begins"
ALLOW_END = b"dbstack-sentinel: deliberately revealed output ends"
MAX_BYTES = 256 * 1024 * 1024  # a larger file is read up to this size, and said so


def load_sentinel() -> str:
    text = SENTINEL_FILE.read_text(encoding="ascii").strip()
    if len(text) < 12 or not text.isalnum():
        raise SystemExit(f"{SENTINEL_FILE}: the sentinel must be at least 12 ASCII letters and digits")
    return text


def base64_cores(secret: bytes) -> list[bytes]:
    """The part of base64(x + secret + y) that depends only on the secret, for each of the three
    alignments of the secret, in the standard and the URL-safe alphabet."""
    cores = []
    n = len(secret)
    for k in range(3):
        encoded = base64.b64encode(bytes(k) + secret + bytes(3))
        first = -(-8 * k // 6)  # the first character made only of the secret's bits
        last = (8 * (k + n) - 6) // 6  # the last one
        core = encoded[first : last + 1]
        cores += [core, core.replace(b"+", b"-").replace(b"/", b"_")]
    return sorted(set(cores))


def forms(sentinel: str) -> list[tuple[str, bytes]]:
    raw = sentinel.encode()
    out = [("raw", raw)]
    out += [("base64", core) for core in base64_cores(raw)]
    return out


def scan_bytes(data: bytes, sentinel: str) -> list[tuple[int, str]]:
    """(line number, form) of every line holding the sentinel, outside the allowed regions."""
    found = []
    checks = forms(sentinel)
    raw = sentinel.encode()
    allowed = False
    for number, line in enumerate(data.split(b"\n"), start=1):
        if ALLOW_BEGIN in line:
            allowed = True
            continue
        if ALLOW_END in line:
            allowed = False
            continue
        if allowed:
            continue
        hit = next((name for name, needle in checks if needle in line), None)
        if hit is None and b"%" in line and raw in urllib.parse.unquote_to_bytes(line):
            hit = "percent-encoded"
        if hit is None and b"\\u" in line and raw in _json_unescaped(line):
            hit = "JSON-escaped"
        if hit is not None:
            found.append((number, hit))
    return found


def _json_unescaped(line: bytes) -> bytes:
    text = line.decode("latin-1")
    try:
        return text.encode("latin-1").decode("unicode_escape").encode("utf-8", "replace")
    except (UnicodeDecodeError, ValueError):
        return b""


def scan_paths(paths: list[pathlib.Path], sentinel: str) -> tuple[int, list[str]]:
    files, problems = 0, []
    for root in paths:
        candidates = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in candidates:
            if path.is_symlink():
                continue
            files += 1
            with open(path, "rb") as handle:
                data = handle.read(MAX_BYTES)
            for number, form in scan_bytes(data, sentinel):
                problems.append(f"{path}:{number}: the test secret sentinel ({form})")
    return files, problems


def self_test(sentinel: str) -> None:
    """The scanner finds every form, and excludes exactly the allowed region."""
    raw = sentinel.encode()
    quoted = "".join(f"%{b:02X}" for b in raw).encode()
    partly = raw[:3] + b"%" + f"{raw[3]:02x}".encode() + raw[4:]
    cases = [
        (b"clean line\nanother\n", []),
        (b"x\npassword=" + raw + b"\n", [(2, "raw")]),
        (b'{"PASSWORD": "' + raw + b'"}', [(1, "raw")]),
        (b"url postgres://u:" + quoted + b"@h/db\n", [(1, "percent-encoded")]),
        (b"url postgres://u:" + partly + b"@h/db\n", [(1, "percent-encoded")]),
        (b'"\\u00' + f"{raw[0]:02x}".encode() + raw[1:] + b'"\n', [(1, "JSON-escaped")]),
        (
            ALLOW_BEGIN + b"\n" + raw + b"\n" + ALLOW_END + b"\nafter " + raw + b"\n",
            [(4, "raw")],
        ),
    ]
    for prefix in (b"", b"u", b"us", b"user:"):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = b"Authorization: Basic " + encode(prefix + raw + b"!tail")
            cases.append((text, [(1, "base64")]))
    for data, want in cases:
        got = scan_bytes(data, sentinel)
        if got != want:
            raise SystemExit(f"sentinel self-test failed: {data[:60]!r}...: found {got}, want {want}")
    with tempfile.TemporaryDirectory() as tmp:
        (pathlib.Path(tmp) / "a.log").write_bytes(b"ok\n" + base64.b64encode(b"k:" + raw) + b"\n")
        files, problems = scan_paths([pathlib.Path(tmp)], sentinel)
        if files != 1 or len(problems) != 1 or not problems[0].endswith("a.log:2: the test secret sentinel (base64)"):
            raise SystemExit(f"sentinel self-test failed on a folder: {problems}")
    print(f"sentinel self-test: {len(cases) + 1} cases passed")


def main(argv: list[str]) -> int:
    sentinel = load_sentinel()
    args = list(argv)
    if "--self-test" in args:
        args.remove("--self-test")
        self_test(sentinel)
    if any(a.startswith("-") for a in args):
        print(__doc__, file=sys.stderr)
        return 2
    paths = [pathlib.Path(a) for a in args] or [REPO / "tests" / "out"]
    paths = [p for p in paths if p.exists()]
    files, problems = scan_paths(paths, sentinel)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"secret sentinel: {len(problems)} occurrence(s) in {files} files scanned", file=sys.stderr)
        return 1
    print(f"secret sentinel: not found in {files} files ({', '.join(str(p) for p in paths)})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
