"""``INSTALLED_APPS += ["dbstack.django"]``: registers the system checks."""

from __future__ import annotations

from django.apps import AppConfig


class DbstackConfig(AppConfig):
    name = "dbstack.django"
    label = "dbstack"
    verbose_name = "dbstack"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core import checks

        from dbstack.django.checks import check_stack

        checks.register(check_stack, "dbstack")
