"""The shape every stage shares: a pending query, a batch size, a batch processor, counters.

AI work is I/O-bound, so within a batch up to ``ai_concurrency`` provider calls run at once
on worker threads, while every database write and charge stays on the job's own thread,
one short transaction per item.
"""

from __future__ import annotations

import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select

from igny8.ai.base import AIError, AIFatalError
from igny8.automation.context import RunContext, StopReason
from igny8.extensions import db


@dataclass
class WorkItem:
    """One unit of a batch: an AI call's input and what ``save`` needs afterwards."""

    key: str  # unique within the stage: part of the charge's idempotency key
    label: str  # shown in current_processing and the log
    ids: list[int]  # the rows it covers (marked attempted when it fails)
    payload: Any


class Stage:
    """Base class; subclasses set the class attributes and implement the hooks."""

    number: int
    name: str
    kind: str  # ai | local | manual
    model: type
    result_fields: tuple[str, ...]
    batch_field: str | None = None

    # -- queries ---------------------------------------------------------------------------

    def pending_query(self, site_id: int) -> Select:
        """The items this stage picks up (exactly the seed's definition)."""
        raise NotImplementedError

    def pending_count(self, site_id: int) -> int:
        """How many items are pending for the site."""
        query = self.pending_query(site_id).order_by(None)
        return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0

    def runnable_query(self, ctx: RunContext) -> Select:
        """Pending items this run has not attempted yet (so every stage terminates)."""
        return self.pending_query(ctx.site_id).where(
            or_(self.model.last_attempt_run_id.is_(None), self.model.last_attempt_run_id != ctx.run_pk)
        )

    def batch_size(self, ctx: RunContext) -> int:
        """Items per batch, from the site's config."""
        return int(ctx.config.get(self.batch_field, 10)) if self.batch_field else 100

    def initial_result(self) -> dict:
        """The counters at the stage's start."""
        return {name: 0 for name in self.result_fields}

    # -- hooks -----------------------------------------------------------------------------

    def next_batch(self, ctx: RunContext) -> list[WorkItem]:
        """Load the next batch and turn it into work items (on the job thread)."""
        rows = db.session.scalars(
            self.runnable_query(ctx).order_by(self.model.id).limit(self.batch_size(ctx))
        ).all()
        items = [self.work_item(row, ctx) for row in rows if (self.number, row.id) not in ctx.attempted]
        db.session.commit()
        return items

    def work_item(self, row, ctx: RunContext) -> WorkItem:
        """One row → one work item."""
        raise NotImplementedError

    def call(self, item: WorkItem, ctx: RunContext):
        """The AI call (runs on a worker thread: no database access here)."""
        raise NotImplementedError

    def save(self, item: WorkItem, answer, ctx: RunContext, result: dict):
        """Write the answer's rows and charge inside the open transaction; returns the charge."""
        raise NotImplementedError

    # -- the loop --------------------------------------------------------------------------

    def run(self, ctx: RunContext) -> None:
        """Process batches until nothing is pending, or the run is told to stop."""
        started = time.monotonic()
        if not ctx.results.get(self.number):
            ctx.results[self.number] = self.initial_result()
        total = db.session.scalar(select(func.count()).select_from(
            self.runnable_query(ctx).order_by(None).subquery())) or 0
        done_before = ctx.results[self.number].get(self.result_fields[0], 0)
        ctx.set_processing(stage=self.number, stage_name=self.name, done=done_before,
                           total=done_before + total, in_flight=[], up_next=[])
        ctx.flush_processing(self.number)
        while ctx.check_control() is None:
            batch = self.next_batch(ctx)
            if not batch:
                break
            self.process_batch(batch, ctx)
            result = ctx.stage_result(self.number)
            result["batches_run"] = result.get("batches_run", 0) + 1
            result["time_elapsed"] = round(result.get("time_elapsed", 0) + time.monotonic() - started, 2)
            started = time.monotonic()
            ctx.results[self.number] = result
            ctx.set_processing(in_flight=[])
            ctx.flush_processing(self.number)
            ctx.log(f"Batch {result['batches_run']} done: {self.describe(result)}", self.number)
            if ctx.config.get("within_stage_delay"):
                ctx.sleep(int(ctx.config["within_stage_delay"]))

    def describe(self, result: dict) -> str:
        """Counters for the log."""
        return ", ".join(f"{k}={result[k]}" for k in self.result_fields if k in result)

    def process_batch(self, batch: list[WorkItem], ctx: RunContext) -> None:
        """Run the calls concurrently; save each answer on this thread as it arrives."""
        if self.kind != "ai":
            for item in batch:
                if ctx.check_control() is not None:
                    return
                self._save(item, item.payload, ctx)
            return
        workers = max(1, min(int(ctx.config.get("ai_concurrency", 4)), len(batch)))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"ai-s{self.number}")
        futures: dict[Future, WorkItem] = {pool.submit(self.call, item, ctx): item for item in batch}
        ctx.set_processing(in_flight=[i.label for i in batch[:workers]], up_next=[i.label for i in batch[workers:]][:5])
        ctx.flush_processing(self.number)
        pending = set(futures)
        try:
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    self._settle(future, futures[future], ctx)
                stop = ctx.check_control()
                if stop is not None:
                    if stop.kind != "paused":
                        return  # cancel / lost lease: what is still in flight is dropped
                    for future in pending:
                        future.cancel()  # pause: finish what has started, start nothing new
        finally:
            pool.shutdown(wait=ctx.stop is None or ctx.stop.kind == "paused", cancel_futures=True)

    def _settle(self, future: Future, item: WorkItem, ctx: RunContext) -> None:
        if future.cancelled():
            return
        if ctx.stop is not None and ctx.stop.kind not in ("paused",):
            return
        try:
            answer = future.result()
        except AIFatalError as exc:
            ctx.stop = StopReason("provider", f"AI provider error: {exc.reason}")
            return
        except AIError as exc:
            ctx.fail_item(self.number, self.model, item.ids, item.label, exc.reason)
            return
        except Exception as exc:  # an unexpected bug in one item must not kill the run
            ctx.fail_item(self.number, self.model, item.ids, item.label, f"unexpected error: {exc!r}")
            return
        self._save(item, answer, ctx)

    def _save(self, item: WorkItem, answer, ctx: RunContext) -> None:
        charged = []

        def work(result):
            amount = self.save(item, answer, ctx, result)
            charged.append(amount)
            return amount

        try:
            saved = ctx.save(self.number, work, item.label)
        except AIError as exc:  # save-time validation of the answer
            db.session.rollback()
            ctx.fail_item(self.number, self.model, item.ids, item.label, exc.reason)
            return
        if saved:
            usage = getattr(answer, "usage", None)
            if usage is not None and usage.provider != "offline":
                # Real provider calls are worth a line each: model, tokens, latency, request id.
                ctx.log(f"{item.label}: saved; {charged[-1] or 0} credits; {usage.model}, "
                        f"{usage.tokens_in}/{usage.tokens_out} tokens, {usage.latency_ms} ms, "
                        f"request {usage.request_id}", self.number)
            processing = ctx.processing or {}
            ctx.set_processing(done=processing.get("done", 0) + 1,
                               in_flight=[x for x in processing.get("in_flight", []) if x != item.label])
        else:
            ctx.attempted.update((self.number, i) for i in item.ids)

    def idempotency_key(self, ctx: RunContext, item: WorkItem) -> str:
        """(run, stage, item): a retried save can never charge twice."""
        return f"run:{ctx.run_id}:stage:{self.number}:{item.key}"
