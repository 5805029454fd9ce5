"""The automation API without workers: config, refusals, states, estimate, views."""

from decimal import Decimal

import pytest

from igny8.extensions import db
from igny8.models import AutomationRun

A = "/api/v1/automation"


@pytest.fixture
def site_id(api):
    sid = api.create_site()
    words = [{"keyword": f"sump pump model {i}", "volume": 10 * i} for i in range(30)]
    assert api.post(f"/api/v1/planner/keywords/?site_id={sid}", json={"keywords": words}).status_code == 201
    return sid


def test_config_is_created_with_defaults_on_first_read(api, site_id):
    config = api.get(f"{A}/config?site_id={site_id}").get_json()
    assert config["is_enabled"] is False and config["frequency"] == "daily"
    assert config["scheduled_time"] == "02:00" and config["ai_concurrency"] == 4
    assert {f"stage_{n}_batch_size" for n in range(1, 7)} <= set(config)
    assert config["last_run_at"] is None and config["next_run_at"] is None


def test_update_config_changes_subset_and_sets_next_run(api, site_id):
    resp = api.put(f"{A}/update_config?site_id={site_id}",
                   json={"is_enabled": True, "frequency": "weekly", "scheduled_time": "09:30",
                         "timezone": "Europe/Berlin", "stage_4_batch_size": 3})
    assert resp.status_code == 200
    config = resp.get_json()
    assert (config["frequency"], config["scheduled_time"], config["stage_4_batch_size"]) == ("weekly", "09:30", 3)
    assert config["next_run_at"] is not None and config["stage_1_batch_size"] == 50
    assert api.get(f"{A}/config?site_id={site_id}").get_json()["timezone"] == "Europe/Berlin"


@pytest.mark.parametrize("body, field", [
    ({"frequency": "hourly"}, "frequency"),
    ({"scheduled_time": "25:00"}, "scheduled_time"),
    ({"scheduled_time": "9:30"}, "scheduled_time"),
    ({"stage_1_batch_size": 0}, "stage_1_batch_size"),
    ({"stage_6_batch_size": 101}, "stage_6_batch_size"),
    ({"within_stage_delay": -1}, "within_stage_delay"),
    ({"between_stage_delay": 3601}, "between_stage_delay"),
    ({"ai_concurrency": 33}, "ai_concurrency"),
    ({"ai_concurrency": "4"}, "ai_concurrency"),
    ({"is_enabled": "yes"}, "is_enabled"),
    ({"is_enabled": None}, "is_enabled"),
    ({"timezone": "Nowhere/City"}, "timezone"),
    ({"next_run_at": "2026-01-01T00:00:00Z"}, "next_run_at"),
    ({"colour": "blue"}, "colour"),
])
def test_update_config_rejects_invalid_values_with_fields(api, site_id, body, field):
    resp = api.put(f"{A}/update_config?site_id={site_id}", json=body)
    assert resp.status_code == 400
    data = resp.get_json()
    assert data["code"] == "validation_error" and field in data["fields"]
    assert api.get(f"{A}/config?site_id={site_id}").get_json()["frequency"] == "daily"


def test_update_config_with_malformed_json_is_400(api, site_id):
    resp = api.put(f"{A}/update_config?site_id={site_id}", data=b"{", content_type="application/json")
    assert resp.status_code == 400


@pytest.mark.parametrize("path", ["config", "current_run", "pipeline_overview", "current_processing", "history",
                                  "estimate"])
def test_missing_site_id_is_missing_parameter(api, path):
    resp = api.get(f"{A}/{path}")
    assert resp.status_code == 400 and resp.get_json()["code"] == "missing_parameter"


@pytest.mark.parametrize("action", ["pause", "resume", "cancel"])
def test_control_without_run_id_is_missing_parameter(api, site_id, action):
    resp = api.post(f"{A}/{action}?site_id={site_id}")
    assert resp.status_code == 400 and resp.get_json()["code"] == "missing_parameter"


def test_logs_without_run_id_is_missing_parameter_and_unknown_run_is_404(api, site_id):
    assert api.get(f"{A}/logs").get_json()["code"] == "missing_parameter"
    resp = api.get(f"{A}/logs?run_id=run_nope")
    assert resp.status_code == 404 and resp.get_json()["code"] == "not_found"


def test_run_now_returns_202_and_second_is_already_running(api, site_id):
    resp = api.post(f"{A}/run_now?site_id={site_id}")
    assert resp.status_code == 202
    body = resp.get_json()
    assert body["status"] == "running" and body["run_id"].startswith("run_")
    again = api.post(f"{A}/run_now?site_id={site_id}")
    assert again.status_code == 400 and again.get_json()["code"] == "already_running"
    current = api.get(f"{A}/current_run?site_id={site_id}").get_json()["run"]
    assert current["run_id"] == body["run_id"] and current["trigger_type"] == "manual"
    assert current["lock"]["run_id"] == body["run_id"]
    assert {f"stage_{n}_result" for n in range(1, 8)} <= set(current)


def test_run_now_while_lock_held_is_already_running(app, api, site_id):
    from igny8.automation import locks

    with app.app_context():
        assert locks.acquire(site_id, "someone-else", "test")
    resp = api.post(f"{A}/run_now?site_id={site_id}")
    assert resp.status_code == 400 and resp.get_json()["code"] == "already_running"


