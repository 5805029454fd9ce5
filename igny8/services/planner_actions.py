"""Bulk actions on a site's keywords (disable, enable, delete), scoped by account and site.

Deleting is limited to keywords no stage has used yet: a keyword in a cluster (``mapped``,
or with a ``cluster_id``) is the evidence that cluster, its ideas and its articles were
built from, and its volume is part of the cluster's totals; deleting it would silently
rewrite that history. Such keywords are kept and reported, and disabling is offered
instead (a disabled keyword is never picked up by stage 1 again). Deleting is also
refused while the site's run is at stage 1, which may be clustering those very keywords.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select, update

from igny8.extensions import db
from igny8.models import AutomationRun, Keyword
from igny8.models.base import ACTIVE_RUN_STATUSES

ACTIONS = ("disable", "enable", "delete")
MAX_IDS = 1000


class BulkActionError(ValueError):
    """The action cannot be applied at all (unknown action, no selection, run in stage 1)."""


@dataclass
class BulkResult:
    """What the action did: rows changed and rows kept, with the reason for the latter."""

    action: str
    changed: int = 0
    kept: int = 0
    kept_reason: str | None = None

    def message(self) -> str:
        """A sentence for the user."""
        verb = {"disable": "disabled", "enable": "enabled", "delete": "deleted"}[self.action]
        text = f"{self.changed:,} keyword{'s' if self.changed != 1 else ''} {verb}."
        if self.kept:
            text += f" {self.kept:,} kept: {self.kept_reason}"
        return text


def _scoped(account_id: int, site_id: int, ids: list[int]):
    """The WHERE clauses that keep an action inside one site of one account."""
    return (Keyword.account_id == account_id, Keyword.site_id == site_id, Keyword.id.in_(ids))


def bulk_keywords(account_id: int, site_id: int, ids: list[int], action: str) -> BulkResult:
    """Apply ``action`` to the given keywords of one site of one account; commits."""
    if action not in ACTIONS:
        raise BulkActionError(f"Unknown action {action!r}")
    ids = sorted({i for i in ids if isinstance(i, int) and i > 0})[:MAX_IDS]
    if not ids:
        raise BulkActionError("Select at least one keyword first")
    where = _scoped(account_id, site_id, ids)
    result = BulkResult(action)
    if action in ("disable", "enable"):
        result.changed = db.session.execute(
            update(Keyword).where(*where).values(disabled=action == "disable")
            .execution_options(synchronize_session=False)).rowcount
        db.session.commit()
        return result
    stage_one = db.session.scalar(select(AutomationRun.id).where(
        AutomationRun.site_id == site_id, AutomationRun.account_id == account_id,
        AutomationRun.status.in_(ACTIVE_RUN_STATUSES), AutomationRun.current_stage <= 1))
    if stage_one is not None:
        raise BulkActionError("The site's run is clustering keywords right now (stage 1); "
                              "delete after it moves on, or disable the keywords instead")
    unused = (Keyword.status == "new", Keyword.cluster_id.is_(None))
    result.kept = db.session.scalar(select(func.count()).where(*where).where(~(unused[0] & unused[1]))) or 0
    result.changed = db.session.execute(
        delete(Keyword).where(*where, *unused).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    if result.kept:
        result.kept_reason = ("they are mapped to clusters the pipeline built on; "
                              "disable them instead to keep them out of future runs.")
    return result
