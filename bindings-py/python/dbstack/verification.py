"""The checks of ``python manage.py verify_db_connections``, ``python verify_db_connections.py``
and ``python -m dbstack verify``: one implementation, one output, one set of exit codes.

Every database alias is opened and queried with ``SELECT 1``: through Django's own
connections when Django is set up (the management command, or the script in a Django project
with Django installed), else through dbstack's protocol checks (``dbstack verify``), so the
script works with only the ``dbstack`` package installed. Unless ``--no-services``, the live
checks of every service follow (PostgreSQL/MariaDB, Redis, RAGflow, RocketMQ, Vault).

Exit codes: 0 every database and every required service answered; 1 a check failed;
2 bad input or configuration; 3 Vault unavailable where the profile requires it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, Optional

    import dbstack

MASK = "********"

#: What the exit codes mean (the help text of the three front doors).
EPILOG = "exit codes: 0 all checks passed; 1 a database or a required service check failed; 2 bad input; 3 Vault required and unavailable"


def add_arguments(parser: Any) -> None:
    """The options every front door takes (argparse or Django's `CommandParser`)."""
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per service check")
    parser.add_argument("--no-services", action="store_true", help="only the connections of DATABASES")


def _scrub(message: str, secret: object) -> str:
    return message.replace(secret, MASK) if isinstance(secret, str) and secret else message


def django_alias(alias: str) -> dict[str, Any]:
    """One Django connection: opened, queried with ``SELECT 1``, closed. No secret in the result."""
    from django.db import connections

    connection = connections[alias]
    params = connection.settings_dict
    result = _row(alias, connection.vendor, params)
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


def django_databases() -> list[dict[str, Any]]:
    """Every alias of Django's ``DATABASES``."""
    from django.db import connections

    return [django_alias(alias) for alias in connections]


def _row(alias: str, vendor: str, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "alias": alias,
        "vendor": vendor,
        "engine": params.get("ENGINE", ""),
        "host": params.get("HOST", ""),
        "port": params.get("PORT", ""),
        "name": params.get("NAME", ""),
        "user": params.get("USER", ""),
    }


def _vendor(engine: str) -> str:
    """Django's ``connection.vendor`` for an engine, without importing Django."""
    for marker, vendor in (("postgis", "postgresql"), ("postgres", "postgresql"), ("mysql", "mysql"), ("sqlite", "sqlite"), ("oracle", "oracle")):
        if marker in engine:
            return vendor
    return engine.rsplit(".", 1)[-1]


def native_databases(stack: dbstack.Stack, timeout: Optional[float]) -> list[dict[str, Any]]:
    """Every alias of the resolution's ``DATABASES``, checked by dbstack's own protocol
    checks (handshake, authentication, ``SELECT 1``): no Django needed."""
    import copy
    import os

    import dbstack

    doc = stack.to_dict(reveal=True)
    only_databases = copy.deepcopy(doc)
    django = only_databases.setdefault("django", {})
    django["CACHES"] = {}
    only_databases["ragflow"] = {}
    only_databases["rocketmq"] = {}
    only_databases.setdefault("vault", {})["enabled"] = False
    started = time.perf_counter()
    report = dbstack.verify(dbstack.Stack({"resolution": only_databases, "redacted": {}}), timeout=timeout)
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    checks = {check.get("alias"): check for check in report.get("checks", [])}
    rows = []
    for alias, params in doc["django"]["DATABASES"].items():
        engine = params.get("ENGINE", "")
        row = _row(alias, _vendor(engine), params)
        check = checks.get(alias)
        if check is not None and check.get("skipped"):
            # An engine dbstack has no probe for (Oracle, SQL Server, ...): said, not failed.
            row.update(ok=True, skipped=check["skipped"], error=None, elapsed_ms=0.0)
        elif check is not None:
            error = check.get("error")
            row.update(
                ok=bool(check["ok"]),
                error=None if error is None else _scrub(f"{error['kind']}: {error['message']}", params.get("PASSWORD")),
                elapsed_ms=round(float(check.get("latency_ms") or 0.0), 1),
            )
        elif "sqlite" in engine or "spatialite" in engine:
            # A file Django creates on first use: its folder must exist.
            name = str(params.get("NAME", ""))
            folder = os.path.dirname(os.path.abspath(name)) if name and name != ":memory:" else ""
            ok = not folder or os.path.isdir(folder)
            row.update(ok=ok, error=None if ok else f"the folder of {name} does not exist", elapsed_ms=0.0)
        else:
            row.update(ok=False, error=f"no check for engine {engine!r}", elapsed_ms=elapsed_ms)
        rows.append(row)
    return rows


def services(stack: dbstack.Stack, timeout: Optional[float]) -> dict[str, Any]:
    """``dbstack verify`` of every service; a failure to run it is reported, not raised."""
    import dbstack

    try:
        return dbstack.verify(stack, timeout=timeout)
    except dbstack.DbstackError as error:
        return {"ok": False, "error": {"kind": error.kind, "source": error.source, "message": str(error)}, "checks": []}


def _table(rows: list[dict[str, Any]]) -> str:
    headers = ["ALIAS", "VENDOR", "TARGET", "STATUS", "LATENCY", "DETAIL"]
    lines = [
        [
            r["alias"],
            r["vendor"],
            f"{r['user']}@{r['host'] or 'localhost'}:{r['port'] or '-'}/{r['name']}",
            "skipped" if r.get("skipped") else "ok" if r["ok"] else "FAIL",
            f"{r['elapsed_ms']:.1f} ms",
            r["error"] or r.get("skipped") or "",
        ]
        for r in rows
    ]
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *lines)]
    return "\n".join("  ".join(str(x).ljust(w) for x, w in zip(line, widths)).rstrip() for line in [headers, *lines])


