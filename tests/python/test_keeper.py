"""The credential keeper end to end: a real OpenBao server (raft storage, so it can be stopped
and restarted with its leases), the real PostgreSQL and MariaDB (OpenBao's database engine with
the PostgreSQL and MySQL plugins, TTLs of seconds), real Django processes answering HTTP with
``SELECT current_user`` on a new connection per request, and a fork test.

Each run lasts at least 10 x the lease TTL; 0 failed requests; at least 3 different database
users per alias; the AppRole token (TTL of seconds, ``token_max_ttl``) logs in again; after the
process exits, none of its dynamic users is left in either database.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import pytest

from conftest import bao_binary, clean_env, mysql_connect, pg_connect, unique_name

SITE = Path(__file__).resolve().parent / "keeper_site"
PG_ADMIN = "dbstack_keeper_pyadmin"
MY_ADMIN = "dbstack_keeper_pyadmin"
#: Lease TTL of the main runs (seconds); max_ttl is 3 x this.
TTL = 2
RUN_S = 10 * TTL


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Bao:
    """A real OpenBao server with integrated (raft) storage: initialised and unsealed here; it
    keeps its mounts, tokens and leases across `stop()` and `start()`."""

    def __init__(self, tmp: Path) -> None:
        self.dir = tmp
        self.port = free_port()
        self.addr = f"http://127.0.0.1:{self.port}"
        self.config = tmp / "bao.hcl"
        (tmp / "data").mkdir()
        cluster = free_port()
        self.config.write_text(
            f'storage "raft" {{\n path = "{tmp / "data"}"\n node_id = "keeper"\n}}\n'
            f'listener "tcp" {{\n address = "127.0.0.1:{self.port}"\n cluster_address = "127.0.0.1:{cluster}"\n tls_disable = true\n}}\n'
            f'api_addr = "{self.addr}"\n'
            f'cluster_addr = "http://127.0.0.1:{cluster}"\n'
        )
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self.root = ""
        self.unseal_key = ""

    def api(self, method: str, path: str, data: Optional[dict[str, Any]] = None, token: Optional[str] = None) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.addr}/v1/{path}",
            data=None if data is None else json.dumps(data).encode(),
            headers={"X-Vault-Token": token if token is not None else self.root, "Content-Type": "application/json"},
            method=method,
        )
        try:
            # Generous: `sys/init` on raft storage took over 10 s on a machine under a load of 20.
            with urllib.request.urlopen(request, timeout=60) as response:
                body = response.read()
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{method} {path}: HTTP {error.code} {error.read()!r}") from error
        return json.loads(body) if body else {}

    def kv_write(self, path: str, data: dict[str, str]) -> None:
        """Writes a KV v2 secret under `secret/`. A new KV v2 mount on a server with real storage
        upgrades itself in the background first and answers 400 "Upgrading from non-versioned to
        versioned data" until it is done (seconds on a loaded machine): wait for it, up to 60 s."""
        deadline = time.monotonic() + 60
        while True:
            try:
                self.api("POST", f"secret/data/{path}", {"data": data})
                return
            except AssertionError as error:
                if "Upgrading from non-versioned to versioned data" not in str(error) or time.monotonic() > deadline:
                    raise
            time.sleep(0.2)

    def start(self) -> None:
        log = open(self.dir / "bao.log", "ab")
        self.proc = subprocess.Popen([bao_binary(), "server", f"-config={self.config}"], stdout=log, stderr=subprocess.STDOUT)
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"{self.addr}/v1/sys/seal-status", timeout=1):
                    break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.fail(f"OpenBao did not start on {self.addr}; see {self.dir / 'bao.log'}")
        if not self.root:
            init = self.api("PUT", "sys/init", {"secret_shares": 1, "secret_threshold": 1}, token="")
            self.root, self.unseal_key = init["root_token"], init["keys_base64"][0]
        self.api("PUT", "sys/unseal", {"key": self.unseal_key}, token="")
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"{self.addr}/v1/sys/health", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.05)
        pytest.fail(f"OpenBao at {self.addr} did not become active")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
            self.proc = None


def pg_admin() -> None:
    with pg_connect() as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (PG_ADMIN,)).fetchone()
        if not exists:
            conn.execute(f"CREATE ROLE {PG_ADMIN} LOGIN CREATEROLE PASSWORD 'admin-pw'")


def my_admin(database: str) -> None:
    conn = mysql_connect()
    try:
        cursor = conn.cursor()
        cursor.execute(f"CREATE USER IF NOT EXISTS '{MY_ADMIN}'@'%' IDENTIFIED BY 'admin-pw'")
        cursor.execute(f"GRANT ALL PRIVILEGES ON *.* TO '{MY_ADMIN}'@'%' WITH GRANT OPTION")
        cursor.execute(f"CREATE DATABASE IF NOT EXISTS `{database}`")
    finally:
        conn.close()


