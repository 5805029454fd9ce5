"""Stage 3 — Ideas → Tasks (local: no AI, no credits)."""

from __future__ import annotations

from sqlalchemy import select

from igny8.automation.context import Conflict
from igny8.automation.stages.base import Stage, WorkItem
from igny8.extensions import db
from igny8.models import ContentIdea, Task


class TasksStage(Stage):
    """Queues a writing task per new idea (the unique idea_id keeps it to one)."""

    number, name, kind, model = 3, "Ideas → Tasks", "local", ContentIdea
    result_fields = ("ideas_processed", "tasks_created", "batches_run")
    batch_field = "stage_3_batch_size"

    def pending_query(self, site_id):
        """Ideas: status new."""
        return select(ContentIdea).where(ContentIdea.site_id == site_id, ContentIdea.status == "new")

    def work_item(self, row, ctx) -> WorkItem:
        """The idea itself."""
        return WorkItem(key=f"idea:{row.id}", label=f"idea '{row.title}'", ids=[row.id], payload=None)

    def save(self, item, answer, ctx, result):
        """Create the task and queue the idea."""
        idea = db.session.get(ContentIdea, item.ids[0])
        if idea is None or idea.status != "new":
            raise Conflict("idea already queued")
        keywords: list[str] = [idea.primary_keyword] if idea.primary_keyword else []
        for section in idea.outline or []:
            keywords += [k for k in section.get("keywords", []) if k not in keywords]
        db.session.add(Task(
            account_id=ctx.account_id, site_id=ctx.site_id, idea_id=idea.id, cluster_id=idea.cluster_id,
            title=idea.title, primary_keyword=idea.primary_keyword, keywords=keywords,
            target_words=idea.target_words, status="queued",
        ))
        idea.status = "queued"
        result["ideas_processed"] = result.get("ideas_processed", 0) + 1
        result["tasks_created"] = result.get("tasks_created", 0) + 1
        return None
