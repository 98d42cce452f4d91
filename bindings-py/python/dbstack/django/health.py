"""Health endpoints for Kubernetes probes: ``path("healthz/", include("dbstack.django.urls"))``.

- ``healthz/live``: the process answers (200, nothing else is asked).
- ``healthz/ready``: every alias of ``DATABASES`` answers ``SELECT 1`` through the process's own
  Django connections (its backends, its current credentials; ``CONN_MAX_AGE`` decides whether
  the connection is kept, as for a request), within ``timeout`` seconds. 503 names the failing
  aliases. The other services of the stack (cache, RAGflow, RocketMQ) are checked over their
  protocols and reported in the body; they fail readiness only when the settings list them in
  ``DBSTACK_HEALTH["required"]``.

No probe talks to Vault or resolves anything: the services come from the resolution
``dbstack.configure()`` made at start-up. A result is kept for ``cache_seconds`` (probes in
between get it with ``"cached": true``), and one check runs at a time on a single helper
thread, so a probe storm is at most one round of queries per ``cache_seconds``, and a hanging
database holds one thread, not one per probe. The body never contains a secret.

Settings (all optional)::

    DBSTACK_HEALTH = {"cache_seconds": 5.0, "timeout": 2.0, "required": ["dragonfly"]}
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

MASK = "********"
#: Services readiness may be told to require. Vault is not among them: probes never ask it.
OPTIONAL_SERVICES = ("dragonfly", "ragflow", "rocketmq")
DEFAULTS: dict[str, Any] = {"cache_seconds": 5.0, "timeout": 2.0, "required": ()}


class Options:
    __slots__ = ("cache_seconds", "timeout", "required")

    def __init__(self, cache_seconds: float, timeout: float, required: tuple[str, ...]) -> None:
        self.cache_seconds = cache_seconds
        self.timeout = timeout
        self.required = required


def options() -> Options:
    """``DBSTACK_HEALTH`` checked: unknown keys, non-positive numbers and unknown services are
    an ``ImproperlyConfigured`` naming the setting."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    given = getattr(settings, "DBSTACK_HEALTH", None) or {}
    if not isinstance(given, dict):
        raise ImproperlyConfigured("DBSTACK_HEALTH must be a dict")
    unknown = sorted(set(given) - set(DEFAULTS))
    if unknown:
        raise ImproperlyConfigured(f"DBSTACK_HEALTH has unknown keys {unknown} (known: {sorted(DEFAULTS)})")
    merged = {**DEFAULTS, **given}
    numbers: dict[str, float] = {}
    for key in ("cache_seconds", "timeout"):
        value = merged[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 300:
            raise ImproperlyConfigured(f"DBSTACK_HEALTH[{key!r}] must be a number of seconds between 0 and 300")
        numbers[key] = float(value)
    if numbers["timeout"] <= 0:
        raise ImproperlyConfigured("DBSTACK_HEALTH['timeout'] must be more than 0 seconds")
    required = merged["required"]
    if isinstance(required, str) or not all(isinstance(s, str) for s in required):
        raise ImproperlyConfigured("DBSTACK_HEALTH['required'] must be a list of service names")
    bad = [s for s in required if s not in OPTIONAL_SERVICES]
    if bad:
        raise ImproperlyConfigured(
            f"DBSTACK_HEALTH['required'] names {bad}: readiness can require {list(OPTIONAL_SERVICES)} "
            "(databases are always required; Vault is never asked by a probe)"
        )
    return Options(numbers["cache_seconds"], numbers["timeout"], tuple(required))


@require_safe
def live(request: HttpRequest) -> JsonResponse:
    """The process answers. Nothing else is checked: a liveness failure restarts the pod."""
    return _json({"status": "ok"}, 200)


@require_safe
def ready(request: HttpRequest) -> JsonResponse:
    status, body = readiness()
    return _json(body, status)


def _json(body: dict[str, Any], status: int) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


class _State:
    """The cached result and the running check, shared by every request thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.result: Optional[tuple[float, int, dict[str, Any]]] = None
        self.running: Optional[Future[tuple[int, dict[str, Any]]]] = None
        #: The alias or service the running check is at (named when it times out).
        self.current = ""
        self.executor: Optional[ThreadPoolExecutor] = None


_state = _State()


def readiness() -> tuple[int, dict[str, Any]]:
    """The readiness status code and body, from the cache when it is fresh."""
    opts = options()
    with _state.lock:
        now = time.monotonic()
        cached = _state.result
        if cached is not None and now - cached[0] < opts.cache_seconds:
            at, status, body = cached
            return status, {**body, "cached": True, "age_ms": round((now - at) * 1000)}
        running = _state.running
        if running is None:
            if _state.executor is None:
                _state.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dbstack-health")
            running = _state.executor.submit(_check, opts)
            _state.running = running
    try:
        status, body = running.result(timeout=2 * opts.timeout + 0.5)
    except FutureTimeout:
        # The helper thread is stuck (a database that accepts and never answers): report it and
        # leave it running; the next probes wait for the same check instead of starting more.
        stuck = _state.current or "unknown"
        status = 503
        body = {
            "status": "unavailable",
            "failing": [stuck],
            "error": f"the readiness check did not finish within {2 * opts.timeout + 0.5:g} s (at `{stuck}`)",
        }
        return status, {**body, "cached": False, "age_ms": 0}
    except Exception as error:  # a bug or a broken setting: a 503 that says so, never a stuck state
        status = 503
        body = {"status": "unavailable", "failing": ["check"], "error": f"{type(error).__name__}: {error}"[:300]}
    with _state.lock:
        if _state.running is running:
            _state.running = None
            _state.result = (time.monotonic(), status, body)
    return status, {**body, "cached": False, "age_ms": 0}


def _check(opts: Options) -> tuple[int, dict[str, Any]]:
    """One round of checks, on the helper thread (it owns its Django connections)."""
    from django.db import connections

    databases = {}
    for alias in connections:
        _state.current = alias
        databases[alias] = _check_database(alias)
    _state.current = "services"
    services = _check_services(opts)
    _state.current = ""
    failing = [alias for alias, result in databases.items() if not result["ok"]]
    failing += [s["service"] for s in services if s["required"] and not s["ok"]]
    body = {
        "status": "ok" if not failing else "unavailable",
        "failing": failing,
        "databases": databases,
        "services": services,
        "checked_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    return (200 if not failing else 503), body


def _check_database(alias: str) -> dict[str, Any]:
    from django.db import connections

    connection = connections[alias]
    started = time.perf_counter()
    result: dict[str, Any] = {"ok": True, "vendor": connection.vendor}
    try:
        # Closed when broken or older than CONN_MAX_AGE, exactly as at the end of a request.
        connection.close_if_unusable_or_obsolete()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # every driver raises its own classes
        result.update(ok=False, error=_scrub(f"{type(error).__name__}: {error}".strip(), connection.settings_dict))
        try:
            connection.close()
        except Exception:  # already broken: nothing to close
            pass
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def _scrub(message: str, settings_dict: dict[str, Any]) -> str:
    secret = settings_dict.get("PASSWORD")
    message = message.replace(secret, MASK) if isinstance(secret, str) and secret else message
    return message.splitlines()[0][:300] if message else message


def _check_services(opts: Options) -> list[dict[str, Any]]:
    """The cache, RAGflow and RocketMQ of the resolution `configure()` made, over their
    protocols (``dbstack verify`` without the databases and without Vault)."""
    import copy

    import dbstack

    stack = dbstack._configured  # never a new resolution (it would log in to Vault)
    if stack is None:
        return [
            {"service": service, "target": None, "ok": False, "required": True, "error": "dbstack.configure() did not run"}
            for service in opts.required
        ]
    doc = copy.deepcopy(stack._doc)
    doc.setdefault("django", {})["DATABASES"] = {}
    doc.setdefault("vault", {})["enabled"] = False
    try:
        report = dbstack.verify(dbstack.Stack({"resolution": doc, "redacted": {}}), timeout=opts.timeout)
    except dbstack.DbstackError as failure:
        return [{"service": "stack", "ok": False, "required": False, "error": str(failure)}]
    services = []
    for check in report.get("checks", []):
        error = check.get("error")
        services.append(
            {
                "service": check["service"],
                "target": check["target"],
                "ok": bool(check["ok"]),
                "required": check["service"] in opts.required,
                "latency_ms": check.get("latency_ms"),
                "error": f"{error['kind']}: {error['message']}" if error else None,
            }
        )
    checked = {s["service"] for s in services}
    for service in opts.required:
        if service not in checked:
            services.append(
                {"service": service, "target": None, "ok": False, "required": True, "error": "not configured in this stack"}
            )
    return services