POLICY = """
path "secret/data/dbstack/*" { capabilities = ["read"] }
path "database/creds/*" { capabilities = ["read"] }
path "auth/token/lookup-self" { capabilities = ["read"] }
path "auth/token/renew-self" { capabilities = ["update"] }
path "sys/leases/renew" { capabilities = ["update"] }
path "sys/leases/revoke" { capabilities = ["update"] }
"""


@pytest.fixture(scope="module")
def bao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Bao, str]]:
    """OpenBao with KV, the database engine (roles `pg` / `my`: TTL 2 s, max 6 s; `pgslow` /
    `myslow`: TTL 4 s, max 1 h), AppRole (token TTL 4 s, max 12 s) and the keeper's policy.
    Yields it and the MariaDB database the dynamic users may read."""
    pg_admin()
    database = unique_name("dbstack_keeper")
    my_admin(database)
    server = Bao(tmp_path_factory.mktemp("bao"))
    server.start()
    try:
        server.api("POST", "sys/mounts/secret", {"type": "kv", "options": {"version": "2"}})
        for svc, data in (("supabase", {"sslmode": "disable"}), ("dragonfly", {"password": "df"}), ("ragflow", {"api_key": "rf"}), ("rocketmq", {"secret_key": "mq"})):
            server.kv_write(f"dbstack/{svc}", data)
        server.api("POST", "sys/mounts/database", {"type": "database"})
        server.api(
            "POST",
            "database/config/pg",
            {
                "plugin_name": "postgresql-database-plugin",
                "allowed_roles": "*",
                "connection_url": "postgresql://{{username}}:{{password}}@127.0.0.1:5432/postgres?sslmode=disable",
                "username": PG_ADMIN,
                "password": "admin-pw",
            },
        )
        server.api(
            "POST",
            "database/config/my",
            {
                "plugin_name": "mysql-database-plugin",
                "allowed_roles": "*",
                "connection_url": "{{username}}:{{password}}@tcp(127.0.0.1:3306)/",
                "username": MY_ADMIN,
                "password": "admin-pw",
            },
        )
        pg_create = ["CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"]
        my_create = ["CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}';", f"GRANT SELECT ON `{database}`.* TO '{{{{name}}}}'@'%';"]
        for name, ttl, max_ttl in (("", f"{TTL}s", f"{3 * TTL}s"), ("slow", "4s", "1h")):
            server.api("POST", f"database/roles/pg{name}", {"db_name": "pg", "creation_statements": pg_create, "default_ttl": ttl, "max_ttl": max_ttl})
            server.api("POST", f"database/roles/my{name}", {"db_name": "my", "creation_statements": my_create, "default_ttl": ttl, "max_ttl": max_ttl})
        server.api("PUT", "sys/policies/acl/keeper", {"policy": POLICY})
        server.api("POST", "sys/auth/approle", {"type": "approle"})
        server.api("POST", "auth/approle/role/keeper", {"token_policies": "keeper", "token_ttl": "4s", "token_max_ttl": "12s"})
        yield server, database
    finally:
        server.stop()
        conn = mysql_connect()
        try:
            conn.cursor().execute(f"DROP DATABASE IF EXISTS `{database}`")
        finally:
            conn.close()


def approle_env(server: Bao) -> dict[str, str]:
    role_id = server.api("GET", "auth/approle/role/keeper/role-id")["data"]["role_id"]
    secret_id = server.api("POST", "auth/approle/role/keeper/secret-id", {})["data"]["secret_id"]
    return {"VAULT_AUTH_METHOD": "approle", "VAULT_ROLE_ID": role_id, "VAULT_SECRET_ID": secret_id}


def site_env(server: Bao, database: str, tmp: Path, suffix: str = "", mariadb: bool = True, **extra: str) -> dict[str, str]:
    stack = tmp / "stack.toml"
    text = f'[aliases.default]\nservice = "supabase"\ndatabase = "postgres"\nvault_role = "pg{suffix}"\n'
    if mariadb:
        text += f'\n[aliases.legacy]\nservice = "mariadb"\nvault_role = "my{suffix}"\n'
    stack.write_text(text)
    return clean_env(
        DBSTACK_PROFILE="production",
        DBSTACK_CONFIG=str(stack),
        VAULT_ADDR=server.addr,
        DATABASE_URL="postgres://nobody@127.0.0.1:5432/postgres",
        LEGACY_URL=f"mysql://nobody@127.0.0.1:3306/{database}",
        PYTHONPATH=str(SITE),
        DJANGO_SETTINGS_MODULE="settings",
        **extra,
    )