def _leases_table(leases: list[dict[str, Any]]) -> str:
    headers = ["ALIAS", "PATH", "LEASE", "TTL LEFT", "RENEWALS", "NEXT"]
    lines = [
        [
            r["alias"],
            r["path"],
            r["lease_id"],
            "-" if r["ttl_left_s"] is None else f"{r['ttl_left_s']:.0f} s",
            str(r["renewals"]),
            "-" if r["next_action"] is None else f"{r['next_action']} in {r['next_in_s']:.0f} s",
        ]
        for r in leases
    ]
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *lines)]
    return "\n".join("  ".join(str(x).ljust(w) for x, w in zip(line, widths)).rstrip() for line in [headers, *lines])


def report(
    databases: list[dict[str, Any]], service_report: Optional[dict[str, Any]], *, as_json: bool
) -> tuple[str, Optional[str]]:
    """The output and, when a check failed, the failure's one-line message (exit code 1)."""
    import dbstack

    ok = all(r["ok"] for r in databases) and (service_report is None or bool(service_report.get("ok")))
    # The Vault leases this process holds (credential keeper): ids, TTL left, next action.
    leases = dbstack.leases()
    if as_json:
        if service_report is not None:
            service_report = {k: v for k, v in service_report.items() if k != "table"}
        text = json.dumps({"ok": ok, "databases": databases, "services": service_report, "leases": leases}, indent=2)
    else:
        text = _table(databases)
        if leases:
            text += "\n\nvault leases:\n" + _leases_table(leases)
        if service_report is not None:
            text += "\n\nservices (dbstack verify):\n" + str(service_report.get("table", service_report.get("error", {}).get("message", "")))
    if ok:
        return text, None
    failed = [r["alias"] for r in databases if not r["ok"]]
    return text, (f"database connections failed: {', '.join(failed)}" if failed else "a service check failed")


def _django_ready(settings_module: Optional[str]) -> bool:
    """Sets Django up for `settings_module` when Django is installed; False without Django."""
    import os

    if settings_module is None and not os.environ.get("DJANGO_SETTINGS_MODULE"):
        return False
    try:
        import django
    except ImportError:
        return False
    if settings_module is not None:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    django.setup()
    return True


def main(argv: Optional[Sequence[str]] = None, *, prog: Optional[str] = None, settings_module: Optional[str] = None) -> int:
    """``python verify_db_connections.py`` / ``python -m dbstack verify``: the management
    command's checks, output and exit codes. With ``settings_module`` (or
    ``DJANGO_SETTINGS_MODULE``) and Django installed, the databases are checked through
    Django's connections as the management command does; otherwise through dbstack's own."""
    import dbstack

    parser = argparse.ArgumentParser(
        prog=prog, description="Check every database connection and the live services of the stack.", epilog=EPILOG
    )
    add_arguments(parser)
    parser.add_argument(
        "--env-file",
        action="append",
        default=[],
        metavar="PATH",
        help="read a .env file (repeatable; without Django settings: with them, the settings' dbstack.configure() decides)",
    )
    args = parser.parse_args(argv)
    try:
        if args.timeout is not None and not 0 < args.timeout <= 3600:
            raise dbstack.ConfigError(f"--timeout {args.timeout}: expected seconds above 0 and at most 3600", kind="invalid_argument", source="--timeout")
        if _django_ready(settings_module):
            # The settings module resolved (dbstack.configure() printed its warnings).
            databases = django_databases()
            stack = dbstack.configured_stack()
        else:
            stack = dbstack.resolve(env_file=args.env_file or None)
            for warning in stack.warnings:
                sys.stderr.write(f"warning: {warning.get('message')}\n")
            databases = native_databases(stack, args.timeout)
        service_report = None if args.no_services else services(stack, args.timeout)
    except dbstack.DbstackError as error:
        sys.stderr.write(f"error: {error} (source: {error.source})\n")
        return error.exit_code
    text, failure = report(databases, service_report, as_json=args.json)
    sys.stdout.write(text + "\n")
    if failure is not None:
        sys.stderr.write(f"error: {failure}\n")
        return 1
    return 0
