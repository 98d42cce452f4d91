"""The credential keeper, Python side: which keepers this process owns, the credentials the
Django backends take for each new connection, fork safety and exit.

The keeper itself is native (``dbstack._native._Keeper``, a Rust thread with its own tokio
runtime that never holds the GIL while it waits). Here:

- every resolution that Vault answered registers its keeper; at a normal exit each keeper of
  this process stops and revokes the leases it created (unless ``DBSTACK_KEEP_LEASES=true``);
- ``configure()`` adopts one keeper for Django: ``current(alias)`` gives the current user and
  password of an alias (one native call comparing a generation number when nothing changed),
  ``refresh(alias)`` forces new credentials after an authentication failure;
- after ``fork()`` the child owns none of its parent's keepers (they are dropped without being
  touched); on first use it resolves again and gets its own token and leases, using the
  inherited credentials only until then.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

    from dbstack._native import _Keeper

log = logging.getLogger("dbstack")

#: Seconds a forked child waits before trying again to resolve on its own after a failure.
CHILD_RETRY_S = 5.0

_lock = threading.Lock()
_keepers: list[tuple[int, _Keeper]] = []


class _Adopted:
    """The keeper `configure()` chose, and the credentials it last gave, per alias."""

    __slots__ = ("pid", "keeper", "generation", "databases", "call", "retry_at")

    def __init__(self, keeper: _Keeper, call: dict[str, Any], databases: dict[str, dict[str, Any]]) -> None:
        self.pid = os.getpid()
        self.keeper: Optional[_Keeper] = keeper
        self.generation = 0
        self.databases = databases
        self.call = call
        self.retry_at = 0.0


_adopted: Optional[_Adopted] = None


def register(keeper: _Keeper) -> None:
    """A keeper of this process: stopped, its leases revoked, at exit."""
    with _lock:
        _keepers.append((os.getpid(), keeper))


def adopt(keeper: _Keeper, call: dict[str, Any], databases: dict[str, dict[str, Any]]) -> None:
    """`configure()`: this keeper serves the Django backends; its thread starts now."""
    global _adopted
    adopted = _Adopted(keeper, call, {alias: _credentials(s) for alias, s in databases.items()})
    _update(adopted, keeper)
    _adopted = adopted


def _credentials(settings: dict[str, Any]) -> dict[str, Any]:
    return {"USER": settings.get("USER", ""), "PASSWORD": settings.get("PASSWORD", "")}


def _update(adopted: _Adopted, keeper: _Keeper) -> None:
    fresh = keeper.databases(adopted.generation)
    if fresh is not None:
        generation, databases = fresh
        adopted.generation = generation
        adopted.databases = {alias: _credentials(s) for alias, s in databases.items()}


def _own_keeper(adopted: _Adopted) -> Optional[_Keeper]:
    """In a forked child: a resolution of its own, once (retried after a failure)."""
    if adopted.keeper is not None or time.monotonic() < adopted.retry_at:
        return adopted.keeper
    with _lock:
        if adopted.keeper is not None:
            return adopted.keeper
        from dbstack import _native

        answer = _native.keep(**adopted.call)
        keeper: Optional[_Keeper] = answer.get("keeper") if answer.get("ok") else None
        if keeper is None:
            adopted.retry_at = time.monotonic() + CHILD_RETRY_S
            error = answer.get("error") or {}
            log.warning("process %s: cannot get credentials of its own, keeping the inherited ones: %s", os.getpid(), error.get("message", "vault answered nothing to keep"))
            return None
        _keepers.append((os.getpid(), keeper))
        adopted.keeper = keeper
        adopted.generation = 0
        log.info("process %s (forked): resolved its own vault credentials", os.getpid())
        return keeper


def current(alias: str) -> Optional[dict[str, Any]]:
    """``{"USER", "PASSWORD"}`` of `alias` now, or None when no keeper serves it."""
    adopted = _adopted
    if adopted is None:
        return None
    keeper = adopted.keeper if adopted.pid == os.getpid() else None
    if keeper is None:
        keeper = _own_keeper(adopted)
    if keeper is not None:
        _update(adopted, keeper)
    return adopted.databases.get(alias)


def refresh(alias: str, timeout: float = 10.0) -> bool:
    """New credentials now (a connection of `alias` failed to authenticate). False when
    there is no keeper or Vault could not give new ones (the reason is logged)."""
    adopted = _adopted
    if adopted is None:
        return False
    current(alias)
    keeper = adopted.keeper
    if keeper is None:
        return False
    answer = keeper.refresh(timeout=timeout)
    if not answer.get("ok"):
        log.warning("alias %s: refreshing the vault credentials failed: %s", alias, (answer.get("error") or {}).get("message", "unknown"))
        return False
    _update(adopted, keeper)
    return True


def leases() -> list[dict[str, Any]]:
    """The leases this process's keepers hold: lease id, path, TTL left, renewals, next action."""
    pid = os.getpid()
    with _lock:
        keepers = [k for p, k in _keepers if p == pid]
    rows: list[dict[str, Any]] = []
    for keeper in keepers:
        status = keeper.status()
        for lease in status.get("leases", ()):
            nxt = lease.get("next") or {}
            rows.append(
                {
                    "alias": lease.get("alias"),
                    "path": lease.get("path"),
                    "lease_id": lease.get("lease_id"),
                    "ttl_left_s": lease.get("ttl_left_s"),
                    "renewable": lease.get("renewable"),
                    "renewals": lease.get("renewals"),
                    "rotations": lease.get("rotations"),
                    "next_action": nxt.get("action"),
                    "next_in_s": nxt.get("in_s"),
                    "running": status.get("running", False),
                }
            )
    return rows


def _after_fork_in_child() -> None:
    global _lock, _keepers
    # The parent's lock may have been held by another thread; its keepers are not ours.
    _lock = threading.Lock()
    _keepers = []
    adopted = _adopted
    if adopted is not None:
        adopted.pid = os.getpid()
        adopted.keeper = None
        adopted.retry_at = 0.0


def _stop_all() -> None:
    from dbstack import _native

    pid = os.getpid()
    with _lock:
        mine = [k for p, k in _keepers if p == pid]
        _keepers.clear()
    for keeper in mine:
        try:
            keeper.stop(revoke=True, timeout=5.0)
        except Exception as error:  # exit must go on
            log.warning("stopping the credential keeper failed: %s", error)
    _native.finalizing()


os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(_stop_all)
