"""Automation operations shared by the API, the pages and the scheduler."""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from igny8.automation import credits, locks, runlog
from igny8.automation.stages import STAGES
from igny8.extensions import db
from igny8.models import AutomationConfig, AutomationRun, Site
from igny8.models.base import ACTIVE_RUN_STATUSES, isoformat, utcnow
from igny8.queues import AUTOMATION, get_queue

RUN_JOB = "jobs.automation.run_automation_task"
RESUME_JOB = "jobs.automation.resume_automation_task"
JOB_TIMEOUT = 24 * 3600
START_GRACE_SECONDS = 120


class AutomationError(Exception):
    """A refusal the API turns into ``{"error", "code"}`` with status 400."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# -- config ------------------------------------------------------------------------------

def get_config(site: Site) -> AutomationConfig:
    """The site's config, created with defaults on first read."""
    config = db.session.scalar(select(AutomationConfig).where(AutomationConfig.site_id == site.id))
    if config is None:
        config = AutomationConfig(site_id=site.id, account_id=site.account_id, timezone=site.timezone or "UTC")
        db.session.add(config)
        try:
            db.session.commit()
        except IntegrityError:  # another request created it first
            db.session.rollback()
            config = db.session.scalar(select(AutomationConfig).where(AutomationConfig.site_id == site.id))
    return config


def update_config(site: Site, changes: dict) -> AutomationConfig:
    """Apply validated changes and recompute the next scheduled run."""
    from igny8.automation.schedule import next_run_at

    config = get_config(site)
    for name, value in changes.items():
        setattr(config, name, value)
    config.next_run_at = next_run_at(config, utcnow()) if config.is_enabled else None
    db.session.commit()
    return config


def config_json(config: AutomationConfig) -> dict:
    """The config as the API shows it."""
    fields = ("is_enabled", "frequency", "scheduled_time", "timezone", "stage_1_batch_size", "stage_2_batch_size",
              "stage_3_batch_size", "stage_4_batch_size", "stage_5_batch_size", "stage_6_batch_size",
              "within_stage_delay", "between_stage_delay", "ai_concurrency")
    data = {f: getattr(config, f) for f in fields}
    data.update(site_id=config.site_id, last_run_at=isoformat(config.last_run_at),
                next_run_at=isoformat(config.next_run_at))
    return data


# -- runs --------------------------------------------------------------------------------

def active_run(site_id: int) -> AutomationRun | None:
    """The site's running or paused run."""
    return db.session.scalar(select(AutomationRun).where(
        AutomationRun.site_id == site_id, AutomationRun.status.in_(ACTIVE_RUN_STATUSES)))


def new_run_id() -> str:
    """A readable, unique public id."""
    return f"run_{utcnow():%Y%m%d_%H%M%S}_{secrets.token_hex(3)}"


def estimate_json(site: Site) -> dict:
    """``estimated_credits``, ``current_balance``, ``sufficient`` and the per-stage breakdown."""
    est = credits.estimate(site.id)
    balance = credits.balance(site.account_id)
    required = credits.quantize(est["estimated_credits"] * credits.SAFETY_FACTOR)
    return {**est, "current_balance": balance, "required_balance": required, "sufficient": balance >= required,
            "safety_factor": credits.SAFETY_FACTOR}


def start_run(site: Site, trigger: str = "manual") -> AutomationRun:
    """Create a run and enqueue it; refuses when one is active or credits are short."""
    if active_run(site.id) is not None:
        raise AutomationError("already_running", "An automation run is already active for this site")
    est = estimate_json(site)
    if not est["sufficient"]:
        raise AutomationError(
            "insufficient_credits",
            f"Balance {est['current_balance']} is below 1.2 × the estimate ({est['required_balance']} needed)",
        )
    run_id = new_run_id()
    if not locks.acquire(site.id, run_id, "web (starting)"):
        raise AutomationError("already_running", "The site's automation lock is held by another run")
    now = utcnow()
    run = AutomationRun(
        run_id=run_id, account_id=site.account_id, site_id=site.id, trigger_type=trigger, status="running",
        current_stage=1, started_at=now, estimated_credits=est["estimated_credits"], total_credits_used=Decimal(0),
        # A start lease with no owner: if no worker ever claims the run, recovery re-enqueues it.
        lease_expires_at=now + timedelta(seconds=START_GRACE_SECONDS),
    )
    db.session.add(run)
    try:
        db.session.flush()
        config = get_config(site)
        config.last_run_at = now
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        locks.release(site.id, run_id)
        raise AutomationError("already_running", "An automation run is already active for this site") from None
    runlog.write(run.id, f"Run {run_id} created ({trigger}); estimate {est['estimated_credits']} credits, "
                         f"balance {est['current_balance']}")
    try:
        enqueue(run, RUN_JOB)
    except Exception as exc:
        mark_failed(run, f"Could not enqueue the run: {exc}")
        locks.release(site.id, run_id)
        raise AutomationError("queue_unavailable", "The job queue is unavailable; try again shortly") from exc
    return run


def job_id(run: AutomationRun) -> str:
    """One RQ job id per claim generation: enqueueing the same generation twice is a no-op."""
    return f"automation-{run.run_id}-{run.epoch}"


