"""Stage 6 — Image prompts → Images (AI)."""

from __future__ import annotations

from sqlalchemy import select

from igny8.ai.base import AIError
from igny8.automation import credits
from igny8.automation.context import Conflict
from igny8.automation.stages.base import Stage, WorkItem
from igny8.extensions import db
from igny8.models import Image
from igny8.services.media import save_image


class ImagesStage(Stage):
    """Generates each pending image with the configured image provider."""

    number, name, kind, model = 6, "Image prompts → Images", "ai", Image
    result_fields = ("images_processed", "images_generated", "batches_run", "credits_used")
    batch_field = "stage_6_batch_size"

    def pending_query(self, site_id):
        """Images: status pending."""
        return select(Image).where(Image.site_id == site_id, Image.status == "pending")

    def work_item(self, row, ctx) -> WorkItem:
        """The prompt."""
        return WorkItem(key=f"image:{row.id}", label=f"{row.kind} image #{row.id}", ids=[row.id], payload=row.prompt)

    def call(self, item, ctx):
        """Ask the image provider."""
        return ctx.image_provider.generate_image(item.payload, ctx.config.get("image_size", "1024x1024"))

    def save(self, item, answer, ctx, result):
        """Store the file, mark the image generated, charge per image."""
        if not answer.image.data:
            raise AIError("the image provider returned no image data")
        image = db.session.get(Image, item.ids[0])
        if image is None or image.status != "pending":
            raise Conflict("image already generated")
        image.file_path = save_image(ctx.account_id, ctx.site_id, image.id, answer.image.data, answer.image.mime)
        image.status = "generated"
        image.width, image.height = answer.image.width, answer.image.height
        image.provider, image.model = answer.usage.provider, answer.usage.model
        image.error = None
        image.last_attempt_run_id = ctx.run_pk
        result["images_processed"] = result.get("images_processed", 0) + 1
        result["images_generated"] = result.get("images_generated", 0) + 1
        return credits.charge(
            ctx.account_id, credits.costs()["image_per_image"], self.idempotency_key(ctx, item), operation="image",
            run_pk=ctx.run_pk, site_id=ctx.site_id, stage=6, object_type="image", object_id=image.id,
            usage=answer.usage,
        )
