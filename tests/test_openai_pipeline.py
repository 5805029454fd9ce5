"""The whole pipeline through the OpenAI provider in a real worker process, and its faults."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from igny8.extensions import db
from igny8.models import Cluster, Content, CreditTransaction, Keyword, Task
from tests.engine_support import WorkerProcess
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.responders import PipelineResponder
from tests.test_engine import SMALL, assert_consistent, count, make_site, run_log, run_now, run_state, snapshot


@pytest.fixture
def server(app_config):
    """A fake OpenAI server the app and its workers use (``OPENAI_*`` point at it)."""
    with FakeOpenAI(responder=PipelineResponder(), retry_after=1) as fake:
        app_config.update(OPENAI_API_KEY="sk-test-key", OPENAI_BASE_URL=fake.base_url)
        yield fake


@pytest.fixture
def burst(app_config):
    """Run one burst worker to completion."""
    workers = []

    def _run():
        worker = WorkerProcess(app_config, burst=True)
        workers.append(worker)
        assert worker.wait(180) == 0, worker.output()
        return worker

    yield _run
    for worker in workers:
        worker.stop()


def test_whole_pipeline_through_the_openai_provider(app, api, server, burst):
    site_id = make_site(api, 40, **SMALL)
    run_id = run_now(api, site_id)
    burst()
    run = assert_consistent(app, site_id, run_id)
    assert run.status == "completed", run.error_message
    with app.app_context():
        s = snapshot(site_id)
        assert s["keywords_new"] == 0 and s["keywords_mapped"] == count(Keyword, site_id)
        assert s["ideas"] == s["tasks"] == s["contents"] == s["review"] > 0
        assert s["images"] == s["generated"] == 3 * s["contents"]
        rows = db.session.scalars(select(CreditTransaction).where(CreditTransaction.stage.in_((1, 2, 4, 5)))).all()
        assert rows and all(r.provider == "openai" and r.tokens_in and r.tokens_out and r.request_id for r in rows)
        assert all(r.latency_ms is not None for r in rows)
        models = set(db.session.scalars(select(Content.model).where(Content.site_id == site_id)))
        assert models == {"gpt-4o-mini"}
    assert any("tokens" in line and "request req_" in line for line in run_log(app, run_id))
    assert server.request_errors == []


def test_json_object_only_server_runs_the_whole_pipeline(app, api, server, burst):
    server.supports = "json_object"
    site_id = make_site(api, 20, **SMALL)
    run_id = run_now(api, site_id)
    burst()
    assert assert_consistent(app, site_id, run_id).status == "completed"
    assert server.request_errors == []


def test_insufficient_quota_pauses_the_run_with_a_clear_reason(app, api, server, burst):
    server.mode = "insufficient_quota"
    site_id = make_site(api, 20, **SMALL)
    run_id = run_now(api, site_id)
    burst()
    run = assert_consistent(app, site_id, run_id)
    assert run.status == "paused" and "insufficient_quota" in run.error_message
    assert run.total_credits_used == 0
    server.mode = None
    assert api.post(f"/api/v1/automation/resume?site_id={site_id}&run_id={run_id}").status_code == 200
    burst()
    assert assert_consistent(app, site_id, run_id).status == "completed"


def test_invented_keywords_are_dropped_and_known_ones_clustered(app, api, server, burst):
    server.responder.invent_keywords = True
    site_id = make_site(api, 20, **SMALL)
    run_id = run_now(api, site_id)
    burst()
    assert assert_consistent(app, site_id, run_id).status == "completed"
    with app.app_context():
        texts = set(db.session.scalars(select(Keyword.keyword).where(Keyword.site_id == site_id)))
        assert not {"keyword nobody asked for", "invented one"} & texts
        assert db.session.scalar(select(func.count()).select_from(Cluster).where(
            Cluster.site_id == site_id, Cluster.name == "made up")) == 0


def test_empty_article_fails_that_task_with_a_reason_and_the_run_goes_on(app, api, server, burst):
    site_id = make_site(api, 20, **SMALL)
    run_id = run_now(api, site_id)
    # Every article of the first cluster's idea comes back empty.
    server.responder.empty_article_for.add("The guide to ai code review")
    burst()
    run = assert_consistent(app, site_id, run_id)
    assert run.status == "completed"
    with app.app_context():
        failed = db.session.scalars(select(Task).where(Task.site_id == site_id, Task.error.is_not(None))).all()
        assert failed and all("words" in t.error and t.status == "queued" for t in failed)
        charged = set(db.session.scalars(select(CreditTransaction.object_id).where(
            CreditTransaction.stage == 4, CreditTransaction.run_id == run_state(app, run_id).id)))
        assert not charged & {t.id for t in failed}
        assert count(Content, site_id) == count(Task, site_id) - len(failed)
    assert any("failed: invalid AI answer after one retry" in line for line in run_log(app, run_id))
