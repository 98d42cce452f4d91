"""dbstack: the connection settings of the Agent Runtime stack, resolved once, for Django and scripts.

>>> import dbstack
>>> stack = dbstack.resolve()            # reads os.environ, Kubernetes files, Vault
>>> stack.databases["default"]["HOST"]   # what Django needs, real credentials included

In a settings module: ``import dbstack; dbstack.configure(globals())``.

This module imports nothing beyond the native extension at start-up: a settings module pays
for the resolution, not for the library.
"""

from __future__ import annotations

from dbstack import _native

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, MutableMapping
    from typing import Any, Optional

__all__ = [
    "ConfigError",
    "DbstackError",
    "Stack",
    "VaultError",
    "configure",
    "configured_stack",
    "plan",
    "resolve",
    "resolve_call",
    "schema",
    "verify",
]

#: The settings `configure` fills, in order.
SETTINGS = ("DATABASES", "DATABASE_ROUTERS", "CACHES", "CHANNEL_LAYERS", "RAGFLOW", "ROCKETMQ", "DBSTACK")


class DbstackError(Exception):
    """A resolution failed. ``kind``, ``source`` (the variable, file:line or Vault path) and
    ``exit_code`` (the CLI's: 2 bad input, 3 Vault required) say why; the message never
    contains a secret."""

    kind: str
    source: str
    exit_code: int
    message: str

    def __init__(self, message: str, *, kind: str = "error", source: str = "", exit_code: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.source = source
        self.exit_code = exit_code

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self.kind, self.source, self.exit_code))


class ConfigError(DbstackError):
    """Bad input: a variable, URL, stack file or override that cannot be used (exit code 2)."""


class VaultError(DbstackError):
    """Vault is unavailable or denied where the profile forbids fallback (exit code 3)."""


def _rebuild(cls: type[DbstackError], message: str, kind: str, source: str, exit_code: int) -> DbstackError:
    return cls(message, kind=kind, source=source, exit_code=exit_code)


def _raise(error: Mapping[str, Any]) -> Any:
    kind = str(error.get("kind", "error"))
    exit_code = int(error.get("exit_code", 2))
    cls = VaultError if exit_code == 3 or kind.startswith("vault") else ConfigError
    raise cls(str(error.get("message", kind)), kind=kind, source=str(error.get("source", "")), exit_code=exit_code)


class Stack:
    """One resolution. The attributes carry real credentials (what Django needs);
    ``repr``, ``to_dict()`` and ``explain()`` mask secrets unless asked to reveal them."""

    __slots__ = ("_doc", "_redacted", "_explain", "secret_paths")

    def __init__(self, answer: Mapping[str, Any]) -> None:
        self._doc: dict[str, Any] = answer["resolution"]
        self._redacted: dict[str, Any] = answer["redacted"]
        self._explain: str = answer.get("explain", "")
        #: Dotted paths of the secret values in the document.
        self.secret_paths: list[str] = list(answer.get("secret_paths", ()))

    @property
    def databases(self) -> dict[str, dict[str, Any]]:
        """Django ``DATABASES`` with the real credentials."""
        return self._doc["django"]["DATABASES"]  # type: ignore[no-any-return]

    @property
    def database_routers(self) -> list[str]:
        return list(self._doc["django"].get("DATABASE_ROUTERS", ["dbstack.django.Router"]))

    @property
    def caches(self) -> dict[str, dict[str, Any]]:
        """Django ``CACHES`` (DragonflyDB through the Redis backend)."""
        return self._doc["django"]["CACHES"]  # type: ignore[no-any-return]

    @property
    def channel_layers(self) -> dict[str, dict[str, Any]]:
        """Channels ``CHANNEL_LAYERS``."""
        return self._doc["django"]["CHANNEL_LAYERS"]  # type: ignore[no-any-return]

    @property
    def routing(self) -> dict[str, Any]:
        """``{"default": alias, "aliases": [...], "apps": {label: {"read", "write", "migrate"}}}``."""
        return self._doc["routing"]  # type: ignore[no-any-return]

    @property
    def ragflow(self) -> dict[str, Any]:
        return self._doc["ragflow"]  # type: ignore[no-any-return]

    @property
    def rocketmq(self) -> dict[str, Any]:
        return self._doc["rocketmq"]  # type: ignore[no-any-return]

    @property
    def warnings(self) -> list[dict[str, Any]]:
        """``[{"code", "message", "source"}]``: never silent, e.g. the development fallback."""
        return self._redacted.get("warnings", [])  # type: ignore[no-any-return]

    @property
    def profile(self) -> str:
        return str(self._doc.get("profile", ""))

    @property
    def fallback_active(self) -> bool:
        return bool(self._doc.get("fallback", {}).get("active", False))

    @property
    def fallback_reason(self) -> Optional[str]:
        return self._doc.get("fallback", {}).get("reason")  # type: ignore[no-any-return]

    @property
    def vault(self) -> dict[str, Any]:
        """Vault status and leases (no secrets)."""
        return self._redacted.get("vault", {})  # type: ignore[no-any-return]

    def to_dict(self, reveal: bool = False) -> dict[str, Any]:
        """The ``dbstack.resolution/v1`` document; secrets are ``"********"`` unless ``reveal``."""
        import copy

        return copy.deepcopy(self._doc if reveal else self._redacted)

    def explain(self) -> str:
        """Every value, the source that won and what it overrode (secrets masked)."""
        return self._explain

    def settings(self) -> dict[str, Any]:
        """The settings `configure` fills, as a new dict."""
        import copy

        django = self._doc["django"]
        return {
            "DATABASES": copy.deepcopy(django["DATABASES"]),
            "DATABASE_ROUTERS": self.database_routers,
            "CACHES": copy.deepcopy(django["CACHES"]),
            "CHANNEL_LAYERS": copy.deepcopy(django["CHANNEL_LAYERS"]),
            "RAGFLOW": copy.deepcopy(self._doc["ragflow"]),
            "ROCKETMQ": copy.deepcopy(self._doc["rocketmq"]),
            "DBSTACK": {
                "profile": self.profile,
                "fallback": copy.deepcopy(self._redacted.get("fallback", {})),
                "routing": copy.deepcopy(self.routing),
                "warnings": copy.deepcopy(self.warnings),
            },
        }

    def __repr__(self) -> str:
        aliases = list(self._doc["django"]["DATABASES"])
        return (
            f"<dbstack.Stack profile={self.profile!r} aliases={aliases!r} "
            f"vault={self.vault.get('status')!r} fallback_active={self.fallback_active!r}>"
        )