class Site:
    """The keeper test site (`keeper_site/serve.py`) in a subprocess."""

    def __init__(self, env: dict[str, str], tmp: Path) -> None:
        self.port = free_port()
        self.log_path = tmp / f"site-{self.port}.log"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, str(SITE / "serve.py")],
            env={**env, "KEEPER_PORT": str(self.port)},
            cwd=SITE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            self.proc.kill()
            pytest.fail(f"the keeper site did not start: {line!r}\n{self.log_path.read_text()}")

    def get(self, path: str) -> tuple[bool, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/{path}", timeout=10) as response:
                return True, response.read().decode()
        except urllib.error.HTTPError as error:
            return False, f"HTTP {error.code}"
        except OSError as error:
            return False, str(error)

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=30)
        self.log.close()
        text = self.log_path.read_text()
        assert code == 0, f"the site exited {code}\n{text}"
        return text


def serve_for(site: Site, seconds: float, aliases: tuple[str, ...]) -> tuple[dict[str, set[str]], list[tuple[float, str, str]]]:
    """Requests `/whoami` for each alias in turn every ~50 ms; (users per alias, failures)."""
    users: dict[str, set[str]] = {alias: set() for alias in aliases}
    failures: list[tuple[float, str, str]] = []
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        for alias in aliases:
            ok, body = site.get(f"whoami?alias={alias}")
            if ok:
                users[alias].add(body)
            else:
                failures.append((round(time.monotonic() - start, 2), alias, body))
        time.sleep(0.05)
    return users, failures


def users_left(pg_users: set[str], my_users: set[str]) -> list[str]:
    left: list[str] = []
    if pg_users:
        with pg_connect() as conn:
            rows = conn.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", (list(pg_users),)).fetchall()
        left += [row[0] for row in rows]
    if my_users:
        conn = mysql_connect()
        try:
            cursor = conn.cursor()
            cursor.execute("SELECT user FROM mysql.user WHERE user IN (%s)" % ",".join(["%s"] * len(my_users)), tuple(my_users))
            left += [row[0] for row in cursor.fetchall()]
        finally:
            conn.close()
    return left


def assert_all_gone(pg_users: set[str], my_users: set[str]) -> None:
    deadline = time.monotonic() + 5
    left = users_left(pg_users, my_users)
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = users_left(pg_users, my_users)
    assert left == [], f"dynamic users left after the process exited: {left}"


@pytest.mark.parametrize(("conn_max_age", "health_checks"), [("0", "false"), ("60", "true")], ids=["new-connection-per-request", "persistent-connections"])
def test_django_keeps_working_across_rotations_and_relogins(bao: tuple[Bao, str], tmp_path: Path, conn_max_age: str, health_checks: str) -> None:
    server, database = bao
    env = site_env(server, database, tmp_path, KEEPER_CONN_MAX_AGE=conn_max_age, KEEPER_HEALTH_CHECKS=health_checks, **approle_env(server))
    site = Site(env, tmp_path)
    try:
        ok, engines = site.get("engines")
        assert ok and json.loads(engines) == {"default": "dbstack.django.db.backends.postgresql", "legacy": "dbstack.django.db.backends.mysql"}
        users, failures = serve_for(site, RUN_S, ("default", "legacy"))
        ok, body = site.get("leases")
        assert ok, body
        leases = json.loads(body)
    finally:
        log = site.stop()
    assert failures == [], f"failed requests: {failures[:10]}\n{log[-3000:]}"
    assert len(users["default"]) >= 3 and len(users["legacy"]) >= 3, f"{users}\n{log[-3000:]}"
    assert {row["alias"] for row in leases} == {"default", "legacy"}
    for row in leases:
        assert row["lease_id"].startswith(f"database/creds/{row['path'].rsplit('/', 1)[1]}/")
        assert row["next_action"] in ("renew", "rotate") and row["running"] is True
        assert isinstance(row["ttl_left_s"], float) and isinstance(row["renewals"], int)
    assert "lease renewed" in log and "new credentials for default" in log and "new credentials for legacy" in log, log[-3000:]
    assert "logged in to vault again (approle" in log, log[-3000:]
    assert "revoked" in log and "lease(s) this process created" in log, log[-3000:]
    assert env["VAULT_SECRET_ID"] not in log
    assert_all_gone(users["default"], users["legacy"])


