"""Scheduled runs: slot arithmetic, the hourly check on real rows, and periodic job registration.

Every test drives a controlled clock: ``now``/``after`` are passed explicitly as aware
datetimes built with ``zoneinfo``; nothing sleeps and nothing asserts on elapsed time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import redis
from rq import Queue
from rq_scheduler import Scheduler
from sqlalchemy import select
from werkzeug.utils import import_string

from igny8.automation import service
from igny8.automation.schedule import check_scheduled_automations, next_run_at
from igny8.extensions import db
from igny8.models import AutomationConfig, AutomationRun, Site
from igny8.periodic import PERIODIC_JOBS, job_id, register_periodic_jobs

UTC = ZoneInfo("UTC")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")


def utc(*args) -> datetime:
    """An aware UTC datetime."""
    return datetime(*args, tzinfo=UTC)


def schedule(frequency: str = "daily", scheduled_time: str = "02:00", timezone: str = "UTC") -> AutomationConfig:
    """A config that lives only in memory (``next_run_at`` reads nothing else)."""
    return AutomationConfig(frequency=frequency, scheduled_time=scheduled_time, timezone=timezone)


# -- next_run_at ---------------------------------------------------------------------------

def test_daily_before_the_slot_is_the_same_day():
    assert next_run_at(schedule(), utc(2025, 6, 3, 1, 59)) == utc(2025, 6, 3, 2, 0)


def test_daily_after_the_slot_is_the_next_day():
    assert next_run_at(schedule(), utc(2025, 6, 3, 2, 1)) == utc(2025, 6, 4, 2, 0)


def test_daily_exactly_at_the_slot_is_the_next_day():
    # "strictly after": the slot that is happening now is not the next one.
    assert next_run_at(schedule(), utc(2025, 6, 3, 2, 0)) == utc(2025, 6, 4, 2, 0)


def test_daily_seconds_past_the_slot_are_after_it():
    assert next_run_at(schedule(), utc(2025, 6, 3, 2, 0, 0, 1)) == utc(2025, 6, 4, 2, 0)


def test_daily_late_on_the_last_day_of_the_year_rolls_into_january():
    assert next_run_at(schedule(scheduled_time="23:30"), utc(2025, 12, 31, 23, 45)) == utc(2026, 1, 1, 23, 30)


def test_weekly_from_a_monday_before_the_slot_is_that_monday():
    # 2025-06-02 is a Monday.
    assert next_run_at(schedule("weekly"), utc(2025, 6, 2, 0, 30)) == utc(2025, 6, 2, 2, 0)


def test_weekly_from_a_monday_after_the_slot_is_the_next_monday():
    assert next_run_at(schedule("weekly"), utc(2025, 6, 2, 2, 0)) == utc(2025, 6, 9, 2, 0)
    assert next_run_at(schedule("weekly"), utc(2025, 6, 2, 18, 0)) == utc(2025, 6, 9, 2, 0)


def test_weekly_from_a_wednesday_is_the_next_monday():
    result = next_run_at(schedule("weekly"), utc(2025, 6, 4, 12, 0))
    assert result == utc(2025, 6, 9, 2, 0)
    assert result.weekday() == 0


def test_weekly_from_a_sunday_evening_is_the_next_day():
    assert next_run_at(schedule("weekly"), utc(2025, 6, 8, 23, 0)) == utc(2025, 6, 9, 2, 0)


def test_monthly_mid_month_is_the_first_of_next_month():
    assert next_run_at(schedule("monthly"), utc(2025, 6, 15, 12, 0)) == utc(2025, 7, 1, 2, 0)


def test_monthly_in_december_is_the_first_of_january():
    assert next_run_at(schedule("monthly"), utc(2025, 12, 1, 3, 0)) == utc(2026, 1, 1, 2, 0)
    assert next_run_at(schedule("monthly"), utc(2025, 12, 31, 23, 59)) == utc(2026, 1, 1, 2, 0)


def test_monthly_from_the_first_before_the_slot_is_that_day():
    assert next_run_at(schedule("monthly"), utc(2025, 7, 1, 1, 0)) == utc(2025, 7, 1, 2, 0)


def test_monthly_from_the_first_after_the_slot_is_the_next_month():
    assert next_run_at(schedule("monthly"), utc(2025, 7, 1, 2, 0)) == utc(2025, 8, 1, 2, 0)


def test_monthly_from_the_end_of_february_is_march_first():
    assert next_run_at(schedule("monthly"), utc(2025, 2, 28, 12, 0)) == utc(2025, 3, 1, 2, 0)


def test_missing_time_zone_means_utc():
    config = schedule()
    config.timezone = None
    assert next_run_at(config, utc(2025, 6, 3, 1, 0)) == utc(2025, 6, 3, 2, 0)


def test_result_is_utc_even_when_after_is_given_in_another_zone():
    after = datetime(2025, 6, 3, 9, 0, tzinfo=KOLKATA)  # 03:30 UTC, past today's 02:00 UTC slot
    result = next_run_at(schedule(), after)
    assert result == utc(2025, 6, 4, 2, 0)
    assert result.utcoffset() == timedelta(0)


def test_new_york_slot_in_winter_is_utc_minus_five():
    config = schedule(scheduled_time="02:30", timezone="America/New_York")
    result = next_run_at(config, utc(2025, 1, 15, 12, 0))
    assert result == utc(2025, 1, 16, 7, 30)
    assert result.astimezone(NEW_YORK).strftime("%H:%M") == "02:30"


def test_new_york_slot_in_summer_is_utc_minus_four():
    config = schedule(scheduled_time="02:30", timezone="America/New_York")
    result = next_run_at(config, utc(2025, 7, 15, 12, 0))
    assert result == utc(2025, 7, 16, 6, 30)
    assert result.astimezone(NEW_YORK).strftime("%H:%M") == "02:30"


def test_new_york_day_boundary_is_local_not_utc():
    # 2025-06-03 01:00 UTC is still 2025-06-02 21:00 in New York: today's local slot is ahead.
    config = schedule(scheduled_time="23:00", timezone="America/New_York")
    assert next_run_at(config, utc(2025, 6, 3, 1, 0)) == utc(2025, 6, 3, 3, 0)  # 06-02 23:00 EDT


def test_new_york_weekly_means_monday_in_new_york():
    # Monday 2025-06-02 22:00 EDT is already Tuesday 02:00 in UTC; the slot is Monday local.
    config = schedule("weekly", scheduled_time="22:00", timezone="America/New_York")
    result = next_run_at(config, utc(2025, 6, 2, 12, 0))
    assert result == utc(2025, 6, 3, 2, 0)
    assert result.astimezone(NEW_YORK).weekday() == 0


def test_new_york_slot_keeps_its_wall_clock_across_the_autumn_change():
    # 2025-11-02 clocks fall back 02:00 EDT -> 01:00 EST; 02:30 exists once (EST).
    config = schedule(scheduled_time="02:30", timezone="America/New_York")
    before = next_run_at(config, utc(2025, 11, 1, 12, 0))
    after = next_run_at(config, before)
    assert before == utc(2025, 11, 2, 7, 30)
    assert after == utc(2025, 11, 3, 7, 30)
    assert {r.astimezone(NEW_YORK).strftime("%H:%M") for r in (before, after)} == {"02:30"}


def test_new_york_slot_keeps_its_wall_clock_across_the_spring_change():
    # 2025-03-09 clocks spring forward 02:00 EST -> 03:00 EDT, so 02:30 does not exist that day.
    config = schedule(scheduled_time="02:30", timezone="America/New_York")
    day_before = next_run_at(config, utc(2025, 3, 8, 0, 0))
    change_day = next_run_at(config, day_before)
    day_after = next_run_at(config, change_day)
    assert day_before == utc(2025, 3, 8, 7, 30)  # 02:30 EST
    # What the code does: the missing 02:30 is read with the pre-change offset (fold=0, EST),
    # i.e. 07:30 UTC = 03:30 EDT, one hour after the gap. That is sensible: the run still
    # happens that day, once, just after the nearest valid local time, and the following day
    # is back to 02:30 EDT (06:30 UTC, only 23 hours later: the 23 h guard does not block it).
    assert change_day == utc(2025, 3, 9, 7, 30)
    assert change_day.astimezone(NEW_YORK).strftime("%H:%M") == "03:30"
    assert day_after == utc(2025, 3, 10, 6, 30)
    assert day_after.astimezone(NEW_YORK).strftime("%H:%M") == "02:30"
    assert day_after - change_day == timedelta(hours=23)


def test_new_york_slot_before_the_spring_gap_on_the_change_day():
    config = schedule(scheduled_time="02:30", timezone="America/New_York")
    # 06:45 UTC = 01:45 EST, before the gap: the day's (shifted) slot is still ahead.
    assert next_run_at(config, utc(2025, 3, 9, 6, 45)) == utc(2025, 3, 9, 7, 30)


def test_new_york_slot_is_strictly_after_during_the_repeated_autumn_hour():
    # 2025-11-02 01:00-02:00 happens twice in New York. A 01:30 slot first happens at 05:30 UTC
    # (01:30 EDT). At 06:00 UTC (= 01:00 EST, the second pass) that slot is past; comparing wall
    # clocks (01:30 > 01:00) would wrongly return 05:30 UTC again.
    config = schedule(scheduled_time="01:30", timezone="America/New_York")
    after = utc(2025, 11, 2, 6, 0)
    result = next_run_at(config, after)
    assert result > after
    assert result == utc(2025, 11, 3, 6, 30)  # 01:30 EST the next day


def test_new_york_shifted_spring_slot_is_not_skipped_inside_the_gap_hour():
    # At 07:15 UTC (03:15 EDT) the day's slot, which the code itself puts at 07:30 UTC (see the
    # spring test above), has not happened; comparing wall clocks (02:30 < 03:15) would
    # skip to the next day, so a config saved in that half hour would miss the day's run.
    config = schedule(scheduled_time="02:30", timezone="America/New_York")
    assert next_run_at(config, utc(2025, 3, 9, 7, 15)) == utc(2025, 3, 9, 7, 30)


def test_kolkata_slot_is_five_and_a_half_hours_ahead_of_utc():
    config = schedule(scheduled_time="02:00", timezone="Asia/Kolkata")
    # 2025-06-02 21:00 UTC is 2025-06-03 02:30 IST: today's 02:00 IST slot has passed.
    result = next_run_at(config, utc(2025, 6, 2, 21, 0))
    assert result == utc(2025, 6, 3, 20, 30)  # 2025-06-04 02:00 IST
    assert result.astimezone(KOLKATA) == datetime(2025, 6, 4, 2, 0, tzinfo=KOLKATA)
    # 2025-06-02 20:00 UTC is 01:30 IST on 06-03: the slot half an hour later.
    assert next_run_at(config, utc(2025, 6, 2, 20, 0)) == utc(2025, 6, 2, 20, 30)


def test_kolkata_monthly_slot_is_the_first_in_india_which_is_the_last_day_in_utc():
    config = schedule("monthly", scheduled_time="01:00", timezone="Asia/Kolkata")
    result = next_run_at(config, utc(2025, 6, 15, 0, 0))
    assert result == utc(2025, 6, 30, 19, 30)  # 2025-07-01 01:00 IST
    assert result.astimezone(KOLKATA).day == 1


def test_consecutive_slots_are_one_period_apart():
    daily, weekly, monthly = schedule(), schedule("weekly"), schedule("monthly")
    start = utc(2025, 1, 1, 0, 0)
    slots = {"daily": [], "weekly": [], "monthly": []}
    for name, config in (("daily", daily), ("weekly", weekly), ("monthly", monthly)):
        current = start
        for _ in range(14):
            current = next_run_at(config, current)
            slots[name].append(current)
    assert all(b - a == timedelta(days=1) for a, b in zip(slots["daily"], slots["daily"][1:], strict=False))
    assert all(b - a == timedelta(days=7) for a, b in zip(slots["weekly"], slots["weekly"][1:], strict=False))
    assert [s.month for s in slots["monthly"][:12]] == list(range(1, 13))
    assert all(s.day == 1 and s.hour == 2 for s in slots["monthly"])


# -- check_scheduled_automations with real rows ----------------------------------------------

@pytest.fixture
def site_id(api):
    """A site with no keywords: its estimate is 0, so any balance suffices."""
    return api.create_site("Scheduled", "scheduled.example")


def configure(app, site_id: int, *, next_run: datetime | None, last_run: datetime | None = None,
              **changes) -> None:
    """Enable the site's schedule through the service, then pin the clock-dependent columns."""
    with app.app_context():
        site = db.session.get(Site, site_id)
        service.get_config(site)
        config = service.update_config(site, {"is_enabled": True, **changes})
        config.next_run_at = next_run
        config.last_run_at = last_run
        db.session.commit()


