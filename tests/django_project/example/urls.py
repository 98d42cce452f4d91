"""No views: the example is about settings, routing and migrations."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
