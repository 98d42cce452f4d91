"""``path("healthz/", include("dbstack.django.urls"))``: ``healthz/live`` and ``healthz/ready``
(see `dbstack.django.health`)."""

from __future__ import annotations

from django.urls import path

from dbstack.django import health

app_name = "dbstack"

urlpatterns = [
    path("live", health.live, name="live"),
    path("ready", health.ready, name="ready"),
]