def check(app, now: datetime) -> dict:
    """One scheduler tick at ``now``."""
    with app.app_context():
        return check_scheduled_automations(now)


def config_state(app, site_id: int) -> AutomationConfig:
    """The stored config (detached, with its columns loaded)."""
    with app.app_context():
        config = db.session.scalar(select(AutomationConfig).where(AutomationConfig.site_id == site_id))
        db.session.expunge(config)
        return config


def runs_of(app, site_id: int) -> list[AutomationRun]:
    """The site's runs (detached)."""
    with app.app_context():
        runs = db.session.scalars(select(AutomationRun).where(AutomationRun.site_id == site_id)
                                  .order_by(AutomationRun.id)).all()
        for run in runs:
            db.session.expunge(run)
        return list(runs)


def queued_job_ids(redis_url: str) -> list[str]:
    """Job ids waiting on the automation queue."""
    return Queue("automation", connection=redis.Redis.from_url(redis_url)).get_job_ids()


SLOT = utc(2025, 6, 3, 2, 0)  # a Tuesday
NEXT_DAY_SLOT = utc(2025, 6, 4, 2, 0)


def test_due_config_starts_one_scheduled_run_and_moves_to_the_next_slot(app, site_id, redis_url):
    configure(app, site_id, next_run=SLOT)
    report = check(app, SLOT + timedelta(minutes=5))
    runs = runs_of(app, site_id)
    assert len(runs) == 1
    run = runs[0]
    assert report == {"started": [run.run_id], "skipped": []}
    assert run.trigger_type == "scheduled" and run.status == "running"
    assert queued_job_ids(redis_url) == [f"automation-{run.run_id}-{run.epoch}"]
    config = config_state(app, site_id)
    assert config.next_run_at == NEXT_DAY_SLOT
    # last_run_at is the run's real start time (start_run uses the wall clock, not `now`).
    assert config.last_run_at is not None and config.last_run_at == run.started_at


