"""The database router: the resolution's ``routing`` table applied to Django."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

    from django.db.models import Model


def routing_table() -> dict[str, Any]:
    """The routing table: ``settings.DBSTACK["routing"]`` as ``dbstack.configure`` set it,
    else an offline resolution of the environment (routes never come from Vault)."""
    from django.conf import settings

    configured = getattr(settings, "DBSTACK", None)
    if isinstance(configured, dict) and isinstance(configured.get("routing"), dict):
        return configured["routing"]  # type: ignore[no-any-return]
    import dbstack

    return dbstack.resolve(offline=True).routing


class Router:
    """Routes each app label to the alias the stack names for it (reads, writes and
    migrations); every other app uses the default alias."""

    def __init__(self, routing: Optional[dict[str, Any]] = None) -> None:
        self._routing = routing

    @property
    def routing(self) -> dict[str, Any]:
        if self._routing is None:
            self._routing = routing_table()
        return self._routing

    @property
    def default(self) -> str:
        return str(self.routing.get("default", "default"))

    def alias_for(self, app_label: str, operation: str) -> str:
        """The alias of ``app_label`` for ``operation`` (``read``, ``write`` or ``migrate``)."""
        route = self.routing.get("apps", {}).get(app_label)
        if isinstance(route, dict) and route.get(operation):
            return str(route[operation])
        return self.default

    def db_for_read(self, model: type[Model], **hints: Any) -> Optional[str]:
        return self.alias_for(model._meta.app_label, "read")

    def db_for_write(self, model: type[Model], **hints: Any) -> Optional[str]:
        return self.alias_for(model._meta.app_label, "write")

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> Optional[bool]:
        return self.alias_for(obj1._meta.app_label, "write") == self.alias_for(obj2._meta.app_label, "write")

    def allow_migrate(self, db: str, app_label: str, model_name: Optional[str] = None, **hints: Any) -> Optional[bool]:
        return db == self.alias_for(app_label, "migrate")
