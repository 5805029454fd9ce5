"""IGNY8 Automation: keywords to reviewed articles with images, for SEO teams."""

from __future__ import annotations

import os
from decimal import Decimal

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from igny8.config import load_config
from igny8.extensions import csrf, db, limiter, login_manager, migrate, redis_url


class JSONProvider(DefaultJSONProvider):
    """JSON that writes credit amounts (Decimal) as numbers, not strings."""

    @staticmethod
    def default(o):
        """Serialise Decimals as numbers; defer everything else to Flask."""
        if isinstance(o, Decimal):
            return int(o) if o == o.to_integral_value() else float(o)
        return DefaultJSONProvider.default(o)


def create_app(overrides: dict | None = None) -> Flask:
    """Build the application: config from the environment, then ``overrides``."""
    config = load_config()
    config.update(overrides or {})
    app = Flask(
        __name__,
        instance_path=config["INSTANCE_PATH"],
        template_folder="../templates",
        static_folder="../static",
    )
    app.json_provider_class = JSONProvider
    app.json = JSONProvider(app)
    # API.md: paths work with and without a trailing slash (no redirects for API clients).
    app.url_map.strict_slashes = False
    app.config.update(config)
    os.makedirs(app.instance_path, exist_ok=True)

    from igny8 import models  # noqa: F401  (registers the tables)

    db.init_app(app)
    migrate.init_app(
        app, db, directory=os.path.join(os.path.dirname(__file__), "..", "migrations"),
        render_as_batch=True, compare_type=True,
    )
    login_manager.init_app(app)
    csrf.init_app(app)
    _init_limiter(app)

    from igny8.api import bp as api_bp
    from igny8.api.errors import register_error_handlers
    from igny8.auth import init_auth
    from igny8.cli import register_cli
    from igny8.web import bp as web_bp

    init_auth(app)
    app.register_blueprint(api_bp)
    app.register_blueprint(web_bp)
    register_error_handlers(app)
    register_cli(app)
    return app


def _init_limiter(app: Flask) -> None:
    """Rate limits live in Redis so every web process shares one count."""
    if app.config.get("RATELIMIT_ENABLED", True):
        app.config.setdefault("RATELIMIT_STORAGE_URI", _limits_uri(redis_url(app.config)))
    limiter.init_app(app)


def _limits_uri(url: str) -> str:
    """The ``limits`` library spells unix-socket Redis URLs ``redis+unix://``."""
    return "redis+unix://" + url[len("unix://"):] if url.startswith("unix://") else url
