"""The engine end to end through real RQ worker processes, real Redis and the real database."""

from __future__ import annotations

import io
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from igny8.automation import runlog
from igny8.extensions import db
from igny8.models import Account, AutomationRun, Cluster, Content, ContentIdea, CreditTransaction, Image, Keyword, Task
from igny8.models.base import utcnow
from tests.engine_support import WorkerProcess, wait_for

DEMO_NAME = "semrush_kmt_ai-code-review_broad-match_us_2026-04-14.csv"
DEMO = Path(__file__).resolve().parents[1] / "igny8" / "demo" / DEMO_NAME
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture
def workers(app_config):
    """Start worker processes; all are stopped at the end of the test."""
    started: list[WorkerProcess] = []

    def _start(**kwargs) -> WorkerProcess:
        worker = WorkerProcess(app_config, **kwargs)
        started.append(worker)
        return worker

    yield _start
    for worker in started:
        worker.stop()


def export_slice(rows: int | None) -> bytes:
    """The real Semrush export (from ../shared when present, else the project's copy), cut to ``rows``."""
    source = SHARED / DEMO.name if (SHARED / DEMO.name).exists() else DEMO
    lines = source.read_bytes().splitlines(keepends=True)
    return b"".join(lines if rows is None else lines[: rows + 1])


def make_site(api, rows: int | None = 120, **config) -> int:
    """A site with keywords imported from a real export and an adjusted config."""
    site_id = api.create_site()
    resp = api.post(f"/api/v1/planner/keywords/import?site_id={site_id}",
                    data={"file": (io.BytesIO(export_slice(rows)), DEMO.name)}, content_type="multipart/form-data")
    assert resp.status_code == 201
    if config:
        assert api.put(f"/api/v1/automation/update_config?site_id={site_id}", json=config).status_code == 200
    return site_id


def run_now(api, site_id: int) -> str:
    resp = api.post(f"/api/v1/automation/run_now?site_id={site_id}")
    assert resp.status_code == 202, resp.get_json()
    return resp.get_json()["run_id"]


def run_state(app, run_id: str) -> AutomationRun:
    with app.app_context():
        run = db.session.scalar(select(AutomationRun).where(AutomationRun.run_id == run_id))
        db.session.expunge(run)
        return run


def count(model, site_id, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(model.site_id == site_id, *where))


def snapshot(site_id: int) -> dict:
    """Everything a run leaves behind, as counts."""
    return {
        "keywords_mapped": count(Keyword, site_id, Keyword.status == "mapped"),
        "keywords_new": count(Keyword, site_id, Keyword.status == "new"),
        "clusters": count(Cluster, site_id), "ideas": count(ContentIdea, site_id), "tasks": count(Task, site_id),
        "contents": count(Content, site_id), "review": count(Content, site_id, Content.status == "review"),
        "images": count(Image, site_id), "generated": count(Image, site_id, Image.status == "generated"),
        "words": db.session.scalar(select(func.sum(Content.word_count)).where(Content.site_id == site_id)),
    }


def assert_consistent(app, site_id: int, run_id: str, balance_before: Decimal | None = None) -> AutomationRun:
    """The invariants every finished run must satisfy."""
    run = run_state(app, run_id)
    with app.app_context():
        ledger = -(db.session.scalar(select(func.coalesce(func.sum(CreditTransaction.amount), 0))
                                     .where(CreditTransaction.run_id == run.id)))
        assert Decimal(ledger) == run.total_credits_used
        account = db.session.get(Account, run.account_id)
        total = db.session.scalar(select(func.sum(CreditTransaction.amount)).where(
            CreditTransaction.account_id == account.id))
        assert Decimal(total) == account.credit_balance >= 0
        if balance_before is not None:
            assert balance_before - account.credit_balance == run.total_credits_used
        keys = db.session.scalars(select(CreditTransaction.idempotency_key)
                                  .where(CreditTransaction.run_id == run.id)).all()
        assert len(keys) == len(set(keys))
        per_task = db.session.execute(select(Content.task_id, func.count()).where(Content.site_id == site_id)
                                      .group_by(Content.task_id).having(func.count() > 1)).all()
        assert per_task == []
        # Nothing half-written: a completed task has exactly its content, a content its completed task.
        assert count(Task, site_id, Task.status == "completed") == count(Content, site_id)
    return run


def balance_of(app, tenant) -> Decimal:
    with app.app_context():
        return db.session.get(Account, tenant.account_id).credit_balance


