"""Writer: tasks, content (with the review actions) and images."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user
from pydantic import Field
from sqlalchemy import select

from igny8.api import bp
from igny8.api.errors import ApiError
from igny8.api.lists import ContentQuery, ImageQuery, TaskQuery, page_response
from igny8.api.serializers import content_json, image_json, task_json
from igny8.api.validation import Body, parse_body, parse_query
from igny8.auth.scoping import get_scoped, site_from_request
from igny8.extensions import db
from igny8.models import Content, Image, Task
from igny8.services import review
from igny8.services.listing import status_query


class RejectBody(Body):
    """Why the reviewer rejects the article."""

    reason: str = Field(min_length=1, max_length=2000)


@bp.get("/writer/tasks/")
def tasks_list():
    """A site's tasks."""
    site = site_from_request()
    params = parse_query(TaskQuery)
    return page_response(status_query(Task, site.id, params.status), params, task_json)


@bp.get("/writer/tasks/<int:task_id>")
def tasks_detail(task_id: int):
    """One task."""
    return jsonify(task_json(get_scoped(Task, task_id)))


@bp.get("/writer/content/")
def content_list():
    """A site's articles (without their HTML)."""
    site = site_from_request()
    params = parse_query(ContentQuery)
    return page_response(status_query(Content, site.id, params.status), params, content_json)


def _content_detail(content: Content):
    images = db.session.scalars(
        select(Image).where(Image.content_id == content.id).order_by(Image.kind, Image.position)
    )
    return jsonify(content_json(content, list(images)))


@bp.get("/writer/content/<int:content_id>")
def content_detail(content_id: int):
    """One article with its HTML and images."""
    return _content_detail(get_scoped(Content, content_id))


@bp.post("/writer/content/<int:content_id>/approve")
def content_approve(content_id: int):
    """Approve an article in review."""
    content = get_scoped(Content, content_id)
    try:
        review.approve(content, current_user.id)
    except review.InvalidState as exc:
        raise ApiError(400, "invalid_state", str(exc)) from None
    return _content_detail(content)


@bp.post("/writer/content/<int:content_id>/reject")
def content_reject(content_id: int):
    """Reject an article in review, with a reason."""
    content = get_scoped(Content, content_id)
    body = parse_body(RejectBody)
    try:
        review.reject(content, current_user.id, body.reason)
    except review.InvalidState as exc:
        raise ApiError(400, "invalid_state", str(exc)) from None
    return _content_detail(content)


@bp.get("/writer/images/")
def images_list():
    """A site's images."""
    site = site_from_request()
    params = parse_query(ImageQuery)
    query = status_query(Image, site.id, params.status, content_id=params.content_id)
    return page_response(query, params, image_json)
