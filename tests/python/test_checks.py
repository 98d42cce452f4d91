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


def ids_of(messages: list[str]) -> list[str]:
    return sorted(m.split(":")[0] for m in messages)


def pooled(*aliases: str) -> dict[str, Any]:
    """The DBSTACK setting of a resolution that found these aliases behind a transaction pooler."""
    notes = [
        {"code": "supabase_transaction_pooler", "message": "...", "source": f"django.DATABASES.{a}.PORT"}
        for a in aliases
    ]
    return {"profile": "development", "fallback": {"active": False}, "routing": {**ROUTING, "aliases": ["default"], "apps": {}}, "warnings": notes}


def test_a_pool_with_persistent_connections_is_an_error() -> None:
    setting = pooled()
    assert ids_of(run_checks({"default": {**PG, "OPTIONS": {"pool": True}, "CONN_MAX_AGE": 600}}, setting)) == ["dbstack.E006"]
    # None is "unlimited persistent connections": also refused by Django.
    assert ids_of(run_checks({"default": {**PG, "OPTIONS": {"pool": {"min_size": 2}}, "CONN_MAX_AGE": None}}, setting)) == ["dbstack.E006"]
    assert run_checks({"default": {**PG, "OPTIONS": {"pool": True}, "CONN_MAX_AGE": 0}}, setting) == []
    assert run_checks({"default": {**PG, "OPTIONS": {"pool": False}, "CONN_MAX_AGE": 600}}, setting) == []


def test_a_transaction_pooler_with_server_side_cursors_or_binding_warns() -> None:
    behind = {**PG, "PORT": 6543, "DISABLE_SERVER_SIDE_CURSORS": False}
    messages = run_checks({"default": behind}, pooled("default"))
    assert ids_of(messages) == ["dbstack.W007"] and "iterator()" in messages[0], messages
    assert run_checks({"default": {**behind, "DISABLE_SERVER_SIDE_CURSORS": True}}, pooled("default")) == []
    binding = {**behind, "DISABLE_SERVER_SIDE_CURSORS": True, "OPTIONS": {"server_side_binding": True}}
    assert ids_of(run_checks({"default": binding}, pooled("default"))) == ["dbstack.W008"]
    # The resolution is the judge when configure() ran: no pooler warning, no check warning.
    assert run_checks({"default": behind}, pooled()) == []
    # `transaction_pooler` (the code a resolution with stack-file poolers gives) counts too.
    notes = {**pooled(), "warnings": [{"code": "transaction_pooler", "message": "...", "source": "django.DATABASES.default.DISABLE_SERVER_SIDE_CURSORS"}]}
    assert ids_of(run_checks({"default": {**PG, "DISABLE_SERVER_SIDE_CURSORS": False}}, notes)) == ["dbstack.W007"]
    # Without dbstack.configure: port 6543 alone.
    messages = run_checks({"default": behind, "agent_db": PG}, None)
    assert ids_of(messages) == ["dbstack.W005", "dbstack.W007"] and "`default`" in messages[-1], messages


def test_unknown_test_keys_warn() -> None:
    messages = run_checks({"default": {**PG, "TEST": {"NAME": "t", "MIRROR": None, "name": "x", "SERIALIZE": False}}}, pooled())
    assert ids_of(messages) == ["dbstack.W009"], messages
    assert "SERIALIZE, name" in messages[0]
    assert run_checks({"default": {**PG, "TEST": {"NAME": "t", "DEPENDENCIES": [], "MIGRATE": False}}}, pooled()) == []


def test_e006_is_what_django_itself_refuses() -> None:
    """Django 5.2 raises ImproperlyConfigured at the first connection of a pooled alias with a
    non-zero CONN_MAX_AGE (before any network I/O); E006 says so at `manage.py check` time."""
    script = f"""
import django
from django.conf import settings
settings.configure(INSTALLED_APPS=["dbstack.django"], DATABASES={{"default": {{**{PG!r}, "OPTIONS": {{"pool": True}}, "CONN_MAX_AGE": 60}}}})
django.setup()
from django.db import connection
try:
    connection.ensure_connection()
except Exception as error:
    print(type(error).__name__, error)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=clean_env(), check=True)
    assert out.stdout.strip() == "ImproperlyConfigured Pooling doesn't support persistent connections.", out.stdout + out.stderr
