"""dbstack.resolve and the example project with credentials from a real OpenBao server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import dbstack
from conftest import ROOT_TOKEN, bao_write, clean_env, manage, pg_tables, secret

VAULT_PW = secret("vault-pw-7731")


def test_credentials_come_from_vault_kv2(openbao: str, pg_databases: tuple[str, str]) -> None:
    app, agent = pg_databases
    bao_write(
        openbao,
        "dbstack/supabase",
        {"username": "postgres", "password": VAULT_PW, "host": "127.0.0.1", "port": "5432", "dbname": app},
    )
    bao_write(openbao, "dbstack/dragonfly", {"password": secret("dragonfly-pw-1")})
    bao_write(openbao, "dbstack/ragflow", {"api_key": secret("ragflow-key-2")})
    bao_write(openbao, "dbstack/rocketmq", {"access_key": "ak", "secret_key": secret("rocketmq-sk-3")})
    env = {"DBSTACK_KUBERNETES": "false", "VAULT_ADDR": openbao, "VAULT_TOKEN": ROOT_TOKEN, "AGENT_DB_URL": f"postgres://postgres@127.0.0.1:5432/{agent}"}
    stack = dbstack.resolve(env=env)
    default = stack.databases["default"]
    assert (default["USER"], default["PASSWORD"], default["NAME"]) == ("postgres", VAULT_PW, app)
    assert stack.vault["status"] == "ok" and not stack.fallback_active
    provenance = stack.to_dict()["provenance"]
    assert provenance["django.DATABASES.default.PASSWORD"]["source"] == {"kind": "vault", "name": "secret/dbstack/supabase#password"}
    assert stack.ragflow["API_KEY"] == secret("ragflow-key-2") and stack.rocketmq["SECRET_KEY"] == secret("rocketmq-sk-3")
    assert f":{secret('dragonfly-pw-1')}@" in stack.caches["default"]["LOCATION"]
    shown = repr(stack) + json.dumps(stack.to_dict()) + stack.explain()
    for value in (VAULT_PW, secret("dragonfly-pw-1"), secret("ragflow-key-2"), secret("rocketmq-sk-3")):
        assert value not in shown

    # The example project migrates with Vault's credentials (trust auth accepts any password).
    project_env = clean_env(**env)
    manage("migrate", "--noinput", env=project_env)
    assert "notes_note" in pg_tables(app)
    report = json.loads(manage("verify_db_connections", "--json", "--no-services", env=project_env).stdout)
    assert [(d["alias"], d["ok"], d["name"]) for d in report["databases"]] == [("default", True, app), ("agent_db", True, agent)]
    assert VAULT_PW not in json.dumps(report)


def test_denied_token_is_a_vault_error_in_production(openbao: str) -> None:
    env = {"DBSTACK_KUBERNETES": "false", "DBSTACK_PROFILE": "production", "VAULT_ADDR": openbao, "VAULT_TOKEN": secret("not-a-token-5521")}
    with pytest.raises(dbstack.VaultError) as info:
        dbstack.resolve(env=env)
    assert info.value.exit_code == 3
    assert secret("not-a-token-5521") not in str(info.value)
    env["DBSTACK_PROFILE"] = "development"
    stack = dbstack.resolve(env=env)
    assert stack.fallback_active and stack.vault["status"] == "failed"
    assert any(w["code"].startswith("fallback") for w in stack.warnings)


def test_kv_services_reads_only_the_listed_secrets(openbao: str, tmp_path: Path) -> None:
    """`[vault] kv_services` (issue 14): RAGflow's key stays in the environment and no empty
    secret is needed; without the list the missing secrets fail production (strict)."""
    kv_pw, env_key = secret("kv-pg-pw-8812"), secret("env-rf-key-3")
    bao_write(openbao, "dbstack/supabase", {"username": "app", "password": kv_pw})
    stack_file = tmp_path / "stack.toml"
    stack_file.write_text('[aliases.default]\nservice = "supabase"\n\n[vault]\nkv_services = ["supabase"]\n')
    env = {
        "DBSTACK_KUBERNETES": "false",
        "DBSTACK_PROFILE": "production",
        "VAULT_ADDR": openbao,
        "VAULT_TOKEN": ROOT_TOKEN,
        "RAGFLOW_API_KEY": env_key,
    }
    stack = dbstack.resolve(env=env, stack_file=str(stack_file))
    assert stack.vault["status"] == "ok"
    assert stack.databases["default"]["PASSWORD"] == kv_pw
    assert stack.ragflow["API_KEY"] == env_key
    reads = dbstack.plan({"env": env, "stack": {"name": str(stack_file), "text": stack_file.read_text()}})["reads"]
    assert [r["path"] for r in reads] == ["secret/dbstack/supabase"]
    with pytest.raises(dbstack.VaultError) as info:
        dbstack.resolve(env=env)
    assert info.value.exit_code == 3 and "secret/dbstack/dragonfly" in str(info.value)
    # An unknown service is a configuration error naming the file and line.
    stack_file.write_text('[aliases.default]\nservice = "supabase"\n\n[vault]\nkv_services = ["supabase", "ragflw"]\n')
    with pytest.raises(dbstack.ConfigError) as bad:
        dbstack.resolve(env=env, stack_file=str(stack_file))
    assert f"{stack_file}:5" in str(bad.value) and "vault.kv_services" in str(bad.value), str(bad.value)
