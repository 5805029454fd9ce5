"""Automation: config, runs and their live state (``/api/v1/automation/...``)."""

from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user
from sqlalchemy import select

from igny8.api import bp
from igny8.api.errors import ApiError, validation_error
from igny8.api.validation import json_body, parse_body
from igny8.auth.scoping import site_from_request
from igny8.automation import runlog, service
from igny8.extensions import db
from igny8.models import AutomationRun
from igny8.services.inputs import ConfigUpdate

READ_ONLY = ("last_run_at", "next_run_at", "site_id")
def _run_from_request(site_id: int | None = None, required: bool = True) -> AutomationRun | None:
    """The caller's run named by ``run_id`` (and on ``site_id`` when given), or 404."""
    run_id = request.args.get("run_id")
    if not run_id:
        if required:
            raise ApiError(400, "missing_parameter", "run_id is required", {"run_id": "required"})
        return None
    query = select(AutomationRun).where(AutomationRun.run_id == run_id[:40],
                                        AutomationRun.account_id == current_user.account_id)
    if site_id is not None:
        query = query.where(AutomationRun.site_id == site_id)
    run = db.session.scalar(query)
    if run is None:
        raise ApiError(404, "not_found", "Run not found")
    return run


def _refusal(exc: service.AutomationError):
    return ApiError(400, exc.code, exc.message)


@bp.get("/automation/config")
def automation_config():
    """The site's config (created with defaults on first read)."""
    return jsonify(service.config_json(service.get_config(site_from_request())))


@bp.put("/automation/update_config")
def automation_update_config():
    """Change any subset of the config; invalid values → 400 with fields."""
    site = site_from_request()
    raw = json_body()
    read_only = {name: "read-only field" for name in READ_ONLY if name in raw}
    if read_only:
        raise validation_error(read_only)
    body = parse_body(ConfigUpdate)
    changes = body.model_dump(exclude_unset=True)
    nulls = {name: "may not be null" for name, value in changes.items() if value is None}
    if nulls:
        raise validation_error(nulls)
    return jsonify(service.config_json(service.update_config(site, changes)))


@bp.post("/automation/run_now")
def automation_run_now():
    """Start a manual run → 202."""
    site = site_from_request()
    try:
        run = service.start_run(site, "manual")
    except service.AutomationError as exc:
        raise _refusal(exc) from None
    return jsonify(run_id=run.run_id, status=run.status), 202


@bp.get("/automation/current_run")
def automation_current_run():
    """The running or paused run, or null."""
    run = service.active_run(site_from_request().id)
    return jsonify(run=service.run_json(run) if run else None)


@bp.get("/automation/pipeline_overview")
def automation_pipeline_overview():
    """Each stage's pending count and status counts."""
    return jsonify(stages=service.pipeline_overview(site_from_request().id))


@bp.get("/automation/current_processing")
def automation_current_processing():
    """The live snapshot of the running run (``run_id`` optional), or null."""
    site = site_from_request()
    run = _run_from_request(site.id, required=False) or service.active_run(site.id)
    return jsonify(processing=service.processing_json(run) if run else None)


def _control(action):
    site = site_from_request()
    run = _run_from_request(site.id)
    try:
        action(run)
    except service.AutomationError as exc:
        raise _refusal(exc) from None
    return jsonify(service.run_json(run))


@bp.post("/automation/pause")
def automation_pause():
    """Pause after the item in flight."""
    return _control(service.pause)


@bp.post("/automation/resume")
def automation_resume():
    """Resume from the current stage."""
    return _control(service.resume)


@bp.post("/automation/cancel")
def automation_cancel():
    """Cancel; the item in flight is discarded."""
    return _control(service.cancel)


@bp.get("/automation/history")
def automation_history():
    """The last 20 runs, newest first."""
    return jsonify(runs=service.history(site_from_request().id))


@bp.get("/automation/run_detail")
def automation_run_detail():
    """One run with all its stage results (any status)."""
    site = site_from_request()
    return jsonify(run=service.run_json(_run_from_request(site.id)))


@bp.get("/automation/logs")
def automation_logs():
    """The tail of a run's activity log."""
    run = _run_from_request()
    raw = request.args.get("lines", "100")
    try:
        lines = int(raw)
    except ValueError:
        raise validation_error({"lines": "must be an integer"}) from None
    if not 1 <= lines <= runlog.MAX_TAIL:
        raise validation_error({"lines": f"must be between 1 and {runlog.MAX_TAIL}"})
    return jsonify(run_id=run.run_id, lines=runlog.tail(run.id, lines))


@bp.get("/automation/estimate")
def automation_estimate():
    """Credits a run would need now, the balance and whether it suffices (≥ 1.2 × estimate)."""
    return jsonify(service.estimate_json(site_from_request()))
