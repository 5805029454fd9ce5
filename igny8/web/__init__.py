"""HTML pages and HTMX partials (session auth).

Handlers stay short: they resolve the tenant-scoped objects, call the services shared with
the API and render templates. Every state change is a POST carrying the CSRF token (a
hidden field on plain forms, the ``X-CSRFToken`` header set on ``<body>`` for htmx).
"""

from flask import Blueprint

bp = Blueprint("web", __name__)

from igny8.web import auth, automation, filters, pages, planner, settings, writer  # noqa: E402,F401
