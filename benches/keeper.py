"""Credential keeper benchmarks (BENCHMARKS.md, "Credential keeper").

1. The cost of a new connection through dbstack's backend against Django's own, in one run:
   ``get_connection_params()`` alone (what the backend adds, no network) and a full
   ``connect()`` + ``close()`` to the real PostgreSQL, interleaved.
2. Vault requests per hour per process: a keeper with a lease TTL of 3 s (max 9 s) runs for
   30 s against a real OpenBao dev server, through a TCP relay that counts every HTTP request
   the keeper sends (OpenBao refuses to enable audit devices through its API); compared with
   what the renewal rule needs.

Run: ``$DBSTACK_VENV/bin/python benches/keeper.py`` (needs PostgreSQL on 127.0.0.1:5432 and
``DBSTACK_BAO_BIN``, both as ``scripts/test.sh python`` sets them up).
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ADMIN = "dbstack_keeper_pyadmin"


def api(addr: str, method: str, path: str, data: Any = None, token: str = "root") -> Any:
    request = urllib.request.Request(
        f"{addr}/v1/{path}",
        data=None if data is None else json.dumps(data).encode(),
        headers={"X-Vault-Token": token, "Content-Type": "application/json"},
        method=method,
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else {}


def start_bao(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    addr = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [os.environ["DBSTACK_BAO_BIN"], "server", "-dev", "-dev-root-token-id=root", f"-dev-listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            urllib.request.urlopen(f"{addr}/v1/sys/health", timeout=1)
            break
        except OSError:
            time.sleep(0.05)
    import psycopg

    with psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (ADMIN,)).fetchone():
            conn.execute(f"CREATE ROLE {ADMIN} LOGIN CREATEROLE PASSWORD 'admin-pw'")
    for svc in ("supabase", "dragonfly", "ragflow", "rocketmq"):
        api(addr, "POST", f"secret/data/dbstack/{svc}", {"data": {"unused": "x"}})
    api(addr, "POST", "sys/mounts/database", {"type": "database"})
    api(
        addr,
        "POST",
        "database/config/pg",
        {
            "plugin_name": "postgresql-database-plugin",
            "allowed_roles": "*",
            "connection_url": "postgresql://{{username}}:{{password}}@127.0.0.1:5432/postgres?sslmode=disable",
            "username": ADMIN,
            "password": "admin-pw",
        },
    )
    create = ["CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"]
    api(addr, "POST", "database/roles/long", {"db_name": "pg", "creation_statements": create, "default_ttl": "1h", "max_ttl": "24h"})
    api(addr, "POST", "database/roles/short", {"db_name": "pg", "creation_statements": create, "default_ttl": "3s", "max_ttl": "9s"})
    return proc, addr


def env_for(addr: str, tmp: Path, role: str) -> dict[str, str]:
    stack = tmp / f"{role}.toml"
    stack.write_text(f'[aliases.default]\nservice = "supabase"\ndatabase = "postgres"\nvault_role = "{role}"\n')
    token = api(addr, "POST", "auth/token/create", {"policies": ["root"], "ttl": "1h"})["auth"]["client_token"]
    return {
        "DBSTACK_KUBERNETES": "false",
        "DBSTACK_CONFIG": str(stack),
        "VAULT_ADDR": addr,
        "VAULT_TOKEN": token,
        "DATABASE_URL": "postgres://nobody@127.0.0.1:5432/postgres",
        "HOME": str(tmp),
    }


def connect_cost(addr: str, tmp: Path) -> None:
    import django
    from django.conf import settings

    import dbstack

    namespace: dict[str, Any] = {}
    dbstack.configure(namespace, env=env_for(addr, tmp, "long"))
    kept = namespace["DATABASES"]["default"]
    assert kept["ENGINE"] == "dbstack.django.db.backends.postgresql", kept["ENGINE"]
    plain = dict(kept, ENGINE="django.db.backends.postgresql")
    settings.configure(DATABASES={"default": kept, "plain": plain}, USE_TZ=True)
    django.setup()
    from django.db import connections

    rounds, calls = 7, 20_000
    per_call: dict[str, list[float]] = {"plain": [], "default": []}
    for _ in range(rounds):
        for alias in ("plain", "default"):
            connection = connections[alias]
            start = time.perf_counter()
            for _ in range(calls):
                connection.get_connection_params()
            per_call[alias].append((time.perf_counter() - start) / calls * 1e6)
    params = {alias: statistics.median(v) for alias, v in per_call.items()}
    full: dict[str, list[float]] = {"plain": [], "default": []}
    for _ in range(300):
        for alias in ("plain", "default"):
            connection = connections[alias]
            start = time.perf_counter()
            connection.connect()
            connection.close()
            full[alias].append((time.perf_counter() - start) * 1e6)
    connects = {alias: statistics.median(v) for alias, v in full.items()}
    print(f"get_connection_params: django {params['plain']:.2f} us, dbstack {params['default']:.2f} us, added {params['default'] - params['plain']:.2f} us")
    print(f"connect+close (median of 300): django {connects['plain']:.0f} us, dbstack {connects['default']:.0f} us, added {connects['default'] - connects['plain']:.0f} us")


def counting_relay(target: str, counts: dict[str, int]) -> str:
    """A TCP relay to `target` that counts the HTTP requests passing through, by path."""
    import re
    import threading

    host, port = target.removeprefix("http://").split(":")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    request_line = re.compile(rb"(?:^|\r\n)(?:GET|PUT|POST|LIST|DELETE) /v1/([^ ?]+)")

    def pipe(src: socket.socket, dst: socket.socket, count: bool) -> None:
        while data := src.recv(65536):
            if count:
                for path in request_line.findall(data):
                    key = "secret/data/*" if path.startswith(b"secret/data/") else path.decode()
                    key = "database/creds/*" if key.startswith("database/creds/") else key
                    counts[key] = counts.get(key, 0) + 1
            dst.sendall(data)

    def serve() -> None:
        while True:
            client, _ = listener.accept()
            server = socket.create_connection((host, int(port)))
            threading.Thread(target=pipe, args=(client, server, True), daemon=True).start()
            threading.Thread(target=pipe, args=(server, client, False), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}"


def requests_per_hour(addr: str, tmp: Path, seconds: float = 30.0) -> None:
    import dbstack

    counts: dict[str, int] = {}
    env = env_for(addr, tmp, "short")
    env["VAULT_ADDR"] = counting_relay(addr, counts)
    env["DBSTACK_KV_REFRESH"] = "5"
    stack = dbstack.resolve(env=env)
    start = dict(counts)
    keeper = stack._keeper
    keeper.databases(0)  # starts the thread
    time.sleep(seconds)
    counts = {k: v - start.get(k, 0) for k, v in counts.items() if v - start.get(k, 0)}
    keeper.stop(revoke=True, timeout=10)
    print(f"requests of the keeper's token in {seconds:.0f} s (lease TTL 3 s, max 9 s; KV every 5 s): {json.dumps(counts, sort_keys=True)}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        proc, addr = start_bao(tmp)
        try:
            connect_cost(addr, tmp)
            requests_per_hour(addr, tmp)
            from dbstack import _keeper

            _keeper._stop_all()  # revoke while OpenBao still runs
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    sys.exit(main())
