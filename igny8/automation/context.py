"""The state a worker carries through one run: its claim, config snapshot and counters.

Every item is saved by ``save_item`` in one short transaction together with its credit
charge and the stage-result counters, fenced by the run's epoch and status.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from igny8.ai.base import SiteInfo
from igny8.automation import credits, runlog
from igny8.extensions import db
from igny8.models import AutomationRun
from igny8.models.base import ZERO, isoformat, utcnow


class Conflict(Exception):
    """The item was saved by someone else meanwhile: roll back, charge nothing."""


class Fenced(Exception):
    """The run was cancelled or claimed by another worker: this write is refused."""


@dataclass
class StopReason:
    """Why the worker stops before the pipeline is done."""

    kind: str  # paused | cancelled | lease_lost | insufficient_credits | provider
    message: str = ""


@dataclass
class RunContext:
    """One worker's view of one run."""

    run_pk: int
    run_id: str
    site_id: int
    account_id: int
    epoch: int
    config: dict
    site: SiteInfo
    text_provider: object
    image_provider: object
    results: dict[int, dict] = field(default_factory=dict)
    processing: dict | None = None
    stop: StopReason | None = None
    attempted: set = field(default_factory=set)

    # -- control -------------------------------------------------------------------------

    def check_control(self) -> StopReason | None:
        """Read the run's status: the web process pauses or cancels by writing it.

        The database decides, not the heartbeat: a heartbeat that fails because the run was
        cancelled must read as "cancelled", not as a lost lease.
        """
        if self.stop is not None:
            return self.stop
        status, epoch = db.session.execute(
            select(AutomationRun.status, AutomationRun.epoch).where(AutomationRun.id == self.run_pk)
        ).one()
        db.session.commit()
        if epoch != self.epoch:
            self.stop = StopReason("lease_lost", "Another worker took over this run")
        elif status == "paused":
            self.stop = StopReason("paused", "Paused")
        elif status == "cancelled":
            self.stop = StopReason("cancelled", "Cancelled")
        elif status != "running":
            self.stop = StopReason("lease_lost", f"Run is {status}")
        return self.stop

    def sleep(self, seconds: int) -> None:
        """Wait between batches or stages, still noticing pause and cancel each second."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.check_control() is None:
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))

    # -- logging and counters ------------------------------------------------------------

    def log(self, message: str, stage: int | None = None, level: str = "info") -> None:
        """One activity-log line (never inside an open item transaction)."""
        runlog.write(self.run_pk, message, stage, level)

    def fenced_update(self, **values) -> None:
        """Update the run only while this worker's claim holds and the run is not cancelled."""
        result = db.session.execute(
            update(AutomationRun)
            .where(AutomationRun.id == self.run_pk, AutomationRun.epoch == self.epoch,
                   AutomationRun.status.in_(("running", "paused")))
            .values(**values)
        )
        if result.rowcount != 1:
            raise Fenced()

    def stage_result(self, number: int) -> dict:
        """This run's result dict of stage ``number`` (a copy to modify)."""
        return copy.deepcopy(self.results.get(number) or {})

    def commit_run_state(self, number: int, result: dict, charged: Decimal = ZERO, **extra) -> None:
        """Write stage counters (and a charge) in the caller's transaction, fenced; no commit."""
        values = {f"stage_{number}_result": result, "processing": self.processing, **extra}
        if charged:
            values["total_credits_used"] = AutomationRun.total_credits_used + charged
        self.fenced_update(**values)

    def save(self, number: int, work, label: str) -> bool:
        """Run ``work(result) -> charge`` and the counters in one transaction.

        ``work`` adds its rows to the session, performs the charge through
        ``credits.charge`` and returns the amount charged; it mutates ``result`` (a copy).
        Returns True when saved. Failures stop the run or skip the item, never half-save it.
        """
        result = self.stage_result(number)
        try:
            charged = work(result) or ZERO
            if charged:
                result["credits_used"] = float(Decimal(str(result.get("credits_used", 0))) + charged)
            self.commit_run_state(number, result, charged)
            db.session.commit()
        except credits.InsufficientCredits as exc:
            db.session.rollback()
            self.stop = StopReason(
                "insufficient_credits",
                f"Insufficient credits: {exc.needed} needed for {label}, balance {exc.balance}. "
                "Add credits and resume the run.",
            )
            return False
        except Fenced:
            db.session.rollback()
            self.check_control()
            if self.stop is None:
                self.stop = StopReason("lease_lost", "The run changed under this worker")
            return False
        except (IntegrityError, Conflict):
            db.session.rollback()
            # Someone saved this item already (unique keys): nothing to add, nothing charged.
            self.log(f"{label}: already saved elsewhere, skipped", number, "warning")
            return False
        self.results[number] = result
        return True

    def fail_item(self, number: int, model, item_ids: list[int], label: str, reason: str) -> None:
        """Mark items attempted by this run with the reason, so the stage moves past them."""
        self.attempted.update((number, i) for i in item_ids)
        result = self.stage_result(number)
        result["failed"] = result.get("failed", 0) + 1
        try:
            db.session.execute(
                update(model).where(model.id.in_(item_ids)).values(last_attempt_run_id=self.run_pk, error=reason[:2000])
            )
            self.commit_run_state(number, result)
            db.session.commit()
            self.results[number] = result
        except Fenced:
            db.session.rollback()
            self.check_control()
            return
        self.log(f"{label} failed: {reason}", number, "warning")

    def set_processing(self, **snapshot) -> None:
        """Update the live snapshot shown by current_processing (kept in memory until saved)."""
        self.processing = {**(self.processing or {}), **snapshot, "updated_at": isoformat(utcnow())}

    def flush_processing(self, number: int) -> None:
        """Persist the snapshot and stage counters now (at stage and batch boundaries)."""
        try:
            self.commit_run_state(number, self.stage_result(number), current_stage=number)
            db.session.commit()
        except Fenced:
            db.session.rollback()
            self.check_control()