def enqueue(run: AutomationRun, func: str, connection=None) -> bool:
    """Enqueue ``func(run.id)`` unless that job is already waiting or running."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    queue = get_queue(AUTOMATION, connection)
    jid = job_id(run)
    try:
        status = Job.fetch(jid, connection=queue.connection).get_status(refresh=False)
        if status in ("queued", "started", "scheduled", "deferred"):
            return False
    except NoSuchJobError:
        pass
    queue.enqueue(func, run.id, job_id=jid, job_timeout=JOB_TIMEOUT, result_ttl=3600, failure_ttl=7 * 86400)
    return True


def mark_failed(run: AutomationRun, message: str) -> None:
    """Fail a run from outside a worker (e.g. it could not be enqueued)."""
    run.status, run.error_message, run.completed_at = "failed", message, utcnow()
    run.lease_owner = run.lease_expires_at = None
    db.session.commit()
    runlog.write(run.id, message, level="error")


def pause(run: AutomationRun) -> AutomationRun:
    """Ask the worker to stop after the item in flight."""
    if run.status != "running":
        raise AutomationError("invalid_state", f"Only a running run can be paused; this one is {run.status}")
    run.status, run.paused_at, run.pause_reason = "paused", utcnow(), "Paused by user"
    db.session.commit()
    runlog.write(run.id, "Pause requested; the worker stops after the item in flight")
    return run


def resume(run: AutomationRun) -> AutomationRun:
    """Continue a paused run from its current stage."""
    if run.status != "paused":
        raise AutomationError("invalid_state", f"Only a paused run can be resumed; this one is {run.status}")
    site = db.session.get(Site, run.site_id)
    est = estimate_json(site)
    if est["current_balance"] <= 0 and est["estimated_credits"] > 0:
        raise AutomationError("insufficient_credits", "The balance is empty; add credits before resuming")
    run.status, run.resumed_at, run.pause_reason, run.error_message = "running", utcnow(), None, None
    if run.lease_owner is None:
        run.lease_expires_at = utcnow() + timedelta(seconds=START_GRACE_SECONDS)
    db.session.commit()
    runlog.write(run.id, f"Resumed at stage {run.current_stage}")
    enqueue(run, RESUME_JOB)
    return run


def cancel(run: AutomationRun) -> AutomationRun:
    """Stop the run for good; the item in flight is discarded, nothing of it charged."""
    if run.status not in ACTIVE_RUN_STATUSES:
        raise AutomationError("invalid_state", f"Only a running or paused run can be cancelled; this one is "
                                               f"{run.status}")
    now = utcnow()
    run.status, run.cancelled_at, run.completed_at, run.processing = "cancelled", now, now, None
    # A live worker notices within a second and drops its item; a dead one must not keep
    # showing as the owner of a finished run.
    run.lease_owner, run.lease_expires_at = None, None
    db.session.commit()
    runlog.write(run.id, "Run cancelled")
    locks.release(run.site_id, run.run_id)
    return run


# -- views -------------------------------------------------------------------------------

def run_json(run: AutomationRun, with_owner: bool = True) -> dict:
    """RUN of API.md, plus the lock/lease owner."""
    data = {
        "run_id": run.run_id, "site_id": run.site_id, "trigger_type": run.trigger_type, "status": run.status,
        "current_stage": run.current_stage, "started_at": isoformat(run.started_at),
        "paused_at": isoformat(run.paused_at), "resumed_at": isoformat(run.resumed_at),
        "cancelled_at": isoformat(run.cancelled_at), "completed_at": isoformat(run.completed_at),
        "total_credits_used": run.total_credits_used, "estimated_credits": run.estimated_credits,
        "error_message": run.error_message, "pause_reason": run.pause_reason,
    }
    for n in STAGES:
        data[f"stage_{n}_result"] = run.stage_result(n)
    if with_owner:
        data["lock"] = locks.holder(run.site_id) if run.status in ACTIVE_RUN_STATUSES else None
        data["lease"] = {"owner": run.lease_owner, "since": isoformat(run.lease_since),
                         "expires_at": isoformat(run.lease_expires_at), "epoch": run.epoch}
    return data


def history(site_id: int, limit: int = 20) -> list[dict]:
    """The last runs, newest first."""
    runs = db.session.scalars(select(AutomationRun).where(AutomationRun.site_id == site_id)
                              .order_by(AutomationRun.started_at.desc(), AutomationRun.id.desc()).limit(limit))
    return [{"run_id": r.run_id, "status": r.status, "trigger_type": r.trigger_type,
             "started_at": isoformat(r.started_at), "completed_at": isoformat(r.completed_at),
             "total_credits_used": r.total_credits_used, "current_stage": r.current_stage,
             "error_message": r.error_message} for r in runs]


def pipeline_overview(site_id: int) -> list[dict]:
    """Per stage: name, type, pending count and the status counts of its objects."""
    stages = []
    for number, stage in STAGES.items():
        model = stage.model
        counts = dict(db.session.execute(
            select(model.status, func.count()).where(model.site_id == site_id).group_by(model.status)).all())
        stages.append({"number": number, "name": stage.name, "type": stage.kind,
                       "pending": stage.pending_count(site_id), "status_counts": counts,
                       "object": model.__tablename__})
    return stages


def processing_json(run: AutomationRun) -> dict | None:
    """The live snapshot of a running run, else None."""
    if run.status != "running":
        return None
    snap = dict(run.processing or {})
    snap.setdefault("stage", run.current_stage)
    snap.setdefault("stage_name", STAGES[snap["stage"]].name)
    snap["run_id"] = run.run_id
    return snap
