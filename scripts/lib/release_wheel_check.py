"""Run by scripts/release.sh as `manage.py shell -c` in the example Django project, in a fresh
venv that installed only the wheel (with its `django` extra): the settings ran with the installed
package, the versions are the release's, and the router sends `python_agent` to `agent_db`."""

import importlib.metadata
import os
import sys
import urllib.parse

from django.conf import settings
from django.db import router

import dbstack
from python_agent.models import AgentRun

want = os.environ["DBSTACK_EXPECTED_VERSION"]
want_python = os.environ["DBSTACK_EXPECTED_PYTHON_VERSION"]
assert dbstack.__file__ is not None and dbstack.__file__.startswith(sys.prefix), f"dbstack imported from {dbstack.__file__}, not the venv"
assert dbstack.__version__ == want, f"dbstack.__version__ {dbstack.__version__} != {want}"
assert importlib.metadata.version("dbstack") == want_python, f"wheel metadata {importlib.metadata.version('dbstack')} != {want_python}"
default, agent = settings.DATABASES["default"], settings.DATABASES["agent_db"]
# The password (it carries the secret sentinel) is compared, never printed.
assert default["PASSWORD"] == urllib.parse.urlsplit(os.environ["DATABASE_URL"]).password, "PASSWORD is not DATABASE_URL's"
assert default["HOST"] == "db.internal", default["HOST"]
assert agent["NAME"] == "agent", agent["NAME"]
assert "dbstack.django" in settings.INSTALLED_APPS
assert router.db_for_write(AgentRun) == "agent_db", router.db_for_write(AgentRun)
print(f"the example project ran with the wheel: dbstack {dbstack.__version__} from {os.path.dirname(dbstack.__file__)}")
