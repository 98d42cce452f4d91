"""A tiny Django site for the credential-keeper tests: ``/whoami?alias=A`` answers the database
user of a new connection (``SELECT current_user``), ``/leases`` answers ``dbstack.leases()``.

DATABASES come from ``dbstack.configure(globals())`` with nothing else to add;
``KEEPER_CONN_MAX_AGE`` / ``KEEPER_HEALTH_CHECKS`` set persistent connections for a run.
"""

import json
import os

import dbstack
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.urls import path

SECRET_KEY = "keeper-test-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "settings"
INSTALLED_APPS = ["dbstack.django"]
USE_TZ = True
LOGGING = {
    "version": 1,
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "formatters": {"plain": {"format": "%(levelname)s %(name)s %(message)s"}},
    # A failed request's traceback goes to the site's log too (the tests print its tail).
    "loggers": {"dbstack": {"handlers": ["stderr"], "level": "INFO"}, "django.request": {"handlers": ["stderr"], "level": "ERROR"}},
}

dbstack.configure(globals())

for _settings in DATABASES.values():  # noqa: F821 (set by configure)
    _settings["CONN_MAX_AGE"] = int(os.environ.get("KEEPER_CONN_MAX_AGE", "0"))
    _settings["CONN_HEALTH_CHECKS"] = os.environ.get("KEEPER_HEALTH_CHECKS") == "true"


def whoami(request: HttpRequest) -> HttpResponse:
    connection = connections[request.GET.get("alias", "default")]
    query = "SELECT current_user" if connection.vendor == "postgresql" else "SELECT CURRENT_USER()"
    with connection.cursor() as cursor:
        cursor.execute(query)
        user = str(cursor.fetchone()[0]).split("@")[0]
    return HttpResponse(user)


def leases(request: HttpRequest) -> HttpResponse:
    return HttpResponse(json.dumps(dbstack.leases()), content_type="application/json")


def engines(request: HttpRequest) -> HttpResponse:
    return HttpResponse(json.dumps({alias: s["ENGINE"] for alias, s in DATABASES.items()}), content_type="application/json")  # noqa: F821


urlpatterns = [path("whoami", whoami), path("leases", leases), path("engines", engines)]