def resolve(
    *,
    env: Optional[Mapping[str, str]] = None,
    profile: Optional[str] = None,
    stack_file: Optional[str] = None,
    offline: bool = False,
) -> Stack:
    """Resolves the stack from ``env`` (default ``os.environ``), the Kubernetes files and Vault.

    ``profile`` beats ``DBSTACK_PROFILE``; ``stack_file`` beats ``DBSTACK_CONFIG``;
    ``offline`` skips Vault. Raises `ConfigError` or `VaultError`.
    """
    answer = _native.stack_from_process(
        env=None if env is None else dict(env), profile=profile, stack_file=stack_file, offline=offline
    )
    if not answer["ok"]:
        _raise(answer["error"])
    return Stack(answer)


def resolve_call(call: Mapping[str, Any]) -> Stack:
    """Resolves explicit inputs without I/O: the JSON call of the WASM and core boundary
    (``env``, ``kubernetes``, ``stack``, ``profile``, ``overrides``, ``vault``)."""
    import json

    answer = _native.stack_from_call(json.dumps(dict(call)))
    if not answer["ok"]:
        _raise(answer["error"])
    return Stack(answer)


def plan(call: Mapping[str, Any]) -> dict[str, Any]:
    """The Vault reads the inputs need (no I/O): ``{"settings": ..., "reads": [...]}``.
    Accepts a resolve call; its ``vault`` and ``reveal`` keys are ignored."""
    import json

    inputs = {k: v for k, v in call.items() if k not in ("vault", "reveal")}
    answer = json.loads(_native.plan(json.dumps(inputs)))
    if not answer["ok"]:
        _raise(answer["error"])
    return answer["plan"]  # type: ignore[no-any-return]


def schema() -> dict[str, Any]:
    """The JSON Schema of the resolution document."""
    import json

    return json.loads(_native.schema())  # type: ignore[no-any-return]


def verify(stack: Optional[Stack] = None, *, timeout: Optional[float] = None) -> dict[str, Any]:
    """Live checks of every service (``dbstack verify``): ``{"ok", "elapsed_ms", "checks": [...]}``
    plus ``"table"`` (for people) and ``"exit_code"``. Resolves first when no stack is given."""
    import json

    if stack is None:
        stack = resolve()
    answer = _native.verify(json.dumps(stack.to_dict(reveal=True)), timeout=timeout)
    if not answer["ok"]:
        _raise(answer["error"])
    report: dict[str, Any] = answer["report"]
    report["table"] = answer["table"]
    report["exit_code"] = answer["exit_code"]
    return report


def configure(
    namespace: MutableMapping[str, Any],
    *,
    overwrite: bool = False,
    stack: Optional[Stack] = None,
    env: Optional[Mapping[str, str]] = None,
    profile: Optional[str] = None,
    stack_file: Optional[str] = None,
) -> Stack:
    """Fills a settings module: ``dbstack.configure(globals())``.

    Sets DATABASES, DATABASE_ROUTERS, CACHES, CHANNEL_LAYERS, RAGFLOW, ROCKETMQ and DBSTACK
    (profile, fallback, routing, warnings: what the router and the system checks read).
    A key the module already set is kept unless ``overwrite``. Warnings (e.g. the
    development fallback) are printed to stderr once. Returns the stack.
    """
    global _configured
    if stack is None:
        stack = resolve(env=env, profile=profile, stack_file=stack_file)
    _configured = stack
    for key, value in stack.settings().items():
        if overwrite or key not in namespace:
            namespace[key] = value
    if stack.warnings:
        import sys

        for warning in stack.warnings:
            print(f"dbstack: warning: {warning.get('message')} ({warning.get('code')})", file=sys.stderr)
    return stack


_configured: Optional[Stack] = None


def configured_stack() -> Stack:
    """The stack `configure` resolved in this process (no second Vault login), else a new one."""
    return _configured if _configured is not None else resolve()
