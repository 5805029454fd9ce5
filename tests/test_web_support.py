"""Helpers shared by the ``test_web_*`` modules (this module holds no tests).

Fixtures live in ``tests/conftest.py``; these are plain functions that build states the
pages must render: sites, runs in every status, pipelines with hostile text.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import inspect, select

from igny8.extensions import db
from igny8.models import AutomationRun, Site
from igny8.models.base import utcnow

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = "<img src=x onerror=alert(1)>"


def make_site(app, account_id: int, name: str = "Site", domain: str = "example.com") -> int:
    """A site of ``account_id``; returns its id."""
    from igny8.services.accounts import create_site

    with app.app_context():
        return create_site(account_id, name, domain).id


def make_run(app, site_id: int, status: str = "running", stage: int = 1, **values) -> str:
    """An AutomationRun row in ``status`` (no worker involved); returns its public run_id."""
    with app.app_context():
        site = db.session.get(Site, site_id)
        now = utcnow()
        run = AutomationRun(
            run_id=f"run_test_{status}_{site_id}_{now:%H%M%S%f}", account_id=site.account_id, site_id=site_id,
            trigger_type="manual", status=status, current_stage=stage, started_at=now,
            total_credits_used=Decimal("12.5"), estimated_credits=Decimal("40"),
            completed_at=now if status in ("completed", "failed", "cancelled") else None,
            cancelled_at=now if status == "cancelled" else None,
            paused_at=now if status == "paused" else None, **values,
        )
        db.session.add(run)
        db.session.commit()
        return run.run_id


def run_pk(app, run_id: str) -> int:
    """The primary key of a run."""
    with app.app_context():
        return db.session.scalar(select(AutomationRun.id).where(AutomationRun.run_id == run_id))


def database_snapshot(app) -> dict:
    """Every row of every table, for "a GET changes nothing" checks."""
    with app.app_context():
        snapshot = {}
        for table in db.metadata.sorted_tables:
            rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
            snapshot[table.name] = [tuple(row) for row in rows]
        db.session.rollback()
        return snapshot


def table_names(app) -> list[str]:
    """The tables of the schema (a sanity check that the snapshot saw them)."""
    with app.app_context():
        return inspect(db.engine).get_table_names()


def csrf_token_of(html: str) -> str:
    """The CSRF token a page carries in its ``<meta name="csrf-token">``."""
    return html.split('name="csrf-token" content="')[1].split('"')[0]