def test_check_exactly_at_the_slot_runs_it(app, site_id):
    configure(app, site_id, next_run=SLOT)
    report = check(app, SLOT)
    assert len(report["started"]) == 1
    assert config_state(app, site_id).next_run_at == NEXT_DAY_SLOT


def test_config_not_yet_due_is_left_alone(app, site_id, redis_url):
    configure(app, site_id, next_run=SLOT)
    assert check(app, SLOT - timedelta(minutes=1)) == {"started": [], "skipped": []}
    assert runs_of(app, site_id) == []
    assert queued_job_ids(redis_url) == []
    config = config_state(app, site_id)
    assert config.next_run_at == SLOT and config.last_run_at is None


def test_disabled_config_never_runs_even_with_a_past_slot(app, site_id):
    with app.app_context():
        site = db.session.get(Site, site_id)
        config = service.update_config(site, {"is_enabled": False})
        assert config.next_run_at is None  # update_config clears it when disabled
        config.next_run_at = SLOT
        db.session.commit()
    assert check(app, SLOT + timedelta(hours=1)) == {"started": [], "skipped": []}
    assert runs_of(app, site_id) == []
    assert config_state(app, site_id).next_run_at == SLOT


def test_update_config_sets_next_run_at_only_when_enabled(app, site_id):
    with app.app_context():
        site = db.session.get(Site, site_id)
        config = service.update_config(site, {"is_enabled": True, "frequency": "weekly", "scheduled_time": "04:15"})
        enabled_next = config.next_run_at
        assert enabled_next is not None and enabled_next.tzinfo is not None
        assert enabled_next.weekday() == 0 and (enabled_next.hour, enabled_next.minute) == (4, 15)
        assert service.update_config(site, {"is_enabled": False}).next_run_at is None


