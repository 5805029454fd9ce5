"""The automation dashboard: polling partials, run controls, refusals and the config form."""

from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import select, update

from igny8.automation import runlog
from igny8.extensions import db
from igny8.models import AutomationConfig, AutomationRun
from igny8.services.keywords import KeywordRow, add_keywords
from tests.test_web_support import make_run, make_site, run_pk

HX = {"HX-Request": "true"}
FIVE = "every 5s [document.visibilityState === 'visible']"
THIRTY = "every 30s [document.visibilityState === 'visible']"


@pytest.fixture
def site_id(app, tenant):
    """A site of the tenant."""
    return make_site(app, tenant.account_id, "Main site")



def with_keywords(app, site_id: int, n: int = 12) -> None:
    """``n`` new keywords on the site, so an estimate and a run have work."""
    from igny8.models import Site

    with app.app_context():
        add_keywords(db.session.get(Site, site_id), [KeywordRow(f"garden hose {i}", volume=10 * i) for i in range(n)])


def set_status(app, run_id: str, status: str) -> None:
    """Move a run to ``status`` as a worker or the API would."""
    with app.app_context():
        db.session.execute(update(AutomationRun).where(AutomationRun.run_id == run_id).values(status=status))
        db.session.commit()


def trigger_of(html: str, element_id: str) -> str | None:
    """The hx-trigger of the element with ``element_id`` (None when it has none)."""
    start = html.index(f'id="{element_id}"')
    tag = html[html.rindex("<", 0, start):html.index(">", start)]
    if 'hx-trigger="' not in tag:
        return None
    return unescape(tag.split('hx-trigger="')[1].split('"')[0])


def test_a_running_runs_partials_poll_every_5s_and_a_completed_runs_stop(app, logged_in, site_id):
    run_id = make_run(app, site_id, "running", stage=2, processing={
        "stage": 2, "stage_name": "Clusters → Ideas", "done": 3, "total": 10,
        "in_flight": ["ideas for 'sump pumps'"], "up_next": ["ideas for 'hoses'"]})
    with app.app_context():
        runlog.write(run_pk(app, run_id), "Stage 2 (Clusters → Ideas) started", 2)
    q = f"site_id={site_id}&run_id={run_id}"
    processing = logged_in.get(f"/automation/processing?{q}").data.decode()
    assert trigger_of(processing, "processing") == FIVE
    assert "ideas for &#39;sump pumps&#39;" in processing and "ideas for &#39;hoses&#39;" in processing
    assert '<strong class="done">3</strong> of <strong class="total">10</strong>' in processing
    assert 'aria-valuenow="30"' in processing
    log = logged_in.get(f"/automation/log?{q}").data.decode()
    assert trigger_of(log, "activity-log") == FIVE and "Stage 2 (Clusters → Ideas) started" in log
    pipeline = logged_in.get(f"/automation/pipeline?site_id={site_id}").data.decode()
    assert trigger_of(pipeline, "pipeline") == FIVE and pipeline.count('class="stage-card') == 7
    assert 'role="progressbar" aria-label="Stage 2 progress"' in pipeline
    panel = logged_in.get(f"/automation/panel?site_id={site_id}").data.decode()
    assert trigger_of(panel, "run-panel").startswith(FIVE)

    set_status(app, run_id, "paused")  # paused still polls at the active cadence
    assert trigger_of(logged_in.get(f"/automation/processing?{q}").data.decode(), "processing") == FIVE

    set_status(app, run_id, "completed")
    processing = logged_in.get(f"/automation/processing?{q}").data.decode()
    assert trigger_of(processing, "processing") is None and "every 5s" not in processing
    assert "s-completed" in processing
    log = logged_in.get(f"/automation/log?{q}").data.decode()
    assert trigger_of(log, "activity-log") is None and "every 5s" not in log
    # Idle: the pipeline and the panel keep a light poll, nothing polls every 5 s.
    pipeline = logged_in.get(f"/automation/pipeline?site_id={site_id}").data.decode()
    assert trigger_of(pipeline, "pipeline") == THIRTY
    panel = logged_in.get(f"/automation/panel?site_id={site_id}").data.decode()
    assert trigger_of(panel, "run-panel").startswith(THIRTY) and "every 5s" not in panel
    page = logged_in.get(f"/automation?site_id={site_id}").data.decode()
    assert "every 5s" not in page


