"""Planner aggregate: keywords, clusters and content ideas of a site."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from igny8.extensions import db
from igny8.models.base import AttemptMixin, ProvenanceMixin, TenantMixin


class Keyword(TenantMixin, AttemptMixin, db.Model):
    """A search term imported for a site; unique per site by its normalised form."""

    __table_args__ = (
        UniqueConstraint("site_id", "keyword_key", name="uq_keyword_site_key"),
        # Stage 1 pending: new, unclustered, enabled — per site.
        Index("ix_keyword_pending", "site_id", "status", "disabled", "cluster_id"),
        Index("ix_keyword_site_volume", "site_id", "volume"),
        Index("ix_keyword_cluster", "cluster_id"),
    )

    keyword: Mapped[str] = mapped_column(String(200))
    keyword_key: Mapped[str] = mapped_column(String(200))
    volume: Mapped[int | None] = mapped_column(Integer, nullable=True)
    difficulty: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cpc: Mapped[Decimal | None] = mapped_column(Numeric(10, 2), nullable=True)
    intent: Mapped[str | None] = mapped_column(String(20), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="new")
    cluster_id: Mapped[int | None] = mapped_column(
        ForeignKey("cluster.id", ondelete="SET NULL"), nullable=True
    )
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str | None] = mapped_column(String(255), nullable=True)


class Cluster(TenantMixin, AttemptMixin, ProvenanceMixin, db.Model):
    """A topic: related keywords one article can target."""

    __table_args__ = (Index("ix_cluster_pending", "site_id", "status", "disabled"),)

    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="new")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    keyword_count: Mapped[int] = mapped_column(Integer, default=0)
    total_volume: Mapped[int] = mapped_column(Integer, default=0)


class ContentIdea(TenantMixin, AttemptMixin, ProvenanceMixin, db.Model):
    """An article idea for a cluster, with its outline stored (sections, keywords, budget)."""

    __table_args__ = (
        Index("ix_idea_pending", "site_id", "status"),
        Index("ix_idea_cluster", "cluster_id"),
    )

    cluster_id: Mapped[int] = mapped_column(ForeignKey("cluster.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    content_structure: Mapped[str] = mapped_column(String(40), default="guide")
    content_type: Mapped[str] = mapped_column(String(40), default="post")
    primary_keyword: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # [{"heading": str, "keywords": [str], "word_budget": int}, ...]
    outline: Mapped[list] = mapped_column(JSON, default=list)
    target_words: Mapped[int] = mapped_column(Integer, default=1200)
    status: Mapped[str] = mapped_column(String(20), default="new")
