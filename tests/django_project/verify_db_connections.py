#!/usr/bin/env python
"""``python verify_db_connections.py [--json] [--timeout SECS] [--no-services]``: the checks,
output and exit codes of ``python manage.py verify_db_connections``, with only the ``dbstack``
package installed. With Django installed it uses this project's settings (``example.settings``)
and Django's connections, as the management command does; without Django, dbstack resolves
the stack itself and checks every database over its own protocol."""

import sys

from dbstack.verification import main

if __name__ == "__main__":
    sys.exit(main(prog="verify_db_connections.py", settings_module="example.settings"))
