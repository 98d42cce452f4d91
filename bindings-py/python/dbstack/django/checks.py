"""System checks under the ``dbstack`` tag (``manage.py check --tag dbstack``).

- ``dbstack.E001`` the development fallback (local MariaDB) is active in the production profile
- ``dbstack.W001`` the fallback is active while ``DEBUG`` is off
- ``dbstack.E002`` a route (or the default) names an alias missing from ``DATABASES``
- ``dbstack.W003`` an alias of ``DATABASES`` that no route and not the default reaches
- ``dbstack.E004`` credentials missing: no ``USER`` (any profile) or no ``PASSWORD`` (production)
- ``dbstack.W005`` ``dbstack.configure`` did not run: the checks use an offline resolution
- ``dbstack.E006`` psycopg's connection pool (``OPTIONS["pool"]``) with a non-zero ``CONN_MAX_AGE``
  (Django refuses it at the first connection: "Pooling doesn't support persistent connections")
- ``dbstack.W007`` a transaction pooler with server-side cursors enabled
  (``DISABLE_SERVER_SIDE_CURSORS`` false: ``QuerySet.iterator()`` fails there)
- ``dbstack.W008`` a transaction pooler with ``OPTIONS["server_side_binding"]`` (prepared
  statements, which a transaction pooler does not keep)
- ``dbstack.W009`` a ``TEST`` key Django does not know (ignored by Django: a misspelling?)

An alias is behind a transaction pooler when the resolution says so (its ``transaction_pooler``
warning: port 6543 on a Supabase alias, or the stack file's ``pooler = "transaction"``;
``pooler = "session"``/``"none"`` say otherwise; the older ``supabase_transaction_pooler`` is
read too); without ``dbstack.configure`` the checks go by port 6543 alone.
"""

from __future__ import annotations

from django.core.checks import CheckMessage, Error, Warning

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, Optional

    from django.apps import AppConfig


def _state() -> tuple[dict[str, Any], list[CheckMessage]]:
    from django.conf import settings

    configured = getattr(settings, "DBSTACK", None)
    if isinstance(configured, dict) and "routing" in configured:
        return configured, []
    import dbstack

    stack = dbstack.resolve(offline=True)
    state = {"profile": stack.profile, "fallback": stack.to_dict()["fallback"], "routing": stack.routing, "warnings": None}
    hint = "add `import dbstack; dbstack.configure(globals())` to the settings module"
    return state, [Warning("dbstack.configure() did not run", hint=hint, id="dbstack.W005")]


def check_stack(app_configs: Optional[Sequence[AppConfig]] = None, **kwargs: Any) -> list[CheckMessage]:
    from django.conf import settings

    state, messages = _state()
    databases: dict[str, dict[str, Any]] = settings.DATABASES
    profile = state.get("profile", "")
    fallback = state.get("fallback") or {}
    routing = state.get("routing") or {}

    if fallback.get("active"):
        reason = fallback.get("reason") or "no database configured"
        if profile == "production":
            messages.append(
                Error(
                    f"the development fallback (local MariaDB) is active in the production profile: {reason}",
                    hint="configure Vault or DATABASE_URL; production must not fall back",
                    id="dbstack.E001",
                )
            )
        elif not settings.DEBUG:
            messages.append(
                Warning(
                    f"the development fallback (local MariaDB) is active while DEBUG is off: {reason}",
                    hint="set DBSTACK_PROFILE=production where this runs for real",
                    id="dbstack.W001",
                )
            )

    default = str(routing.get("default", "default"))
    routes: list[tuple[str, str]] = [("the default route", default)]
    for label, ops in sorted((routing.get("apps") or {}).items()):
        for op, alias in sorted((ops or {}).items()):
            routes.append((f"the {op} route of app `{label}`", str(alias)))
    for what, alias in routes:
        if alias not in databases:
            messages.append(
                Error(
                    f"{what} names the alias `{alias}`, which is not in DATABASES",
                    hint="add the alias to the stack file or fix the route",
                    id="dbstack.E002",
                )
            )

    reached = {alias for _, alias in routes}
    for alias in databases:
        if alias not in reached:
            messages.append(
                Warning(
                    f"no route and not the default reaches the alias `{alias}` of DATABASES",
                    hint="route an app label to it under [routes] in the stack file, or remove it",
                    id="dbstack.W003",
                )
            )

    for alias, db in databases.items():
        if "sqlite" in str(db.get("ENGINE", "")):
            continue
        missing = [key for key in ("USER",) if not db.get(key)]
        if profile == "production" and not db.get("PASSWORD"):
            missing.append("PASSWORD")
        if missing:
            messages.append(
                Error(
                    f"credentials missing for the alias `{alias}`: no {' and no '.join(missing)}",
                    hint="set them in Vault, the database URL or SUPABASE_DB_USER/SUPABASE_DB_PASSWORD",
                    id="dbstack.E004",
                )
            )
    messages.extend(_connection_checks(databases, state.get("warnings")))
    return messages


