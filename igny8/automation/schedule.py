"""Scheduled runs: when a site's automation is due, and the hourly check that starts it.

Slots, in the site's time zone at ``scheduled_time``: daily — every day; weekly — every
Monday; monthly — the 1st of the month. ``next_run_at`` holds the next slot; the hourly
check starts every enabled config whose slot has come, unless a run is active or the last
run started less than ~23 hours ago, and then moves ``next_run_at`` to the following slot.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from igny8.extensions import db
from igny8.models import AutomationConfig, Site
from igny8.models.base import utcnow

logger = logging.getLogger("igny8.automation")
GUARD = timedelta(hours=23)


def _slot_on(day: datetime, config: AutomationConfig) -> datetime:
    hour, minute = (int(x) for x in config.scheduled_time.split(":"))
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)


def _matches(local: datetime, frequency: str) -> bool:
    if frequency == "weekly":
        return local.weekday() == 0
    if frequency == "monthly":
        return local.day == 1
    return True


def next_run_at(config: AutomationConfig, after: datetime) -> datetime:
    """The first slot strictly after ``after`` (UTC in, UTC out)."""
    zone, utc = ZoneInfo(config.timezone or "UTC"), ZoneInfo("UTC")
    local = after.astimezone(zone)
    for offset in range(0, 370):
        # Build the wall-clock time per day so DST changes keep the local time.
        day = (local + timedelta(days=offset)).replace(tzinfo=None)
        candidate = _slot_on(day, config).replace(tzinfo=zone)
        # Compare instants in UTC: two datetimes sharing one ZoneInfo compare by wall clock
        # only, which is wrong in the repeated hour when clocks go back.
        if candidate.astimezone(utc) > after.astimezone(utc) and _matches(candidate, config.frequency):
            return candidate.astimezone(utc)
    raise ValueError("no slot within a year")  # unreachable for the three frequencies


def check_scheduled_automations(now: datetime | None = None) -> dict:
    """Start every due scheduled run; safe to call twice for the same tick."""
    from igny8.automation import service

    now = now or utcnow()
    report = {"started": [], "skipped": []}
    configs = db.session.scalars(select(AutomationConfig).where(AutomationConfig.is_enabled.is_(True))).all()
    for config in configs:
        if config.next_run_at is None:
            config.next_run_at = next_run_at(config, now)
            db.session.commit()
            continue
        if config.next_run_at > now:
            continue
        due_slot = config.next_run_at
        # Claim this tick: a duplicate scheduler tick finds next_run_at already moved.
        claimed = db.session.execute(
            update(AutomationConfig)
            .where(AutomationConfig.id == config.id, AutomationConfig.next_run_at == due_slot)
            .values(next_run_at=next_run_at(config, now))
        ).rowcount
        db.session.commit()
        if not claimed:
            continue
        site = db.session.get(Site, config.site_id)
        reason = None
        if config.last_run_at is not None and now - config.last_run_at < GUARD:
            reason = f"last run started {config.last_run_at:%Y-%m-%d %H:%M} UTC, under 23 hours ago"
        elif service.active_run(site.id) is not None:
            reason = "a run is already active"
        if reason is None:
            try:
                run = service.start_run(site, trigger="scheduled")
                report["started"].append(run.run_id)
                continue
            except service.AutomationError as exc:
                reason = exc.message
        logger.info("scheduled run of site %s skipped: %s", site.id, reason)
        report["skipped"].append({"site_id": site.id, "reason": reason})
    return report