def test_polling_skips_hidden_tabs_and_refreshes_when_shown_again(app, logged_in, site_id):
    page = logged_in.get(f"/automation?site_id={site_id}").data.decode()
    trigger = trigger_of(page, "run-panel")
    assert "[document.visibilityState === 'visible']" in trigger
    assert "visibilitychange[document.visibilityState === 'visible'] from:document" in trigger
    assert 'src="/static/vendor/htmx-2.0.11.min.js"' in page


def test_the_panel_brings_every_card_along_when_the_run_state_changed(app, logged_in, site_id):
    run_id = make_run(app, site_id, "running")
    stale = logged_in.get(f"/automation/panel?site_id={site_id}&seen=none").data.decode()
    for element in ("pipeline", "processing", "activity-log", "history", "credit-balance"):
        assert f'id="{element}"' in stale and stale.count('hx-swap-oob="true"') == 5, element
    current = logged_in.get(f"/automation/panel?site_id={site_id}&seen={run_id}:running").data.decode()
    # Unchanged state: only the header balance rides along (it moves while the run charges).
    assert current.count("hx-swap-oob") == 1 and '<strong id="credit-balance" hx-swap-oob="true">' in current
    # The panel tells the next poll what it showed.
    assert f"seen={run_id}:running" in unescape(current).replace("%3A", ":")


def test_run_now_pause_resume_cancel_through_htmx(app, logged_in, site_id):
    with_keywords(app, site_id)
    panel = logged_in.post(f"/automation/run_now?site_id={site_id}", headers=HX)
    assert panel.status_code == 200
    html = panel.data.decode()
    assert "started" in html and ">Pause<" in html and 'hx-swap-oob="true"' in html
    with app.app_context():
        run = db.session.scalar(select(AutomationRun).where(AutomationRun.site_id == site_id))
        run_id = run.run_id
        assert run.status == "running"
    q = f"site_id={site_id}&run_id={run_id}"
    again = logged_in.post(f"/automation/run_now?site_id={site_id}", headers=HX).data.decode()
    assert "The run was not started: An automation run is already active for this site." in again

    html = logged_in.post(f"/automation/pause?{q}", headers=HX).data.decode()
    assert ">Resume<" in html and ">Pause<" not in html and "s-paused" in html
    html = logged_in.post(f"/automation/pause?{q}", headers=HX).data.decode()
    assert "Only a running run can be paused; this one is paused." in html
    html = logged_in.post(f"/automation/resume?{q}", headers=HX).data.decode()
    assert ">Pause<" in html and "resumed" in html
    html = logged_in.post(f"/automation/cancel?{q}", headers=HX).data.decode()
    assert "cancelled" in html and ">Run now<" in html and "Cancelled at stage 1" in html
    html = logged_in.post(f"/automation/resume?{q}", headers=HX).data.decode()
    assert "Only a paused run can be resumed; this one is cancelled." in html
    assert logged_in.post(f"/automation/pause?site_id={site_id}&run_id=run_nope", headers=HX).status_code == 404


def test_plain_form_posts_redirect_with_a_message(app, logged_in, site_id):
    with_keywords(app, site_id)
    resp = logged_in.post(f"/automation/run_now?site_id={site_id}")
    assert resp.status_code == 303 and resp.headers["Location"] == f"/automation?site_id={site_id}"
    html = logged_in.get(resp.headers["Location"]).data.decode()
    assert "flash success" in html and "started" in html and ">Pause<" in html


def test_a_refused_start_says_why(app, client, auth, make_tenant):
    poor = make_tenant("poor@example.com", credits=1)
    site_id = make_site(app, poor.account_id)
    with_keywords(app, site_id, 40)
    auth.login(poor.email)
    page = client.get(f"/automation?site_id={site_id}").data.decode()
    assert "✗ Not enough credits" in page
    html = client.post(f"/automation/run_now?site_id={site_id}", headers=HX).data.decode()
    assert "The run was not started: Balance 1" in html and "is below 1.2 × the estimate" in html
    assert 'role="alert"' in html
    with app.app_context():
        assert db.session.scalar(select(AutomationRun).where(AutomationRun.site_id == site_id)) is None


