"""The run's lease in the database: who works on it, until when, and the fencing epoch.

A worker claims a run by bumping ``epoch``; every write it makes for the run checks that
epoch, so a worker that lost its lease (paused by the OS, cut off from the database for a
while) can change nothing once another worker has claimed the run.
"""

from __future__ import annotations

import threading
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, update

from igny8.extensions import db
from igny8.models import AutomationRun
from igny8.models.base import utcnow


def lease_seconds() -> int:
    """How long a claim lives without a heartbeat."""
    return int(current_app.config.get("AUTOMATION_LEASE_SECONDS", 45))


def claim(run_pk: int, owner: str) -> int | None:
    """Take the run if it is running and nobody holds a live lease; returns the new epoch."""
    now = utcnow()
    epoch = db.session.execute(
        update(AutomationRun)
        .where(
            AutomationRun.id == run_pk,
            AutomationRun.status == "running",
            or_(AutomationRun.lease_owner.is_(None), AutomationRun.lease_expires_at.is_(None),
                AutomationRun.lease_expires_at < now),
        )
        .values(epoch=AutomationRun.epoch + 1, lease_owner=owner, lease_since=now,
                lease_expires_at=now + timedelta(seconds=lease_seconds()))
        .returning(AutomationRun.epoch)
    ).scalar_one_or_none()
    db.session.commit()
    return epoch


def renew(connection, run_pk: int, epoch: int, seconds: int) -> bool:
    """Extend the lease while the claim is still ours (on the heartbeat's own connection)."""
    result = connection.execute(
        update(AutomationRun)
        .where(AutomationRun.id == run_pk, AutomationRun.epoch == epoch,
               AutomationRun.status.in_(("running", "paused")))
        .values(lease_expires_at=utcnow() + timedelta(seconds=seconds))
    )
    return result.rowcount == 1


def release(run_pk: int, epoch: int, status: str | None = None) -> bool:
    """Give the lease up (optionally only while the run has ``status``); commits."""
    query = update(AutomationRun).where(AutomationRun.id == run_pk, AutomationRun.epoch == epoch)
    if status is not None:
        query = query.where(AutomationRun.status == status)
    result = db.session.execute(query.values(lease_owner=None, lease_expires_at=None))
    db.session.commit()
    return result.rowcount == 1


class Heartbeat(threading.Thread):
    """Renews the lease and the Redis lock every few seconds while the run works."""

    def __init__(self, engine, run_pk: int, epoch: int, site_id: int, token: str, owner: str, redis_conn):
        super().__init__(name=f"heartbeat-{run_pk}", daemon=True)
        self.engine, self.run_pk, self.epoch = engine, run_pk, epoch
        self.site_id, self.token, self.owner, self.redis_conn = site_id, token, owner, redis_conn
        self.interval = int(current_app.config.get("AUTOMATION_HEARTBEAT_SECONDS", 10))
        self.seconds = lease_seconds()
        self.stopped = threading.Event()

    def run(self) -> None:
        """Beat until stopped, or until the claim is gone (the job thread reads that from the run)."""
        from igny8.automation import locks

        while not self.stopped.wait(self.interval):
            try:
                with self.engine.begin() as conn:
                    alive = renew(conn, self.run_pk, self.epoch, self.seconds)
                if not alive:
                    # Cancelled or taken over: re-taking the Redis lock now would undo a cancel's release.
                    return
                locks.acquire(self.site_id, self.token, self.owner, self.redis_conn)
            except Exception:  # a blip must not kill the beat; the lease has slack
                continue

    def stop(self) -> None:
        """Stop beating."""
        self.stopped.set()
