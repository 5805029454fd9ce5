"""The automation dashboard: pipeline cards, live processing, run controls, log, history, config.

Each card is one partial that serves every state (the contact-app pattern of the htmx
book): while the site's run is running or paused it carries a 5 s polling trigger, when
the site is idle the pipeline cards and the run panel poll every 30 s, and a finished
run's processing card and log come back without any trigger, so they stop polling.

The run panel is the page's heartbeat: it tells the server which run state the page last
saw (``seen``); when that changed (a scheduled run started, a run finished) the answer
also carries every other card out of band, so the whole page catches up in one response.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from pydantic import ValidationError
from sqlalchemy import func, select

from igny8.automation import runlog, service
from igny8.automation.stages import STAGES
from igny8.extensions import db
from igny8.models import AutomationConfig, AutomationRun, Keyword, Site
from igny8.models.base import ACTIVE_RUN_STATUSES
from igny8.services.inputs import ConfigUpdate
from igny8.web import bp
from igny8.web.forms import ConfigForm, timezone_names
from igny8.web.helpers import is_htmx, required_site, selected_site

# Seconds between polls; the browser tests shorten them through the app config.
ACTIVE_POLL = 5
IDLE_POLL = 30
LOG_LINES = 100
CONFIG_FIELDS = tuple(name for name in ConfigUpdate.model_fields)
TIME_MESSAGE = "Use 24-hour HH:MM, e.g. 02:30"


@dataclass
class Live:
    """What every card of the dashboard is drawn from."""

    site: Site
    run: AutomationRun | None  # the active run, else the latest one

    @property
    def active(self) -> bool:
        """A run is running or paused (the 5 s polling cadence)."""
        return self.run is not None and self.run.status in ACTIVE_RUN_STATUSES

    @property
    def seen(self) -> str:
        """A token of the run state the page shows; a change refreshes every card."""
        return f"{self.run.run_id}:{self.run.status}" if self.run else "none"

    @property
    def poll(self) -> int:
        """Seconds between polls: the active cadence while a run is running or paused, else the idle one."""
        if self.active:
            return int(current_app.config.get("WEB_POLL_ACTIVE_SECONDS", ACTIVE_POLL))
        return int(current_app.config.get("WEB_POLL_IDLE_SECONDS", IDLE_POLL))


def latest_run(site_id: int) -> AutomationRun | None:
    """The site's running or paused run, else its most recent run."""
    return service.active_run(site_id) or db.session.scalar(
        select(AutomationRun).where(AutomationRun.site_id == site_id)
        .order_by(AutomationRun.started_at.desc(), AutomationRun.id.desc()).limit(1))


def site_run(site: Site, run_id: str | None) -> AutomationRun | None:
    """The run ``run_id`` of this site and account (404 when it is not), else the latest."""
    if not run_id:
        return latest_run(site.id)
    run = db.session.scalar(select(AutomationRun).where(
        AutomationRun.run_id == run_id[:40], AutomationRun.site_id == site.id,
        AutomationRun.account_id == current_user.account_id))
    if run is None:
        abort(404)
    return run


def stage_progress(run: AutomationRun | None) -> dict | None:
    """``{stage, done, total, percent, in_flight, up_next, updated_at}`` of a running or paused run."""
    if run is None or run.status not in ACTIVE_RUN_STATUSES:
        return None
    snap = service.processing_json(run) or dict(run.processing or {})
    stage = snap.get("stage") or run.current_stage
    done, total = int(snap.get("done") or 0), int(snap.get("total") or 0)
    return {
        "stage": stage, "stage_name": snap.get("stage_name") or STAGES[stage].name, "done": done, "total": total,
        "percent": min(100, round(100 * done / total)) if total else (100 if stage and done else 0),
        "in_flight": list(snap.get("in_flight") or []), "up_next": list(snap.get("up_next") or []),
        "updated_at": snap.get("updated_at"),
        # No snapshot yet: the run is queued and no worker has reported on it.
        "started": bool(run.processing),
    }


CARD_PARTS = ("overview", "estimate", "keyword_total", "log_lines", "history")


