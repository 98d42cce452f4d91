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
    import os
    from collections.abc import Mapping, MutableMapping, Sequence
    from typing import Any, Optional, Union

    #: `env_file=`: one path or several.
    EnvFiles = Union[str, "os.PathLike[str]", Sequence[Union[str, "os.PathLike[str]"]], None]

__all__ = [
    "ConfigError",
    "DbstackError",
    "Stack",
    "VaultError",
    "configure",
    "configured_stack",
    "leases",
    "plan",
    "read_env_file",
    "resolve",
    "resolve_call",
    "schema",
    "verify",
]

#: The version of the package, the CLI, the crates and the npm package (the Cargo workspace's).
__version__: str = _native.__version__

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
    cls: type[DbstackError]
    if kind == "internal":
        cls = DbstackError
    elif exit_code == 3 or kind.startswith("vault"):
        cls = VaultError
    else:
        cls = ConfigError
    raise cls(str(error.get("message", kind)), kind=kind, source=str(error.get("source", "")), exit_code=exit_code)


# Arguments are checked here, before anything is resolved or changed: a wrong type is a
# `TypeError` naming the argument; a value JSON cannot carry (NaN, an infinity, a lone
# surrogate, a set, ...) is a `ConfigError` naming the field.

#: How deep a call may nest (the core's JSON parser stops at 128).
_MAX_DEPTH = 64
#: The largest call, in characters of JSON (the WASM package's guard has the same bound).
_MAX_CALL_CHARS = 8 * 1024 * 1024


def _type_error(argument: str, expected: str, value: object) -> TypeError:
    return TypeError(f"dbstack: `{argument}` must be {expected}, not {type(value).__name__}")


def _optional_str(argument: str, value: object) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _type_error(argument, "a str or None", value)
    _text(value, argument, kind="invalid_argument", source=argument)
    return value


