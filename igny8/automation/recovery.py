"""Crash recovery: runs still ``running`` whose lease expired get a new job.

The job resumes from the database checkpoint (``current_stage`` and the pending queries),
so nothing is processed or charged twice.
"""

from __future__ import annotations

from sqlalchemy import or_, select

from igny8.automation import runlog, service
from igny8.extensions import db
from igny8.models import AutomationRun
from igny8.models.base import isoformat, utcnow


def recover_stale_runs(now=None) -> list[str]:
    """Re-enqueue every running run nobody holds; returns their run ids."""
    now = now or utcnow()
    stale = db.session.scalars(select(AutomationRun).where(
        AutomationRun.status == "running",
        or_(AutomationRun.lease_expires_at.is_(None), AutomationRun.lease_expires_at < now),
    )).all()
    recovered = []
    for run in stale:
        if service.enqueue(run, service.RESUME_JOB):
            owner = run.lease_owner or "no worker"
            runlog.write(run.id, f"Lease of {owner} expired at {isoformat(run.lease_expires_at)}; "
                                 f"re-enqueued to continue from stage {run.current_stage}", level="warning")
            recovered.append(run.run_id)
    db.session.commit()
    return recovered
