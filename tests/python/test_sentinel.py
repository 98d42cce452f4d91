"""The secret sentinel check (scripts/sentinel.py, issue 15): the scanner finds every form of the
sentinel and fails, and excludes exactly the fenced output."""

from __future__ import annotations

import base64
import importlib.util
import subprocess
import sys
from pathlib import Path

from conftest import REPO, ROOT_TOKEN, SENTINEL

SCRIPT = REPO / "scripts" / "sentinel.py"
spec = importlib.util.spec_from_file_location("sentinel_scan", SCRIPT)
assert spec is not None and spec.loader is not None
scan = importlib.util.module_from_spec(spec)
spec.loader.exec_module(scan)


def test_the_scanners_self_test_passes() -> None:
    scan.self_test(SENTINEL)


def test_the_fixtures_secrets_carry_the_sentinel() -> None:
    assert SENTINEL == scan.load_sentinel() and SENTINEL in ROOT_TOKEN


def test_a_leak_fails_the_check_naming_file_and_line(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "clean.log").write_text("nothing here\n")
    (logs / "leak.log").write_text("line one\nAuthorization: Basic " + base64.b64encode(f"u:{SENTINEL}".encode()).decode() + "\n")
    fenced = f"{scan.ALLOW_BEGIN.decode()}\n{SENTINEL}\n{scan.ALLOW_END.decode()}\n"
    (logs / "revealed.log").write_text(fenced)
    out = subprocess.run([sys.executable, str(SCRIPT), str(logs)], capture_output=True, text=True)
    assert out.returncode == 1
    assert f"{logs / 'leak.log'}:2: the test secret sentinel (base64)" in out.stderr
    assert "revealed.log" not in out.stderr and "clean.log" not in out.stderr
    assert SENTINEL not in out.stderr + out.stdout, "the report never prints the matching line"
    (logs / "leak.log").unlink()
    out = subprocess.run([sys.executable, str(SCRIPT), str(logs)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