#: The keys of Django's ``TEST`` dict (Django 5.2; ``SERIALIZE`` was removed in 5.0).
TEST_KEYS = frozenset(
    "CHARSET COLLATION DEPENDENCIES MIGRATE MIRROR NAME TEMPLATE CREATE_DB CREATE_USER USER PASSWORD "
    "ORACLE_MANAGED_FILES TBLSPACE TBLSPACE_TMP DATAFILE DATAFILE_TMP DATAFILE_MAXSIZE "
    "DATAFILE_TMP_MAXSIZE DATAFILE_SIZE DATAFILE_TMP_SIZE DATAFILE_EXTSIZE DATAFILE_TMP_EXTSIZE".split()
)


#: The resolution's warning codes that put an alias behind a transaction pooler.
POOLER_WARNINGS = frozenset({"supabase_transaction_pooler", "transaction_pooler"})


def _transaction_poolers(databases: dict[str, dict[str, Any]], warnings: Optional[list[Any]]) -> set[str]:
    """The aliases behind a transaction pooler: the resolution's transaction-pooler warnings
    (their source is a path under ``django.DATABASES.<alias>``), else (no `dbstack.configure`)
    every alias on port 6543."""
    if warnings is None:
        return {alias for alias, db in databases.items() if str(db.get("PORT", "")) == "6543"}
    found: set[str] = set()
    for warning in warnings:
        source = str(warning.get("source") or "") if isinstance(warning, dict) else ""
        parts = source.split(".")
        code = warning.get("code") if isinstance(warning, dict) else None
        if code in POOLER_WARNINGS and len(parts) >= 3 and parts[:2] == ["django", "DATABASES"]:
            found.add(parts[2])
    return found


def _connection_checks(databases: dict[str, dict[str, Any]], warnings: Optional[list[Any]]) -> list[CheckMessage]:
    """Contradictions between the connection settings of each alias (as Django will use them)."""
    messages: list[CheckMessage] = []
    poolers = _transaction_poolers(databases, warnings)
    for alias, db in databases.items():
        options = db.get("OPTIONS") or {}
        max_age = db.get("CONN_MAX_AGE", 0)
        if options.get("pool") and max_age != 0:
            messages.append(
                Error(
                    f"the alias `{alias}` uses psycopg's connection pool (OPTIONS pool) with CONN_MAX_AGE = {max_age!r}: "
                    "Django refuses persistent connections with a pool",
                    hint="set conn_max_age = 0 for this alias in the stack file (or remove the `pool` option)",
                    obj=alias,
                    id="dbstack.E006",
                )
            )
        if alias in poolers and not db.get("DISABLE_SERVER_SIDE_CURSORS", False):
            messages.append(
                Warning(
                    f"the alias `{alias}` is behind a transaction pooler with server-side cursors enabled "
                    "(DISABLE_SERVER_SIDE_CURSORS is False): QuerySet.iterator() fails there",
                    hint="drop `disable_server_side_cursors = false` for this alias from the stack file (dbstack turns "
                    'server-side cursors off behind a transaction pooler), or say `pooler = "session"` if it is in session mode',
                    obj=alias,
                    id="dbstack.W007",
                )
            )
        if alias in poolers and options.get("server_side_binding"):
            messages.append(
                Warning(
                    f"the alias `{alias}` is behind a transaction pooler with OPTIONS server_side_binding: "
                    "prepared statements do not survive there",
                    hint="remove `server_side_binding` from the alias's options (stack file or URL query)",
                    obj=alias,
                    id="dbstack.W008",
                )
            )
        test = db.get("TEST") or {}
        unknown = sorted(str(k) for k in test if k not in TEST_KEYS) if isinstance(test, dict) else []
        if unknown:
            messages.append(
                Warning(
                    f"the TEST dict of the alias `{alias}` has keys Django does not know: {', '.join(unknown)}",
                    hint="Django ignores them; its TEST keys are upper case (NAME, MIRROR, DEPENDENCIES, TEMPLATE, MIGRATE, ...)",
                    obj=alias,
                    id="dbstack.W009",
                )
            )
    return messages
