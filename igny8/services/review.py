"""The human review gate: approve or reject content that sits in ``review``."""

from __future__ import annotations

from igny8.extensions import db
from igny8.models import Content
from igny8.models.base import utcnow


class InvalidState(ValueError):
    """The object's state does not allow the requested change."""


def approve(content: Content, user_id: int) -> Content:
    """Approve content in review."""
    _require_review(content)
    content.status = "approved"
    content.reject_reason = None
    _stamp(content, user_id)
    return content


def reject(content: Content, user_id: int, reason: str) -> Content:
    """Reject content in review, keeping the reviewer's reason."""
    _require_review(content)
    content.status = "rejected"
    content.reject_reason = reason
    _stamp(content, user_id)
    return content


def _require_review(content: Content) -> None:
    if content.status != "review":
        raise InvalidState(f"Content is {content.status}; only content in review can be approved or rejected")


def _stamp(content: Content, user_id: int) -> None:
    content.reviewed_at = utcnow()
    content.reviewed_by_id = user_id
    db.session.commit()