def card_context(live: Live, *parts: str) -> dict:
    """What the cards need; a polled partial asks only for its ``parts`` (default: all)."""
    site, wanted = live.site, set(parts or CARD_PARTS)
    context = {"live": live, "site": site, "run": live.run, "progress": stage_progress(live.run), "stages": STAGES,
               "overview": [], "estimate": None, "keyword_total": 0, "log_lines": [], "history": [],
               # Live, not the run's stored stage-7 result: approvals lower it after the run.
               "review_waiting": STAGES[7].pending_count(site.id)}
    if "overview" in wanted:
        context["overview"] = service.pipeline_overview(site.id)
    if "estimate" in wanted and not live.active:  # shown beside Run now, which only exists when idle
        context["estimate"] = service.estimate_json(site)
    if "keyword_total" in wanted:
        context["keyword_total"] = db.session.scalar(select(func.count()).where(Keyword.site_id == site.id)) or 0
    if "log_lines" in wanted and live.run is not None:
        context["log_lines"] = runlog.tail(live.run.id, LOG_LINES)
    if "history" in wanted:
        context["history"] = service.history(site.id)
    return context


def render_panel(live: Live, message: str | None = None, level: str = "info", everything: bool = False):
    """The run panel, plus every other card out of band when the run state moved on."""
    everything = everything or request.args.get("seen", live.seen) != live.seen
    parts = CARD_PARTS if everything else ("estimate",)
    return render_template("automation/_panel_response.html", **card_context(live, *parts), message=message,
                           level=level, everything=everything)


# -- the page ------------------------------------------------------------------------------

@bp.get("/automation")
@login_required
def automation():
    """The automation dashboard of the selected site."""
    site = selected_site()
    if site is None:
        return render_template("automation/page.html", site=None)
    live = Live(site, latest_run(site.id))
    return render_template("automation/page.html", **card_context(live), config_form=_config_form(site),
                           config=peek_config(site), timezones=timezone_names())


# -- polling partials ----------------------------------------------------------------------

@bp.get("/automation/panel")
@login_required
def automation_panel():
    """Run state, controls and the estimate (5 s while a run is active, 30 s when idle)."""
    site = required_site()
    return render_panel(Live(site, latest_run(site.id)))


@bp.get("/automation/pipeline")
@login_required
def automation_pipeline():
    """The seven stage cards."""
    site = required_site()
    return render_template("automation/_pipeline.html", **card_context(Live(site, latest_run(site.id)), "overview"))


@bp.get("/automation/processing")
@login_required
def automation_processing():
    """The processing card of one run: live while it runs, final (no trigger) once it ended."""
    site = required_site()
    return render_template("automation/_processing.html",
                           **card_context(Live(site, site_run(site, request.args.get("run_id"))), "progress"))


@bp.get("/automation/log")
@login_required
def automation_log():
    """The activity log tail of one run (polls only while the run is active)."""
    site = required_site()
    live = Live(site, site_run(site, request.args.get("run_id")))
    return render_template("automation/_log.html", **card_context(live, "log_lines"))


@bp.get("/automation/history")
@login_required
def automation_history():
    """The last 20 runs."""
    site = required_site()
    return render_template("automation/_history.html", **card_context(Live(site, latest_run(site.id)), "history"))


@bp.get("/automation/runs/<run_id>")
@login_required
def run_detail(run_id: str):
    """One run with its stage results: a fragment for htmx, a whole page otherwise."""
    run = db.session.scalar(select(AutomationRun).where(
        AutomationRun.run_id == run_id[:40], AutomationRun.account_id == current_user.account_id))
    if run is None:
        abort(404)
    site = db.session.get(Site, run.site_id)
    template = "automation/_run_detail.html" if is_htmx() else "automation/run.html"
    return render_template(template, run=run, site=site, stages=STAGES)


# -- controls ------------------------------------------------------------------------------

def _control_response(site: Site, message: str, level: str):
    """htmx: the refreshed panel (and every card); a plain form: back to the page with a flash."""
    if is_htmx():
        return render_panel(Live(site, latest_run(site.id)), message, level, everything=True)
    flash(message, level)
    return redirect(url_for("web.automation", site_id=site.id), 303)


