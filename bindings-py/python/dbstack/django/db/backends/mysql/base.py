"""Django's MySQL ``DatabaseWrapper`` plus `dbstack.django.db.backends.kept.KeptCredentials`."""

from __future__ import annotations

from django.db.backends.mysql import base

from dbstack.django.db.backends.kept import KeptCredentials


class DatabaseWrapper(KeptCredentials, base.DatabaseWrapper):
    pass