def _text(value: str, what: str, *, kind: str, source: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ConfigError(f"{what} contains a lone surrogate, which UTF-8 and JSON cannot carry", kind=kind, source=source) from None


def _env_map(argument: str, env: object) -> Optional[dict[str, str]]:
    """`env=` as a dict of str, or None for the process environment."""
    if env is None:
        return None
    from collections.abc import Mapping as _Mapping

    if not isinstance(env, _Mapping):
        raise _type_error(argument, "a mapping of str to str or None", env)
    out: dict[str, str] = {}
    for key, value in env.items():
        if not isinstance(key, str) or not isinstance(value, str):
            bad = key if not isinstance(key, str) else value
            raise TypeError(f"dbstack: `{argument}` must map str to str; {key!r} -> {type(bad).__name__}")
        _text(key, f"the name of variable {key!r}", kind="invalid_variable", source=key)
        _text(value, f"variable {key}", kind="invalid_variable", source=key)
        out[key] = value
    return out


def _path_arg(argument: str, value: object) -> str:
    """A str or a path (``os.PathLike``) as a str; `TypeError` naming the argument otherwise."""
    import os

    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise _type_error(argument, "a str, a path or None", value)
    _text(value, argument, kind="invalid_argument", source=argument)
    return value


def _env_files(env_file: object) -> list[str]:
    """`env_file=`: None, one path, or a list or tuple of paths (a later file beats an earlier one)."""
    if env_file is None:
        return []
    if isinstance(env_file, (list, tuple)):
        return [_path_arg("env_file", item) for item in env_file]
    return [_path_arg("env_file", env_file)]


def _call_json(argument: str, call: object) -> str:
    """The call as JSON text, every value checked first (named by its path in the call)."""
    from collections.abc import Mapping as _Mapping

    if not isinstance(call, _Mapping):
        raise _type_error(argument, "a mapping (the JSON call: env, stack, profile, ...)", call)
    _check_json(call, "", 0)
    import json

    text = json.dumps(call, allow_nan=False)
    if len(text) > _MAX_CALL_CHARS:
        raise ConfigError(f"the call is {len(text)} characters of JSON, more than {_MAX_CALL_CHARS}", kind="invalid_call", source="call")
    return text


def _check_json(value: object, path: str, depth: int) -> None:
    def bad(what: str) -> ConfigError:
        return ConfigError(f"`{path or 'call'}` {what}", kind="invalid_call", source=f"call:{path}" if path else "call")

    if depth > _MAX_DEPTH:
        raise bad(f"nests deeper than {_MAX_DEPTH} levels")
    if value is None or isinstance(value, (bool, int)):
        return
    if isinstance(value, float):
        import math

        if not math.isfinite(value):
            raise bad(f"is {value!r}, which JSON cannot carry")
        return
    if isinstance(value, str):
        _text(value, f"`{path or 'call'}`", kind="invalid_call", source=f"call:{path}" if path else "call")
        return
    from collections.abc import Mapping as _Mapping

    if isinstance(value, _Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise bad(f"has a key of type {type(key).__name__} ({key!r}); JSON keys are strings")
            _text(key, f"a key of `{path or 'call'}`", kind="invalid_call", source=f"call:{path}" if path else "call")
            _check_json(item, f"{path}.{key}" if path else key, depth + 1)
        return
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check_json(item, f"{path}.{index}" if path else str(index), depth + 1)
        return
    raise bad(f"is a {type(value).__name__}, which JSON cannot carry")


class Stack:
    """One resolution. The attributes carry real credentials (what Django needs);
    ``repr``, ``to_dict()`` and ``explain()`` mask secrets unless asked to reveal them."""

    __slots__ = ("_doc", "_redacted", "_native", "_keeper", "secret_paths")

    def __init__(self, answer: Mapping[str, Any]) -> None:
        #: The credential keeper of this resolution's Vault leases and token (or None).
        self._keeper: Any = answer.get("keeper")
        self._doc: dict[str, Any] = answer["resolution"]
        self._redacted: dict[str, Any] = answer["redacted"]
        # The native resolution, rendered only when `explain()` is called.
        self._native: Any = answer.get("native")
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
        """Every value, the source that won and what it overrode (secrets masked).
        Rendered on each call (the table of thousands of aliases is megabytes)."""
        if self._native is None:
            raise DbstackError("this Stack has no resolution to explain", kind="internal", source="Stack")
        answer = self._native.explain()
        if not answer["ok"]:
            _raise(answer["error"])
        return str(answer["text"])

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
    env_file: EnvFiles = None,
) -> Stack:
    """Resolves the stack from ``env`` (default ``os.environ``), the Kubernetes files and Vault.

    ``profile`` beats ``DBSTACK_PROFILE``; ``stack_file`` beats ``DBSTACK_CONFIG``;
    ``offline`` skips Vault. ``env_file`` (a path or a list of paths) reads ``.env`` files
    (dotenv syntax); ``env`` beats every file, a later file beats an earlier one, and a file
    that does not exist is a warning. ``X_FILE`` variables are read for the secret
    variables. Raises `ConfigError` or `VaultError`.
    """
    env_map = _env_map("env", env)
    if stack_file is not None:
        stack_file = _path_arg("stack_file", stack_file)
    if not isinstance(offline, bool):
        raise _type_error("offline", "a bool", offline)
    answer = _native.keep(
        env=env_map,
        profile=_optional_str("profile", profile),
        stack_file=stack_file,
        offline=offline,
        env_files=_env_files(env_file),
    )
    if not answer["ok"]:
        _raise(answer["error"])
    if answer.get("keeper") is not None:
        # Its leases are this process's: revoked at exit (DBSTACK_KEEP_LEASES=true keeps them).
        from dbstack import _keeper

        _keeper.register(answer["keeper"])
    return Stack(answer)


def read_env_file(path: Union[str, os.PathLike[str]]) -> dict[str, str]:
    """The variables of a ``.env`` file, read as ``resolve(env_file=...)`` reads it (dotenv
    syntax: quotes, ``export``, comments, ``${VAR}`` from the environment then the file's
    earlier lines): for the settings dbstack does not resolve (``SECRET_KEY``, ``DEBUG``).
    Nothing is put into ``os.environ``. Raises `ConfigError` naming ``path:line``."""
    answer = _native.read_env_file(_path_arg("path", path))
    if not answer["ok"]:
        _raise(answer["error"])
    return dict(answer["values"])


def resolve_call(call: Mapping[str, Any]) -> Stack:
    """Resolves explicit inputs without I/O: the JSON call of the WASM and core boundary
    (``env``, ``kubernetes``, ``stack``, ``profile``, ``overrides``, ``vault``)."""
    answer = _native.stack_from_call(_call_json("call", call))
    if not answer["ok"]:
        _raise(answer["error"])
    return Stack(answer)


def plan(call: Mapping[str, Any]) -> dict[str, Any]:
    """The Vault reads the inputs need (no I/O): ``{"settings": ..., "reads": [...]}``.
    Accepts a resolve call; its ``vault`` and ``reveal`` keys are ignored."""
    import json

    text = _call_json("call", call)
    inputs = {k: v for k, v in call.items() if k not in ("vault", "reveal")}
    answer = json.loads(_native.plan(text if len(inputs) == len(call) else json.dumps(inputs)))
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

    if stack is not None and not isinstance(stack, Stack):
        raise _type_error("stack", "a dbstack.Stack or None", stack)
    if timeout is not None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise _type_error("timeout", "a number of seconds or None", timeout)
        try:
            timeout = float(timeout)
        except OverflowError:
            raise ConfigError(f"timeout: {timeout} seconds is out of range", kind="invalid_argument", source="timeout") from None
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
    env_file: EnvFiles = None,
) -> Stack:
    """Fills a settings module: ``dbstack.configure(globals())``; ``env_file=".env"`` reads a
    dotenv file as `resolve` does.

    Sets DATABASES, DATABASE_ROUTERS, CACHES, CHANNEL_LAYERS, RAGFLOW, ROCKETMQ and DBSTACK
    (profile, fallback, routing, warnings: what the router and the system checks read).
    A key the module already set is kept unless ``overwrite``. Warnings (e.g. the
    development fallback) are printed to stderr once. Returns the stack.
    """
    global _configured
    # Everything is checked and resolved before anything changes: a call that raises leaves
    # the namespace and `configured_stack()` as they were.
    from collections.abc import MutableMapping as _MutableMapping

    if not isinstance(namespace, _MutableMapping):
        raise _type_error("namespace", "a mutable mapping (a settings module's globals())", namespace)
    if not isinstance(overwrite, bool):
        raise _type_error("overwrite", "a bool", overwrite)
    if stack is not None and not isinstance(stack, Stack):
        raise _type_error("stack", "a dbstack.Stack or None", stack)
    if stack is None:
        stack = resolve(env=env, profile=profile, stack_file=stack_file, env_file=env_file)
    settings = stack.settings()
    if _configured is not None and not overwrite and _configured is not stack and _configured.settings() != settings:
        raise ConfigError(
            "dbstack.configure() was already called in this process with a different result; "
            "pass overwrite=True to replace it",
            kind="already_configured",
            source="configure",
        )
    _keep_credentials(
        stack,
        settings["DATABASES"],
        {
            "env": None if env is None else dict(env),
            "profile": profile,
            "stack_file": None if stack_file is None else _path_arg("stack_file", stack_file),
            "env_files": _env_files(env_file),
        },
    )
    updates = {key: value for key, value in settings.items() if overwrite or key not in namespace}
    previous = {key: namespace[key] for key in updates if key in namespace}
    try:
        for key, value in updates.items():
            namespace[key] = value
    except BaseException:
        for key in updates:
            if key in previous:
                namespace[key] = previous[key]
            else:
                namespace.pop(key, None)
        raise
    _configured = stack
    if stack.warnings:
        import sys

        for warning in stack.warnings:
            print(f"dbstack: warning: {warning.get('message')} ({warning.get('code')})", file=sys.stderr)
    return stack