def test_duplicate_tick_at_the_same_now_starts_nothing_more(app, site_id, redis_url):
    configure(app, site_id, next_run=SLOT)
    now = SLOT + timedelta(minutes=1)
    first = check(app, now)
    second = check(app, now)
    assert len(first["started"]) == 1
    assert second == {"started": [], "skipped": []}
    assert len(runs_of(app, site_id)) == 1
    assert len(queued_job_ids(redis_url)) == 1
    assert config_state(app, site_id).next_run_at == NEXT_DAY_SLOT


@pytest.mark.parametrize("hours_before", [22, 22.99])
def test_last_run_under_23_hours_ago_skips_but_advances(app, site_id, hours_before):
    configure(app, site_id, next_run=SLOT, last_run=SLOT - timedelta(hours=hours_before))
    report = check(app, SLOT)
    assert report["started"] == []
    assert len(report["skipped"]) == 1
    assert report["skipped"][0]["site_id"] == site_id
    assert "23 hours" in report["skipped"][0]["reason"]
    assert runs_of(app, site_id) == []
    config = config_state(app, site_id)
    assert config.next_run_at == NEXT_DAY_SLOT
    assert config.last_run_at == SLOT - timedelta(hours=hours_before)  # untouched by a skip


@pytest.mark.parametrize("hours_before", [23, 24])
def test_last_run_23_hours_or_more_ago_runs(app, site_id, hours_before):
    configure(app, site_id, next_run=SLOT, last_run=SLOT - timedelta(hours=hours_before))
    report = check(app, SLOT)
    assert len(report["started"]) == 1 and report["skipped"] == []
    runs = runs_of(app, site_id)
    assert [r.trigger_type for r in runs] == ["scheduled"]
    assert config_state(app, site_id).next_run_at == NEXT_DAY_SLOT


