"""Property tests (hypothesis): random values of every type at every entry point of `dbstack`.
Only the documented outcomes are allowed: a result, `TypeError` (a wrong argument type) or a
`DbstackError` (`ConfigError`, `VaultError`). Anything else — pyo3's `PanicException`, a
`KeyError`, `UnicodeEncodeError`, `RecursionError` — fails. Bounded examples: the suite stays fast."""

from __future__ import annotations

from typing import Any, Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dbstack

EXAMPLES = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

BASE_ENV = {"DBSTACK_PROFILE": "development", "DBSTACK_KUBERNETES": "false"}

# Every kind of value a careless caller passes: JSON's, and what JSON cannot carry.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["\ud800", "db\udc80", "\udfff=x"]),  # lone surrogates
    st.binary(max_size=10),
    st.sampled_from([object(), {1, 2}, frozenset(), 1j, b"", bytearray(b"x"), len, type]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.one_of(st.text(max_size=12), st.integers(), st.none()), inner, max_size=4),
    ),
    max_leaves=12,
)
# Calls shaped like the real thing (known keys), with random values inside.
KEYS = ["env", "kubernetes", "stack", "profile", "overrides", "vault", "reveal", "other"]
calls = st.dictionaries(st.sampled_from(KEYS), values, max_size=5)
env_maps = st.dictionaries(
    st.one_of(st.sampled_from(["DATABASE_URL", "SUPABASE_DB_PORT", "DRAGONFLY_URL", "DBSTACK_PROFILE"]), st.text(max_size=8)),
    st.one_of(st.text(max_size=30), values),
    max_size=4,
)


def documented(call: Callable[[], Any]) -> None:
    try:
        call()
    except (TypeError, dbstack.DbstackError):
        pass


@EXAMPLES
@given(values)
def test_resolve_call_and_plan_take_any_value(value: Any) -> None:
    documented(lambda: dbstack.resolve_call(value))
    documented(lambda: dbstack.plan(value))


@EXAMPLES
@given(calls)
def test_resolve_call_and_plan_take_any_call_shape(call: dict[str, Any]) -> None:
    documented(lambda: dbstack.resolve_call(call))
    documented(lambda: dbstack.plan(call))


@EXAMPLES
@given(st.one_of(env_maps, values))
def test_resolve_takes_any_env(env: Any) -> None:
    if isinstance(env, dict):
        env = {**BASE_ENV, **env} if all(isinstance(k, str) for k in env) else env
    documented(lambda: dbstack.resolve(env=env, offline=True))


@EXAMPLES
@given(values, values, values)
def test_resolve_takes_any_profile_stack_file_and_offline(profile: Any, stack_file: Any, offline: Any) -> None:
    documented(lambda: dbstack.resolve(env=BASE_ENV, profile=profile, offline=True))
    documented(lambda: dbstack.resolve(env=BASE_ENV, stack_file=stack_file, offline=True))
    documented(lambda: dbstack.resolve(env=BASE_ENV, offline=offline))


@EXAMPLES
@given(values)
def test_verify_takes_any_stack_and_any_bad_timeout(value: Any) -> None:
    if value is None:
        return  # verify(None) resolves and checks the live services: not a property test
    documented(lambda: dbstack.verify(value))
    stack = dbstack.resolve(env=BASE_ENV, offline=True)
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if is_number and 0 < value <= 3600:
        return  # a valid timeout runs the live checks
    documented(lambda: dbstack.verify(stack, timeout=value))


@EXAMPLES
@given(values, values, values)
def test_configure_takes_any_argument(namespace: Any, stack: Any, overwrite: Any) -> None:
    before = dbstack._configured
    documented(lambda: dbstack.configure(namespace, stack=stack, overwrite=overwrite, env=BASE_ENV))
    if not isinstance(namespace, dict):
        assert dbstack._configured is before  # nothing changed by a call that raised
    dbstack._configured = before
