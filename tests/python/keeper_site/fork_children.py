"""The fork test: the parent configures Django (``settings``), then forks two children that each
open a new connection every 100 ms for ``KEEPER_SECONDS`` and write one line per query to
``KEEPER_OUT.<n>`` (``ok <user>`` or ``fail <error>``). Every process exits normally."""

import os
import sys
import time


def child(n: int, seconds: float, out: str) -> None:
    from django.db import close_old_connections, connections

    with open(f"{out}.{n}", "w") as log:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                close_old_connections()
                with connections["default"].cursor() as cursor:
                    cursor.execute("SELECT current_user")
                    log.write(f"ok {cursor.fetchone()[0]}\n")
            except Exception as error:
                log.write(f"fail {type(error).__name__}: {error}\n".replace("\n", " ") + "\n")
            finally:
                connections["default"].close()
            log.flush()
            time.sleep(0.1)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
    import django

    django.setup()
    from django.db import connections

    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT current_user")
        print(f"parent {cursor.fetchone()[0]}", flush=True)
    connections["default"].close()
    seconds = float(os.environ.get("KEEPER_SECONDS", "8"))
    out = os.environ["KEEPER_OUT"]
    pids = []
    for n in range(2):
        pid = os.fork()
        if pid == 0:
            try:
                child(n, seconds, out)
            finally:
                sys.stdout.flush()
            sys.exit(0)
        pids.append(pid)
    codes = [os.waitpid(pid, 0)[1] for pid in pids]
    print(f"children {codes}", flush=True)
    sys.exit(0 if all(code == 0 for code in codes) else 1)


if __name__ == "__main__":
    main()