def test_active_run_skips_the_slot_and_advances(app, site_id, redis_url):
    with app.app_context():
        manual = service.start_run(db.session.get(Site, site_id), trigger="manual")
        manual_id = manual.run_id
    # start_run stamped last_run_at with the wall clock; clear it so the 23 h guard is not
    # what skips the slot and the active-run check is the one under test.
    configure(app, site_id, next_run=SLOT, last_run=None)
    report = check(app, SLOT + timedelta(minutes=1))
    assert report == {"started": [], "skipped": [{"site_id": site_id, "reason": "a run is already active"}]}
    runs = runs_of(app, site_id)
    assert [(r.run_id, r.trigger_type) for r in runs] == [(manual_id, "manual")]
    assert len(queued_job_ids(redis_url)) == 1
    assert config_state(app, site_id).next_run_at == NEXT_DAY_SLOT


def test_paused_run_also_counts_as_active(app, site_id):
    with app.app_context():
        service.pause(service.start_run(db.session.get(Site, site_id)))
    configure(app, site_id, next_run=SLOT, last_run=None)
    report = check(app, SLOT)
    assert report["started"] == [] and report["skipped"][0]["reason"] == "a run is already active"
    assert len(runs_of(app, site_id)) == 1


def test_finished_run_does_not_block_the_next_slot(app, site_id):
    with app.app_context():
        service.cancel(service.start_run(db.session.get(Site, site_id)))
    configure(app, site_id, next_run=SLOT, last_run=None)
    report = check(app, SLOT)
    assert len(report["started"]) == 1
    assert [r.status for r in runs_of(app, site_id)] == ["cancelled", "running"]


