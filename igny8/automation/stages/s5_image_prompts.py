"""Stage 5 — Content → Image prompts (AI)."""

from __future__ import annotations

from sqlalchemy import exists, select

from igny8.ai.base import AIError, ContentInfo
from igny8.automation import credits
from igny8.automation.context import Conflict
from igny8.automation.stages.base import Stage, WorkItem
from igny8.extensions import db
from igny8.models import Content, Image
from igny8.services.html import headings, plain_text

IN_ARTICLE_IMAGES = 2


class ImagePromptsStage(Stage):
    """One featured and two in-article image prompts per draft article."""

    number, name, kind, model = 5, "Content → Image prompts", "ai", Content
    result_fields = ("content_processed", "prompts_created", "batches_run", "credits_used")
    batch_field = "stage_5_batch_size"

    def pending_query(self, site_id):
        """Content: status draft with zero images."""
        has_images = exists().where(Image.content_id == Content.id)
        return select(Content).where(Content.site_id == site_id, Content.status == "draft", ~has_images)

    def work_item(self, row, ctx) -> WorkItem:
        """Title, keyword, headings and a summary of the article."""
        info = ContentInfo(row.id, row.title, row.primary_keyword or row.title, headings(row.html),
                           plain_text(row.html)[:600])
        return WorkItem(key=f"content:{row.id}", label=f"prompts for '{row.title}'", ids=[row.id], payload=info)

    def call(self, item, ctx):
        """Ask the provider for prompts."""
        return ctx.text_provider.generate_image_prompts(item.payload, IN_ARTICLE_IMAGES, ctx.site)

    def save(self, item, answer, ctx, result):
        """Image rows in ``pending``: one featured (position 0), in-article from 1."""
        featured = [p for p in answer.prompts if p.kind == "featured" and p.prompt.strip()]
        in_article = [p for p in answer.prompts if p.kind == "in_article" and p.prompt.strip()]
        if not featured:
            raise AIError("no featured image prompt in the answer")
        content = db.session.get(Content, item.ids[0])
        if content is None or content.status != "draft":
            raise Conflict("content no longer a draft")
        slots = [("featured", 0, featured[0])] + [
            ("in_article", i, p) for i, p in enumerate(in_article[:IN_ARTICLE_IMAGES], start=1)
        ]
        for kind, position, prompt in slots:
            db.session.add(Image(
                account_id=ctx.account_id, site_id=ctx.site_id, content_id=content.id, kind=kind,
                position=position, prompt=prompt.prompt.strip()[:4000],
                alt_text=(prompt.alt_text or prompt.prompt).strip()[:255], status="pending",
            ))
        content.last_attempt_run_id = ctx.run_pk
        content.error = None
        result["content_processed"] = result.get("content_processed", 0) + 1
        result["prompts_created"] = result.get("prompts_created", 0) + len(slots)
        return credits.charge(
            ctx.account_id, credits.usage_cost(answer.usage, credits.costs()["image_prompts_per_content"]),
            self.idempotency_key(ctx, item),
            operation="image_prompts", run_pk=ctx.run_pk, site_id=ctx.site_id, stage=5, object_type="content",
            object_id=content.id, usage=answer.usage, note=f"{len(slots)} prompts",
        )
