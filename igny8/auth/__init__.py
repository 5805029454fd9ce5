"""Authentication: Flask-Login sessions for pages, bearer tokens for the API."""

from __future__ import annotations

from flask import Flask, jsonify, redirect, request, url_for

from igny8.extensions import db, login_manager
from igny8.models import User


def init_auth(app: Flask) -> None:
    """Wire the user loaders and the unauthorised response into Flask-Login."""

    @login_manager.user_loader
    def load_user(user_id: str):
        """Session cookie → user."""
        try:
            return db.session.get(User, int(user_id))
        except ValueError:
            return None

    @login_manager.request_loader
    def load_user_from_bearer(req):
        """``Authorization: Bearer <token>`` → user (API only)."""
        from igny8.auth.tokens import user_for_token

        header = req.headers.get("Authorization", "")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return None
        return user_for_token(secret.strip())

    @login_manager.unauthorized_handler
    def unauthorized():
        """JSON 401 for the API, a redirect to the login page for pages."""
        if request.path.startswith("/api/"):
            return jsonify(error="Authentication required", code="unauthorized"), 401
        return redirect(url_for("web.login", next=request.full_path))
