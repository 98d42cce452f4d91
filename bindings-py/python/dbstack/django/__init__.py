"""The Django app of dbstack: ``INSTALLED_APPS += ["dbstack.django"]``.

It brings the router (``DATABASE_ROUTERS = ["dbstack.django.Router"]``, which
``dbstack.configure`` sets), the ``verify_db_connections`` management command and the
system checks under the ``dbstack`` tag. Importing this package does not import Django.
"""

from __future__ import annotations

from dbstack.django.router import Router

__all__ = ["Router"]
