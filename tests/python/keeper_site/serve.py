"""Serves the keeper test site with the standard library's WSGI server (one request at a time)
on the port in ``KEEPER_PORT``; SIGTERM ends it normally (so the process revokes its leases)."""

import os
import signal
import sys
from wsgiref.simple_server import WSGIRequestHandler, make_server


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with make_server("127.0.0.1", int(os.environ["KEEPER_PORT"]), application, handler_class=QuietHandler) as server:
        print("ready", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()
