"""HTML pages and HTMX partials (session auth)."""

from flask import Blueprint

bp = Blueprint("web", __name__)

from igny8.web import auth, pages  # noqa: E402,F401
