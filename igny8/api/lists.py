"""Query-string models and the paginated response shared by every list endpoint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from flask import jsonify
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select

from igny8.services.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, paginate


class PageQuery(BaseModel):
    """``page`` and ``page_size``; unknown parameters (cache busters) are ignored."""

    model_config = ConfigDict(extra="ignore")

    page: int = Field(default=1, ge=1, le=1_000_000)
    page_size: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


class KeywordQuery(PageQuery):
    """Filters of the keyword list."""

    status: Literal["new", "mapped"] | None = None
    cluster_id: int | None = Field(default=None, ge=1)
    search: str | None = Field(default=None, max_length=200)
    intent: Literal["informational", "commercial", "transactional", "navigational"] | None = None
    disabled: bool | None = None
    ordering: Literal["-volume", "volume", "keyword", "-created_at", "created_at"] = "created_at"


class ClusterQuery(PageQuery):
    """Filters of the cluster list."""

    status: Literal["new", "mapped"] | None = None


class IdeaQuery(PageQuery):
    """Filters of the idea list."""

    status: Literal["new", "queued", "completed"] | None = None
    cluster_id: int | None = Field(default=None, ge=1)


class TaskQuery(PageQuery):
    """Filters of the task list."""

    status: Literal["queued", "in_progress", "completed", "failed"] | None = None


class ContentQuery(PageQuery):
    """Filters of the content list."""

    status: Literal["draft", "review", "approved", "rejected"] | None = None


class ImageQuery(PageQuery):
    """Filters of the image list."""

    status: Literal["pending", "generated", "failed"] | None = None
    content_id: int | None = Field(default=None, ge=1)


def page_response(query: Select, params: PageQuery, to_json: Callable):
    """``{"count", "page", "page_size", "results"}`` for one page of ``query``."""
    page = paginate(query, params.page, params.page_size)
    return page_body(page, [to_json(item) for item in page.items])


def page_body(page, results: list):
    """The list envelope around already serialised ``results`` of ``page``."""
    return jsonify(count=page.count, page=page.page, page_size=page.page_size, results=results)
