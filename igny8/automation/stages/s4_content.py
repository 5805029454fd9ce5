"""Stage 4 — Tasks → Content (AI)."""

from __future__ import annotations

from sqlalchemy import select

from igny8.ai.base import AIError, OutlineSection, TaskInfo
from igny8.automation import credits
from igny8.automation.context import Conflict
from igny8.automation.stages.base import Stage, WorkItem
from igny8.extensions import db
from igny8.models import Content, ContentIdea, Task
from igny8.services.html import sanitize_article, word_count

# An article below this share of its target is "far below" and fails.
MIN_TARGET_SHARE = 0.5


class ContentStage(Stage):
    """Writes one article per queued task, from the idea's stored outline."""

    number, name, kind, model = 4, "Tasks → Content", "ai", Task
    result_fields = ("tasks_processed", "content_created", "total_words", "batches_run", "credits_used")
    batch_field = "stage_4_batch_size"

    def pending_query(self, site_id):
        """Tasks: status queued."""
        return select(Task).where(Task.site_id == site_id, Task.status == "queued")

    def work_item(self, row, ctx) -> WorkItem:
        """The task with its idea's outline."""
        idea = db.session.get(ContentIdea, row.idea_id) if row.idea_id else None
        outline = [OutlineSection(s["heading"], list(s.get("keywords", [])), int(s.get("word_budget", 200)))
                   for s in (idea.outline if idea else [])]
        info = TaskInfo(row.id, row.title, row.primary_keyword or row.title, list(row.keywords or []), outline,
                        row.target_words, idea.content_structure if idea else "guide")
        return WorkItem(key=f"task:{row.id}", label=f"article '{row.title}'", ids=[row.id], payload=info)

    def call(self, item, ctx):
        """Ask the provider for the article."""
        return ctx.text_provider.generate_content(item.payload, ctx.site)

    def save(self, item, answer, ctx, result):
        """Validate and sanitise the article, save it as a draft, charge by its length."""
        article = answer.article
        html = sanitize_article(article.html or "")
        words = word_count(html)
        target = item.payload.target_words
        if words < target * MIN_TARGET_SHARE:
            raise AIError(f"article has {words} words, far below its {target}-word target")
        if not (article.meta_title or "").strip() or not (article.meta_description or "").strip():
            raise AIError("article is missing its meta title or meta description")
        task = db.session.get(Task, item.ids[0])
        if task is None or task.status != "queued":
            raise Conflict("task already written")
        db.session.add(Content(
            account_id=ctx.account_id, site_id=ctx.site_id, task_id=task.id,
            title=(article.title or task.title).strip()[:255], meta_title=article.meta_title.strip()[:255],
            meta_description=article.meta_description.strip()[:500],
            primary_keyword=(article.primary_keyword or task.primary_keyword or "")[:200],
            secondary_keywords=[str(k)[:200] for k in article.secondary_keywords][:20], html=html,
            word_count=words, status="draft", provider=answer.usage.provider, model=answer.usage.model,
        ))
        task.status = "completed"
        task.error = None
        task.last_attempt_run_id = ctx.run_pk
        if task.idea_id:
            idea = db.session.get(ContentIdea, task.idea_id)
            if idea is not None:
                idea.status = "completed"
        result["tasks_processed"] = result.get("tasks_processed", 0) + 1
        result["content_created"] = result.get("content_created", 0) + 1
        result["total_words"] = result.get("total_words", 0) + words
        return credits.charge(
            ctx.account_id, credits.usage_cost(answer.usage, credits.content_cost(words)),
            self.idempotency_key(ctx, item), operation="content",
            run_pk=ctx.run_pk, site_id=ctx.site_id, stage=4, object_type="task", object_id=task.id,
            usage=answer.usage, note=f"{words} words",
        )
