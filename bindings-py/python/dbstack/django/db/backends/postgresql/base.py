"""Django's PostgreSQL ``DatabaseWrapper`` plus `dbstack.django.db.backends.kept.KeptCredentials`."""

from __future__ import annotations

from django.db.backends.postgresql import base

from dbstack.django.db.backends.kept import KeptCredentials


class DatabaseWrapper(KeptCredentials, base.DatabaseWrapper):
    pass
