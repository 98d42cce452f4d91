"""The health endpoints (`path("healthz/", include("dbstack.django.urls"))`) of the example
project, with real Django's test client against the real PostgreSQL, Redis and OpenBao."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from conftest import ROOT_TOKEN, bao_write, clean_env, manage, secret

SECRET = secret("health-pw-5519")

# Runs inside `manage.py shell`: probes through Django's test client, prints one JSON line.
PROBES = r"""
import json, os, time
import psycopg
from django.test import Client
from django.test.utils import override_settings

client = Client(HTTP_HOST="localhost")
out = {}

def get(path):
    response = client.get(path)
    return {"status": response.status_code, "body": response.json(), "cache_control": response.get("Cache-Control")}

out["live"] = get("/healthz/live")
out["post"] = client.post("/healthz/ready").status_code
with override_settings(DBSTACK_HEALTH={"cache_seconds": 6, "timeout": 2}):
    out["first"] = get("/healthz/ready")
    out["storm"] = [get("/healthz/ready") for _ in range(30)]
    if os.environ.get("HEALTH_DROP"):
        # The agent database disappears (FORCE also ends the probe thread's session) ...
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute('DROP DATABASE "%s" WITH (FORCE)' % os.environ["HEALTH_DROP"])
        # ... the cached answer is still served (no query was made) ...
        out["cached_after_drop"] = get("/healthz/ready")
        time.sleep(6.1)
        # ... and once it expires the next probe finds the failing alias.
        out["after_expiry"] = get("/healthz/ready")
with override_settings(DBSTACK_HEALTH={"cache_seconds": 0, "required": ["dragonfly"]}):
    out["required"] = get("/healthz/ready")
print("HEALTH " + json.dumps(out))
"""


def probe(env: dict[str, str]) -> dict[str, Any]:
    out = manage("shell", "--no-imports", "-c", PROBES, env=env)
    line = next(line for line in out.stdout.splitlines() if line.startswith("HEALTH "))
    assert SECRET not in out.stdout + out.stderr
    return json.loads(line[len("HEALTH ") :])  # type: ignore[no-any-return]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_env(names: tuple[str, str], **extra: str) -> dict[str, str]:
    app, agent = names
    return clean_env(
        DBSTACK_PROFILE="development",
        DATABASE_URL=f"postgres://postgres:{SECRET}@127.0.0.1:5432/{app}",
        AGENT_DB_URL=f"postgres://postgres:{SECRET}@127.0.0.1:5432/{agent}",
        **extra,
    )


def test_ready_checks_the_databases_caches_and_names_the_failing_alias(pg_databases: tuple[str, str]) -> None:
    out = probe(pg_env(pg_databases, REDIS_URL="redis://127.0.0.1:6379/0", HEALTH_DROP=pg_databases[1]))
    assert out["live"] == {"status": 200, "body": {"status": "ok"}, "cache_control": "no-store"}
    assert out["post"] == 405

    first = out["first"]
    assert first["status"] == 200, first
    body = first["body"]
    assert (body["status"], body["failing"], body["cached"]) == ("ok", [], False)
    assert {alias: (r["ok"], r["vendor"]) for alias, r in body["databases"].items()} == {
        "default": (True, "postgresql"),
        "agent_db": (True, "postgresql"),
    }
    # The cache (real Redis) is reported; not required, but healthy here. Whatever else the
    # stack has (RAGflow, RocketMQ on their defaults) is reported and does not fail readiness.
    services = {s["service"]: s for s in body["services"]}
    assert (services["dragonfly"]["ok"], services["dragonfly"]["required"]) == (True, False), services
    assert not any(s["required"] for s in body["services"])

    # A probe storm within cache_seconds is one round of queries: every answer is the cached one.
    storm = out["storm"]
    assert all(r["status"] == 200 and r["body"]["cached"] for r in storm), storm
    assert {r["body"]["checked_at"] for r in storm} == {body["checked_at"]}

    assert out["cached_after_drop"]["status"] == 200
    assert out["cached_after_drop"]["body"]["cached"] is True
    failed = out["after_expiry"]
    assert failed["status"] == 503, failed
    assert failed["body"]["failing"] == ["agent_db"]
    assert failed["body"]["databases"]["default"]["ok"] is True
    agent = failed["body"]["databases"]["agent_db"]
    assert agent["ok"] is False and "does not exist" in agent["error"], agent


def test_other_services_fail_readiness_only_when_required(pg_databases: tuple[str, str]) -> None:
    out = probe(pg_env(pg_databases, REDIS_URL=f"redis://:{SECRET}@127.0.0.1:{closed_port()}/0"))
    first = out["first"]
    # The cache is down: reported, but readiness stays up (no cascading failure) ...
    assert first["status"] == 200, first
    cache = {s["service"]: s for s in first["body"]["services"]}["dragonfly"]
    assert (cache["ok"], cache["required"]) == (False, False), cache
    assert cache["error"].startswith("refused"), cache
    # ... unless the settings mark it required.
    required = out["required"]
    assert required["status"] == 503, required
    assert required["body"]["failing"] == ["dragonfly"]
    assert SECRET not in json.dumps(out)


class CountingProxy:
    """A TCP proxy to OpenBao that counts the HTTP requests it forwards."""

    def __init__(self, upstream: str) -> None:
        host, port = upstream.removeprefix("http://").split(":")
        self.upstream = (host, int(port))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.addr = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.requests = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            threading.Thread(target=self._pipe, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, count: bool) -> None:
        try:
            while data := source.recv(65536):
                if count:
                    with self.lock:
                        self.requests += data.count(b" HTTP/1.1\r\n")
                sink.sendall(data)
        except OSError:
            pass
        finally:
            sink.close()


@pytest.fixture
def vault_proxy(openbao: str) -> Iterator[tuple[str, CountingProxy]]:
    proxy = CountingProxy(openbao)
    yield openbao, proxy
    proxy.listener.close()


def test_probes_never_ask_vault(vault_proxy: tuple[str, CountingProxy], pg_databases: tuple[str, str]) -> None:
    openbao, proxy = vault_proxy
    app, agent = pg_databases
    bao_write(openbao, "dbstack/supabase", {"username": "postgres", "password": SECRET, "host": "127.0.0.1", "dbname": app})
    bao_write(openbao, "dbstack/dragonfly", {"password": ""})
    bao_write(openbao, "dbstack/ragflow", {"api_key": secret("k")})
    bao_write(openbao, "dbstack/rocketmq", {"access_key": "a", "secret_key": "s"})
    env = clean_env(
        VAULT_ADDR=proxy.addr,
        VAULT_TOKEN=ROOT_TOKEN,
        AGENT_DB_URL=f"postgres://postgres@127.0.0.1:5432/{agent}",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    out = probe(env)
    assert out["first"]["status"] == 200, out["first"]
    assert all(s["service"] != "vault" for s in out["first"]["body"]["services"])
    # configure(): the token check and the four KV reads. The 33 probes: nothing.
    assert proxy.requests == 5
