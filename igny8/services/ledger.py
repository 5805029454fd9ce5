"""The credit ledger as the API and the settings page list it."""

from __future__ import annotations

from sqlalchemy import Select, select

from igny8.extensions import db
from igny8.models import AutomationRun, CreditTransaction


def ledger_query(account_id: int, run_id: str | None = None) -> Select:
    """The account's ledger rows, newest first; ``run_id`` (public id) filters to one run."""
    query = select(CreditTransaction).where(CreditTransaction.account_id == account_id)
    if run_id:
        query = query.where(CreditTransaction.run_id.in_(select(AutomationRun.id).where(
            AutomationRun.run_id == run_id, AutomationRun.account_id == account_id)))
    return query.order_by(CreditTransaction.id.desc())


def run_public_ids(rows: list[CreditTransaction]) -> dict[int, str]:
    """Public run ids of the runs these rows belong to (one query, only the runs on the page)."""
    pks = {row.run_id for row in rows if row.run_id}
    if not pks:
        return {}
    return dict(db.session.execute(
        select(AutomationRun.id, AutomationRun.run_id).where(AutomationRun.id.in_(pks))).all())
