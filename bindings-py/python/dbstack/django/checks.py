"""System checks under the ``dbstack`` tag (``manage.py check --tag dbstack``).

- ``dbstack.E001`` the development fallback (local MariaDB) is active in the production profile
- ``dbstack.W001`` the fallback is active while ``DEBUG`` is off
- ``dbstack.E002`` a route (or the default) names an alias missing from ``DATABASES``
- ``dbstack.W003`` an alias of ``DATABASES`` that no route and not the default reaches
- ``dbstack.E004`` credentials missing: no ``USER`` (any profile) or no ``PASSWORD`` (production)
- ``dbstack.W005`` ``dbstack.configure`` did not run: the checks use an offline resolution
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
    state = {"profile": stack.profile, "fallback": stack.to_dict()["fallback"], "routing": stack.routing}
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
    return messages
