"""The Redis lock ``automation_lock_{site_id}``: the fast path of "one active run per site".

The token is the run's public id, so whichever worker carries the run can extend or release
it, and nobody else can. It always has a TTL (a killed holder cannot block a site forever)
and is extended by the worker's heartbeat. The database stays the source of truth.
"""

from __future__ import annotations

import json

from redis.exceptions import LockError

from igny8.extensions import redis_connection
from igny8.models.base import isoformat, utcnow

LOCK_TTL_SECONDS = 60


def lock_name(site_id: int) -> str:
    """The lock's Redis key (the name the original product used)."""
    return f"automation_lock_{site_id}"


def _lock(site_id: int, connection=None):
    conn = connection or redis_connection()
    return conn.lock(lock_name(site_id), timeout=LOCK_TTL_SECONDS, thread_local=False), conn


def acquire(site_id: int, token: str, owner: str, connection=None) -> bool:
    """Take the lock for ``token`` unless someone else holds it; record its owner."""
    lock, conn = _lock(site_id, connection)
    if conn.get(lock.name) == token.encode():
        lock.local.token = token.encode()
        lock.reacquire()
    elif not lock.acquire(blocking=False, token=token):
        return False
    set_owner(site_id, token, owner, conn)
    return True


def set_owner(site_id: int, token: str, owner: str, connection=None) -> None:
    """Who holds the lock (run, worker, since) — shown by current_run."""
    conn = connection or redis_connection()
    info = {"run_id": token, "worker": owner, "since": isoformat(utcnow())}
    conn.set(lock_name(site_id) + ":owner", json.dumps(info), ex=LOCK_TTL_SECONDS)


def release(site_id: int, token: str, connection=None) -> bool:
    """Release the lock only if ``token`` holds it."""
    lock, conn = _lock(site_id, connection)
    lock.local.token = token.encode()
    try:
        lock.release()
    except LockError:
        return False
    conn.delete(lock_name(site_id) + ":owner")
    return True


def holder(site_id: int, connection=None) -> dict | None:
    """The lock's owner info, or None when the site is not locked."""
    conn = connection or redis_connection()
    token = conn.get(lock_name(site_id))
    if token is None:
        return None
    raw = conn.get(lock_name(site_id) + ":owner")
    info = json.loads(raw) if raw else {"run_id": token.decode(), "worker": None, "since": None}
    info["ttl_seconds"] = conn.ttl(lock_name(site_id))
    return info