@pytest.mark.parametrize("rows", [None])
def test_whole_pipeline_on_a_real_export_in_a_worker_process(app, api, tenant, workers, make_tenant, rows):
    from igny8.services.accounts import add_credits

    with app.app_context():
        add_credits(tenant.account_id, Decimal(20000))
    site_id = make_site(api, rows=rows, stage_1_batch_size=60, stage_2_batch_size=20, stage_4_batch_size=20,
                        stage_5_batch_size=20, stage_6_batch_size=30, ai_concurrency=4)
    before = balance_of(app, tenant)
    run_id = run_now(api, site_id)
    worker = workers(burst=True)
    assert worker.wait(300) == 0, worker.output()
    run = assert_consistent(app, site_id, run_id, before)
    assert run.status == "completed", (run.error_message, worker.output())
    with app.app_context():
        s = snapshot(site_id)
        keywords = count(Keyword, site_id)
        assert s["keywords_new"] == 0 and s["keywords_mapped"] == keywords
        assert s["ideas"] == s["tasks"] == s["contents"] == s["review"] > 0
        assert s["images"] == s["generated"] == 3 * s["contents"]
        assert count(ContentIdea, site_id, ContentIdea.status != "completed") == 0
        r = {n: getattr(run, f"stage_{n}_result") for n in range(1, 8)}
        assert r[1]["keywords_processed"] == keywords and r[1]["clusters_created"] == s["clusters"]
        assert r[2]["clusters_processed"] == s["clusters"] and r[2]["ideas_created"] == s["ideas"]
        assert r[3]["tasks_created"] == s["tasks"] and r[4]["content_created"] == s["contents"]
        assert r[4]["total_words"] == s["words"]
        assert r[5]["prompts_created"] == s["images"] and r[6]["images_generated"] == s["images"]
        assert r[7]["ready_for_review"] == s["review"]
        stage_credits = sum(Decimal(str(r[n].get("credits_used", 0))) for n in range(1, 7))
        assert stage_credits == run.total_credits_used
        for image in db.session.scalars(select(Image).where(Image.site_id == site_id)).all()[:5]:
            assert (Path(app.config["MEDIA_FOLDER"]) / image.file_path).read_bytes()[:4] == b"\x89PNG"
    # Results are visible through the API.
    assert api.get(f"/api/v1/automation/current_run?site_id={site_id}").get_json() == {"run": None}
    history = api.get(f"/api/v1/automation/history?site_id={site_id}").get_json()["runs"]
    assert history[0]["run_id"] == run_id and history[0]["status"] == "completed"
    logs = api.get(f"/api/v1/automation/logs?run_id={run_id}&lines=500").get_json()["lines"]
    assert any("Stage 4" in line for line in logs) and logs[-1].endswith("Run completed")
    overview = api.get(f"/api/v1/automation/pipeline_overview?site_id={site_id}").get_json()["stages"]
    assert [s["pending"] for s in overview] == [0, 0, 0, 0, 0, 0, s["review"]]


def _finished_snapshot(app, api, workers, site_id):
    run_id = run_now(api, site_id)
    worker = workers(burst=True)
    assert worker.wait(180) == 0, worker.output()
    run = assert_consistent(app, site_id, run_id)
    assert run.status == "completed", run.error_message
    with app.app_context():
        return snapshot(site_id), run.total_credits_used


SMALL = {"stage_1_batch_size": 20, "stage_2_batch_size": 2, "stage_4_batch_size": 2, "stage_5_batch_size": 2,
         "stage_6_batch_size": 4, "ai_concurrency": 2}


def test_pause_then_resume_reaches_the_same_end_state(app, api, workers):
    reference, reference_credits = _finished_snapshot(app, api, workers, make_site(api, 60, **SMALL))

    site_id = make_site(api, 60, **SMALL, within_stage_delay=1)
    run_id = run_now(api, site_id)
    workers()
    wait_for(lambda: run_state(app, run_id).current_stage >= 2, 60, message="stage 2")
    paused = api.post(f"/api/v1/automation/pause?site_id={site_id}&run_id={run_id}")
    assert paused.status_code == 200 and paused.get_json()["status"] == "paused"
    wait_for(lambda: run_state(app, run_id).lease_owner is None, 60, message="worker to let go")
    stopped_at = run_state(app, run_id)
    assert stopped_at.status == "paused" and stopped_at.current_stage < 7
    # While paused nothing moves.
    with app.app_context():
        frozen = snapshot(site_id)
    fast = api.put(f"/api/v1/automation/update_config?site_id={site_id}", json={"within_stage_delay": 0})
    assert fast.status_code == 200
    resumed = api.post(f"/api/v1/automation/resume?site_id={site_id}&run_id={run_id}")
    assert resumed.status_code == 200 and resumed.get_json()["status"] == "running"
    wait_for(lambda: run_state(app, run_id).status == "completed", 120, message="completion")
    run = assert_consistent(app, site_id, run_id)
    with app.app_context():
        assert snapshot(site_id) == reference
        assert frozen["contents"] <= reference["contents"]
    assert run.total_credits_used == reference_credits
    assert run.paused_at is not None and run.resumed_at is not None


