"""Billing aggregate: the credit ledger.

Every change of an account's balance is one row here, written in the same transaction as
the balance update and the work it pays for. The unique idempotency key makes a retried
charge a no-op instead of a double charge.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from igny8.extensions import db
from igny8.models.base import Credits, UTCDateTime, utcnow


class CreditTransaction(db.Model):
    """One ledger row: negative for a charge, positive for a top-up."""

    __table_args__ = (
        Index("ix_ledger_account_created", "account_id", "created_at"),
        Index("ix_ledger_run", "run_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    amount: Mapped[Decimal] = mapped_column(Credits)
    balance_after: Mapped[Decimal] = mapped_column(Credits)
    operation: Mapped[str] = mapped_column(String(40))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("automation_run.id", ondelete="SET NULL"), nullable=True
    )
    site_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    stage: Mapped[int | None] = mapped_column(Integer, nullable=True)
    object_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    object_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    provider: Mapped[str | None] = mapped_column(String(40), nullable=True)
    model: Mapped[str | None] = mapped_column(String(100), nullable=True)
    tokens_in: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tokens_out: Mapped[int | None] = mapped_column(Integer, nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    latency_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