_configured: Optional[Stack] = None

#: Django's backends and dbstack's, which take the credential keeper's current credentials.
KEPT_ENGINES = {
    "django.db.backends.postgresql": "dbstack.django.db.backends.postgresql",
    "django.db.backends.mysql": "dbstack.django.db.backends.mysql",
}


def _keep_credentials(stack: Stack, databases: dict[str, dict[str, Any]], call: dict[str, Any]) -> None:
    """Aliases whose user or password comes from Vault get dbstack's backend (every new
    connection takes the current credentials); the keeper starts when there is one."""
    if stack._keeper is None:
        return
    provenance = stack._redacted.get("provenance", {})
    kept = False
    for alias, settings in databases.items():
        engine = KEPT_ENGINES.get(settings.get("ENGINE", ""))
        kinds = {provenance.get(f"django.DATABASES.{alias}.{key}", {}).get("source", {}).get("kind") for key in ("USER", "PASSWORD")}
        if engine and "vault" in kinds:
            settings["ENGINE"] = engine
            kept = True
    if kept:
        from dbstack import _keeper

        _keeper.adopt(stack._keeper, call, databases)


def leases() -> list[dict[str, Any]]:
    """The Vault leases this process holds (never a secret): ``alias``, ``path``, ``lease_id``,
    ``ttl_left_s``, ``renewable``, ``renewals``, ``rotations``, ``next_action`` (``renew`` or
    ``rotate``), ``next_in_s``, ``running`` (the keeper thread has started)."""
    from dbstack import _keeper

    return _keeper.leases()


def configured_stack() -> Stack:
    """The stack `configure` resolved in this process (no second Vault login), else a new one."""
    return _configured if _configured is not None else resolve()