def test_enabled_config_without_next_run_at_gets_it_computed_and_does_not_run(app, site_id):
    configure(app, site_id, next_run=None, frequency="weekly", scheduled_time="03:00")
    now = utc(2025, 6, 4, 12, 0)  # a Wednesday
    assert check(app, now) == {"started": [], "skipped": []}
    assert runs_of(app, site_id) == []
    assert config_state(app, site_id).next_run_at == utc(2025, 6, 9, 3, 0)


def test_insufficient_credits_skips_with_the_reason_and_advances(app, client, make_tenant, redis_url):
    poor = make_tenant(credits=0)
    resp = client.post("/api/v1/sites/", json={"name": "Poor", "domain": "poor.example"}, headers=poor.headers)
    assert resp.status_code == 201
    poor_site = resp.get_json()["id"]
    keywords = [{"keyword": f"pump model {n}"} for n in range(50)]
    resp = client.post(f"/api/v1/planner/keywords/?site_id={poor_site}", json={"keywords": keywords},
                       headers=poor.headers)
    assert resp.status_code == 201, resp.get_json()
    configure(app, poor_site, next_run=SLOT)
    report = check(app, SLOT)
    assert report["started"] == []
    assert len(report["skipped"]) == 1
    skipped = report["skipped"][0]
    assert skipped["site_id"] == poor_site
    assert "Balance 0" in skipped["reason"] and "estimate" in skipped["reason"]
    assert runs_of(app, poor_site) == []
    assert queued_job_ids(redis_url) == []
    config = config_state(app, poor_site)
    assert config.next_run_at == NEXT_DAY_SLOT and config.last_run_at is None


def test_only_the_due_site_of_several_is_started(app, api):
    due = api.create_site("Due", "due.example")
    later = api.create_site("Later", "later.example")
    configure(app, due, next_run=SLOT)
    configure(app, later, next_run=SLOT + timedelta(hours=3))
    report = check(app, SLOT + timedelta(minutes=30))
    assert len(report["started"]) == 1
    assert [r.trigger_type for r in runs_of(app, due)] == ["scheduled"]
    assert runs_of(app, later) == []
    assert config_state(app, later).next_run_at == SLOT + timedelta(hours=3)


def test_missed_slots_start_one_run_and_jump_to_the_next_future_slot(app, site_id):
    # The scheduler was down for days: one catch-up run, not one per missed slot.
    configure(app, site_id, next_run=SLOT)
    now = SLOT + timedelta(days=3, hours=5)
    first = check(app, now)
    assert len(first["started"]) == 1
    assert config_state(app, site_id).next_run_at == utc(2025, 6, 7, 2, 0)
    assert check(app, now) == {"started": [], "skipped": []}
    assert len(runs_of(app, site_id)) == 1


