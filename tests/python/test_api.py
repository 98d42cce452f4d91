"""The Python API: dbstack.resolve, Stack, configure, exceptions, python -m dbstack."""

from __future__ import annotations

import json
import os
import pickle
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import dbstack
from conftest import REPO, clean_env, secret

SECRET = secret("s3cret-pw-41")
TOKEN = secret("tok-do-not-print")
ENV = {
    "DBSTACK_PROFILE": "development",
    "DBSTACK_KUBERNETES": "false",
    "DATABASE_URL": f"postgres://app:{SECRET}@db.example:5433/appdb",
    "AGENT_DB_URL": f"postgres://agent:{SECRET}@db.example:5433/agentdb",
    "REDIS_URL": f"redis://:{SECRET}@cache.example:6380/2",
    "RAGFLOW_URL": "http://rag.example:9380",
    "RAGFLOW_API_KEY": f"rag-{SECRET}",
}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_databases_carry_real_credentials() -> None:
    stack = dbstack.resolve(env=ENV)
    default = stack.databases["default"]
    assert default["ENGINE"] == "django.db.backends.postgresql"
    assert (default["HOST"], default["PORT"], default["NAME"]) == ("db.example", 5433, "appdb")
    assert (default["USER"], default["PASSWORD"]) == ("app", SECRET)
    assert stack.databases["agent_db"]["NAME"] == "agentdb"
    assert stack.databases["agent_db"]["USER"] == "agent"
    assert stack.caches["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert stack.caches["default"]["LOCATION"] == f"redis://:{SECRET}@cache.example:6380/2"
    assert stack.channel_layers["default"]["CONFIG"]["hosts"] == [f"redis://:{SECRET}@cache.example:6380/2"]
    assert stack.ragflow["API_KEY"] == f"rag-{SECRET}"
    assert stack.ragflow["BASE_URL"].startswith("http://rag.example:9380")
    assert stack.routing["apps"]["python_agent"] == {"read": "agent_db", "write": "agent_db", "migrate": "agent_db"}
    assert stack.routing["default"] == "default"
    assert stack.fallback_active is False
    assert stack.profile == "development"
    assert "NAMESRV_ADDR" in stack.rocketmq


def test_repr_to_dict_and_explain_are_redacted() -> None:
    stack = dbstack.resolve(env=ENV)
    assert SECRET not in repr(stack)
    assert "dbstack.Stack" in repr(stack) and "development" in repr(stack)
    masked = stack.to_dict()
    assert masked["schema"] == "dbstack.resolution/v1"
    assert SECRET not in json.dumps(masked)
    assert masked["django"]["DATABASES"]["default"]["PASSWORD"] == "********"
    assert masked["django"]["CACHES"]["default"]["LOCATION"] == "redis://:********@cache.example:6380/2"
    assert masked["provenance"]["django.DATABASES.default.HOST"]["source"] == {"kind": "env", "name": "DATABASE_URL"}
    revealed = stack.to_dict(reveal=True)
    assert revealed["django"]["DATABASES"]["default"]["PASSWORD"] == SECRET
    revealed["django"]["DATABASES"]["default"]["PASSWORD"] = "changed"
    assert stack.databases["default"]["PASSWORD"] == SECRET, "to_dict must return a copy"
    text = stack.explain()
    assert "django.DATABASES.default.HOST" in text and "DATABASE_URL" in text
    assert SECRET not in text
    assert "django.DATABASES.default.PASSWORD" in stack.secret_paths


def test_development_fallback_is_loud() -> None:
    stack = dbstack.resolve(env={"DBSTACK_PROFILE": "development", "DBSTACK_KUBERNETES": "false"})
    assert stack.fallback_active is True
    assert stack.databases["default"]["ENGINE"] == "django.db.backends.mysql"
    assert stack.databases["default"]["NAME"] == "agent_runtime"
    assert stack.databases["agent_db"]["NAME"] == "agent_runtime_agent_db"
    assert stack.warnings, "the fallback must never be silent"
    assert stack.to_dict()["fallback"]["reason"]


def test_env_none_reads_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith(("VAULT_", "DBSTACK_", "SUPABASE_", "KUBERNETES_")) or key.endswith("_URL"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("DBSTACK_KUBERNETES", "false")
    monkeypatch.setenv("DATABASE_URL", "postgres://envuser:pw@from-os-environ:5432/osdb")
    stack = dbstack.resolve()
    assert stack.databases["default"]["HOST"] == "from-os-environ"
    assert stack.databases["default"]["USER"] == "envuser"
    monkeypatch.setenv("DATABASE_URL", "postgres://envuser:pw@changed-host:5432/osdb")
    assert dbstack.resolve().databases["default"]["HOST"] == "changed-host"


def test_profile_and_stack_file_arguments(tmp_path: Path) -> None:
    stack_file = tmp_path / "stack.toml"
    stack_file.write_text(
        '[aliases.default]\nservice = "supabase"\n\n[aliases.agent_db]\nservice = "supabase"\ndatabase = "agent"\n\n'
        '[aliases.analytics]\nservice = "supabase"\ndatabase = "analytics"\n\n[routes]\npython_agent = "agent_db"\n'
    )
    stack = dbstack.resolve(env=ENV, stack_file=str(stack_file), profile="development")
    assert set(stack.databases) == {"default", "agent_db", "analytics"}
    with pytest.raises(dbstack.ConfigError) as info:
        dbstack.resolve(env=ENV, stack_file=str(tmp_path / "missing.toml"))
    assert info.value.source == str(tmp_path / "missing.toml")
    assert info.value.exit_code == 2


def test_config_error_names_the_source_and_not_the_secret() -> None:
    with pytest.raises(dbstack.ConfigError) as info:
        dbstack.resolve(env={"DATABASE_URL": "postgres://u:topsecret@h:99999/x", "DBSTACK_KUBERNETES": "false"})
    error = info.value
    assert isinstance(error, dbstack.DbstackError)
    assert (error.kind, error.source, error.exit_code) == ("invalid_url", "DATABASE_URL", 2)
    assert "DATABASE_URL" in str(error) and "topsecret" not in str(error)
    again = pickle.loads(pickle.dumps(error))
    assert (type(again), again.kind, again.source, again.exit_code) == (dbstack.ConfigError, "invalid_url", "DATABASE_URL", 2)


def test_vault_error_in_production_against_a_closed_port() -> None:
    port = closed_port()
    env = {
        "DBSTACK_PROFILE": "production",
        "DBSTACK_KUBERNETES": "false",
        "VAULT_ADDR": f"http://127.0.0.1:{port}",
        "VAULT_TOKEN": TOKEN,
        "DBSTACK_VAULT_TIMEOUT": "500",
    }
    with pytest.raises(dbstack.VaultError) as info:
        dbstack.resolve(env=env)
    assert info.value.exit_code == 3
    assert str(port) in info.value.source or str(port) in str(info.value)
    assert TOKEN not in str(info.value)
    # The same in development falls back, loudly.
    env["DBSTACK_PROFILE"] = "development"
    stack = dbstack.resolve(env=env)
    assert stack.fallback_active and stack.vault["status"] == "failed"


def test_configure_keeps_what_the_module_set() -> None:
    mine = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
    namespace: dict[str, object] = {"DATABASES": mine}
    stack = dbstack.configure(namespace, env=ENV)
    assert namespace["DATABASES"] is mine
    assert namespace["DATABASE_ROUTERS"] == ["dbstack.django.Router"]
    assert namespace["CACHES"] == stack.caches
    assert namespace["CHANNEL_LAYERS"] == stack.channel_layers
    assert namespace["RAGFLOW"] == stack.ragflow and namespace["ROCKETMQ"] == stack.rocketmq
    assert namespace["DBSTACK"]["routing"] == stack.routing  # type: ignore[index]
    dbstack.configure(namespace, env=ENV, overwrite=True)
    assert namespace["DATABASES"] == stack.databases
    assert dbstack.configured_stack().databases == stack.databases


def test_pure_resolution_and_plan() -> None:
    call = {"env": {"VAULT_ADDR": "http://vault.example:8200", "VAULT_TOKEN": "t"}, "kubernetes": {"token_present": False}}
    plan = dbstack.plan(call)
    assert plan["settings"]["addr"] == "http://vault.example:8200"
    assert any(read["path"] == "secret/dbstack/supabase" for read in plan["reads"])
    stack = dbstack.resolve_call(call)
    assert stack.vault["status"] == "not_contacted"
    assert dbstack.schema()["$schema"]


def test_import_is_light() -> None:
    code = (
        "import sys, dbstack; dbstack.resolve(env={'DBSTACK_KUBERNETES': 'false'}); "
        "print(','.join(m for m in ('json', 'typing', 'django', 're', 'dataclasses') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=clean_env())
    assert out.stdout.strip() == "", f"import dbstack pulled in {out.stdout.strip()}"


def run_module(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dbstack", *args], capture_output=True, text=True, env=env, cwd=REPO)


def test_python_m_dbstack_resolve_and_explain() -> None:
    env = clean_env(**ENV)
    out = run_module("resolve", "--json", env=env)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["django"]["DATABASES"]["default"]["HOST"] == "db.example"
    assert SECRET not in out.stdout
    shown = run_module("resolve", "--format", "json", "--show-secrets", env=env)
    assert json.loads(shown.stdout)["django"]["DATABASES"]["default"]["PASSWORD"] == SECRET
    django_fmt = run_module("resolve", "--format", "django", env=env)
    assert "DATABASES" in django_fmt.stdout and SECRET not in django_fmt.stdout
    table = run_module("resolve", env=env)
    assert table.returncode == 0 and "db.example" in table.stdout
    explain = run_module("explain", env=env)
    assert "django.DATABASES.default.HOST" in explain.stdout and SECRET not in explain.stdout
    rows = json.loads(run_module("explain", "--json", env=env).stdout)
    assert any(r["path"] == "django.DATABASES.default.HOST" and r["source"]["name"] == "DATABASE_URL" for r in rows)
    bad = run_module("resolve", env=clean_env(DATABASE_URL="postgres://u:topsecret@h:99999/x"))
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: ") and "DATABASE_URL" in bad.stderr and "topsecret" not in bad.stderr
    assert run_module("resolve", "--profile", "production", env=clean_env(VAULT_ADDR=f"http://127.0.0.1:{closed_port()}", DBSTACK_VAULT_TIMEOUT="300")).returncode == 3