def test_cancel_mid_run_leaves_nothing_half_written(app, api, workers):
    site_id = make_site(api, 60, **SMALL, within_stage_delay=1)
    run_id = run_now(api, site_id)
    workers()
    wait_for(lambda: run_state(app, run_id).current_stage >= 4, 90, message="stage 4")
    resp = api.post(f"/api/v1/automation/cancel?site_id={site_id}&run_id={run_id}")
    assert resp.status_code == 200 and resp.get_json()["status"] == "cancelled"
    with app.app_context():  # the cancel is committed: from here on nothing may be saved or charged
        at_cancel = snapshot(site_id), ledger_rows(run_state(app, run_id).id)
    wait_for(lambda: any("Worker stopped: run cancelled" in line for line in run_log(app, run_id)), 60,
             message="worker to stop")
    with app.app_context():
        before = snapshot(site_id)
    run = assert_consistent(app, site_id, run_id)
    assert run.cancelled_at is not None and run.completed_at is not None
    with app.app_context():
        # Timestamps cannot prove order (each side stamps before it commits); counts can.
        assert (before, ledger_rows(run.id)) == at_cancel
        assert snapshot(site_id) == before  # the worker wrote nothing after stopping
    again = api.post(f"/api/v1/automation/resume?site_id={site_id}&run_id={run_id}")
    assert again.get_json()["code"] == "invalid_state"
    # A new run may start once the old one is cancelled.
    assert api.post(f"/api/v1/automation/run_now?site_id={site_id}").status_code == 202


def test_worker_killed_in_stage_4_is_recovered_without_resume(app, app_config, api, workers):
    app_config.update(AUTOMATION_LEASE_SECONDS=4, AUTOMATION_HEARTBEAT_SECONDS=1)
    site_id = make_site(api, 60, **SMALL, within_stage_delay=1)
    run_id = run_now(api, site_id)
    first = workers(name="first")
    wait_for(lambda: run_state(app, run_id).current_stage == 4 and count_contents(app, site_id) > 0, 90,
             message="contents in stage 4")
    first.kill()
    with app.app_context():
        written_before = snapshot(site_id)["contents"]
    run = run_state(app, run_id)
    assert run.status == "running" and run.lease_owner is not None
    wait_for(lambda: run_state(app, run_id).lease_expires_at < utcnow(), 30, message="lease expiry")
    workers(name="second")  # its start-up recovery re-enqueues the run; nobody calls resume
    wait_for(lambda: run_state(app, run_id).status == "completed", 180, message="completion after crash")
    run = assert_consistent(app, site_id, run_id)
    assert run.epoch >= 2 and run.lease_owner is None
    with app.app_context():
        s = snapshot(site_id)
        assert s["contents"] == s["tasks"] >= written_before
        logs = "\n".join(runlog.tail(run.id, 1000))
        assert "re-enqueued" in logs


def ledger_rows(run_pk: int) -> int:
    return db.session.scalar(select(func.count()).select_from(CreditTransaction)
                             .where(CreditTransaction.run_id == run_pk))


def run_log(app, run_id: str) -> list[str]:
    with app.app_context():
        return runlog.tail(run_state(app, run_id).id, 1000)


def count_contents(app, site_id) -> int:
    with app.app_context():
        return count(Content, site_id)


def test_twenty_simultaneous_run_now_create_exactly_one_run(app, api, tenant):
    site_id = make_site(api, 20)
    results = []

    def call():
        client = app.test_client()
        resp = client.post(f"/api/v1/automation/run_now?site_id={site_id}", headers=tenant.headers)
        results.append((resp.status_code, (resp.get_json() or {}).get("code")))

    threads = [threading.Thread(target=call) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results).count((202, None)) == 1, results
    assert all(r == (400, "already_running") for r in results if r[0] != 202), results
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AutomationRun)
                                 .where(AutomationRun.site_id == site_id)) == 1


def test_second_worker_cannot_steal_a_live_run(app, api):
    from igny8.automation import lease, runner

    site_id = make_site(api, 20)
    run_id = run_now(api, site_id)
    with app.app_context():
        run = db.session.scalar(select(AutomationRun).where(AutomationRun.run_id == run_id))
        assert lease.claim(run.id, "worker-a") == 1
        assert lease.claim(run.id, "worker-b") is None
        assert runner.execute_run(run.id, "worker-b") == "not_claimed"
        db.session.refresh(run)
        assert (run.lease_owner, run.epoch, run.status) == ("worker-a", 1, "running")
        assert count(Cluster, site_id) == 0


