"""The example Django project (tests/django_project) with real Django 5.2 against real
PostgreSQL and the real local MariaDB fallback."""

from __future__ import annotations

import json

import django

from conftest import clean_env, manage, mysql_connect, mysql_tables, pg_connect, pg_env, pg_tables

AGENT_TABLES = {"python_agent_agentrun", "python_agent_agentmessage"}
DEFAULT_TABLES = {"notes_note", "auth_user", "auth_group", "auth_permission", "django_content_type"}


def test_django_is_5_2() -> None:
    assert django.VERSION[:2] == (5, 2)


def test_check_passes_with_the_dbstack_checks(pg_databases: tuple[str, str]) -> None:
    out = manage("check", "--fail-level", "WARNING", env=pg_env(pg_databases))
    assert "no issues" in out.stdout
    tagged = manage("check", "--tag", "dbstack", "--fail-level", "WARNING", env=pg_env(pg_databases))
    assert "no issues" in tagged.stdout


def test_migrate_puts_python_agent_only_in_agent_db(pg_databases: tuple[str, str]) -> None:
    app, agent = pg_databases
    env = pg_env(pg_databases)
    manage("migrate", "--noinput", env=env)
    manage("migrate", "--noinput", "--database", "agent_db", env=env)
    default_tables, agent_tables = pg_tables(app), pg_tables(agent)
    assert DEFAULT_TABLES <= default_tables, default_tables
    assert not AGENT_TABLES & default_tables, default_tables
    assert AGENT_TABLES <= agent_tables, agent_tables
    assert agent_tables <= AGENT_TABLES | {"django_migrations"}, agent_tables

    script = (
        "from notes.models import Note\n"
        "from python_agent.models import AgentRun, AgentMessage\n"
        "n = Note.objects.create(title='hello')\n"
        "r = AgentRun.objects.create(name='run-1', status='done')\n"
        "AgentMessage.objects.create(run=r, role='user', content='hi')\n"
        "print(Note.objects.all().db, AgentRun.objects.all().db, n._state.db, r._state.db)\n"
        "print(AgentRun.objects.get(name='run-1').messages.count(), Note.objects.count())\n"
    )
    out = manage("shell", "--no-imports", "-c", script, env=env)
    assert out.stdout.split("\n")[:2] == ["default agent_db default agent_db", "1 1"], out.stdout
    with pg_connect(agent) as conn:
        assert conn.execute("SELECT name, status FROM python_agent_agentrun").fetchall() == [("run-1", "done")]
    with pg_connect(app) as conn:
        assert conn.execute("SELECT title FROM notes_note").fetchall() == [("hello",)]


def test_verify_db_connections_against_real_databases(pg_databases: tuple[str, str]) -> None:
    env = pg_env(pg_databases)
    out = manage("verify_db_connections", "--json", "--no-services", env=env)
    report = json.loads(out.stdout)
    assert report["ok"] is True
    assert [(d["alias"], d["ok"], d["vendor"], d["name"]) for d in report["databases"]] == [
        ("default", True, "postgresql", pg_databases[0]),
        ("agent_db", True, "postgresql", pg_databases[1]),
    ]
    table = manage("verify_db_connections", "--no-services", env=env)
    assert "agent_db" in table.stdout and "FAIL" not in table.stdout

    services = manage("verify_db_connections", "--json", "--timeout", "2", env=env, check=False)
    report = json.loads(services.stdout)
    checks = {c["service"] + ":" + str(c.get("alias") or ""): c for c in report["services"]["checks"]}
    assert report["services"]["checks"], report
    assert all(c["ok"] for key, c in checks.items() if key.startswith("supabase")), checks
    assert services.returncode == (0 if report["services"]["ok"] else 1)

    # A database that does not exist fails, with exit code 1 and the alias named.
    bad = pg_env(pg_databases)
    bad["AGENT_DB_URL"] = "postgres://postgres:not-this-pw@127.0.0.1:5432/dbstack_missing_db_xyz"
    failed = manage("verify_db_connections", "--json", "--no-services", env=bad, check=False)
    assert failed.returncode == 1
    rows = {d["alias"]: d for d in json.loads(failed.stdout)["databases"]}
    assert rows["default"]["ok"] and not rows["agent_db"]["ok"]
    assert "dbstack_missing_db_xyz" in rows["agent_db"]["error"]
    assert "not-this-pw" not in failed.stdout + failed.stderr