@bp.post("/automation/run_now")
@login_required
def automation_run_now():
    """Start a manual run; a refusal (already running, short of credits, no queue) is explained."""
    site = required_site()
    try:
        run = service.start_run(site, "manual")
    except service.AutomationError as exc:
        return _control_response(site, f"The run was not started: {exc.message}.", "error")
    return _control_response(site, f"Run {run.run_id} started.", "success")


def _act(action, done: str):
    """Apply a control (pause/resume/cancel) to the run named by ``run_id`` on the site."""
    site = required_site()
    run = site_run(site, request.args.get("run_id") or request.form.get("run_id") or "")
    if run is None:
        abort(404)
    try:
        action(run)
    except service.AutomationError as exc:
        return _control_response(site, f"{exc.message}.", "error")
    return _control_response(site, done.format(run_id=run.run_id), "success")


@bp.post("/automation/pause")
@login_required
def automation_pause():
    """Pause after the item in flight."""
    return _act(service.pause, "Run {run_id} paused; the item in flight finishes first.")


@bp.post("/automation/resume")
@login_required
def automation_resume():
    """Resume from the current stage."""
    return _act(service.resume, "Run {run_id} resumed.")


@bp.post("/automation/cancel")
@login_required
def automation_cancel():
    """Cancel for good; the item in flight is discarded."""
    return _act(service.cancel, "Run {run_id} cancelled.")


# -- configuration -------------------------------------------------------------------------

def peek_config(site: Site) -> AutomationConfig:
    """The site's config, or an unsaved one with the defaults (a GET must not create rows)."""
    config = db.session.scalar(select(AutomationConfig).where(AutomationConfig.site_id == site.id))
    if config is None:
        defaults = {c.name: c.default.arg for c in AutomationConfig.__table__.columns
                    if c.default is not None and not callable(c.default.arg)}
        config = AutomationConfig(**{**defaults, "site_id": site.id, "account_id": site.account_id,
                                     "timezone": site.timezone or "UTC"})
    return config


def _config_form(site: Site, formdata=None) -> ConfigForm:
    """The config form, from the request's data or the stored (or default) config."""
    config = peek_config(site)
    return ConfigForm(formdata=formdata, obj=config) if formdata is not None else ConfigForm(obj=config)


def _range_message(name: str) -> str:
    """``Must be between 1 and 100`` from the bounds declared on ``ConfigUpdate``."""
    low = high = None
    for rule in ConfigUpdate.model_fields[name].metadata:
        low = getattr(rule, "ge", low)
        high = getattr(rule, "le", high)
    return f"Must be between {low:,} and {high:,}"


def validate_config(form: ConfigForm) -> dict | None:
    """The typed changes, or None after writing ConfigUpdate's messages onto the fields."""
    form.validate()
    data = {name: getattr(form, name).data for name in CONFIG_FIELDS if not getattr(form, name).errors}
    data = {name: value.strip() if isinstance(value, str) else value for name, value in data.items()}
    try:
        ConfigUpdate.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else ""
            if name not in CONFIG_FIELDS:
                continue
            if name == "scheduled_time":
                message = TIME_MESSAGE
            elif err["type"] in ("greater_than_equal", "less_than_equal"):
                message = _range_message(name)
            else:
                message = err["msg"].removeprefix("Value error, ")
                message = message[:1].upper() + message[1:]
            getattr(form, name).errors = [*getattr(form, name).errors, message]
    return None if form.errors else data


@bp.post("/automation/config")
@login_required
def automation_config():
    """Save the site's config; invalid values come back inline next to their fields."""
    site = required_site()
    form = _config_form(site, request.form)
    changes = validate_config(form)
    saved = changes is not None
    if saved:
        service.update_config(site, changes)
        form = _config_form(site)
    if not is_htmx() and saved:
        flash("Configuration saved.", "success")
        return redirect(url_for("web.automation", site_id=site.id) + "#config", 303)
    template = "automation/_config.html" if is_htmx() else "automation/page.html"
    context = {"site": site, "config_form": form, "config": peek_config(site), "saved": saved,
               "timezones": timezone_names()}
    if not is_htmx():
        context.update(card_context(Live(site, latest_run(site.id))))
    return render_template(template, **context), 200 if saved else 422