def test_run_history_and_stage_results_on_click(app, logged_in, site_id):
    run_id = make_run(app, site_id, "completed", stage=7, stage_1_result={
        "keywords_processed": 40, "clusters_created": 6, "batches_run": 1, "credits_used": 8.0, "skipped": False})
    failed = make_run(app, site_id, "failed", stage=4, error_message="Provider said no")
    history = logged_in.get(f"/automation/history?site_id={site_id}").data.decode()
    assert run_id in history and failed in history and history.count("Stage results") == 2
    fragment = logged_in.get(f"/automation/runs/{run_id}", headers=HX).data.decode()
    assert "<html" not in fragment and "Clusters created" in fragment and "<dd>6</dd>" in fragment
    assert "not reached" in fragment  # stages without a result
    page = logged_in.get(f"/automation/runs/{failed}").data.decode()
    assert "<html" in page and "Provider said no" in page


def config_data(**changes) -> dict:
    """A valid config form submission with ``changes`` applied (None drops a field)."""
    data = {"is_enabled": "y", "frequency": "weekly", "scheduled_time": "03:30", "timezone": "Europe/Berlin",
            "within_stage_delay": "2", "between_stage_delay": "10", "ai_concurrency": "8"}
    data.update({f"stage_{n}_batch_size": str(n * 3) for n in range(1, 7)})
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_config_form_saves_valid_values(app, logged_in, site_id):
    page = logged_in.get(f"/automation?site_id={site_id}").data.decode()
    for name in ("is_enabled", "frequency", "scheduled_time", "timezone", "stage_1_batch_size", "stage_6_batch_size",
                 "within_stage_delay", "between_stage_delay", "ai_concurrency"):
        assert f'<label for="{name}"' in page, name
    html = logged_in.post(f"/automation/config?site_id={site_id}", data=config_data(), headers=HX).data.decode()
    assert "Configuration saved." in html and "next scheduled run" in html and "<html" not in html
    with app.app_context():
        config = db.session.scalar(select(AutomationConfig).where(AutomationConfig.site_id == site_id))
        assert (config.is_enabled, config.frequency, config.scheduled_time, config.timezone) == (
            True, "weekly", "03:30", "Europe/Berlin")
        assert (config.stage_4_batch_size, config.ai_concurrency, config.between_stage_delay) == (12, 8, 10)
        assert config.next_run_at is not None
    # Unchecking the box turns the schedule off; a plain POST redirects back to the form.
    resp = logged_in.post(f"/automation/config?site_id={site_id}", data=config_data(is_enabled=None))
    assert resp.status_code == 303 and resp.headers["Location"].endswith("#config")
    with app.app_context():
        config = db.session.scalar(select(AutomationConfig).where(AutomationConfig.site_id == site_id))
        assert config.is_enabled is False and config.next_run_at is None


@pytest.mark.parametrize("field,value,message", [
    ("stage_1_batch_size", "0", "Must be between 1 and 100"),
    ("stage_6_batch_size", "101", "Must be between 1 and 100"),
    ("within_stage_delay", "3601", "Must be between 0 and 3,600"),
    ("between_stage_delay", "-1", "Must be between 0 and 3,600"),
    ("ai_concurrency", "33", "Must be between 1 and 32"),
    ("ai_concurrency", "many", "Not a valid integer value."),
    ("scheduled_time", "25:00", "Use 24-hour HH:MM, e.g. 02:30"),
    ("scheduled_time", "2:30", "Use 24-hour HH:MM, e.g. 02:30"),
    ("timezone", "Mars/Olympus", "Unknown time zone (use an IANA name such as Europe/London)"),
    ("frequency", "hourly", "Input should be &#39;daily&#39;, &#39;weekly&#39; or &#39;monthly&#39;"),
    ("stage_3_batch_size", "", "This field is required."),
])
def test_config_form_shows_inline_errors_and_saves_nothing(app, logged_in, site_id, field, value, message):
    resp = logged_in.post(f"/automation/config?site_id={site_id}", data=config_data(**{field: value}), headers=HX)
    assert resp.status_code == 422
    html = resp.data.decode()
    assert f'<p class="error" id="{field}-error" role="alert">{message}</p>' in html
    assert f'id="{field}"' in html and 'aria-invalid="true"' in html
    assert "nothing was saved" in html
    with app.app_context():
        assert db.session.scalar(select(AutomationConfig).where(AutomationConfig.site_id == site_id)) is None
    # Without htmx the whole page comes back with the same inline error.
    page = logged_in.post(f"/automation/config?site_id={site_id}", data=config_data(**{field: value}))
    assert page.status_code == 422 and message in page.data.decode() and "<html" in page.data.decode()