# Each case: frequency, the stored slot, a tick before it, a tick after it, the following slot.
FREQUENCY_CASES = {
    "daily": ("daily", utc(2025, 6, 3, 2, 0), utc(2025, 6, 3, 1, 0), utc(2025, 6, 3, 3, 0), utc(2025, 6, 4, 2, 0)),
    # Monday slot; checked on the Sunday before (not due) and the Tuesday after (due).
    "weekly": ("weekly", utc(2025, 6, 2, 2, 0), utc(2025, 6, 1, 23, 0), utc(2025, 6, 3, 10, 0),
               utc(2025, 6, 9, 2, 0)),
    "monthly": ("monthly", utc(2025, 7, 1, 2, 0), utc(2025, 6, 30, 23, 0), utc(2025, 7, 1, 3, 0),
                utc(2025, 8, 1, 2, 0)),
    "monthly-december": ("monthly", utc(2025, 12, 1, 2, 0), utc(2025, 11, 30, 23, 0), utc(2025, 12, 1, 2, 0),
                         utc(2026, 1, 1, 2, 0)),
}


@pytest.mark.parametrize("case", FREQUENCY_CASES.values(), ids=FREQUENCY_CASES.keys())
def test_due_logic_end_to_end_per_frequency(app, site_id, case):
    frequency, slot, before, after, following = case
    configure(app, site_id, next_run=slot, frequency=frequency, scheduled_time="02:00")
    assert check(app, before) == {"started": [], "skipped": []}
    assert config_state(app, site_id).next_run_at == slot
    report = check(app, after)
    assert len(report["started"]) == 1
    assert [r.trigger_type for r in runs_of(app, site_id)] == ["scheduled"]
    assert config_state(app, site_id).next_run_at == following


def test_new_york_config_advances_to_the_next_local_slot(app, api):
    site = api.post("/api/v1/sites/", json={"name": "NY", "timezone": "America/New_York"}).get_json()["id"]
    with app.app_context():
        assert service.get_config(db.session.get(Site, site)).timezone == "America/New_York"  # from the site
    slot = utc(2025, 11, 2, 7, 30)  # 02:30 EST on the fall-back day
    configure(app, site, next_run=slot, scheduled_time="02:30")
    report = check(app, utc(2025, 11, 2, 8, 0))  # the hourly tick after it
    assert len(report["started"]) == 1
    assert config_state(app, site).next_run_at == utc(2025, 11, 3, 7, 30)


def test_hourly_tick_in_the_repeated_autumn_hour_moves_next_run_at_forward(app, api):
    site = api.post("/api/v1/sites/", json={"name": "NY", "timezone": "America/New_York"}).get_json()["id"]
    configure(app, site, next_run=utc(2025, 11, 2, 5, 30), scheduled_time="01:30")  # 01:30 EDT
    now = utc(2025, 11, 2, 6, 0)
    assert len(check(app, now)["started"]) == 1
    assert config_state(app, site).next_run_at > now
    # The same tick again finds nothing to do.
    assert check(app, now) == {"started": [], "skipped": []}


# -- periodic job registration ---------------------------------------------------------------

@pytest.fixture
def scheduler(app, redis_url):
    """A real rq-scheduler on the test Redis (flushed by the ``app`` fixture)."""
    return Scheduler(queue_name="periodic", connection=redis.Redis.from_url(redis_url))


def scheduled_ids(scheduler) -> set[str]:
    return {job.id for job in scheduler.get_jobs()}


def test_periodic_job_ids_are_valid_rq_job_ids():
    from rq.job import validate_job_id

    for definition in PERIODIC_JOBS:
        validate_job_id(job_id(definition))


def test_registering_twice_holds_exactly_the_definitions(scheduler):
    first = register_periodic_jobs(scheduler)
    times_first = {job.id: when for job, when in scheduler.get_jobs(with_times=True)}
    second = register_periodic_jobs(scheduler)
    times_second = {job.id: when for job, when in scheduler.get_jobs(with_times=True)}
    assert first == second == [job_id(d) for d in PERIODIC_JOBS]
    assert scheduler.count() == len(PERIODIC_JOBS)
    assert scheduled_ids(scheduler) == set(first)
    # The second registration was a no-op: the jobs were not re-created or re-timed.
    assert times_second == times_first


