"""What a user moving from dj-database-url and django-environ expects on day one (issue 14):
the seed's `python verify_db_connections.py` (with and without Django), `python -m dbstack
verify`, `.env` files and `X_FILE` secret files. Real PostgreSQL, real Django, real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import dbstack
from conftest import PROJECT, clean_env, manage, pg_env, secret

# Test secrets carry the sentinel (tests/sentinel.txt, scripts/sentinel.py).
FILE_PW = secret("file-pw")
NEVER_CLOSED = secret("s3cret-never-closed")
FROM_A_FILE = secret("from-a-file")
TOKEN = secret("tok-day-one")
LOCAL_PW = secret("local-pw")

# A folder whose `django` package cannot be imported: the script then runs as it does where
# only `dbstack` is installed (the import fails the same way; nothing else is replaced).
NO_DJANGO = """raise ImportError("No module named 'django' (dbstack's test: Django is not installed here)")\n"""


def without_django(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    blocker = tmp_path / "no_django" / "django"
    blocker.mkdir(parents=True, exist_ok=True)
    (blocker / "__init__.py").write_text(NO_DJANGO)
    return {**env, "PYTHONPATH": str(blocker.parent)}


def script(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "verify_db_connections.py", *args], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300
    )


def module(*args: str, env: dict[str, str], cwd: Path = PROJECT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dbstack", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def rows(stdout: str) -> list[tuple[Any, ...]]:
    report = json.loads(stdout)
    return [(d["alias"], d["ok"], d["vendor"], d["engine"], d["host"], d["port"], d["name"], d["user"]) for d in report["databases"]]


def test_the_seed_script_gives_the_management_commands_checks_with_and_without_django(
    pg_databases: tuple[str, str], tmp_path: Path
) -> None:
    env = pg_env(pg_databases)
    command = manage("verify_db_connections", "--json", "--no-services", env=env)
    with_django = script("--json", "--no-services", env=env)
    alone = script("--json", "--no-services", env=without_django(env, tmp_path))
    as_module = module("verify", "--json", "--no-services", env=without_django(env, tmp_path))
    for proc in (with_django, alone, as_module):
        assert proc.returncode == 0, proc.stderr
        assert rows(proc.stdout) == rows(command.stdout)
    assert [r[:3] for r in rows(alone.stdout)] == [("default", True, "postgresql"), ("agent_db", True, "postgresql")]
    assert set(json.loads(alone.stdout)) == {"ok", "databases", "services", "leases"}
    # The table for people has the same columns as the command's.
    table = script("--no-services", env=without_django(env, tmp_path))
    assert table.returncode == 0
    assert table.stdout.splitlines()[0].split() == manage("verify_db_connections", "--no-services", env=env).stdout.splitlines()[0].split()
    assert "agent_db" in table.stdout and "FAIL" not in table.stdout


def test_the_seed_script_fails_like_the_management_command(pg_databases: tuple[str, str], tmp_path: Path) -> None:
    bad = pg_env(pg_databases)
    bad["AGENT_DB_URL"] = "postgres://postgres:not-this-pw@127.0.0.1:5432/dbstack_missing_db_xyz"
    command = manage("verify_db_connections", "--json", "--no-services", env=bad, check=False)
    for proc in (command, script("--json", "--no-services", env=bad), script("--json", "--no-services", env=without_django(bad, tmp_path))):
        assert proc.returncode == 1, proc.stderr
        by_alias = {d["alias"]: d for d in json.loads(proc.stdout)["databases"]}
        assert by_alias["default"]["ok"] and not by_alias["agent_db"]["ok"]
        assert "dbstack_missing_db_xyz" in by_alias["agent_db"]["error"]
        assert "database connections failed: agent_db" in proc.stderr
        assert "not-this-pw" not in proc.stdout + proc.stderr
    # Bad input: exit 2 and the variable named, as `dbstack resolve` does.
    broken = {**pg_env(pg_databases), "DATABASE_URL": "postgres://u:p@host:notaport/db"}
    proc = script("--json", env=without_django(broken, tmp_path))
    assert proc.returncode == 2 and "DATABASE_URL" in proc.stderr, proc.stderr


def test_an_engine_without_a_probe_is_skipped_not_failed(pg_databases: tuple[str, str], tmp_path: Path) -> None:
    """An mssql:// alias (dj-database-url's scheme, issue 14): dbstack has no SQL Server probe, so
    the script says it skipped the alias, and it does not fail the run."""
    env = pg_env(pg_databases)
    password = secret("skip-pw-9")
    env["AGENT_DB_URL"] = f"mssql://sa:{password}@sqlserver.invalid:1433/agent"
    proc = module("verify", "--json", "--no-services", env=without_django(env, tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    by_alias = {d["alias"]: d for d in json.loads(proc.stdout)["databases"]}
    agent = by_alias["agent_db"]
    assert (agent["ok"], agent["engine"], agent["port"]) == (True, "sql_server.pyodbc", "1433"), agent
    assert "no probe for ENGINE `sql_server.pyodbc`" in agent["skipped"], agent
    table = module("verify", "--no-services", env=without_django(env, tmp_path))
    assert table.returncode == 0 and "skipped" in table.stdout and "FAIL" not in table.stdout, table.stdout
    assert password not in proc.stdout + table.stdout


def test_the_seed_script_runs_the_service_checks_too(pg_databases: tuple[str, str], tmp_path: Path) -> None:
    env = without_django(pg_env(pg_databases), tmp_path)
    proc = script("--json", "--timeout", "2", env=env)
    report = json.loads(proc.stdout)
    assert report["services"]["checks"], report
    assert all(c["ok"] for c in report["services"]["checks"] if c["service"] == "supabase"), report
    assert proc.returncode == (0 if report["services"]["ok"] else 1)


def test_env_files_fill_what_the_environment_does_not_set(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "# development settings\n"
        f"export DATABASE_URL='postgres://app:{FILE_PW}@db.example:5433/appdb'\n"
        'RAGFLOW_API_KEY="from-file"\n'
        "REDIS_URL=redis://cache.example:6379/${DB_INDEX}\n"
        "DB_INDEX=ignored-after-use\n"
    )
    stack = dbstack.resolve(env={"DBSTACK_KUBERNETES": "false", "RAGFLOW_API_KEY": "from-env"}, env_file=dotenv, offline=True)
    assert stack.databases["default"]["HOST"] == "db.example"
    assert stack.databases["default"]["PASSWORD"] == FILE_PW
    assert stack.ragflow["API_KEY"] == "from-env", "the environment beats the file"
    provenance = stack.to_dict()["provenance"]
    assert provenance["django.DATABASES.default.HOST"]["source"] == {"kind": "env-file", "name": f"{dotenv}:2"}
    assert provenance["ragflow.API_KEY"]["source"] == {"kind": "env", "name": "RAGFLOW_API_KEY"}
    assert FILE_PW not in repr(stack.to_dict()) + stack.explain()
    # Two files: the later one wins; a missing one is a warning, as django-environ says.
    second = tmp_path / "second.env"
    second.write_text("DATABASE_URL=postgres://app@db2.example/appdb\n")
    stack = dbstack.resolve(env={"DBSTACK_KUBERNETES": "false"}, env_file=[dotenv, str(second), tmp_path / "missing.env"], offline=True)
    assert stack.databases["default"]["HOST"] == "db2.example"
    assert any(w["code"] == "env_file_missing" for w in stack.warnings)


def test_a_malformed_env_file_names_file_and_line_never_the_value(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"A=1\n\nSUPABASE_DB_PASSWORD=\"{NEVER_CLOSED}\nB=2\n")
    with pytest.raises(dbstack.ConfigError) as raised:
        dbstack.resolve(env={}, env_file=str(dotenv), offline=True)
    assert raised.value.source == f"{dotenv}:3"
    assert raised.value.exit_code == 2 and raised.value.kind == "invalid_env_file"
    assert "s3cret" not in str(raised.value)
    with pytest.raises(TypeError, match="env_file"):
        dbstack.resolve(env={}, env_file=3, offline=True)  # type: ignore[arg-type]


def test_secret_files_as_the_official_images_read_them(tmp_path: Path) -> None:
    secret = tmp_path / "db-url"
    secret.write_text(f"postgres://app:{FROM_A_FILE}@db.example:5432/appdb\n")
    stack = dbstack.resolve(env={"DBSTACK_KUBERNETES": "false", "DATABASE_URL_FILE": str(secret)}, offline=True)
    assert stack.databases["default"]["PASSWORD"] == FROM_A_FILE
    source = stack.to_dict()["provenance"]["django.DATABASES.default.PASSWORD"]["source"]
    assert source == {"kind": "file", "name": str(secret)}
    with pytest.raises(dbstack.ConfigError) as both:
        dbstack.resolve(env={"DATABASE_URL": "postgres://x@h/d", "DATABASE_URL_FILE": str(secret)}, offline=True)
    assert "DATABASE_URL_FILE" in str(both.value) and both.value.kind == "invalid_variable"
    with pytest.raises(dbstack.ConfigError) as unreadable:
        dbstack.resolve(env={"RAGFLOW_API_KEY_FILE": str(tmp_path / "absent")}, offline=True)
    assert unreadable.value.source == "RAGFLOW_API_KEY_FILE" and str(tmp_path / "absent") in str(unreadable.value)


def test_cli_like_module_and_configure_take_env_files(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("DATABASE_URL=postgres://app:pw@db.example:5432/appdb\n")
    proc = module("explain", "--offline", "--env-file", str(dotenv), env=clean_env(), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"env-file {dotenv}:1" in proc.stdout
    namespace: dict[str, Any] = {}
    dbstack.configure(namespace, env={"DBSTACK_KUBERNETES": "false"}, env_file=dotenv, overwrite=True)
    assert namespace["DATABASES"]["default"]["HOST"] == "db.example"


# Lines python-dotenv (what django-environ users' `.env` files are written for) and dbstack
# read alike. Differences are documented in docs/decisions.md ("Inputs at the boundaries").
DOTENV_CORPUS = [
    "A=plain",
    "B='single quoted $A'",
    'C="double quoted ${A}"',
    "export D=exported",
    "E=value # a comment",
    "F=",
    "G = spaced",
    'H="with \\"escaped\\" quotes"',
    "I=postgres://u:p%40ss@h:5432/db?sslmode=require",
    'J="line one\\nline two"',
    "# only a comment",
    "",
    "K=${A}/${C}",
]


def test_env_files_read_like_python_dotenv(tmp_path: Path) -> None:
    import dotenv

    path = tmp_path / ".env"
    path.write_text("\n".join(DOTENV_CORPUS) + "\n")
    expected = {k: v for k, v in dotenv.dotenv_values(path, interpolate=True).items() if v is not None}
    assert dbstack.read_env_file(path) == expected
    assert dbstack.read_env_file(str(path))["I"] == "postgres://u:p%40ss@h:5432/db?sslmode=require"
    with pytest.raises(dbstack.ConfigError) as missing:
        dbstack.read_env_file(tmp_path / "absent.env")
    assert missing.value.kind == "invalid_env_file"


def test_a_failed_vault_in_development_keeps_what_the_environment_configures() -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on: Vault is unreachable
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        "DBSTACK_KUBERNETES": "false",
        "DBSTACK_PROFILE": "development",
        "VAULT_ADDR": f"http://127.0.0.1:{port}",
        "VAULT_TOKEN": TOKEN,
        "DBSTACK_VAULT_TIMEOUT": "500",
        "DATABASE_URL": f"postgres://app:{LOCAL_PW}@127.0.0.1:5432/app",
    }
    stack = dbstack.resolve(env=env)
    assert not stack.fallback_active
    assert stack.vault["status"] == "failed"
    assert stack.databases["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert (stack.databases["default"]["HOST"], stack.databases["default"]["PASSWORD"]) == ("127.0.0.1", LOCAL_PW)
    warning = next(w for w in stack.warnings if w["code"] == "vault_failed")
    assert "values Vault would supply are missing" in warning["message"]
    # verify still checks Vault, but the development profile does not require it here.
    vault = next(c for c in dbstack.verify(stack, timeout=2)["checks"] if c["service"] == "vault")
    assert not vault["ok"] and not vault["required"], vault
    # Nothing else configuring the primary database: the fallback, as before.
    del env["DATABASE_URL"]
    assert dbstack.resolve(env=env).fallback_active
