"""``manage.py verify_db_connections [--json] [--timeout SECS] [--no-services]``.

Opens every connection of ``DATABASES`` through Django (``ensure_connection()`` and
``SELECT 1``) and, unless ``--no-services``, runs dbstack's live checks of every service of
the stack (``dbstack verify``: PostgreSQL/MariaDB, Redis, RAGflow, RocketMQ, Vault).
Exit code 1 when a database connection or a required service check fails.

The same checks, output and exit codes as ``python verify_db_connections.py`` and
``python -m dbstack verify`` (one implementation: ``dbstack.verification``).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dbstack import verification

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Command(BaseCommand):
    help = "Checks every database connection of DATABASES and the live services of the stack."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        verification.add_arguments(parser)
        parser.epilog = verification.EPILOG

    def handle(self, *args: Any, **options: Any) -> None:
        import dbstack

        databases = verification.django_databases()
        services = None
        if not options["no_services"]:
            services = verification.services(dbstack.configured_stack(), options["timeout"])
        text, failure = verification.report(databases, services, as_json=options["json"])
        self.stdout.write(text)
        if failure is not None:
            raise CommandError(failure, returncode=1)