def test_vault_stopped_and_restarted(bao: tuple[Bao, str], tmp_path: Path) -> None:
    """OpenBao goes away for longer than a renewal interval (2/3 of 4 s) and comes back: no
    failed request while the credentials are valid, recovery with new ones once it is back."""
    server, database = bao
    token = server.api("POST", "auth/token/create", {"policies": ["keeper"], "ttl": "1h"})["auth"]["client_token"]
    env = site_env(server, database, tmp_path, suffix="slow", VAULT_TOKEN=token, DBSTACK_VAULT_TIMEOUT="500ms")
    site = Site(env, tmp_path)
    try:
        before, failed_before = serve_for(site, 1.5, ("default", "legacy"))
        server.stop()
        during, failed_during = serve_for(site, 3.0, ("default", "legacy"))
        server.start()
        after, failed_after = serve_for(site, 6.0, ("default", "legacy"))
    finally:
        log = site.stop()
    assert failed_before == [], f"{failed_before}\n{log[-3000:]}"
    assert failed_during == [], f"requests failed while the credentials were valid: {failed_during}\n{log[-3000:]}"
    # The first leases ended while OpenBao was away (their TTL is 4 s, the outage 3 s after 1.5 s).
    # When it is back it revokes them, dropping their database users, while the keeper (retrying
    # at most a third of the TTL apart) fetches new credentials: a request that opened its
    # connection with the old user just before may fail with the user dropped under it. That
    # window is bounded; after it every request must succeed with the new credentials.
    window = 3.0
    late = [f for f in failed_after if f[0] >= window]
    assert late == [], f"no recovery {window} s after OpenBao came back: {failed_after}\n{log[-5000:]}"
    if failed_after:
        assert any(text in log for text in ("invalid role OID", "does not exist", "Access denied")), f"{failed_after}\n{log[-5000:]}"
    for alias in ("default", "legacy"):
        assert after[alias] - before[alias] - during[alias], f"{alias}: no new database user after OpenBao came back\n{log[-3000:]}"
    assert "cannot renew lease" in log, log[-3000:]
    # Back: the leases were renewed again or replaced (the first ones ended while Vault was away).
    tail = log[log.rindex("cannot renew lease") :]
    assert "lease renewed" in tail or "new credentials for" in tail, log[-3000:]
    assert token not in log
    pg_users = before["default"] | during["default"] | after["default"]
    my_users = before["legacy"] | during["legacy"] | after["legacy"]
    assert_all_gone(pg_users, my_users)


def test_forked_children_keep_their_own_credentials(bao: tuple[Bao, str], tmp_path: Path) -> None:
    server, database = bao
    out = tmp_path / "child"
    env = site_env(server, database, tmp_path, mariadb=False, KEEPER_OUT=str(out), KEEPER_SECONDS=str(4 * TTL + 1), **approle_env(server))
    proc = subprocess.run([sys.executable, str(SITE / "fork_children.py")], env=env, cwd=SITE, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr[-3000:]}"
    parent = proc.stdout.split("parent ", 1)[1].split()[0]
    children: list[set[str]] = []
    for n in range(2):
        lines = Path(f"{out}.{n}").read_text().splitlines()
        failed = [line for line in lines if not line.startswith("ok ")]
        assert len(lines) >= 40 and failed == [], f"child {n}: {failed[:5]} of {len(lines)}\n{proc.stderr[-3000:]}"
        children.append({line.split()[1] for line in lines})
    # Each child has credentials of its own (its own login and leases), rotated over the run.
    assert parent not in children[0] | children[1]
    assert not children[0] & children[1], children
    assert all(len(users) >= 2 for users in children), children
    assert "resolved its own vault credentials" in proc.stderr
    assert_all_gone({parent} | children[0] | children[1], set())


def test_verify_db_connections_shows_the_leases_and_the_exit_revokes_them(bao: tuple[Bao, str], tmp_path: Path) -> None:
    server, database = bao
    env = site_env(server, database, tmp_path, suffix="slow", **approle_env(server))
    proc = subprocess.run([sys.executable, "-m", "django", "verify_db_connections", "--json", "--no-services"], env=env, cwd=SITE, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert [d["ok"] for d in report["databases"]] == [True, True]
    leases = {row["alias"]: row for row in report["leases"]}
    assert sorted(leases) == ["default", "legacy"]
    assert leases["default"]["path"] == "database/creds/pgslow" and leases["legacy"]["path"] == "database/creds/myslow"
    assert all(0 < row["ttl_left_s"] <= 4 and row["next_action"] == "renew" for row in leases.values()), leases
    assert env["VAULT_SECRET_ID"] not in proc.stdout + proc.stderr
    # manage.py commands create credentials too: gone when the command exits.
    users = {d["alias"]: d["user"] for d in report["databases"]}
    assert_all_gone({users["default"]}, {users["legacy"]})
