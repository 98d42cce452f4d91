"""``manage.py verify_db_connections [--json] [--timeout SECS] [--no-services]``.

Opens every connection of ``DATABASES`` through Django (``ensure_connection()`` and
``SELECT 1``) and, unless ``--no-services``, runs dbstack's live checks of every service of
the stack (``dbstack verify``: PostgreSQL/MariaDB, Redis, RAGflow, RocketMQ, Vault).
Exit code 1 when a database connection or a required service check fails.
"""

from __future__ import annotations

import json
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

MASK = "********"


def _scrub(message: str, secret: object) -> str:
    return message.replace(secret, MASK) if isinstance(secret, str) and secret else message


def check_alias(alias: str) -> dict[str, Any]:
    """One Django connection: opened, queried with ``SELECT 1``, closed. No secret in the result."""
    connection = connections[alias]
    params = connection.settings_dict
    result: dict[str, Any] = {
        "alias": alias,
        "vendor": connection.vendor,
        "engine": params.get("ENGINE", ""),
        "host": params.get("HOST", ""),
        "port": params.get("PORT", ""),
        "name": params.get("NAME", ""),
        "user": params.get("USER", ""),
    }
    started = time.perf_counter()
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        result.update(ok=True, error=None)
    except Exception as error:  # every driver raises its own classes
        result.update(ok=False, error=_scrub(f"{type(error).__name__}: {error}".strip(), params.get("PASSWORD")))
    finally:
        connection.close()
    result["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def _table(rows: list[dict[str, Any]]) -> str:
    headers = ["ALIAS", "VENDOR", "TARGET", "STATUS", "LATENCY", "DETAIL"]
    lines = [
        [
            r["alias"],
            r["vendor"],
            f"{r['user']}@{r['host'] or 'localhost'}:{r['port'] or '-'}/{r['name']}",
            "ok" if r["ok"] else "FAIL",
            f"{r['elapsed_ms']:.1f} ms",
            r["error"] or "",
        ]
        for r in rows
    ]
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *lines)]
    return "\n".join("  ".join(str(x).ljust(w) for x, w in zip(line, widths)).rstrip() for line in [headers, *lines])


class Command(BaseCommand):
    help = "Checks every database connection of DATABASES and the live services of the stack."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON document")
        parser.add_argument("--timeout", type=float, default=None, help="seconds per service check")
        parser.add_argument("--no-services", action="store_true", help="only the connections of DATABASES")

    def handle(self, *args: Any, **options: Any) -> None:
        databases = [check_alias(alias) for alias in connections]
        services: Optional[dict[str, Any]] = None
        if not options["no_services"]:
            services = self._services(options["timeout"])
        ok = all(r["ok"] for r in databases) and (services is None or bool(services.get("ok")))
        if options["json"]:
            if services is not None:
                services.pop("table", None)
            self.stdout.write(json.dumps({"ok": ok, "databases": databases, "services": services}, indent=2))
        else:
            self.stdout.write(_table(databases))
            if services is not None:
                self.stdout.write("\nservices (dbstack verify):\n" + str(services.get("table", "")))
        if not ok:
            failed = [r["alias"] for r in databases if not r["ok"]]
            what = f"database connections failed: {', '.join(failed)}" if failed else "a service check failed"
            raise CommandError(what, returncode=1)

    def _services(self, timeout: Optional[float]) -> dict[str, Any]:
        import dbstack

        try:
            return dbstack.verify(dbstack.configured_stack(), timeout=timeout)
        except dbstack.DbstackError as error:
            return {"ok": False, "error": {"kind": error.kind, "source": error.source, "message": str(error)}, "checks": []}
