"""Crash recovery: runs still ``running`` whose lease expired get a new job.

The job resumes from the database checkpoint (``current_stage`` and the pending queries),
so nothing is processed or charged twice.
"""

from __future__ import annotations

from sqlalchemy import func, or_, select, update

from igny8.automation import locks, runlog, service
from igny8.extensions import db
from igny8.models import AutomationRun, RunLogLine
from igny8.models.base import isoformat, utcnow

# A run whose workers keep dying (a poison item, memory exhaustion) is failed after this many
# recoveries instead of being retried forever.
MAX_RECOVERIES = 5
RECOVERY_MARK = "expired at"


def recover_stale_runs(now=None) -> list[str]:
    """Re-enqueue every running run nobody holds; returns their run ids."""
    now = now or utcnow()
    stale = db.session.scalars(select(AutomationRun).where(
        AutomationRun.status == "running",
        or_(AutomationRun.lease_expires_at.is_(None), AutomationRun.lease_expires_at < now),
    )).all()
    recovered = []
    for run in stale:
        if run.lease_owner is not None and _recoveries(run.id) >= MAX_RECOVERIES:
            _give_up(run)
            continue
        if service.enqueue(run, service.RESUME_JOB):
            owner = run.lease_owner or "no worker"
            runlog.write(run.id, f"Lease of {owner} {RECOVERY_MARK} {isoformat(run.lease_expires_at)}; "
                                 f"re-enqueued to continue from stage {run.current_stage}", level="warning")
            recovered.append(run.run_id)
    db.session.commit()
    return recovered


def _recoveries(run_pk: int) -> int:
    """How often the run was recovered after a worker died (from its activity log)."""
    return db.session.scalar(select(func.count()).select_from(RunLogLine).where(
        RunLogLine.run_id == run_pk, RunLogLine.level == "warning",
        RunLogLine.message.like(f"Lease of % {RECOVERY_MARK} %"))) or 0


def _give_up(run: AutomationRun) -> None:
    message = (f"The worker died {MAX_RECOVERIES} times while working this run (last at stage "
               f"{run.current_stage}); stopped so it does not loop. Check the worker logs, then start a new run.")
    changed = db.session.execute(
        update(AutomationRun).where(AutomationRun.id == run.id, AutomationRun.epoch == run.epoch,
                                    AutomationRun.status == "running")
        .values(status="failed", error_message=message, completed_at=utcnow(), lease_owner=None,
                lease_expires_at=None, processing=None)
    ).rowcount
    db.session.commit()
    if changed:
        runlog.write(run.id, message, level="error")
        locks.release(run.site_id, run.run_id)