def test_hourly_schedule_check_and_minutely_recovery_are_registered(scheduler):
    register_periodic_jobs(scheduler)
    jobs = {job.func_name: job for job in scheduler.get_jobs()}
    hourly = jobs["jobs.automation.check_scheduled_automations"]
    recovery = jobs["jobs.automation.recover_stale_runs"]
    assert hourly.meta.get("cron_string") == "0 * * * *"
    assert recovery.meta.get("cron_string") == "* * * * *"
    for job in (hourly, recovery):
        assert job.origin == "periodic"
        assert job.meta.get("use_local_timezone") is False
        assert callable(import_string(job.func_name))


def test_registering_a_changed_list_cancels_the_jobs_not_in_it(scheduler):
    register_periodic_jobs(scheduler)
    hourly_only = [d for d in PERIODIC_JOBS if d["func"] == "jobs.automation.check_scheduled_automations"]
    ids = register_periodic_jobs(scheduler, hourly_only)
    assert scheduled_ids(scheduler) == set(ids) == {job_id(hourly_only[0])}
    assert [job.func_name for job in scheduler.get_jobs()] == ["jobs.automation.check_scheduled_automations"]


def test_changing_a_definition_replaces_its_job(scheduler):
    register_periodic_jobs(scheduler)
    changed = [dict(d, cron_string="30 * * * *") if d["cron_string"] == "0 * * * *" else d for d in PERIODIC_JOBS]
    ids = register_periodic_jobs(scheduler, changed)
    assert scheduled_ids(scheduler) == set(ids)
    assert scheduler.count() == len(PERIODIC_JOBS)
    crons = {job.func_name: job.meta["cron_string"] for job in scheduler.get_jobs()}
    assert crons["jobs.automation.check_scheduled_automations"] == "30 * * * *"


def test_registering_an_empty_list_clears_the_scheduler(scheduler):
    scheduler.cron("0 * * * *", func="jobs.automation.check_scheduled_automations", id="left-over")
    scheduler.schedule(utc(2030, 1, 1), func="jobs.automation.recover_stale_runs")
    assert scheduler.count() == 2
    assert register_periodic_jobs(scheduler, []) == []
    assert scheduler.count() == 0


def test_a_job_scheduled_by_hand_is_cancelled_by_registration(scheduler):
    # Intended: the scheduler holds exactly the definitions (the Redash pattern), so anything
    # else in its set, even a look-alike of a definition under another id, is removed.
    scheduler.cron("*/5 * * * *", func="jobs.automation.recover_stale_runs", id="by-hand")
    stranger_once = scheduler.schedule(utc(2030, 1, 1), func="jobs.automation.check_scheduled_automations")
    assert "by-hand" in scheduler and stranger_once in scheduler
    register_periodic_jobs(scheduler)
    assert "by-hand" not in scheduler
    assert stranger_once not in scheduler
    assert scheduled_ids(scheduler) == {job_id(d) for d in PERIODIC_JOBS}


def test_job_id_is_stable_and_content_derived():
    definition = PERIODIC_JOBS[0]
    assert job_id(dict(definition)) == job_id(definition)
    assert job_id(dict(reversed(list(definition.items())))) == job_id(definition)  # key order is irrelevant
    assert job_id(dict(definition, cron_string="5 * * * *")) != job_id(definition)
    assert len({job_id(d) for d in PERIODIC_JOBS}) == len(PERIODIC_JOBS)


def test_restarting_the_scheduler_process_never_duplicates_registrations(app, scheduler, monkeypatch):
    from jobs import scheduler as scheduler_process

    monkeypatch.setattr(scheduler_process.Scheduler, "run", lambda self, *args, **kwargs: None)
    with app.app_context():
        scheduler_process.run_scheduler()
        scheduler_process.run_scheduler()
    assert scheduled_ids(scheduler) == {job_id(d) for d in PERIODIC_JOBS}
