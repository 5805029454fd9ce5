"""Runs a claimed run through its stages, from ``current_stage`` to the end.

Called by the RQ jobs (``jobs.automation``). Safe to call twice for the same run: only the
caller that claims the lease works; everything it does is fenced by the claim's epoch.
"""

from __future__ import annotations

import logging
import os
import socket

from igny8.ai import image_provider_for, text_provider_for
from igny8.ai.base import SiteInfo
from igny8.automation import lease, locks, runlog
from igny8.automation.context import Fenced, RunContext, StopReason
from igny8.automation.stages import STAGES
from igny8.extensions import db, redis_connection
from igny8.models import AutomationConfig, AutomationRun, Site
from igny8.models.base import utcnow
from igny8.services.integrations import effective

logger = logging.getLogger("igny8.automation")

CONFIG_FIELDS = (
    "stage_1_batch_size", "stage_2_batch_size", "stage_3_batch_size", "stage_4_batch_size", "stage_5_batch_size",
    "stage_6_batch_size", "within_stage_delay", "between_stage_delay", "ai_concurrency",
)


def worker_identity() -> str:
    """``host:pid`` of this process (the lease owner shown by current_run)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def execute_run(run_pk: int, owner: str | None = None) -> str:
    """Claim the run and work it until it completes, pauses, is cancelled or fails.

    Returns what happened (for the job's result and the tests).
    """
    owner = owner or worker_identity()
    epoch = lease.claim(run_pk, owner)
    if epoch is None:
        return "not_claimed"  # finished, paused, cancelled, or another worker holds a live lease
    run = db.session.get(AutomationRun, run_pk)
    conn = redis_connection()
    if not locks.acquire(run.site_id, run.run_id, owner, conn):
        lease.release(run_pk, epoch)
        runlog.write(run_pk, "Site lock held by another run; will retry", level="warning")
        return "lock_busy"
    heartbeat = lease.Heartbeat(db.engine, run_pk, epoch, run.site_id, run.run_id, owner, conn)
    heartbeat.start()
    outcome = "lease_lost"
    try:
        ctx = _context(run, epoch)
        runlog.write(run_pk, f"Worker {owner} took the run (claim {epoch}) at stage {run.current_stage}")
        outcome = _work(ctx, run.current_stage)
        return outcome
    except Exception as exc:
        db.session.rollback()
        logger.exception("run %s failed", run_pk)
        outcome = _fail(run_pk, epoch, exc)
        return outcome
    finally:
        heartbeat.stop()
        if outcome != "lease_lost":
            locks.release(run.site_id, run.run_id, conn)


def _context(run: AutomationRun, epoch: int) -> RunContext:
    site = db.session.get(Site, run.site_id)
    config = db.session.query(AutomationConfig).filter_by(site_id=run.site_id).one_or_none()
    snapshot = {f: getattr(config, f) for f in CONFIG_FIELDS} if config else {}
    ai = effective(run.account_id)  # read once: providers and the image size share it
    snapshot["image_size"] = ai.image_size
    results = {n: dict(run.stage_result(n)) for n in STAGES if run.stage_result(n)}
    ctx = RunContext(
        run_pk=run.id, run_id=run.run_id, site_id=run.site_id, account_id=run.account_id, epoch=epoch,
        config=snapshot, site=SiteInfo(site.name, site.domain), text_provider=text_provider_for(ai),
        image_provider=image_provider_for(ai), results=results, processing=run.processing,
    )
    db.session.commit()
    return ctx


def _work(ctx: RunContext, start_stage: int) -> str:
    """The stage loop; comes back here if a pause is lifted before the worker let go."""
    stage = start_stage
    while True:
        for number in range(stage, 8):
            impl = STAGES[number]
            ctx.set_processing(stage=number, stage_name=impl.name)
            ctx.flush_processing(number)
            if ctx.check_control() is not None:
                break
            ctx.log(f"Stage {number} ({impl.name}) started", number)
            impl.run(ctx)
            if ctx.stop is not None:
                break
            ctx.log(f"Stage {number} finished: {impl.describe(ctx.results.get(number) or {})}", number)
            if number < 7 and ctx.config.get("between_stage_delay"):
                ctx.sleep(int(ctx.config["between_stage_delay"]))
                if ctx.stop is not None:
                    break
        if ctx.stop is None:
            return _complete(ctx)
        outcome = _stop(ctx)
        if outcome != "resumed":
            return outcome
        ctx.stop = None
        stage = db.session.get(AutomationRun, ctx.run_pk).current_stage
        db.session.commit()


def _complete(ctx: RunContext) -> str:
    try:
        now = utcnow()
        ctx.processing = None
        ctx.fenced_update(status="completed", completed_at=now, processing=None, lease_owner=None,
                          lease_expires_at=None)
        db.session.commit()
    except Fenced:
        db.session.rollback()
        return _stop(ctx) if ctx.check_control() else "lease_lost"
    ctx.log("Run completed")
    return "completed"


def _stop(ctx: RunContext) -> str:
    """Leave the run in the state the stop asks for."""
    stop = ctx.stop or StopReason("lease_lost")
    if stop.kind in ("insufficient_credits", "provider"):
        try:
            ctx.fenced_update(status="paused", paused_at=utcnow(), pause_reason=stop.message,
                              error_message=stop.message, lease_owner=None, lease_expires_at=None)
            db.session.commit()
        except Fenced:
            db.session.rollback()
            return "lease_lost"
        ctx.log(f"Run paused: {stop.message}", level="warning")
        return "paused"
    if stop.kind == "paused":
        # Let go only if still paused: a resume that came meanwhile means carry on here.
        if lease.release(ctx.run_pk, ctx.epoch, status="paused"):
            ctx.log("Worker stopped: run paused")
            return "paused"
        status = db.session.get(AutomationRun, ctx.run_pk).status
        db.session.commit()
        return "resumed" if status == "running" else "lease_lost"
    if stop.kind == "cancelled":
        lease.release(ctx.run_pk, ctx.epoch)
        ctx.log("Worker stopped: run cancelled; the item in flight was discarded")
        return "cancelled"
    return "lease_lost"


def _fail(run_pk: int, epoch: int, exc: Exception) -> str:
    from sqlalchemy import update

    message = f"{type(exc).__name__}: {exc}"[:2000]
    result = db.session.execute(
        update(AutomationRun)
        .where(AutomationRun.id == run_pk, AutomationRun.epoch == epoch,
               AutomationRun.status.in_(("running", "paused")))
        .values(status="failed", error_message=message, completed_at=utcnow(), lease_owner=None,
                lease_expires_at=None, processing=None)
    )
    db.session.commit()
    if result.rowcount:
        runlog.write(run_pk, f"Run failed: {message}", level="error")
        return "failed"
    runlog.write(run_pk, f"Worker error after the run left its hands: {message}", level="warning")
    return "lease_lost"
