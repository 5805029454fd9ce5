"""Writer aggregate: tasks, the content written for them and its images."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from igny8.extensions import db
from igny8.models.base import AttemptMixin, ProvenanceMixin, TenantMixin, UTCDateTime


class Task(TenantMixin, AttemptMixin, db.Model):
    """A writing job made from one idea (at most one task per idea)."""

    __table_args__ = (
        UniqueConstraint("idea_id", name="uq_task_idea"),
        Index("ix_task_pending", "site_id", "status"),
    )

    idea_id: Mapped[int | None] = mapped_column(
        ForeignKey("content_idea.id", ondelete="SET NULL"), nullable=True
    )
    cluster_id: Mapped[int | None] = mapped_column(
        ForeignKey("cluster.id", ondelete="SET NULL"), nullable=True
    )
    title: Mapped[str] = mapped_column(String(255))
    primary_keyword: Mapped[str | None] = mapped_column(String(200), nullable=True)
    keywords: Mapped[list] = mapped_column(JSON, default=list)
    target_words: Mapped[int] = mapped_column(Integer, default=1200)
    status: Mapped[str] = mapped_column(String(20), default="queued")


class Content(TenantMixin, AttemptMixin, ProvenanceMixin, db.Model):
    """An article; the unique task_id guarantees one content per task."""

    __table_args__ = (
        UniqueConstraint("task_id", name="uq_content_task"),
        Index("ix_content_pending", "site_id", "status"),
    )

    task_id: Mapped[int | None] = mapped_column(
        ForeignKey("task.id", ondelete="SET NULL"), nullable=True
    )
    title: Mapped[str] = mapped_column(String(255))
    meta_title: Mapped[str | None] = mapped_column(String(255), nullable=True)
    meta_description: Mapped[str | None] = mapped_column(String(500), nullable=True)
    primary_keyword: Mapped[str | None] = mapped_column(String(200), nullable=True)
    secondary_keywords: Mapped[list] = mapped_column(JSON, default=list)
    html: Mapped[str] = mapped_column(Text, default="")
    word_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    reject_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reviewed_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Image(TenantMixin, AttemptMixin, ProvenanceMixin, db.Model):
    """A featured or in-article image of a content: prompt first, file once generated."""

    __table_args__ = (
        UniqueConstraint("content_id", "kind", "position", name="uq_image_slot"),
        Index("ix_image_pending", "site_id", "status"),
    )

    content_id: Mapped[int] = mapped_column(ForeignKey("content.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="featured")  # featured | in_article
    position: Mapped[int] = mapped_column(Integer, default=0)
    prompt: Mapped[str] = mapped_column(Text)
    alt_text: Mapped[str | None] = mapped_column(String(255), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    file_path: Mapped[str | None] = mapped_column(String(500), nullable=True)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