def test_fallback_migrates_against_local_mariadb(mysql_fallback: str) -> None:
    env = clean_env(DBSTACK_PROFILE="development", DBSTACK_FALLBACK_URL=f"mysql://root@127.0.0.1:3306/{mysql_fallback}")
    check = manage("check", env=env)
    assert "fallback" in check.stderr.lower(), "the fallback must be loud"
    manage("migrate", "--noinput", env=env)
    manage("migrate", "--noinput", "--database", "agent_db", env=env)
    default_tables, agent_tables = mysql_tables(mysql_fallback), mysql_tables(f"{mysql_fallback}_agent_db")
    assert DEFAULT_TABLES <= default_tables and not AGENT_TABLES & default_tables, default_tables
    assert AGENT_TABLES <= agent_tables <= AGENT_TABLES | {"django_migrations"}, agent_tables
    out = manage("shell", "--no-imports", "-c", "from python_agent.models import AgentRun; AgentRun.objects.create(name='fb'); print(AgentRun.objects.count())", env=env)
    assert out.stdout.strip() == "1"
    conn = mysql_connect(f"{mysql_fallback}_agent_db")
    try:
        cursor = conn.cursor()
        cursor.execute("SELECT name FROM python_agent_agentrun")
        assert cursor.fetchall() == (("fb",),)
    finally:
        conn.close()
    verify = json.loads(manage("verify_db_connections", "--json", "--no-services", env=env).stdout)
    assert [(d["alias"], d["ok"], d["vendor"]) for d in verify["databases"]] == [("default", True, "mysql"), ("agent_db", True, "mysql")]
    # With DEBUG off the dbstack checks warn about the fallback.
    warned = manage("check", "--tag", "dbstack", env={**env, "DJANGO_DEBUG": "false"})
    assert "dbstack.W001" in warned.stderr


def test_checks_report_unreachable_aliases_and_missing_credentials(pg_databases: tuple[str, str], tmp_path: object) -> None:
    from pathlib import Path

    stack_file = Path(str(tmp_path)) / "stack.toml"
    stack_file.write_text(
        '[aliases.default]\nservice = "supabase"\n\n[aliases.agent_db]\nservice = "supabase"\ndatabase = "agent"\n\n'
        '[aliases.analytics]\nservice = "supabase"\ndatabase = "analytics"\n\n[routes]\npython_agent = "agent_db"\n'
    )
    env = pg_env(pg_databases, DBSTACK_CONFIG=str(stack_file))
    out = manage("check", "--tag", "dbstack", env=env, check=False)
    assert "dbstack.W003" in out.stderr and "analytics" in out.stderr
    no_user = clean_env(DBSTACK_PROFILE="production", DATABASE_URL="postgres://127.0.0.1:5432/x", AGENT_DB_URL="postgres://127.0.0.1:5432/y")
    out = manage("check", "--tag", "dbstack", env=no_user, check=False)
    assert out.returncode == 1 and "dbstack.E004" in out.stderr


CONNECTION_SETTINGS = """
import json
from django.db import close_old_connections, connections
c = connections["default"]
with c.cursor() as cur:
    cur.execute("SHOW application_name")
    app_name = cur.fetchone()[0]
close_old_connections()  # what Django does at the end of a request
persistent = c.connection is not None
old_name = c.settings_dict["NAME"]
test_db = c.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
with c.cursor() as cur:
    cur.execute("SELECT current_database()")
    in_test_db = cur.fetchone()[0]
c.creation.destroy_test_db(old_name, verbosity=0)
keys = ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS", "ATOMIC_REQUESTS", "DISABLE_SERVER_SIDE_CURSORS")
print(json.dumps({
    "default": {k: c.settings_dict[k] for k in keys},
    "agent_db": {k: connections["agent_db"].settings_dict[k] for k in keys},
    "application_name": app_name,
    "test_db": test_db,
    "in_test_db": in_test_db,
    "persistent": persistent,
}))
"""


