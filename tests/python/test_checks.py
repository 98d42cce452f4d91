"""The router and the `dbstack` system checks on hand-written routing tables (in a fresh
interpreter each, since Django's settings are process-wide)."""

from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace
from typing import Any

from conftest import clean_env

from dbstack.django import Router

ROUTING = {
    "default": "default",
    "aliases": ["default", "agent_db"],
    "apps": {"python_agent": {"read": "agent_db", "write": "agent_db", "migrate": "agent_db"}},
}


def model(label: str) -> Any:
    return SimpleNamespace(_meta=SimpleNamespace(app_label=label))


def test_router_follows_the_routing_table() -> None:
    router = Router(ROUTING)
    assert router.db_for_read(model("python_agent")) == "agent_db"
    assert router.db_for_write(model("python_agent")) == "agent_db"
    assert router.db_for_read(model("notes")) == "default"
    assert router.allow_migrate("agent_db", "python_agent") is True
    assert router.allow_migrate("default", "python_agent") is False
    assert router.allow_migrate("default", "auth") is True
    assert router.allow_migrate("agent_db", "auth") is False
    assert router.allow_relation(model("python_agent"), model("python_agent")) is True
    assert router.allow_relation(model("python_agent"), model("notes")) is False


def run_checks(databases: dict[str, Any], dbstack_setting: Any, debug: bool = True) -> list[str]:
    script = f"""
import json, django
from django.conf import settings
extra = {{}} if {dbstack_setting!r} is None else {{"DBSTACK": {dbstack_setting!r}}}
settings.configure(DEBUG={debug!r}, INSTALLED_APPS=["dbstack.django"], DATABASES={databases!r}, **extra)
django.setup()
from django.core.checks import run_checks
print(json.dumps([[m.id, m.msg] for m in run_checks(tags=["dbstack"])]))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=clean_env(), check=True)
    return [f"{id_}: {msg}" for id_, msg in json.loads(out.stdout)]


PG = {"ENGINE": "django.db.backends.postgresql", "NAME": "x", "USER": "u", "PASSWORD": "p", "HOST": "h", "PORT": 5432}


def test_fallback_in_production_and_routes_to_unknown_aliases() -> None:
    setting = {
        "profile": "production",
        "fallback": {"active": True, "reason": "vault failed"},
        "routing": {**ROUTING, "apps": {"python_agent": {"read": "ghost", "write": "agent_db", "migrate": "agent_db"}}},
    }
    messages = run_checks({"default": PG, "agent_db": PG}, setting)
    ids = [m.split(":")[0] for m in messages]
    assert ids == ["dbstack.E001", "dbstack.E002"], messages
    assert "vault failed" in messages[0]
    assert "ghost" in messages[1] and "python_agent" in messages[1]


def test_unreached_alias_missing_credentials_and_no_configure() -> None:
    setting = {"profile": "production", "fallback": {"active": False}, "routing": ROUTING}
    no_password = {**PG, "PASSWORD": ""}
    messages = run_checks({"default": PG, "agent_db": {**PG, "USER": ""}, "reports": no_password}, setting)
    ids = sorted(m.split(":")[0] for m in messages)
    assert ids == ["dbstack.E004", "dbstack.E004", "dbstack.W003"], messages
    assert any("reports" in m and "PASSWORD" in m for m in messages)
    assert any("agent_db" in m and "USER" in m for m in messages)
    # development: an empty password is fine (local MariaDB root), and the fallback is allowed.
    setting = {"profile": "development", "fallback": {"active": True, "reason": "no database"}, "routing": ROUTING}
    assert run_checks({"default": no_password, "agent_db": no_password}, setting) == []
    assert [m.split(":")[0] for m in run_checks({"default": no_password, "agent_db": no_password}, setting, debug=False)] == ["dbstack.W001"]
    # Without dbstack.configure the checks resolve offline and say so.
    ids = [m.split(":")[0] for m in run_checks({"default": PG, "agent_db": PG}, None)]
    assert "dbstack.W005" in ids
