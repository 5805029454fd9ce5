"""Tenant scoping: every lookup goes through the current user's account.

Another account's site, run or object is a 404 — never a 403 that confirms it exists.
"""

from __future__ import annotations

from flask import request
from flask_login import current_user
from sqlalchemy import select

from igny8.api.errors import ApiError
from igny8.extensions import db
from igny8.models import Site


def current_account_id() -> int:
    """The signed-in user's account id (the account never comes from the request body)."""
    return current_user.account_id


def require_int_param(name: str) -> int:
    """A required integer query parameter: 400 missing_parameter or validation_error."""
    raw = request.args.get(name)
    if raw in (None, ""):
        raise ApiError(400, "missing_parameter", f"{name} is required", {name: "required"})
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "validation_error", f"{name} must be an integer", {name: "must be an integer"}) from None
    if value < 1 or value > 2**31 - 1:
        raise ApiError(404, "not_found", "Site not found" if name == "site_id" else "Not found")
    return value


def get_site(site_id: int) -> Site:
    """The current account's site ``site_id``, or a 404 ApiError."""
    site = db.session.scalar(
        select(Site).where(Site.id == site_id, Site.account_id == current_account_id())
    )
    if site is None:
        raise ApiError(404, "not_found", "Site not found")
    return site


def site_from_request() -> Site:
    """The site named by the ``site_id`` query parameter, scoped to the caller."""
    return get_site(require_int_param("site_id"))


def get_scoped(model, object_id: int, label: str | None = None):
    """One object of ``model`` by id within the caller's account, or a 404 ApiError."""
    obj = db.session.scalar(
        select(model).where(model.id == object_id, model.account_id == current_account_id())
    )
    if obj is None:
        raise ApiError(404, "not_found", f"{label or model.__name__} not found")
    return obj
