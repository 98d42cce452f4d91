"""The Python front door under stress (issue 18): threads changing os.environ while others
resolve, no panic reaching Python, argument checks, configure() atomicity, secrets by name."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import pytest

import dbstack
from dbstack import _native
from conftest import clean_env, secret

# Test secrets carry the sentinel (tests/sentinel.txt, scripts/sentinel.py).
Q_SSL, Q_PW, Q_REDIS = secret("q-ssl-2"), secret("q-pw-3"), secret("q-redis-4")

ENV = {
    "DBSTACK_PROFILE": "development",
    "DBSTACK_KUBERNETES": "false",
    "DATABASE_URL": "postgres://app:pw-frontdoor-1@db.example:5433/appdb",
}

RACE = textwrap.dedent(
    """
    import os, sys, threading, time
    import dbstack

    os.environ["DBSTACK_PROFILE"] = "development"
    os.environ["DBSTACK_KUBERNETES"] = "false"
    stop = time.monotonic() + float(sys.argv[1])
    counts = {"resolves": 0, "mutations": 0}
    errors = []

    def mutate():
        i = 0
        while time.monotonic() < stop:
            # New names make libc grow (reallocate) the environment array; deleting shrinks it.
            for j in range(64):
                os.environ[f"DBSTACK_RACE_{i}_{j}"] = "x" * (j + 1)
            for j in range(64):
                del os.environ[f"DBSTACK_RACE_{i}_{j}"]
            counts["mutations"] += 128
            i += 1

    def resolve():
        while time.monotonic() < stop:
            try:
                dbstack.resolve(offline=True)
                counts["resolves"] += 1
            except BaseException as e:  # anything but a DbstackError-free run is a failure
                errors.append(repr(e))
                return

    threads = [threading.Thread(target=mutate)] + [threading.Thread(target=resolve) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(counts["resolves"], counts["mutations"], len(errors), errors[:1])
    """
)


def test_resolving_threads_race_a_thread_changing_os_environ() -> None:
    # In a child process: a crash (the segfault) fails this test instead of pytest.
    proc = subprocess.run(
        [sys.executable, "-c", RACE, "4"], capture_output=True, text=True, timeout=120, env=clean_env()
    )
    assert proc.returncode == 0, f"the interpreter died ({proc.returncode}): {proc.stderr[-2000:]}"
    resolves, mutations, errors, first = proc.stdout.split(maxsplit=3)
    assert errors == "0", first
    assert int(resolves) > 100 and int(mutations) > 1000, proc.stdout


def test_a_huge_value_never_raises_a_panic_into_python() -> None:
    # The case: a displayed value over 65,535 characters (the explain table's width).
    env = {k: v for k, v in ENV.items() if k != "DATABASE_URL"}
    stack = dbstack.resolve(env={**env, "SUPABASE_DB_HOST": "h" * 65536})
    try:
        text = stack.explain()
    except dbstack.DbstackError as error:  # a PanicException (a BaseException) would escape this test
        assert error.kind == "internal"
    else:
        assert "django.DATABASES.default.HOST" in text


def test_explain_is_rendered_only_when_asked() -> None:
    answer = _native.stack_from_call('{"env": {"DBSTACK_PROFILE": "development"}}')
    assert "explain" not in answer and answer["ok"]
    stack = dbstack.resolve(env=ENV)
    assert "pw-frontdoor-1" not in stack.explain()
    assert "django.DATABASES.default.PASSWORD" in stack.explain()


@pytest.mark.parametrize("timeout", [1e300, float("nan"), float("inf"), -1, 0, 3601, 10**400])
def test_verify_timeouts_out_of_range_are_config_errors(timeout: Any) -> None:
    stack = dbstack.resolve(env=ENV)
    with pytest.raises(dbstack.ConfigError) as info:
        dbstack.verify(stack, timeout=timeout)
    assert info.value.source == "timeout"


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: dbstack.plan(None), "call"),  # type: ignore[arg-type]
        (lambda: dbstack.resolve_call(None), "call"),  # type: ignore[arg-type]
        (lambda: dbstack.resolve_call([("env", {})]), "call"),  # type: ignore[arg-type]
        (lambda: dbstack.verify("x"), "stack"),  # type: ignore[arg-type]
        (lambda: dbstack.verify(None, timeout="3"), "timeout"),  # type: ignore[arg-type]
        (lambda: dbstack.verify(None, timeout=True), "timeout"),
        (lambda: dbstack.configure({}, stack=1), "stack"),  # type: ignore[arg-type]
        (lambda: dbstack.configure(None), "namespace"),  # type: ignore[arg-type]
        (lambda: dbstack.configure({}, overwrite="yes"), "overwrite"),  # type: ignore[arg-type]
        (lambda: dbstack.resolve(env=1), "env"),  # type: ignore[arg-type]
        (lambda: dbstack.resolve(env={"A": 1}), "env"),  # type: ignore[dict-item]
        (lambda: dbstack.resolve(profile=1), "profile"),  # type: ignore[arg-type]
        (lambda: dbstack.resolve(stack_file=b"x.toml"), "stack_file"),  # type: ignore[arg-type]
        (lambda: dbstack.resolve(offline=None), "offline"),  # type: ignore[arg-type]
    ],
)
def test_wrong_argument_types_are_type_errors_naming_the_argument(call: Any, argument: str) -> None:
    with pytest.raises(TypeError) as info:
        call()
    assert f"`{argument}`" in str(info.value)


@pytest.mark.parametrize(
    ("call", "source"),
    [
        ({"env": {"PGPORT": float("nan")}}, "call:env.PGPORT"),
        ({"overrides": {"x": float("-inf")}}, "call:overrides.x"),
        ({"env": {"SUPABASE_DB_HOST": "db\udc80"}}, "call:env.SUPABASE_DB_HOST"),
        ({"env": {"A": {1, 2}}}, "call:env.A"),
        ({"stack": {"name": "s", "text": b"[vault]"}}, "call:stack.text"),
    ],
)
def test_values_json_cannot_carry_are_config_errors_naming_the_field(call: dict[str, Any], source: str) -> None:
    for entry in (dbstack.resolve_call, dbstack.plan):
        with pytest.raises(dbstack.ConfigError) as info:
            entry(call)
        assert info.value.source == source, info.value
        assert "line 1 column" not in str(info.value)


def test_a_lone_surrogate_in_env_names_the_variable() -> None:
    with pytest.raises(dbstack.ConfigError) as info:
        dbstack.resolve(env={**ENV, "SUPABASE_DB_HOST": "db\ud800"})
    assert info.value.source == "SUPABASE_DB_HOST"


def test_configure_changes_nothing_when_it_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dbstack, "_configured", None)
    namespace: dict[str, Any] = {"DEBUG": True}
    first = dbstack.configure(namespace, env=ENV)
    before = dict(namespace)
    with pytest.raises(dbstack.ConfigError):
        dbstack.configure(namespace, env={**ENV, "DATABASE_URL": "postgres://u:p@h:99999/x"}, overwrite=True)
    assert namespace == before and dbstack.configured_stack() is first
    # A second configure with a different result: an error, nothing changed.
    other = {**ENV, "DATABASE_URL": "postgres://app:pw@other.example:5432/appdb"}
    with pytest.raises(dbstack.ConfigError) as info:
        dbstack.configure(namespace, env=other)
    assert info.value.kind == "already_configured"
    assert namespace == before and dbstack.configured_stack() is first
    # The same result again is fine; overwrite=True replaces.
    dbstack.configure(namespace, env=ENV)
    second = dbstack.configure(namespace, env=other, overwrite=True)
    assert namespace["DATABASES"]["default"]["HOST"] == "other.example"
    assert dbstack.configured_stack() is second


def test_configure_restores_the_namespace_when_an_assignment_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dbstack, "_configured", None)

    class Refusing(dict[str, Any]):
        def __setitem__(self, key: str, value: Any) -> None:
            if key == "CACHES":
                raise RuntimeError("refused")
            super().__setitem__(key, value)

    namespace = Refusing(DATABASES={"default": {}})
    with pytest.raises(RuntimeError):
        dbstack.configure(namespace, env=ENV, overwrite=True)
    assert dict(namespace) == {"DATABASES": {"default": {}}}
    assert dbstack._configured is None


def test_secret_named_query_options_are_masked_everywhere() -> None:
    env = {
        **ENV,
        "DATABASE_URL": f"postgres://app@db.example/appdb?sslpassword={Q_SSL}&password={Q_PW}",
        "DRAGONFLY_URL": f"redis://cache.example:6379/0?password={Q_REDIS}",
    }
    stack = dbstack.resolve(env=env)
    shown = repr(stack) + repr(stack.to_dict()) + stack.explain() + repr(stack.settings()["DBSTACK"])
    for secret in (Q_SSL, Q_PW, Q_REDIS):
        assert secret not in shown
    assert stack.databases["default"]["OPTIONS"]["sslpassword"] == Q_SSL  # Django gets the real value
    assert "django.DATABASES.default.OPTIONS.sslpassword" in stack.secret_paths
    assert "django.CACHES.default.OPTIONS.PASSWORD" in stack.secret_paths
    out = subprocess.run(
        [sys.executable, "-m", "dbstack", "explain"], capture_output=True, text=True, env=clean_env(**env)
    )
    assert out.returncode == 0 and Q_PW not in out.stdout and Q_REDIS not in out.stdout
