"""Filtered list queries for Planner and Writer objects, shared by the API and the pages."""

from __future__ import annotations

from sqlalchemy import Select, select

from igny8.extensions import db
from igny8.models import Cluster, Keyword

KEYWORD_ORDERINGS = {
    "-volume": (Keyword.volume.desc().nulls_last(), Keyword.id),
    "volume": (Keyword.volume.asc().nulls_last(), Keyword.id),
    "keyword": (Keyword.keyword_key, Keyword.id),
    "-created_at": (Keyword.id.desc(),),
    "created_at": (Keyword.id,),
}


def _escape_like(text: str) -> str:
    """Make user text literal inside a LIKE pattern."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def keyword_query(
    site_id: int, status: str | None = None, cluster_id: int | None = None, search: str | None = None,
    intent: str | None = None, disabled: bool | None = None, ordering: str = "created_at",
) -> Select:
    """A site's keywords with the list filters applied."""
    q = select(Keyword).where(Keyword.site_id == site_id)
    if status:
        q = q.where(Keyword.status == status)
    if cluster_id is not None:
        q = q.where(Keyword.cluster_id == cluster_id)
    if search:
        # keyword_key is lowercase, so a lowercase LIKE is case-insensitive on every backend.
        q = q.where(Keyword.keyword_key.like(f"%{_escape_like(search.lower())}%", escape="\\"))
    if intent:
        q = q.where(Keyword.intent == intent)
    if disabled is not None:
        q = q.where(Keyword.disabled == disabled)
    return q.order_by(*KEYWORD_ORDERINGS[ordering])


def status_query(model, site_id: int, status: str | None = None, **filters) -> Select:
    """A site's objects of ``model``, optionally by status and equality filters, newest last."""
    q = select(model).where(model.site_id == site_id)
    if status:
        q = q.where(model.status == status)
    for name, value in filters.items():
        if value is not None:
            q = q.where(getattr(model, name) == value)
    return q.order_by(model.id)


def cluster_keywords(cluster: Cluster) -> list[Keyword]:
    """A cluster's keywords, highest volume first."""
    return list(db.session.scalars(keyword_query(cluster.site_id, cluster_id=cluster.id, ordering="-volume")))

