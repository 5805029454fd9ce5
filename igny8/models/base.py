"""Shared column helpers and enumerations for the models."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import DateTime, ForeignKey, Integer, Numeric, TypeDecorator
from sqlalchemy.orm import Mapped, mapped_column

# Credits are money: exact decimals, never floats.
Credits = Numeric(14, 4)
ZERO = Decimal("0")


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        """Store every datetime as UTC."""
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use igny8.models.base.utcnow()")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        """Give back aware UTC datetimes."""
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def isoformat(value: datetime | None) -> str | None:
    """ISO 8601 UTC with a ``Z``, as the API promises."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class TenantMixin:
    """Columns of every object that belongs to one account's site."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AttemptMixin:
    """Which run last attempted a pipeline item and why it failed, if it did.

    A stage never picks an item its run already attempted, so every stage terminates even
    when the model keeps leaving an item out; the reason stays for the next run or a retry.
    """

    last_attempt_run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(nullable=True)


class ProvenanceMixin:
    """Which AI provider and model produced a record (the offline provider says so)."""

    provider: Mapped[str | None] = mapped_column(nullable=True)
    model: Mapped[str | None] = mapped_column(nullable=True)


KEYWORD_STATUSES = ("new", "mapped")
CLUSTER_STATUSES = ("new", "mapped")
IDEA_STATUSES = ("new", "queued", "completed")
TASK_STATUSES = ("queued", "in_progress", "completed", "failed")
CONTENT_STATUSES = ("draft", "review", "approved", "rejected")
IMAGE_STATUSES = ("pending", "generated", "failed")
RUN_STATUSES = ("running", "paused", "cancelled", "completed", "failed")
ACTIVE_RUN_STATUSES = ("running", "paused")
INTENTS = ("informational", "commercial", "transactional", "navigational")
