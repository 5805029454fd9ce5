"""List pagination shared by the API and the pages: ``{"count", "results"}``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select

from igny8.extensions import db

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50


@dataclass
class Page:
    """One page of rows and the total count of the filtered query."""

    count: int
    items: list
    page: int
    page_size: int


def paginate(query: Select, page: int, page_size: int) -> Page:
    """Run ``query`` for one page, counting the whole filtered set."""
    count = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = list(db.session.scalars(query.limit(page_size).offset((page - 1) * page_size)))
    return Page(count=count or 0, items=items, page=page, page_size=page_size)
