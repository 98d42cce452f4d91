"""dbstack.resolve and the example project with credentials from a real OpenBao server."""

from __future__ import annotations

import json

import pytest

import dbstack
from conftest import bao_write, clean_env, manage, pg_tables


def test_credentials_come_from_vault_kv2(openbao: str, pg_databases: tuple[str, str]) -> None:
    app, agent = pg_databases
    bao_write(
        openbao,
        "dbstack/supabase",
        {"username": "postgres", "password": "vault-pw-7731", "host": "127.0.0.1", "port": "5432", "dbname": app},
    )
    bao_write(openbao, "dbstack/dragonfly", {"password": "dragonfly-pw-1"})
    bao_write(openbao, "dbstack/ragflow", {"api_key": "ragflow-key-2"})
    bao_write(openbao, "dbstack/rocketmq", {"access_key": "ak", "secret_key": "rocketmq-sk-3"})
    env = {"DBSTACK_KUBERNETES": "false", "VAULT_ADDR": openbao, "VAULT_TOKEN": "root", "AGENT_DB_URL": f"postgres://postgres@127.0.0.1:5432/{agent}"}
    stack = dbstack.resolve(env=env)
    default = stack.databases["default"]
    assert (default["USER"], default["PASSWORD"], default["NAME"]) == ("postgres", "vault-pw-7731", app)
    assert stack.vault["status"] == "ok" and not stack.fallback_active
    provenance = stack.to_dict()["provenance"]
    assert provenance["django.DATABASES.default.PASSWORD"]["source"] == {"kind": "vault", "name": "secret/dbstack/supabase#password"}
    assert stack.ragflow["API_KEY"] == "ragflow-key-2" and stack.rocketmq["SECRET_KEY"] == "rocketmq-sk-3"
    assert ":dragonfly-pw-1@" in stack.caches["default"]["LOCATION"]
    shown = repr(stack) + json.dumps(stack.to_dict()) + stack.explain()
    for secret in ("vault-pw-7731", "dragonfly-pw-1", "ragflow-key-2", "rocketmq-sk-3"):
        assert secret not in shown

    # The example project migrates with Vault's credentials (trust auth accepts any password).
    project_env = clean_env(**env)
    manage("migrate", "--noinput", env=project_env)
    assert "notes_note" in pg_tables(app)
    report = json.loads(manage("verify_db_connections", "--json", "--no-services", env=project_env).stdout)
    assert [(d["alias"], d["ok"], d["name"]) for d in report["databases"]] == [("default", True, app), ("agent_db", True, agent)]
    assert "vault-pw-7731" not in json.dumps(report)


def test_denied_token_is_a_vault_error_in_production(openbao: str) -> None:
    env = {"DBSTACK_KUBERNETES": "false", "DBSTACK_PROFILE": "production", "VAULT_ADDR": openbao, "VAULT_TOKEN": "not-a-token-5521"}
    with pytest.raises(dbstack.VaultError) as info:
        dbstack.resolve(env=env)
    assert info.value.exit_code == 3
    assert "not-a-token-5521" not in str(info.value)
    env["DBSTACK_PROFILE"] = "development"
    stack = dbstack.resolve(env=env)
    assert stack.fallback_active and stack.vault["status"] == "failed"
    assert any(w["code"].startswith("fallback") for w in stack.warnings)
