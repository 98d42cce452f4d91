"""Settings of the example project: the README's few lines of dbstack integration.

Everything about the data services (DATABASES with `default` and `agent_db`, the router,
CACHES, CHANNEL_LAYERS, RAGFLOW, ROCKETMQ) comes from `dbstack.configure(globals())`.
"""

import os

import dbstack

BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-a-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "true").lower() in ("1", "true", "yes")
ALLOWED_HOSTS: list[str] = ["localhost", "127.0.0.1"]
ROOT_URLCONF = "example.urls"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "notes",
    "python_agent",
]

# dbstack: DATABASES, DATABASE_ROUTERS, CACHES, CHANNEL_LAYERS, RAGFLOW, ROCKETMQ
dbstack.configure(globals())
INSTALLED_APPS += ["dbstack.django"]
