"""What the dbstack backends add to Django's (authentik's approach): every new connection takes
the current Vault credentials of its alias; a connection that fails to authenticate forces one
refresh and one retry; a persistent connection opened with credentials that have since been
replaced is closed at the next request boundary (its user ends with its lease)."""

from __future__ import annotations

import logging

from django.db.backends.base.base import BaseDatabaseWrapper

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

log = logging.getLogger("dbstack")

#: SQLSTATEs of a refused login (PostgreSQL): invalid password, invalid authorization (an
#: unknown role).
AUTH_SQLSTATES = ("28P01", "28000")
#: MySQL/MariaDB error numbers of a refused login.
AUTH_ERRNOS = (1044, 1045, 1698)


def is_auth_failure(error: BaseException) -> bool:
    if getattr(error, "sqlstate", None) in AUTH_SQLSTATES:
        return True
    args = getattr(error, "args", ())
    if args and args[0] in AUTH_ERRNOS:
        return True
    text = str(error).lower()
    return "password authentication failed" in text or ("role " in text and "does not exist" in text) or "access denied for user" in text


class KeptCredentials(BaseDatabaseWrapper):
    """Mixed in before Django's own ``DatabaseWrapper``."""

    _dbstack_user: Optional[str] = None

    def get_connection_params(self) -> dict[str, Any]:
        from dbstack import _keeper

        current = _keeper.current(self.alias)
        if current:
            self.settings_dict["USER"] = current["USER"]
            self.settings_dict["PASSWORD"] = current["PASSWORD"]
        self._dbstack_user = self.settings_dict.get("USER")
        return super().get_connection_params()

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        try:
            return super().get_new_connection(conn_params)
        except Exception as error:
            from dbstack import _keeper

            if not is_auth_failure(error) or not _keeper.refresh(self.alias):
                raise
            log.info("alias %s: the database refused the credentials; retrying once with refreshed ones", self.alias)
            return super().get_new_connection(self.get_connection_params())

    def close_if_unusable_or_obsolete(self) -> None:
        super().close_if_unusable_or_obsolete()
        if self.connection is None or self.in_atomic_block or self._dbstack_user is None:
            return
        from dbstack import _keeper

        current = _keeper.current(self.alias)
        if current and current["USER"] != self._dbstack_user:
            self.close()
