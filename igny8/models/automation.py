"""Automation aggregate: per-site config, runs (with their lease) and run log lines."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from igny8.extensions import db
from igny8.models.base import ZERO, Credits, UTCDateTime, utcnow


class AutomationConfig(db.Model):
    """One per site: schedule, batch sizes, delays and AI concurrency."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), unique=True)
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    frequency: Mapped[str] = mapped_column(String(10), default="daily")
    scheduled_time: Mapped[str] = mapped_column(String(5), default="02:00")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    stage_1_batch_size: Mapped[int] = mapped_column(Integer, default=50)
    stage_2_batch_size: Mapped[int] = mapped_column(Integer, default=5)
    stage_3_batch_size: Mapped[int] = mapped_column(Integer, default=20)
    stage_4_batch_size: Mapped[int] = mapped_column(Integer, default=5)
    stage_5_batch_size: Mapped[int] = mapped_column(Integer, default=10)
    stage_6_batch_size: Mapped[int] = mapped_column(Integer, default=10)
    within_stage_delay: Mapped[int] = mapped_column(Integer, default=0)
    between_stage_delay: Mapped[int] = mapped_column(Integer, default=0)
    ai_concurrency: Mapped[int] = mapped_column(Integer, default=4)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AutomationRun(db.Model):
    """One execution of the pipeline for a site.

    The database is the source of truth for "one active run per site" (a partial unique
    index) and for who may write: a worker claims the run by bumping ``epoch`` and every
    write it makes checks that epoch, so a worker that lost its lease changes nothing.
    """

    __table_args__ = (
        Index(
            "uq_run_one_active_per_site",
            "site_id",
            unique=True,
            postgresql_where=text("status IN ('running', 'paused')"),
            sqlite_where=text("status IN ('running', 'paused')"),
        ),
        Index("ix_run_site_started", "site_id", "started_at"),
        Index("ix_run_status_lease", "status", "lease_expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(String(40), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    trigger_type: Mapped[str] = mapped_column(String(20), default="manual")
    status: Mapped[str] = mapped_column(String(20), default="running")
    current_stage: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    total_credits_used: Mapped[Decimal] = mapped_column(Credits, default=ZERO)
    estimated_credits: Mapped[Decimal | None] = mapped_column(Credits, nullable=True)
    stage_1_result: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    stage_2_result: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    stage_3_result: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    stage_4_result: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    stage_5_result: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    stage_6_result: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    stage_7_result: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    pause_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Lease: who works on the run, until when, and the fencing number of that claim.
    lease_owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lease_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    epoch: Mapped[int] = mapped_column(Integer, default=0)
    # Live snapshot for current_processing: {"stage", "done", "total", "in_flight", "up_next"}
    processing: Mapped[dict | None] = mapped_column(JSON, nullable=True)

    def stage_result(self, number: int) -> dict | None:
        """The result dict of stage ``number``."""
        return getattr(self, f"stage_{number}_result")


class RunLogLine(db.Model):
    """One line of a run's activity log, in the database so every process can read it."""

    __table_args__ = (Index("ix_run_log_run", "run_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("automation_run.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stage: Mapped[int | None] = mapped_column(Integer, nullable=True)
    level: Mapped[str] = mapped_column(String(10), default="info")
    message: Mapped[str] = mapped_column(Text)