def test_stack_connection_settings_reach_django(pg_databases: tuple[str, str], tmp_path: object) -> None:
    from pathlib import Path

    from conftest import unique_name

    test_name = unique_name("dbstack_test")
    stack_file = Path(str(tmp_path)) / "stack.toml"
    stack_file.write_text(
        "[django]\nconn_max_age = 600\nconn_health_checks = true\n\n"
        '[aliases.default]\nservice = "supabase"\natomic_requests = true\n'
        f'options = {{ application_name = "dbstack-stack", connect_timeout = 5 }}\ntest = {{ NAME = "{test_name}" }}\n\n'
        '[aliases.agent_db]\nservice = "supabase"\ndatabase = "agent"\nconn_max_age = 0\n\n'
        '[routes]\npython_agent = "agent_db"\n'
    )
    env = pg_env(pg_databases, DBSTACK_CONFIG=str(stack_file))
    assert "no issues" in manage("check", "--tag", "dbstack", "--fail-level", "WARNING", env=env).stdout
    try:
        out = manage("shell", "--no-imports", "-c", CONNECTION_SETTINGS, env=env)
    finally:
        with pg_connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{test_name}" WITH (FORCE)')
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["default"] == {"CONN_MAX_AGE": 600, "CONN_HEALTH_CHECKS": True, "ATOMIC_REQUESTS": True, "DISABLE_SERVER_SIDE_CURSORS": False}
    # ATOMIC_REQUESTS is not set on agent_db: Django's own default fills it.
    assert got["agent_db"] == {"CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": True, "ATOMIC_REQUESTS": False, "DISABLE_SERVER_SIDE_CURSORS": False}
    assert got["application_name"] == "dbstack-stack", "the stack's options reach libpq"
    assert got["persistent"] is True, "CONN_MAX_AGE = 600 keeps the connection past the request"
    assert got["test_db"] == got["in_test_db"] == test_name, "TEST.NAME names Django's test database"


def test_checks_flag_what_django_refuses(pg_databases: tuple[str, str], tmp_path: object) -> None:
    from pathlib import Path

    stack_file = Path(str(tmp_path)) / "stack.toml"
    stack_file.write_text(
        '[aliases.default]\nservice = "supabase"\nconn_max_age = 60\noptions = { pool = true }\n\n'
        '[aliases.agent_db]\nservice = "supabase"\ndatabase = "agent"\npooler = "transaction"\n'
        "disable_server_side_cursors = false\noptions = { server_side_binding = true }\ntest = { name = \"lower\" }\n\n"
        '[routes]\npython_agent = "agent_db"\n'
    )
    env = pg_env(pg_databases, DBSTACK_CONFIG=str(stack_file))
    out = manage("check", "--tag", "dbstack", env=env, check=False)
    assert out.returncode == 1, out.stderr
    for expected in ("default: (dbstack.E006)", "agent_db: (dbstack.W007)", "agent_db: (dbstack.W008)", "agent_db: (dbstack.W009)"):
        assert expected in out.stderr, out.stderr
    # E006 is what Django itself refuses at the first connection.
    refused = manage("shell", "--no-imports", "-c", "from django.db import connection; connection.ensure_connection()", env=env, check=False)
    assert refused.returncode != 0 and "Pooling doesn't support persistent connections" in refused.stderr


def test_a_transaction_pooler_turns_server_side_cursors_off_in_django(pg_databases: tuple[str, str]) -> None:
    env = {**pg_env(pg_databases), "DATABASE_URL": "postgres://postgres.tenant:pw@aws-0-eu-west-1.pooler.supabase.com:6543/postgres"}
    out = manage("check", "--tag", "dbstack", "--fail-level", "WARNING", env=env)
    assert "no issues" in out.stdout
    assert "transaction pooler (port 6543): DISABLE_SERVER_SIDE_CURSORS is true" in out.stderr, out.stderr
    script = "from django.conf import settings; print(settings.DATABASES['default']['DISABLE_SERVER_SIDE_CURSORS'], settings.DATABASES['agent_db']['DISABLE_SERVER_SIDE_CURSORS'])"
    assert manage("shell", "--no-imports", "-c", script, env=env).stdout.split() == ["True", "False"]