def test_run_now_with_too_few_credits_is_refused(make_tenant, client):
    from tests.conftest import Api

    poor = Api(client, make_tenant("poor@example.com", credits=1))
    sid = poor.create_site()
    poor.post(f"/api/v1/planner/keywords/?site_id={sid}",
              json={"keywords": [{"keyword": f"pump {i}"} for i in range(50)]})
    estimate = poor.get(f"{A}/estimate?site_id={sid}").get_json()
    assert estimate["sufficient"] is False and estimate["current_balance"] == 1
    resp = poor.post(f"{A}/run_now?site_id={sid}")
    assert resp.status_code == 400 and resp.get_json()["code"] == "insufficient_credits"
    assert poor.get(f"{A}/history?site_id={sid}").get_json()["runs"] == []


def test_estimate_equals_its_breakdown_and_applies_the_safety_factor(api, site_id, tenant):
    est = api.get(f"{A}/estimate?site_id={site_id}").get_json()
    total = sum(Decimal(str(line["credits"])) for line in est["breakdown"])
    assert Decimal(str(est["estimated_credits"])) == total > 0
    assert [line["stage"] for line in est["breakdown"]] == [1, 2, 3, 4, 5, 6]
    assert est["breakdown"][0]["pending"] == 30
    assert est["breakdown"][0]["credits"] == pytest.approx(30 * 0.2)
    assert est["sufficient"] == (Decimal(str(est["current_balance"])) >= Decimal("1.2") * total)


def test_pause_resume_cancel_follow_the_state_machine(app, api, site_id):
    run_id = api.post(f"{A}/run_now?site_id={site_id}").get_json()["run_id"]
    q = f"?site_id={site_id}&run_id={run_id}"
    assert api.post(f"{A}/resume{q}").get_json()["code"] == "invalid_state"
    paused = api.post(f"{A}/pause{q}")
    assert paused.status_code == 200 and paused.get_json()["status"] == "paused"
    assert api.post(f"{A}/pause{q}").get_json()["code"] == "invalid_state"
    assert api.get(f"{A}/current_processing?site_id={site_id}").get_json() == {"processing": None}
    resumed = api.post(f"{A}/resume{q}")
    assert resumed.status_code == 200 and resumed.get_json()["status"] == "running"
    cancelled = api.post(f"{A}/cancel{q}").get_json()
    assert cancelled["status"] == "cancelled" and cancelled["cancelled_at"] and cancelled["completed_at"]
    for action in ("pause", "resume", "cancel"):
        resp = api.post(f"{A}/{action}{q}")
        assert resp.status_code == 400 and resp.get_json()["code"] == "invalid_state"
    assert api.get(f"{A}/current_run?site_id={site_id}").get_json() == {"run": None}
    detail = api.get(f"{A}/run_detail{q}").get_json()["run"]
    assert detail["status"] == "cancelled"
    logs = api.get(f"{A}/logs?run_id={run_id}&lines=2").get_json()
    assert logs["run_id"] == run_id and len(logs["lines"]) == 2 and "cancelled" in logs["lines"][-1]


def test_pause_of_completed_run_is_invalid_state(app, api, site_id, tenant):
    run_id = api.post(f"{A}/run_now?site_id={site_id}").get_json()["run_id"]
    with app.app_context():
        run = db.session.query(AutomationRun).filter_by(run_id=run_id).one()
        run.status = "completed"
        db.session.commit()
    resp = api.post(f"{A}/pause?site_id={site_id}&run_id={run_id}")
    assert resp.status_code == 400 and resp.get_json()["code"] == "invalid_state"


def test_logs_lines_parameter_is_validated(api, site_id):
    run_id = api.post(f"{A}/run_now?site_id={site_id}").get_json()["run_id"]
    assert api.get(f"{A}/logs?run_id={run_id}&lines=abc").status_code == 400
    assert api.get(f"{A}/logs?run_id={run_id}&lines=0").status_code == 400


def test_run_of_another_site_of_the_same_account_is_404_on_control(api, site_id):
    other = api.create_site("other")
    run_id = api.post(f"{A}/run_now?site_id={site_id}").get_json()["run_id"]
    resp = api.post(f"{A}/pause?site_id={other}&run_id={run_id}")
    assert resp.status_code == 404


def test_pipeline_overview_lists_seven_stages_with_pending(api, site_id):
    stages = api.get(f"{A}/pipeline_overview?site_id={site_id}").get_json()["stages"]
    assert [s["number"] for s in stages] == list(range(1, 8))
    assert [s["type"] for s in stages] == ["ai", "ai", "local", "ai", "ai", "ai", "manual"]
    assert stages[0]["pending"] == 30 and stages[0]["status_counts"] == {"new": 30}


def test_history_is_newest_first_and_capped_at_20(app, api, site_id, tenant):
    from igny8.models.base import utcnow

    with app.app_context():
        for i in range(25):
            db.session.add(AutomationRun(run_id=f"run_old_{i}", account_id=tenant.account_id, site_id=site_id,
                                         status="completed", started_at=utcnow().replace(year=2025, day=1 + i % 28)))
        db.session.commit()
    runs = api.get(f"{A}/history?site_id={site_id}").get_json()["runs"]
    assert len(runs) == 20
    assert runs == sorted(runs, key=lambda r: r["started_at"], reverse=True)
    assert set(runs[0]) >= {"run_id", "status", "trigger_type", "started_at", "completed_at",
                            "total_credits_used", "current_stage"}
