"""The health endpoints for the probes: /healthz/live and /healthz/ready."""

from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("healthz/", include("dbstack.django.urls")),
]
