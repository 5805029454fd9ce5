"""Stage 7 — the manual review gate: drafts whose images are all resolved go to review."""

from __future__ import annotations

from sqlalchemy import exists, func, select, update

from igny8.automation.stages.base import Stage
from igny8.extensions import db
from igny8.models import Content, Image


class ReviewStage(Stage):
    """No AI: moves finished drafts into ``review`` for a person to approve or reject."""

    number, name, kind, model = 7, "Manual review gate", "manual", Content
    result_fields = ("ready_for_review", "moved_to_review")

    def pending_query(self, site_id):
        """Content: status review (what waits for a person)."""
        return select(Content).where(Content.site_id == site_id, Content.status == "review")

    def ready_query(self, site_id):
        """Drafts with images, none of them still pending."""
        has_images = exists().where(Image.content_id == Content.id)
        has_pending = exists().where(Image.content_id == Content.id, Image.status == "pending")
        return select(Content.id).where(Content.site_id == site_id, Content.status == "draft", has_images,
                                        ~has_pending)

    def run(self, ctx) -> None:
        """One fenced transaction moves every ready draft."""
        if ctx.check_control() is not None:
            return
        result = ctx.stage_result(7) or self.initial_result()
        moved = db.session.execute(
            update(Content).where(Content.id.in_(self.ready_query(ctx.site_id)))
            .values(status="review").execution_options(synchronize_session=False)
        ).rowcount
        result["moved_to_review"] = result.get("moved_to_review", 0) + moved
        result["ready_for_review"] = db.session.scalar(
            select(func.count()).select_from(self.pending_query(ctx.site_id).subquery()))
        ctx.set_processing(stage=7, stage_name=self.name, done=moved, total=moved, in_flight=[], up_next=[])
        ctx.save(7, lambda r: r.update(result), "review gate")
        ctx.log(f"{moved} articles moved to review; {result['ready_for_review']} waiting for review", 7)