def test_fenced_write_of_a_worker_that_lost_its_claim_changes_nothing(app, api):
    from igny8.automation import lease
    from igny8.automation.context import Fenced, RunContext

    site_id = make_site(api, 20)
    run_id = run_now(api, site_id)
    with app.app_context():
        run = db.session.scalar(select(AutomationRun).where(AutomationRun.run_id == run_id))
        old = lease.claim(run.id, "worker-a")
        run.lease_expires_at = run.started_at  # worker A stalls; its lease runs out
        db.session.commit()
        assert lease.claim(run.id, "worker-b") == old + 1
        ctx = RunContext(run.id, run.run_id, site_id, run.account_id, old, {}, None, None, None)
        with pytest.raises(Fenced):
            ctx.fenced_update(current_stage=5)
        db.session.rollback()
        db.session.refresh(run)
        assert run.current_stage == 1


def test_run_that_runs_out_of_credits_pauses_with_a_reason(app, api, tenant, workers):
    from igny8.automation import credits

    site_id = make_site(api, 60, **SMALL)
    run_id = run_now(api, site_id)
    with app.app_context():  # another spender drains the account before the worker starts
        balance = db.session.get(Account, tenant.account_id).credit_balance
        credits.charge(tenant.account_id, balance - Decimal("3"), "test:drain", operation="adjustment")
        db.session.commit()
    worker = workers(burst=True)
    assert worker.wait(120) == 0, worker.output()
    run = assert_consistent(app, site_id, run_id)
    assert run.status == "paused"
    assert "Insufficient credits" in run.error_message and "Add credits" in run.error_message
    assert balance_of(app, tenant) >= 0
    # Top up and resume: the run finishes.
    with app.app_context():
        from igny8.services.accounts import add_credits

        add_credits(tenant.account_id, Decimal(5000))
    assert api.post(f"/api/v1/automation/resume?site_id={site_id}&run_id={run_id}").status_code == 200
    worker = workers(burst=True)
    assert worker.wait(120) == 0, worker.output()
    assert assert_consistent(app, site_id, run_id).status == "completed"


def test_stage_1_with_fewer_than_five_keywords_is_skipped_with_a_reason(app, api):
    from igny8.automation import runner

    site_id = make_site(api, 3)
    run_id = run_now(api, site_id)
    with app.app_context():
        assert runner.execute_run(run_state(app, run_id).id, "inline") == "completed"
    run = run_state(app, run_id)
    assert run.stage_1_result["skipped"] is True and "at least 5" in run.stage_1_result["reason"]
    assert any("Skipped: 3 pending keywords" in line for line in run_log(app, run_id))
    with app.app_context():
        assert count(Cluster, site_id) == 0 and count(Keyword, site_id, Keyword.status == "new") == 3


def test_unexpected_error_fails_the_run_logs_it_and_releases_the_lock(app, api, monkeypatch):
    from igny8.automation import locks, runner
    from igny8.automation.stages import STAGES

    site_id = make_site(api, 20)
    run_id = run_now(api, site_id)

    def explode(ctx):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(STAGES[3], "run", explode)
    with app.app_context():
        assert runner.execute_run(run_state(app, run_id).id, "inline") == "failed"
        assert locks.holder(site_id) is None
    run = run_state(app, run_id)
    assert run.status == "failed" and "disk on fire" in run.error_message and run.completed_at
    assert run.stage_1_result["clusters_created"] > 0  # work before the error is kept
    assert any("Run failed: RuntimeError: disk on fire" in line for line in run_log(app, run_id))
    assert api.post(f"/api/v1/automation/run_now?site_id={site_id}").status_code == 202


def test_run_whose_worker_keeps_dying_is_failed_not_retried_forever(app, api):
    from datetime import timedelta

    from igny8.automation import recovery

    site_id = make_site(api, 20)
    run_id = run_now(api, site_id)
    for attempt in range(recovery.MAX_RECOVERIES + 1):
        with app.app_context():  # a worker claims the run, then dies: its lease just ran out
            run = db.session.scalar(select(AutomationRun).where(AutomationRun.run_id == run_id))
            run.epoch += 1
            run.lease_owner = f"dead-worker-{attempt}"
            run.lease_expires_at = utcnow() - timedelta(seconds=1)
            db.session.commit()
            recovered = recovery.recover_stale_runs()
        if attempt < recovery.MAX_RECOVERIES:
            assert recovered == [run_id]
    run = run_state(app, run_id)
    assert run.status == "failed" and "died 5 times" in run.error_message
    assert any("stopped so it does not loop" in line for line in run_log(app, run_id))
