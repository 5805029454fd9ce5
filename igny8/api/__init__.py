"""The JSON API under /api/v1: one module per resource, JSON only."""

from __future__ import annotations

from flask import Blueprint, current_app, request
from flask_login import current_user

from igny8.api.errors import ApiError
from igny8.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

# Endpoints reachable without signing in.
PUBLIC_ENDPOINTS = {"api.create_auth_token", "api.openapi_json"}


@bp.before_request
def require_auth():
    """Every API call but the public ones needs a session or a bearer token."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        raise ApiError(401, "unauthorized", "Authentication required")
    # A browser session is exposed to CSRF; a bearer token is not.
    unsafe = request.method not in ("GET", "HEAD", "OPTIONS")
    if unsafe and not request.headers.get("Authorization") and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()
    return None


from igny8.api import auth, automation, openapi, planner, settings, sites, writer  # noqa: E402,F401
